#include "issued_push.hpp"

#include <array>
#include <chrono>
#include <fstream>
#include <stdexcept>

#include "store/topology_document.hpp"

namespace gatelink::test {

signature::SigningKey test_group_key(std::uint8_t seed) {
  std::array<std::uint8_t, signature::kPublicKeySize> raw{};
  raw.fill(seed);
  auto key = signature::SigningKey::from_seed(raw);
  if (!key) throw std::runtime_error(key.error().message);
  return *key;
}

void write_public_key(const signature::SigningKey& key, const std::string& path) {
  std::ofstream(path) << key.public_key().pem();
}

codec::TopologyPush raw_push(std::string document, std::uint64_t epoch, std::uint64_t generation,
                             const signature::SigningKey* key) {
  codec::TopologyPush push{
      .epoch = epoch, .generation = generation, .document = std::move(document)};
  if (key != nullptr) push.signature = key->sign(push.document);
  return push;
}

codec::TopologyPush issued_push(std::string_view agent, const Topology& topology,
                                const signature::SigningKey* key) {
  auto document = render_issued_topology(IssuedTopology{
      .agent = std::string(agent),
      .topology = topology,
      .issued_at =
          std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now())});
  if (!document) throw std::runtime_error(document.error().message);
  return raw_push(std::move(*document), topology.epoch, topology.generation, key);
}

}  // namespace gatelink::test
