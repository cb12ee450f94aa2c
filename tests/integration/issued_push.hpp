#pragma once
// Topology pushes as a management group issues them (store/topology_document.hpp), for tests
// that play a gateway with the fake gateway of the fixtures: the document gatelink-mg would
// write for an agent, signed by a test key or not, and hand-made ones a hostile gateway sends.

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/message.hpp"
#include "signature/signing_key.hpp"
#include "topology/topology.hpp"

namespace gatelink::test {

/// A management group's key from a fixed seed, and its public key as a PEM file at `path`
/// (what an agent pins).
signature::SigningKey test_group_key(std::uint8_t seed);
void write_public_key(const signature::SigningKey& key, const std::string& path);

/// The push of `topology` as issued for `agent` (epoch and generation from the topology),
/// signed by `key` when given.
codec::TopologyPush issued_push(std::string_view agent, const Topology& topology,
                                const signature::SigningKey* key = nullptr);

/// A push of `document` exactly as given, its header naming (`epoch`, `generation`).
codec::TopologyPush raw_push(std::string document, std::uint64_t epoch, std::uint64_t generation,
                             const signature::SigningKey* key = nullptr);

}  // namespace gatelink::test
