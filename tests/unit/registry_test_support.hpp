#pragma once
// Helpers shared by the registry tests: a store in a scratch folder, set-parent requests, and
// snapshots of the whole store to prove that a refusal changed nothing.

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "registry_tree_snapshot.hpp"
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

/// A registry over a fresh scratch folder.
class RegistryTest : public ::testing::Test {
 protected:
  const std::filesystem::path& store() const { return scratch_.path(); }
  std::filesystem::path agent_file(const std::string& agent) const {
    return store() / "agents" / (agent + ".xml");
  }

  /// set_parent() that must succeed; the written topology.
  PersistedTopology set(const gateway::SetParentRequest& request, std::int64_t at_ms = 0) {
    auto written = registry_.set_parent(request, sample_time(at_ms));
    EXPECT_TRUE(written) << written.error().message;
    return written ? *written : PersistedTopology{};
  }

  ScratchDir scratch_;
  gateway::TopologyRegistry registry_{scratch_.path().string()};
};

}  // namespace gatelink::test
