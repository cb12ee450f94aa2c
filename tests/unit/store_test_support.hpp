#pragma once
// Helpers shared by the store tests: sample topologies, folder snapshots, file modes.

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "config_test_support.hpp"
#include "signature/signing_key.hpp"
#include "store/startup_topology.hpp"
#include "store/state_folder_lock.hpp"
#include "store/topology_document.hpp"
#include "store/topology_trust.hpp"

namespace gatelink::test {

/// A fixed receive time, to the millisecond (what the document keeps).
inline std::chrono::system_clock::time_point sample_time(std::int64_t offset_ms = 0) {
  return std::chrono::system_clock::time_point(
      std::chrono::milliseconds(1'795'623'316'123 + offset_ms));  // 2026-11-25T16:15:16.123Z
}

inline GatewayAddress gateway(std::string host, std::uint16_t port, std::string server_name = {}) {
  return GatewayAddress{std::move(host), port, std::move(server_name)};
}

/// A pushed topology: a primary and two failovers, all on 127.0.0.1 with server names.
inline PersistedTopology sample_topology(std::uint64_t generation = 7) {
  PersistedTopology persisted;
  persisted.topology.generation = generation;
  persisted.topology.management_group = "EXAMPLE";
  persisted.topology.primary = gateway("127.0.0.1", 15801, "gw1.example.test");
  persisted.topology.failover = {gateway("127.0.0.1", 15802, "gw2.example.test"),
                                 gateway("gw3.example.test", 5723)};
  persisted.received_from = "gw1.example.test@127.0.0.1:15801";
  persisted.received_at = sample_time(static_cast<std::int64_t>(generation));
  return persisted;
}

/// The agent the store tests' documents are issued for.
inline constexpr std::string_view kSampleAgent = "web01.example.test";
/// An epoch before sample_time(): 2025-12-01T12:00:00Z.
inline constexpr std::uint64_t kSampleEpoch = 1'764'590'400;

/// A management group's key from a fixed seed, so that runs are reproducible.
inline signature::SigningKey sample_key(std::uint8_t seed = 1) {
  std::array<std::uint8_t, signature::kPublicKeySize> raw{};
  raw.fill(seed);
  return signature::SigningKey::from_seed(raw).value();
}

/// sample_topology(generation) in `epoch` as its management group issued it for `agent`:
/// the document's bytes, signed by `key` (unsigned when null), as a pushed one is persisted.
inline PersistedTopology issued_sample(std::uint64_t generation, std::uint64_t epoch = kSampleEpoch,
                                       const signature::SigningKey* key = nullptr,
                                       std::string agent = std::string(kSampleAgent)) {
  PersistedTopology persisted = sample_topology(generation);
  persisted.topology.epoch = epoch;
  auto document = render_issued_topology(IssuedTopology{
      .agent = std::move(agent), .topology = persisted.topology, .issued_at = sample_time(-1000)});
  EXPECT_TRUE(document) << document.error().message;
  if (!document) return persisted;
  persisted.issued.bytes = *document;
  if (key != nullptr) {
    persisted.issued.signature = key->sign(*document);
    persisted.issued.signed_by = key->public_key().fingerprint();
  }
  return persisted;
}

/// The startup choice of kSampleAgent, of `bootstrap`'s management group, with `keys` pinned,
/// at sample_time().
inline StartupTopology choose(const TopologyStore& store, const Topology& bootstrap,
                              std::vector<signature::PublicKey> keys = {}) {
  const TopologyTrust trust{.agent = std::string(kSampleAgent),
                            .management_group = bootstrap.management_group,
                            .keys = signature::KeyRing(std::move(keys))};
  return choose_startup_topology(store, bootstrap, trust, sample_time());
}

/// Every file in `dir` by name, with its content; the state folder's lock file aside (it is not
/// what the store keeps, only who holds it).
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename() == kStateLockFileName) continue;
    files[entry.path().filename().string()] = read_file(entry.path());
  }
  return files;
}

/// The permission bits of `path` (where kPosixModes).
inline unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.string().c_str(), &info) != 0) return ~0u;
  return static_cast<unsigned>(info.st_mode) & 07777u;
}

/// `text` with the first `from` replaced by `to`; fails the test when `from` is absent.
inline std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "sample has no " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace gatelink::test
