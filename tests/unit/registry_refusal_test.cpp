// Everything set-parent refuses, each leaving the store byte for byte as it was, and stored
// files that cannot be used reported with their path instead of being taken as "none".

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "registry_test_support.hpp"

namespace gatelink {
namespace {

using test::parent_request;
using ::testing::HasSubstr;

class RegistryRefusal : public test::RegistryTest {
 protected:
  void SetUp() override { set(parent_request("web01", "EXAMPLE", "gw1", {"gw2"})); }
};

TEST_F(RegistryRefusal, no_primary) {
  expect_refused(parent_request("web01", std::nullopt, ""), "no primary gateway");
}

TEST_F(RegistryRefusal, duplicate_gateway) {
  expect_refused(parent_request("web01", std::nullopt, "gw1", {"gw2", "GW2:5723"}),
                 "failover[1]: duplicate of failover[0]");
}

TEST_F(RegistryRefusal, malformed_address) {
  auto request = parent_request("web01", std::nullopt, "gw1");
  request.failover.push_back(GatewayAddress{"bad host", 5723, {}});
  expect_refused(request, "failover[0]");
}

TEST_F(RegistryRefusal, seventeen_gateways) {
  std::vector<std::string> failovers;
  for (int i = 0; i < 16; ++i) failovers.push_back("gw" + std::to_string(i + 10));
  expect_refused(parent_request("web01", std::nullopt, "gw1", failovers),
                 "too many gateways: 17 (at most 16)");
}

TEST_F(RegistryRefusal, sixteen_gateways_are_fine) {
  std::vector<std::string> failovers;
  for (int i = 0; i < 15; ++i) failovers.push_back("gw" + std::to_string(i + 10));
  EXPECT_EQ(
      set(parent_request("web01", std::nullopt, "gw1", failovers)).issued.topology.failover.size(),
      15u);
}

TEST_F(RegistryRefusal, other_management_group) {
  expect_refused(parent_request("web01", "OTHER", "gw1"),
                 "belongs to management group \"EXAMPLE\", not \"OTHER\"");
}

TEST_F(RegistryRefusal, first_entry_without_management_group) {
  expect_refused(parent_request("web02", std::nullopt, "gw1"),
                 "first set-parent for agent web02 needs --management-group");
}

TEST_F(RegistryRefusal, invalid_management_group) {
  expect_refused(parent_request("web02", "TWO WORDS", "gw1"), "management group");
}

TEST_F(RegistryRefusal, bad_agent_names) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"../x", "starts with '.'"},
      {".hidden", "starts with '.'"},
      {"a/b", "position 2"},
      {"", "agent name is empty"},
      {std::string(256, 'a'), "longer than 255"},
      {"web 01", "position 4"},
      {"web01\n", "position 6"},
  };
  for (const auto& [name, expected] : cases) {
    SCOPED_TRACE(name);
    expect_refused(parent_request(name, "EXAMPLE", "gw1"), expected);
    auto stored = registry_.get(name);
    ASSERT_FALSE(stored);
    EXPECT_THAT(stored.error().message, HasSubstr(expected));
  }
  EXPECT_FALSE(gateway::check_agent_name(std::string(255, 'a')));
  EXPECT_FALSE(gateway::check_agent_name("Web-01_x.example.test"));
}

TEST_F(RegistryRefusal, missing_store_folder) {
  gateway::TopologyRegistry missing((store() / "nope").string());
  auto written = missing.set_parent(parent_request("web01", "EXAMPLE", "gw1"), test::sample_time());
  ASSERT_FALSE(written);
  EXPECT_THAT(written.error().message, HasSubstr("nope"));
  EXPECT_FALSE(std::filesystem::exists(store() / "nope"));
  ASSERT_TRUE(missing.check_folder());
}

TEST_F(RegistryRefusal, first_refusal_leaves_an_empty_store_empty) {
  const auto empty = store() / "empty";
  std::filesystem::create_directories(empty);
  gateway::TopologyRegistry registry(empty.string());
  auto written =
      registry.set_parent(parent_request("web01", std::nullopt, "gw1"), test::sample_time());
  ASSERT_FALSE(written);
  EXPECT_TRUE(std::filesystem::is_empty(empty));  // not even a lock file
}

TEST_F(RegistryRefusal, corrupt_stored_file_is_an_error_naming_it) {
  const auto path = agent_file("web01");
  test::write_file(path, test::replaced(test::read_file(path), "<primary", "<primry"));
  auto stored = registry_.get("web01");
  ASSERT_FALSE(stored);
  EXPECT_THAT(stored.error().message, HasSubstr(path.string() + " <document>:"));
  // Never taken for "none": set-parent refuses rather than start again at generation 1.
  expect_refused(parent_request("web01", "EXAMPLE", "gw1"), path.string());
}

TEST_F(RegistryRefusal, oversized_stored_file_is_refused_unread) {
  const auto path = agent_file("web01");
  test::write_file(path, std::string(kMaxTopologyDocumentBytes + 1, ' '));
  auto stored = registry_.get("web01");
  ASSERT_FALSE(stored);
  EXPECT_THAT(stored.error().message, HasSubstr(path.string() + ": larger than"));
}

TEST_F(RegistryRefusal, stored_folder_in_place_of_a_file_is_an_error) {
  std::filesystem::create_directories(store() / "agents" / "web02.xml");
  auto stored = registry_.get("web02");
  ASSERT_FALSE(stored);
  EXPECT_THAT(stored.error().message, HasSubstr("web02.xml: not a regular file"));
}

}  // namespace
}  // namespace gatelink
