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
  const auto& topology = written.issued.topology;
  EXPECT_EQ(written.issued.agent, "web01.example.test");
  EXPECT_EQ(topology.epoch, 0u);  // no store.xml: epoch 0, unsigned
  EXPECT_EQ(topology.generation, 1u);
  EXPECT_EQ(topology.management_group, "EXAMPLE");
  EXPECT_EQ(topology.primary, gateway("127.0.0.1", 15801, "gw1.example.test"));
  EXPECT_THAT(topology.failover,
              ElementsAre(gateway("127.0.0.1", 15803), gateway("gw2.example.test", 5723)));
  EXPECT_EQ(written.issued.issued_at, test::sample_time());
  EXPECT_FALSE(written.legacy());
  EXPECT_TRUE(written.stored.signature.empty());
  EXPECT_TRUE(written.stored.key.empty());

  // Issued to the millisecond, as the document keeps it.
  auto precise = registry_.set_parent(parent_request("web02", "EXAMPLE", "gw1"),
                                      test::sample_time() + std::chrono::microseconds(456));
  ASSERT_TRUE(precise) << precise.error().message;
  EXPECT_EQ(precise->issued.issued_at, test::sample_time());
  EXPECT_EQ(stored("web02"), *precise);
  EXPECT_EQ(stored("web01.example.test"), written);
}

TEST_F(RegistrySetParent, file_is_a_stored_topology_of_the_issued_document) {
  const auto written = set(parent_request("web01", "EXAMPLE", "gw1:5723", {"gw2:5723"}));
  const auto text = test::read_file(agent_file("web01"));
  auto file = render_stored_topology(written.stored);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(text, *file);
  auto parsed = parse_stored_topology(text, "web01.xml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->document, written.stored.document);
  EXPECT_FALSE(parsed->received_at);  // the store keeps when it issued, in the document
  EXPECT_TRUE(parsed->received_from.empty());
  auto issued = parse_issued_topology(parsed->document, "document");
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_EQ(*issued, written.issued);
  EXPECT_EQ(test::mode_of(agent_file("web01")), 0600u);
  EXPECT_EQ(test::mode_of(store() / "agents"), 0700u);
}

TEST_F(RegistrySetParent, generation_counts_up_and_management_group_is_kept) {
  set(parent_request("web01", "EXAMPLE", "gw1"));
  const auto second = set(parent_request("web01", std::nullopt, "gw2", {"gw1"}), 1);
  EXPECT_EQ(second.issued.topology.generation, 2u);
  EXPECT_EQ(second.issued.topology.management_group, "EXAMPLE");
  const auto third = set(parent_request("web01", "EXAMPLE", "gw3"), 2);
  EXPECT_EQ(third.issued.topology.generation, 3u);
  EXPECT_EQ(third.issued.issued_at, test::sample_time(2));
  EXPECT_EQ(stored("web01").issued.topology.generation, 3u);
}

TEST_F(RegistrySetParent, agents_are_independent) {
  set(parent_request("web01", "EXAMPLE", "gw1"));
  set(parent_request("web01", "EXAMPLE", "gw2"));
  EXPECT_EQ(generation_of(parent_request("web02", "OTHER", "gw1")), 1u);
  EXPECT_EQ(stored("web01").issued.topology.generation, 2u);
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
        if (written)
          seen[static_cast<std::size_t>(w)].push_back(written->issued.topology.generation);
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
  EXPECT_EQ(stored("web01").issued.topology.generation, 1u + kWriters * kEach);
}

}  // namespace
}  // namespace gatelink
