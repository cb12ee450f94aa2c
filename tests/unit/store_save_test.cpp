// Saving: the previous file becomes last-known-good, files are private, the store never goes
// back a generation, and what it refuses leaves the folder exactly as it was.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iterator>
#include <string>

#include "store/durable_file.hpp"
#include "store/topology_store.hpp"
#include "store_test_support.hpp"

namespace gatelink {
namespace {

using ::testing::HasSubstr;
using Source = TopologyStore::Loaded::Source;

class StoreSave : public ::testing::Test {
 protected:
  StoreSave() : store_(open()) {}

  std::filesystem::path state() const { return scratch_.path() / "state"; }
  std::string read(std::string_view name) const { return test::read_file(state() / name); }
  TopologyStore open() const {
    auto store = TopologyStore::open(state().string());
    EXPECT_TRUE(store) << store.error().message;
    return std::move(store).value();
  }
  /// A second look at the files while store_ holds the folder (a second open() is refused).
  TopologyStore reader() const { return std::move(TopologyStore::inspect(state().string()).store); }
  void save(std::uint64_t generation) {
    const auto saved = store_.save(test::sample_topology(generation));
    ASSERT_TRUE(saved) << saved.error().message;
  }
  PersistedTopology loaded() const {
    const auto loaded = reader().load();
    EXPECT_TRUE(loaded) << loaded.error().message;
    return loaded ? loaded->value : PersistedTopology{};
  }

  test::ScratchDir scratch_;
  TopologyStore store_;
};

TEST_F(StoreSave, saved_topology_loads_back_as_current) {
  save(7);
  const auto loaded = reader().load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->value, test::sample_topology(7));
  EXPECT_EQ(loaded->source, Source::current);
  EXPECT_EQ(read("topology.xml"), render_topology_xml(test::sample_topology(7)));
}

TEST_F(StoreSave, first_save_writes_only_the_current_file) {
  save(7);
  const auto files = test::snapshot(state());
  EXPECT_EQ(files.size(), 1u);
  EXPECT_TRUE(files.count("topology.xml"));
}

TEST_F(StoreSave, previous_file_becomes_last_known_good) {
  save(7);
  const auto first = read("topology.xml");
  save(8);
  EXPECT_EQ(read("topology.lkg.xml"), first);
  save(12);
  EXPECT_EQ(parse_topology_xml(read("topology.lkg.xml"), "lkg")->topology.generation, 8u);
  EXPECT_EQ(loaded(), test::sample_topology(12));
  EXPECT_EQ(test::snapshot(state()).size(), 2u);  // no temporary file left behind
}

TEST_F(StoreSave, older_generation_is_refused_and_nothing_changes) {
  save(7);
  save(8);
  const auto before = test::snapshot(state());
  for (const std::uint64_t older : {0u, 1u, 7u}) {
    const auto saved = store_.save(test::sample_topology(older));
    ASSERT_FALSE(saved) << older;
    EXPECT_THAT(saved.error().message,
                HasSubstr("refusing to save topology epoch 0 generation " + std::to_string(older) +
                          ": epoch 0 generation 8 is already persisted and the store never goes "
                          "back"));
  }
  EXPECT_EQ(test::snapshot(state()), before);
}

TEST_F(StoreSave, an_issued_document_is_kept_byte_for_byte_with_its_signature) {
  save(8);  // a version-1 file before it
  const auto key = test::sample_key();
  const auto issued = test::issued_sample(1, test::kSampleEpoch, &key);
  ASSERT_TRUE(store_.save(issued));
  EXPECT_THAT(read("topology.xml"), ::testing::StartsWith("<?xml"));
  EXPECT_THAT(read("topology.xml"), HasSubstr("<stored-topology version=\"1\""));
  const auto back = loaded();
  EXPECT_EQ(back, issued);
  EXPECT_TRUE(key.public_key().verifies(back.issued.bytes, back.issued.signature));
  // Generation 9 of epoch 0 is older than generation 1 of the new epoch.
  const auto older = store_.save(test::sample_topology(9));
  ASSERT_FALSE(older);
  EXPECT_THAT(older.error().message, HasSubstr("the store never goes back"));
}

TEST_F(StoreSave, a_document_that_does_not_hold_the_topology_is_refused) {
  auto mismatched = test::issued_sample(9);
  mismatched.topology.failover.pop_back();
  const auto saved = store_.save(mismatched);
  ASSERT_FALSE(saved);
  EXPECT_THAT(saved.error().message, HasSubstr("its document does not hold that topology"));
}

TEST_F(StoreSave, same_generation_with_other_gateways_is_refused) {
  save(8);
  const auto before = test::snapshot(state());
  auto other = test::sample_topology(8);
  other.topology.failover.pop_back();
  const auto saved = store_.save(other);
  ASSERT_FALSE(saved);
  EXPECT_THAT(saved.error().message,
              HasSubstr("generation 8 is already persisted with other gateways"));
  EXPECT_EQ(test::snapshot(state()), before);
}

TEST_F(StoreSave, same_topology_again_is_ok_and_writes_nothing) {
  save(7);
  save(8);
  const auto before = test::snapshot(state());
  auto again = test::sample_topology(8);
  again.received_at += std::chrono::seconds(5);  // delivered again, by another gateway
  again.received_from = "127.0.0.1:15802";
  const auto saved = store_.save(again);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(test::snapshot(state()), before);
}

TEST_F(StoreSave, invalid_topology_is_refused_and_nothing_is_written) {
  save(7);
  const auto before = test::snapshot(state());
  auto duplicate = test::sample_topology(9);
  duplicate.topology.failover.push_back(duplicate.topology.primary);
  auto no_primary = test::sample_topology(9);
  no_primary.topology.primary = {};
  auto bad_source = test::sample_topology(9);
  bad_source.received_from = "gw 1";
  const std::pair<PersistedTopology, std::string> refused[] = {
      {duplicate,
       "refusing to save topology epoch 0 generation 9: failover[2]: duplicate of primary"},
      {no_primary, "refusing to save topology epoch 0 generation 9: no primary gateway"},
      {bad_source, "would not read back: epoch 0 generation 9:4: <topology> received-from: "},
  };
  for (const auto& [persisted, message] : refused) {
    const auto saved = store_.save(persisted);
    ASSERT_FALSE(saved) << message;
    EXPECT_THAT(saved.error().message, HasSubstr(message));
  }
  EXPECT_EQ(test::snapshot(state()), before);
}

TEST_F(StoreSave, corrupt_current_is_replaced_and_last_known_good_kept) {
  save(7);
  save(8);
  const auto lkg = read("topology.lkg.xml");
  test::write_file(state() / "topology.xml", "<topology");
  save(9);
  EXPECT_EQ(read("topology.lkg.xml"), lkg);  // the torn file never becomes last-known-good
  EXPECT_EQ(loaded(), test::sample_topology(9));
}

TEST_F(StoreSave, with_corrupt_current_last_known_good_still_bounds_the_generation) {
  save(7);
  save(8);
  test::write_file(state() / "topology.xml", "");
  const auto saved = store_.save(test::sample_topology(6));
  ASSERT_FALSE(saved);
  EXPECT_THAT(saved.error().message, HasSubstr("generation 7 is already persisted"));
  // The last-known-good topology again: topology.xml is repaired, lkg left alone.
  const auto lkg = read("topology.lkg.xml");
  save(7);
  EXPECT_EQ(read("topology.xml"), lkg);
  EXPECT_EQ(read("topology.lkg.xml"), lkg);
}

TEST_F(StoreSave, a_torn_last_known_good_does_not_matter_while_current_is_valid) {
  save(7);
  save(8);
  test::write_file(state() / "topology.lkg.xml", "<topo");
  save(9);
  EXPECT_EQ(parse_topology_xml(read("topology.lkg.xml"), "lkg")->topology.generation, 8u);
}

TEST(StoreDurableFile, replaces_the_file_and_leaves_no_temporary) {
  test::ScratchDir dir;
  test::write_file(dir.path() / "f", "old");
  const auto written = write_file_atomically(dir.path().string(), "f", "new content");
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(test::read_file(dir.path() / "f"), "new content");
  EXPECT_EQ(test::snapshot(dir.path()).size(), 1u);
  if (test::kPosixModes) {
    EXPECT_EQ(test::mode_of(dir.path() / "f"), 0600u);
  }
}

TEST(StoreDurableFile, failure_leaves_the_target_alone) {
  test::ScratchDir dir;
  const auto missing = (dir.path() / "missing").string();
  const auto written = write_file_atomically(missing, "f", "content");
  ASSERT_FALSE(written);
  EXPECT_THAT(written.error().message,
              HasSubstr("cannot create a temporary file for " + (dir.path() / "missing" / "f").string()));
  // A folder where the file should go: the rename fails, the temporary file is removed.
  std::filesystem::create_directories(dir.path() / "f" / "inside");
  const auto over_folder = write_file_atomically(dir.path().string(), "f", "content");
  ASSERT_FALSE(over_folder);
  EXPECT_THAT(over_folder.error().message, HasSubstr("cannot rename"));
  const auto entries = std::distance(std::filesystem::directory_iterator(dir.path()),
                                     std::filesystem::directory_iterator());
  EXPECT_EQ(entries, 1);
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "f" / "inside"));
}

TEST(StoreDurableFile, sync_directory_reports_a_missing_folder) {
  test::ScratchDir dir;
  EXPECT_TRUE(sync_directory(dir.path().string()));
  const auto synced = sync_directory((dir.path() / "missing").string());
  ASSERT_FALSE(synced);
  EXPECT_THAT(synced.error().message, HasSubstr("cannot open the folder"));
}

}  // namespace
}  // namespace gatelink
