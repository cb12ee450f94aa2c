#pragma once
// Helpers shared by the registry tests: a store in a scratch folder, set-parent requests, signing
// keys, entries as older builds wrote them, and snapshots of the whole store to prove that a
// refusal changed nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "registry_tree_snapshot.hpp"
#include "signature/signing_key.hpp"
#include "store_test_support.hpp"
#include "topology_registry.hpp"

namespace gatelink::test {

/// A set-parent request from command-line address forms, as gatelink-mg builds it.
inline gateway::SetParentRequest parent_request(std::string agent,
                                                std::optional<std::string> management_group,
                                                const std::string& primary,
                                                const std::vector<std::string>& failovers = {}) {
  gateway::SetParentRequest request{.agent = std::move(agent),
                                    .management_group = std::move(management_group)};
  if (!primary.empty()) {
    auto parsed = parse_gateway_address(primary);
    EXPECT_TRUE(parsed) << primary;
    if (parsed) request.primary = *parsed;
  }
  for (const auto& text : failovers) {
    auto parsed = parse_gateway_address(text);
    EXPECT_TRUE(parsed) << text;
    if (parsed) request.failover.push_back(*parsed);
  }
  return request;
}

/// A new management-group key written to `path` with `mode`, as gatelink-mg keygen writes it.
inline signature::SigningKey write_signing_key(
    const std::filesystem::path& path,
    std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                  std::filesystem::perms::owner_write) {
  auto key = signature::SigningKey::generate();
  EXPECT_TRUE(key) << key.error().message;
  write_file(path, key->pem());
  std::filesystem::permissions(path, mode);
  return *key;
}

/// A registry over a fresh scratch folder.
class RegistryTest : public ::testing::Test {
 protected:
  const std::filesystem::path& store() const { return scratch_.path(); }
  std::filesystem::path agent_file(const std::string& agent) const {
    return store() / "agents" / (agent + ".xml");
  }

  /// set_parent() that must succeed; the written entry.
  gateway::RegistryEntry set(const gateway::SetParentRequest& request, std::int64_t at_ms = 0) {
    auto written = registry_.set_parent(request, sample_time(at_ms));
    EXPECT_TRUE(written) << written.error().message;
    return written ? *written : gateway::RegistryEntry{};
  }
  /// The generation set() wrote.
  std::uint64_t generation_of(const gateway::SetParentRequest& request, std::int64_t at_ms = 0) {
    return set(request, at_ms).issued.topology.generation;
  }
  /// set_parent() must fail with `expected` in its message and change nothing in the store.
  void expect_refused(const gateway::SetParentRequest& request, const std::string& expected) {
    const auto before = tree_snapshot(store());
    auto written = registry_.set_parent(request, sample_time(99));
    ASSERT_FALSE(written) << "wrote generation " << written->issued.topology.generation;
    EXPECT_THAT(written.error().message, ::testing::HasSubstr(expected));
    EXPECT_EQ(tree_snapshot(store()), before);
  }
  /// init() must fail with `expected` in its message and change nothing in the store.
  void expect_init_refused(const gateway::StoreSettings& settings, const std::string& expected) {
    const auto before = tree_snapshot(store());
    auto written = registry_.init(settings);
    ASSERT_FALSE(written) << "initialised for " << written->management_group;
    EXPECT_THAT(written.error().message, ::testing::HasSubstr(expected));
    EXPECT_EQ(tree_snapshot(store()), before);
  }
  /// The agent's stored entry, which must be there.
  gateway::RegistryEntry stored(const std::string& agent) const {
    auto entry = registry_.get(agent);
    EXPECT_TRUE(entry) << entry.error().message;
    EXPECT_TRUE(entry && entry->has_value()) << "nothing stored for " << agent;
    return entry && *entry ? **entry : gateway::RegistryEntry{};
  }
  /// Writes the agent's entry as a gatelink-mg before signed topologies did: a version-1
  /// <topology> document with `generation`.
  void write_legacy_entry(const std::string& agent, std::uint64_t generation) const {
    auto legacy = sample_topology(generation);
    legacy.received_from.clear();
    std::filesystem::create_directories(store() / "agents");
    write_file(agent_file(agent), render_topology_xml(legacy));
  }

  ScratchDir scratch_;
  gateway::TopologyRegistry registry_{scratch_.path().string()};
};

}  // namespace gatelink::test
