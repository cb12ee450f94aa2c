// The topology the agent starts with: persisted, else last-known-good, else bootstrap, each
// fallback with its reason; a first start (no file yet) is no problem, a file of another
// management group is not this agent's.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store/startup_topology.hpp"
#include "store_test_support.hpp"

namespace gatelink {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Origin = StartupTopology::Origin;

class StoreStartup : public ::testing::Test {
 protected:
  StoreStartup() {
    bootstrap_.management_group = "EXAMPLE";
    bootstrap_.primary = test::gateway("gw9.example.test", 5723);
  }
  TopologyStore open() const {
    auto store = TopologyStore::open((scratch_.path() / "state").string());
    EXPECT_TRUE(store) << store.error().message;
    return std::move(store).value();
  }
  void put(std::string_view name, const std::string& text) const {
    test::write_file(scratch_.path() / "state" / name, text);
  }

  test::ScratchDir scratch_;
  Topology bootstrap_;
};

TEST_F(StoreStartup, first_start_uses_the_bootstrap_list_without_complaint) {
  const auto chosen = test::choose(open(), bootstrap_);
  EXPECT_EQ(chosen.origin, Origin::bootstrap);
  EXPECT_EQ(chosen.topology, bootstrap_);
  EXPECT_TRUE(chosen.fallbacks.empty());
  EXPECT_EQ(chosen.last_known_good, std::nullopt);
}

TEST_F(StoreStartup, persisted_topology_wins_and_last_known_good_is_reported) {
  auto store = open();
  ASSERT_TRUE(store.save(test::sample_topology(3)));
  ASSERT_TRUE(store.save(test::sample_topology(4)));
  const auto chosen = test::choose(store, bootstrap_);
  EXPECT_EQ(chosen.origin, Origin::persisted);
  EXPECT_EQ(chosen.topology, test::sample_topology(4).topology);
  EXPECT_EQ(chosen.last_known_good, 3U);
  EXPECT_TRUE(chosen.fallbacks.empty());
}

TEST_F(StoreStartup, with_keys_pinned_unsigned_files_are_not_used) {
  auto store = open();
  ASSERT_TRUE(store.save(test::sample_topology(3)));  // version 1: written before signatures
  ASSERT_TRUE(store.save(test::issued_sample(4)));    // issued, but not signed
  const auto key = test::sample_key();
  const auto chosen = test::choose(store, bootstrap_, {key.public_key()});
  EXPECT_EQ(chosen.origin, Origin::bootstrap);
  EXPECT_EQ(chosen.topology, bootstrap_);
  ASSERT_EQ(chosen.fallbacks.size(), 1u);
  EXPECT_THAT(chosen.fallbacks[0], HasSubstr("topology.xml: unsigned: not signed"));
  EXPECT_THAT(chosen.fallbacks[0], HasSubstr("topology.lkg.xml: unsigned: written before"));
  EXPECT_EQ(chosen.last_known_good, std::nullopt);
  // Without keys, the same store is used as before.
  EXPECT_EQ(test::choose(store, bootstrap_).origin, Origin::persisted);
}

TEST_F(StoreStartup, a_signed_file_is_verified_again_and_names_its_key) {
  auto store = open();
  const auto key = test::sample_key();
  ASSERT_TRUE(store.save(test::issued_sample(4, test::kSampleEpoch, &key)));
  const auto chosen =
      test::choose(store, bootstrap_, {test::sample_key(9).public_key(), key.public_key()});
  EXPECT_EQ(chosen.origin, Origin::persisted);
  EXPECT_EQ(chosen.topology, test::issued_sample(4).topology);
  ASSERT_TRUE(chosen.file);
  EXPECT_EQ(chosen.file->issued.signed_by, key.public_key().fingerprint());
  // Without keys it is used unchecked: nothing claims it was verified.
  const auto unchecked = test::choose(store, bootstrap_);
  EXPECT_EQ(unchecked.origin, Origin::persisted);
  EXPECT_EQ(unchecked.file->issued.signed_by, "");
}

TEST_F(StoreStartup, a_signature_kept_while_no_key_was_pinned_is_checked_once_one_is) {
  auto store = open();
  const auto key = test::sample_key();
  auto unverified = test::issued_sample(4, test::kSampleEpoch, &key);
  unverified.issued.signed_by.clear();  // what an agent with no key pinned persists
  ASSERT_TRUE(store.save(unverified));
  EXPECT_EQ(test::choose(store, bootstrap_).file->issued.signed_by, "");
  const auto pinned = test::choose(store, bootstrap_, {key.public_key()});
  EXPECT_EQ(pinned.origin, Origin::persisted);
  EXPECT_EQ(pinned.file->issued.signed_by, key.public_key().fingerprint());
  EXPECT_EQ(test::choose(store, bootstrap_, {test::sample_key(3).public_key()}).origin,
            Origin::bootstrap);
}

TEST_F(StoreStartup, a_file_whose_bytes_changed_after_signing_falls_back_to_last_known_good) {
  auto store = open();
  const auto key = test::sample_key();
  ASSERT_TRUE(store.save(test::issued_sample(3, test::kSampleEpoch, &key)));
  ASSERT_TRUE(store.save(test::issued_sample(4, test::kSampleEpoch, &key)));
  // Someone with write access to the state folder points the primary elsewhere.
  const auto path = scratch_.path() / "state" / kTopologyFileName;
  put(kTopologyFileName, test::replaced(test::read_file(path), "address=\"127.0.0.1:15801\"",
                                        "address=\"127.0.0.1:15809\""));
  const auto chosen = test::choose(store, bootstrap_, {key.public_key()});
  EXPECT_EQ(chosen.origin, Origin::last_known_good);
  EXPECT_EQ(chosen.topology.generation, 3U);
  EXPECT_THAT(chosen.fallbacks, ElementsAre(HasSubstr("topology.xml: bad-signature")));
  // Signed by a key that is not pinned: the same.
  EXPECT_EQ(test::choose(store, bootstrap_, {test::sample_key(2).public_key()}).origin,
            Origin::bootstrap);
}

TEST_F(StoreStartup, a_document_issued_for_another_agent_is_not_used) {
  auto store = open();
  const auto key = test::sample_key();
  ASSERT_TRUE(store.save(test::issued_sample(4, test::kSampleEpoch, &key, "db01.example.test")));
  const auto chosen = test::choose(store, bootstrap_, {key.public_key()});
  EXPECT_EQ(chosen.origin, Origin::bootstrap);
  EXPECT_THAT(chosen.fallbacks, ElementsAre(HasSubstr("other-agent: issued for agent \"db01")));
}

TEST_F(StoreStartup, corrupt_topology_falls_back_to_last_known_good_with_the_reason) {
  auto store = open();
  ASSERT_TRUE(store.save(test::sample_topology(3)));
  ASSERT_TRUE(store.save(test::sample_topology(4)));
  put(kTopologyFileName, "<topology version=\"1\"");  // torn by hand
  const auto chosen = test::choose(store, bootstrap_);
  EXPECT_EQ(chosen.origin, Origin::last_known_good);
  EXPECT_EQ(chosen.topology.generation, 3U);
  EXPECT_THAT(chosen.fallbacks, ElementsAre(HasSubstr("topology.xml")));
}

TEST_F(StoreStartup, both_files_corrupt_fall_back_to_bootstrap_naming_both) {
  auto store = open();
  put(kTopologyFileName, "");
  put(kLastKnownGoodFileName, "<nonsense/>");
  const auto chosen = test::choose(store, bootstrap_);
  EXPECT_EQ(chosen.origin, Origin::bootstrap);
  EXPECT_EQ(chosen.topology, bootstrap_);
  ASSERT_EQ(chosen.fallbacks.size(), 1U);
  EXPECT_THAT(chosen.fallbacks[0], HasSubstr("topology.xml"));
  EXPECT_THAT(chosen.fallbacks[0], HasSubstr("topology.lkg.xml"));
}

TEST_F(StoreStartup, topology_of_another_management_group_is_not_used) {
  auto store = open();
  ASSERT_TRUE(store.save(test::sample_topology(3)));
  bootstrap_.management_group = "OTHER";
  const auto chosen = test::choose(store, bootstrap_);
  EXPECT_EQ(chosen.origin, Origin::bootstrap);
  EXPECT_EQ(chosen.topology, bootstrap_);
  EXPECT_THAT(chosen.fallbacks, ElementsAre(HasSubstr("management group EXAMPLE")));
  EXPECT_EQ(chosen.last_known_good, std::nullopt);
}

TEST_F(StoreStartup, agent_moved_to_another_group_persists_that_groups_generations) {
  auto store = open();
  ASSERT_TRUE(store.save(test::sample_topology(10)));
  bootstrap_.management_group = "OTHER";
  auto pushed = test::sample_topology(1);
  pushed.topology.management_group = "OTHER";
  ASSERT_TRUE(store.save(pushed));
  const auto chosen = test::choose(store, bootstrap_);
  EXPECT_EQ(chosen.origin, Origin::persisted);
  EXPECT_EQ(chosen.topology, pushed.topology);
  EXPECT_EQ(chosen.last_known_good, std::nullopt) << "the old group's file is not ours";
}

}  // namespace
}  // namespace gatelink
