#pragma once
// The topology a management group gives an agent: one primary, then failovers in order.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "topology/gateway_address.hpp"

namespace gatelink {

/// Upper bound on primary + failovers; larger topologies are refused.
inline constexpr std::size_t kMaxGateways = 16;

/// Issued topology documents (store/topology_document.hpp) larger than this are refused before
/// parsing, on the wire and on disk: one is about 2 KiB at most.
inline constexpr std::size_t kMaxIssuedDocumentBytes = std::size_t{16} * 1024;

struct Topology {
  /// The management group's epoch: a new one (a store restored from backup, a key rotation)
  /// starts generations again; topologies order by (epoch, generation). 0 for the bootstrap list.
  std::uint64_t epoch = 0;
  std::uint64_t generation = 0;  ///< 0: the bootstrap list from the configuration
  std::string management_group;
  GatewayAddress primary;
  std::vector<GatewayAddress> failover;  ///< in failover order

  /// Primary first, then failovers: the order the agent tries them in.
  std::vector<GatewayAddress> ordered() const;

  friend bool operator==(const Topology&, const Topology&) = default;
};

/// A topology's document as its management group issued it, with the signature over it: what
/// gateways relay and the agent keeps byte for byte (store/stored_topology.hpp), so that the
/// signature can be checked again whenever it is read.
struct IssuedDocument {
  std::string bytes;                    ///< the document's exact bytes
  std::vector<std::uint8_t> signature;  ///< Ed25519 over `bytes`; empty: unsigned
  /// Fingerprint of the pinned key that verified `signature`; empty when none did (no key
  /// pinned). As a file records it, the fingerprint of the key named there.
  std::string signed_by;

  friend bool operator==(const IssuedDocument&, const IssuedDocument&) = default;
};

/// Where a topology stands in its management group's order: (epoch, generation), compared in
/// that order. An agent accepts only a strictly greater one (DESIGN "Topology", signed
/// topology); (0, 0) is the configuration's bootstrap list.
struct TopologyVersion {
  std::uint64_t epoch = 0;
  std::uint64_t generation = 0;

  friend auto operator<=>(const TopologyVersion&, const TopologyVersion&) = default;
};
/// "epoch E generation G", for messages.
std::string to_string(TopologyVersion version);
inline TopologyVersion version_of(const Topology& topology) {
  return {topology.epoch, topology.generation};
}

/// Empty when a management group may issue `version`: generation 0 is the bootstrap list's,
/// and neither number may be 2^64-1, past which nothing could ever be newer. gatelink-mg
/// refuses to write such a version and an agent refuses to accept one, so that no single
/// topology can freeze an agent's.
std::optional<Error> check_issuable(TopologyVersion version);

/// What an agent did with a pushed topology (sent back to the gateway in its acknowledgement).
/// The numbers are the wire format: never renumber.
enum class TopologyOutcome : std::uint8_t {
  applied = 0,   ///< in use (and persisted)
  pending = 1,   ///< waiting for the new primary to answer a heartbeat
  ignored = 2,   ///< generation not newer than the one held
  rejected = 3,  ///< invalid
};
/// `applied`, `pending`, `ignored`, `rejected`; "unknown" for any other value.
std::string_view to_string(TopologyOutcome outcome);

/// Checks a management group's name: 1 to 255 printable ASCII characters, no space.
std::optional<Error> validate_management_group(std::string_view group);

/// Checks a topology before anything else happens to it: a primary, no duplicate gateway
/// (same host:port), at most kMaxGateways, well-formed addresses. Empty optional: valid.
std::optional<Error> validate_topology(const Topology& topology);

}  // namespace gatelink
