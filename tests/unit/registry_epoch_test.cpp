// Epochs: set-parent issues in store.xml's epoch and starts generations again in a new one;
// new-epoch issues every entry again (legacy ones included) at generation 1, may switch the
// signing key, and refuses, leaving the store as it was, whatever would not move every agent
// forward. A new-epoch cut short after store.xml is finished by set-parent or a second one.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <string>

#include "registry_test_support.hpp"

namespace gatelink {
namespace {

namespace fs = std::filesystem;
using test::parent_request;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

/// Later than test::sample_time(), so that a new epoch's default is the store's + 1.
constexpr std::uint64_t kEpoch = 1'800'000'000;
constexpr std::uint64_t kLast = std::numeric_limits<std::uint64_t>::max();

class RegistryEpoch : public test::RegistryTest {
 protected:
  void init(std::uint64_t epoch = kEpoch, std::optional<std::string> key = std::nullopt) {
    auto initialised =
        registry_.init({.management_group = "EXAMPLE", .epoch = epoch, .signing_key = key});
    ASSERT_TRUE(initialised) << initialised.error().message;
  }
  /// new_epoch() that must succeed.
  gateway::NewEpochResult new_epoch(const gateway::NewEpochRequest& request,
                                    std::int64_t at_ms = 0) {
    auto done = registry_.new_epoch(request, test::sample_time(at_ms));
    EXPECT_TRUE(done) << done.error().message;
    return done ? *done : gateway::NewEpochResult{};
  }
  /// new_epoch() must fail with `expected` in its message and change nothing in the store.
  void expect_new_epoch_refused(const gateway::NewEpochRequest& request,
                                const std::string& expected) {
    const auto before = test::tree_snapshot(store());
    auto done = registry_.new_epoch(request, test::sample_time(50));
    ASSERT_FALSE(done) << "began epoch " << done->settings.epoch;
    EXPECT_THAT(done.error().message, HasSubstr(expected));
    EXPECT_EQ(test::tree_snapshot(store()), before);
  }
  /// Writes the agent's entry as set-parent would in (epoch, generation), unsigned.
  void write_entry(const std::string& agent, std::uint64_t epoch, std::uint64_t generation) {
    IssuedTopology issued{.agent = agent,
                          .topology = test::sample_topology(generation).topology,
                          .issued_at = test::sample_time()};
    issued.topology.epoch = epoch;
    auto document = render_issued_topology(issued);
    ASSERT_TRUE(document) << document.error().message;
    auto text = render_stored_topology({.document = *document});
    ASSERT_TRUE(text) << text.error().message;
    fs::create_directories(store() / "agents");
    test::write_file(agent_file(agent), *text);
  }
  TopologyVersion version_of_entry(const std::string& agent) const {
    return version_of(stored(agent).issued.topology);
  }
};

TEST_F(RegistryEpoch, set_parent_issues_in_the_stores_epoch) {
  init();
  set(parent_request("web01", std::nullopt, "gw1"));
  set(parent_request("web01", std::nullopt, "gw2"));
  EXPECT_EQ(version_of_entry("web01"), (TopologyVersion{kEpoch, 2}));
}

TEST_F(RegistryEpoch, set_parent_in_a_new_epoch_restarts_at_generation_one) {
  init();
  write_entry("web01", kEpoch - 5, 41);
  EXPECT_EQ(set(parent_request("web01", std::nullopt, "gw1")).issued.topology,
            (Topology{.epoch = kEpoch,
                      .generation = 1,
                      .management_group = "EXAMPLE",
                      .primary = test::gateway("gw1", 5723)}));
  const auto done = new_epoch({.epoch = kEpoch + 10});
  EXPECT_EQ(done.settings.epoch, kEpoch + 10);
  EXPECT_EQ(version_of_entry("web01"), (TopologyVersion{kEpoch + 10, 1}));
  EXPECT_EQ(generation_of(parent_request("web01", std::nullopt, "gw2")), 2u);
}

TEST_F(RegistryEpoch, the_last_generation_of_an_epoch_is_refused_with_what_to_do) {
  init();
  write_entry("web01", kEpoch, kLast - 1);
  expect_refused(parent_request("web01", std::nullopt, "gw1"),
                 "the generation space of epoch " + std::to_string(kEpoch) +
                     " is used up: start a new epoch with gatelink-mg --store " + store().string() +
                     " new-epoch");
  write_entry("web01", kEpoch, kLast);  // not written by gatelink-mg, but it must not wrap
  expect_refused(parent_request("web01", std::nullopt, "gw1"), "is used up");
  new_epoch({});
  EXPECT_EQ(version_of_entry("web01").generation, 1u);
  EXPECT_EQ(generation_of(parent_request("web01", std::nullopt, "gw1")), 2u);
}

TEST_F(RegistryEpoch, an_entry_of_a_later_epoch_than_store_xml_is_refused) {
  init();
  write_entry("web01", kEpoch + 1, 3);
  expect_refused(parent_request("web01", std::nullopt, "gw1"),
                 "written in a later epoch than store.xml holds");
  // new-epoch moves the store past it, whatever the clock says.
  const auto done = new_epoch({});
  EXPECT_EQ(done.settings.epoch, kEpoch + 2);
  EXPECT_EQ(version_of_entry("web01"), (TopologyVersion{kEpoch + 2, 1}));
}

TEST_F(RegistryEpoch, new_epoch_issues_every_entry_again_legacy_ones_included) {
  init(1000);
  write_legacy_entry("old01", 7);
  set(parent_request("web01", std::nullopt, "gw1", {"gw2"}));
  set(parent_request("web01", std::nullopt, "gw2", {"gw1"}));
  set(parent_request("web02", std::nullopt, "gw3"));
  const auto before = stored("web01");
  const auto legacy = stored("old01");

  const auto done = new_epoch({}, 5);
  // Unix seconds now, as the default, since that is past the store's epoch.
  EXPECT_EQ(done.settings.epoch, gateway::epoch_at(test::sample_time(5)));
  EXPECT_THAT(done.agents, ElementsAre("old01", "web01", "web02"));
  EXPECT_TRUE(done.signed_by.empty());
  auto settings = registry_.settings();
  ASSERT_TRUE(settings && *settings);
  EXPECT_EQ(**settings, done.settings);

  const auto after = stored("web01");
  EXPECT_EQ(version_of(after.issued.topology), (TopologyVersion{done.settings.epoch, 1}));
  EXPECT_EQ(after.issued.topology.primary, before.issued.topology.primary);
  EXPECT_EQ(after.issued.topology.failover, before.issued.topology.failover);
  EXPECT_EQ(after.issued.issued_at, test::sample_time(5));
  const auto reissued = stored("old01");
  EXPECT_FALSE(reissued.legacy());
  EXPECT_EQ(version_of(reissued.issued.topology), (TopologyVersion{done.settings.epoch, 1}));
  EXPECT_EQ(reissued.issued.topology.primary, legacy.issued.topology.primary);
  EXPECT_EQ(reissued.issued.topology.failover, legacy.issued.topology.failover);
}

TEST_F(RegistryEpoch, new_epoch_rotates_the_signing_key) {
  const auto old_key_path = store() / "old.key";
  const auto new_key_path = store() / "new.key";
  const auto old_key = test::write_signing_key(old_key_path);
  const auto new_key = test::write_signing_key(new_key_path);
  init(kEpoch, old_key_path.string());
  const auto first = set(parent_request("web01", std::nullopt, "gw1"));
  EXPECT_TRUE(old_key.public_key().verifies(first.stored.document, first.stored.signature));

  const auto done = new_epoch({.signing_key = new_key_path.string()});
  EXPECT_EQ(done.signed_by, new_key.public_key().fingerprint());
  EXPECT_EQ(done.settings.signing_key, new_key_path.string());
  const auto rotated = stored("web01");
  EXPECT_EQ(rotated.stored.key, new_key.public_key().fingerprint());
  EXPECT_TRUE(new_key.public_key().verifies(rotated.stored.document, rotated.stored.signature));
  EXPECT_FALSE(old_key.public_key().verifies(rotated.stored.document, rotated.stored.signature));
  // set-parent signs with the new key from now on.
  const auto next = set(parent_request("web01", std::nullopt, "gw2"));
  EXPECT_TRUE(new_key.public_key().verifies(next.stored.document, next.stored.signature));
  // Without --signing-key the key stays.
  EXPECT_EQ(new_epoch({}).signed_by, new_key.public_key().fingerprint());
}

TEST_F(RegistryEpoch, new_epoch_refusals_leave_the_store_unchanged) {
  expect_new_epoch_refused({}, "has no store.xml");
  init();
  set(parent_request("web01", std::nullopt, "gw1"));
  expect_new_epoch_refused({.epoch = kEpoch}, "epoch " + std::to_string(kEpoch) +
                                                  " is not greater than the store's epoch");
  expect_new_epoch_refused({.epoch = kEpoch - 1}, "is not greater than");
  expect_new_epoch_refused({.epoch = kLast}, "is reserved");
  write_entry("web02", kEpoch + 7, 1);
  expect_new_epoch_refused(
      {.epoch = kEpoch + 7},
      "is not greater than epoch " + std::to_string(kEpoch + 7) + " of agent web02's entry");
  const auto key_path = store() / "mg.key";
  test::write_signing_key(key_path,
                          fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  expect_new_epoch_refused({.signing_key = key_path.string()}, key_path.string());
  expect_new_epoch_refused({.signing_key = (store() / "none.key").string()}, "none.key");
  // Any unreadable entry refuses it all, before store.xml is touched.
  test::write_file(agent_file("web03"), "<stored-topology");
  expect_new_epoch_refused({}, agent_file("web03").string());
  fs::remove(agent_file("web03"));
  EXPECT_EQ(new_epoch({.epoch = kEpoch + 8}).agents.size(), 2u);
}

TEST_F(RegistryEpoch, a_new_epoch_cut_short_after_store_xml_is_finished_later) {
  init();
  set(parent_request("web01", std::nullopt, "gw1"));
  set(parent_request("web02", std::nullopt, "gw1"));
  set(parent_request("web02", std::nullopt, "gw2"));
  // As a crash after store.xml and web01's entry leaves it.
  const auto web02 = test::read_file(agent_file("web02"));
  new_epoch({.epoch = kEpoch + 1});
  test::write_file(agent_file("web02"), web02);
  EXPECT_EQ(version_of_entry("web02"), (TopologyVersion{kEpoch, 2}));

  EXPECT_EQ(set(parent_request("web02", std::nullopt, "gw3")).issued.topology.generation, 1u);
  EXPECT_EQ(version_of_entry("web02"), (TopologyVersion{kEpoch + 1, 1}));
  test::write_file(agent_file("web02"), web02);
  EXPECT_EQ(new_epoch({}).settings.epoch, kEpoch + 2);
  EXPECT_EQ(version_of_entry("web01"), (TopologyVersion{kEpoch + 2, 1}));
  EXPECT_EQ(version_of_entry("web02"), (TopologyVersion{kEpoch + 2, 1}));
}

}  // namespace
}  // namespace gatelink
