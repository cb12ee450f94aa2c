#pragma once
// The agent the topology targets play (topology_push_fuzz.cpp, topology_xml_fuzz.cpp) and the
// management group's test key that their seeds (make_seeds.cpp) are signed with: one place, so
// that a signed seed verifies in the target. The key comes from a fixed seed (no key material
// is committed) and is built once per process.

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "signature/key_ring.hpp"
#include "signature/signing_key.hpp"
#include "store/topology_trust.hpp"

namespace gatelink::fuzz {

/// The agent and the management group the documents are issued for.
inline constexpr std::string_view kAgent = "web01.example.test";
inline constexpr std::string_view kManagementGroup = "EXAMPLE";
/// The epoch of the codec's sample push (2025-12-01T12:00:00Z), of which the seeds are
/// variations, and a later one (2026-11-01T00:00:00Z) that starts generations again.
inline constexpr std::uint64_t kEpoch = 1'764'590'400;
inline constexpr std::uint64_t kNewEpoch = 1'793'491'200;

/// The agent's wall clock in the targets: 2026-12-01T12:00:00Z, so that an unsigned epoch up
/// to a day later is believed (kMaxUnsignedEpochLead) and none after.
inline std::chrono::system_clock::time_point now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1'796'126'400));
}

/// The management group's test key, from a fixed seed.
inline const signature::SigningKey& test_key() {
  static const signature::SigningKey key = [] {
    std::array<std::uint8_t, signature::kPublicKeySize> seed{};
    seed.fill(0x66);
    return signature::SigningKey::from_seed(seed).value();
  }();
  return key;
}

/// What the agent believes: test_key() pinned, or no key at all.
inline TopologyTrust trust(bool pinned) {
  return TopologyTrust{
      .agent = std::string(kAgent),
      .management_group = std::string(kManagementGroup),
      .keys = pinned ? signature::KeyRing({test_key().public_key()}) : signature::KeyRing()};
}

}  // namespace gatelink::fuzz
