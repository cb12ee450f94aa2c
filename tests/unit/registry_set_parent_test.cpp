// set-parent and get: what is written, in which format, with which generation; the change
// signature gateways poll; writers that run at once never share a generation.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "registry_test_support.hpp"

namespace gatelink {
namespace {

using test::gateway;
using test::parent_request;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RegistrySetParent : public test::RegistryTest {};

TEST_F(RegistrySetParent, set_then_get_round_trips_in_order) {
  const auto written =
      set(parent_request("web01.example.test", "EXAMPLE", "gw1.example.test@127.0.0.1:15801",
                         {"127.0.0.1:15803", "gw2.example.test"}));
  EXPECT_EQ(written.topology.generation, 1u);
  EXPECT_EQ(written.topology.management_group, "EXAMPLE");
  EXPECT_EQ(written.topology.primary, gateway("127.0.0.1", 15801, "gw1.example.test"));
  EXPECT_THAT(written.topology.failover,
              ElementsAre(gateway("127.0.0.1", 15803), gateway("gw2.example.test", 5723)));
  EXPECT_TRUE(written.received_from.empty());
  EXPECT_EQ(written.received_at, test::sample_time());

  // Written to the millisecond, as the document keeps it.
  auto precise = registry_.set_parent(parent_request("web02", "EXAMPLE", "gw1"),
                                      test::sample_time() + std::chrono::microseconds(456));
  ASSERT_TRUE(precise) << precise.error().message;
  EXPECT_EQ(precise->received_at, test::sample_time());
  EXPECT_EQ(registry_.get("web02")->value(), *precise);

  auto stored = registry_.get("web01.example.test");
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, written);
}

TEST_F(RegistrySetParent, file_is_the_agents_topology_document) {
  const auto written = set(parent_request("web01", "EXAMPLE", "gw1:5723", {"gw2:5723"}));
  const auto text = test::read_file(agent_file("web01"));
  EXPECT_EQ(text, render_topology_xml(written));
  auto parsed = parse_topology_xml(text, "web01.xml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, written);
  EXPECT_EQ(test::mode_of(agent_file("web01")), 0600u);
  EXPECT_EQ(test::mode_of(store() / "agents"), 0700u);
}

TEST_F(RegistrySetParent, generation_counts_up_and_management_group_is_kept) {
  set(parent_request("web01", "EXAMPLE", "gw1"));
  const auto second = set(parent_request("web01", std::nullopt, "gw2", {"gw1"}), 1);
  EXPECT_EQ(second.topology.generation, 2u);
  EXPECT_EQ(second.topology.management_group, "EXAMPLE");
  const auto third = set(parent_request("web01", "EXAMPLE", "gw3"), 2);
  EXPECT_EQ(third.topology.generation, 3u);
  EXPECT_EQ(third.received_at, test::sample_time(2));
  EXPECT_EQ(registry_.get("web01")->value().topology.generation, 3u);
}

TEST_F(RegistrySetParent, agents_are_independent) {
  set(parent_request("web01", "EXAMPLE", "gw1"));
  set(parent_request("web01", "EXAMPLE", "gw2"));
  EXPECT_EQ(set(parent_request("web02", "OTHER", "gw1")).topology.generation, 1u);
  EXPECT_EQ(registry_.get("web01")->value().topology.generation, 2u);
}

TEST_F(RegistrySetParent, get_says_none_when_nothing_is_stored) {
  auto stored = registry_.get("web01");
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_FALSE(stored->has_value());
}

TEST_F(RegistrySetParent, signature_changes_with_every_write) {
  const auto before = registry_.signature("web01");
  EXPECT_FALSE(before.exists());
  set(parent_request("web01", "EXAMPLE", "gw1"));
  const auto first = registry_.signature("web01");
  EXPECT_TRUE(first.exists());
  EXPECT_NE(first, before);
  EXPECT_EQ(registry_.signature("web01"), first);  // stable while nothing is written
  // Same size, same second: the rename's new inode still tells them apart.
  set(parent_request("web01", "EXAMPLE", "gw2"));
  EXPECT_NE(registry_.signature("web01"), first);
}

TEST_F(RegistrySetParent, stale_temporary_files_of_the_agent_are_removed) {
  set(parent_request("web01", "EXAMPLE", "gw1"));
  test::write_file(store() / "agents" / "web01.xml.tmp.Ab12Cd", "torn");
  test::write_file(store() / "agents" / "web02.xml.tmp.Ab12Cd", "not web01's");
  set(parent_request("web01.xml.tmp.ab", "EXAMPLE", "gw1"));  // its file looks alike
  set(parent_request("web01", "EXAMPLE", "gw2"));
  EXPECT_FALSE(std::filesystem::exists(store() / "agents" / "web01.xml.tmp.Ab12Cd"));
  EXPECT_TRUE(std::filesystem::exists(store() / "agents" / "web02.xml.tmp.Ab12Cd"));
  EXPECT_TRUE(std::filesystem::exists(agent_file("web01.xml.tmp.ab")));
}

TEST_F(RegistrySetParent, concurrent_writers_never_write_the_same_generation) {
  constexpr int kWriters = 4;
  constexpr int kEach = 10;
  set(parent_request("web01", "EXAMPLE", "gw1"));
  std::vector<std::vector<std::uint64_t>> seen(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      // Each writer its own registry, as separate gatelink-mg processes have.
      gateway::TopologyRegistry registry(store().string());
      for (int i = 0; i < kEach; ++i) {
        auto written =
            registry.set_parent(parent_request("web01", std::nullopt, "gw1"), test::sample_time(i));
        if (written) seen[static_cast<std::size_t>(w)].push_back(written->topology.generation);
      }
    });
  }
  for (auto& writer : writers) writer.join();
  std::set<std::uint64_t> generations;
  for (const auto& list : seen) {
    EXPECT_EQ(list.size(), static_cast<std::size_t>(kEach));
    generations.insert(list.begin(), list.end());
  }
  EXPECT_EQ(generations.size(), static_cast<std::size_t>(kWriters * kEach));
  EXPECT_EQ(registry_.get("web01")->value().topology.generation, 1u + kWriters * kEach);
}

}  // namespace
}  // namespace gatelink
