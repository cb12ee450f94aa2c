// Opening the store (folder creation, stale temporary files) and the load fallback chain:
// topology.xml, else topology.lkg.xml, else an error that says why each was skipped.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store/topology_store.hpp"
#include "store_test_support.hpp"

namespace gatelink {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using Source = TopologyStore::Loaded::Source;

class StoreOpenLoad : public ::testing::Test {
 protected:
  std::filesystem::path state() const { return scratch_.path() / "state"; }
  std::filesystem::path file(std::string_view name) const { return state() / name; }
  void put(std::string_view name, const std::string& text) const {
    test::write_file(file(name), text);
  }
  TopologyStore open() const {
    auto store = TopologyStore::open(state().string());
    EXPECT_TRUE(store) << store.error().message;
    return std::move(store).value();
  }

  test::ScratchDir scratch_;
};

TEST_F(StoreOpenLoad, open_creates_the_folder_for_its_owner_only) {
  const auto store = open();
  EXPECT_TRUE(std::filesystem::is_directory(state()));
  if (test::kPosixModes) {
    EXPECT_EQ(test::mode_of(state()), 0700u);
  }
  EXPECT_EQ(store.dir(), state().string());
  EXPECT_TRUE(store.removed_temp_files().empty());
}

TEST_F(StoreOpenLoad, open_creates_missing_parents) {
  const auto deep = scratch_.path() / "var" / "lib" / "gatelink";
  const auto store = TopologyStore::open(deep.string());
  ASSERT_TRUE(store) << store.error().message;
  if (test::kPosixModes) {
    EXPECT_EQ(test::mode_of(deep), 0700u);
  }
}

TEST_F(StoreOpenLoad, open_leaves_an_existing_folder_as_it_is) {
  std::filesystem::create_directories(state());
  std::filesystem::permissions(state(), std::filesystem::perms(0750));
  open();
  if (test::kPosixModes) {
    EXPECT_EQ(test::mode_of(state()), 0750u);
  }
}

TEST_F(StoreOpenLoad, open_refuses_a_file_as_the_folder) {
  test::write_file(state(), "not a folder");
  const auto store = TopologyStore::open(state().string());
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, HasSubstr("it exists and is not a folder"));
}

TEST_F(StoreOpenLoad, open_removes_stale_temporary_files_and_says_which) {
  const auto valid = render_topology_xml(test::sample_topology(7));
  put("topology.xml", valid);
  put("topology.xml.tmp.Ab12Cd", valid.substr(0, 40));
  put("topology.xml.tmp.000000", "");
  put("topology.lkg.xml.tmp.Zz99Yy", valid);
  put("topology.xml.tmp", "not ours: no suffix");
  put("other.xml.tmp.Ab12Cd", "not ours");
  const auto store = open();
  EXPECT_THAT(store.removed_temp_files(),
              UnorderedElementsAre(file("topology.xml.tmp.Ab12Cd").string(),
                                   file("topology.xml.tmp.000000").string(),
                                   file("topology.lkg.xml.tmp.Zz99Yy").string()));
  auto names = test::snapshot(state());
  EXPECT_EQ(names.size(), 3u);
  EXPECT_TRUE(names.count("topology.xml"));
  EXPECT_TRUE(names.count("topology.xml.tmp"));
  EXPECT_TRUE(names.count("other.xml.tmp.Ab12Cd"));
}

TEST_F(StoreOpenLoad, nothing_persisted_is_an_error_naming_both_files) {
  const auto loaded = open().load();
  ASSERT_FALSE(loaded);
  const auto& message = loaded.error().message;
  EXPECT_THAT(message, HasSubstr("no usable persisted topology in " + state().string()));
  EXPECT_THAT(message, HasSubstr(file("topology.xml").string() + ": not found"));
  EXPECT_THAT(message, HasSubstr(file("topology.lkg.xml").string() + ": not found"));
}

TEST_F(StoreOpenLoad, valid_current_file_wins) {
  put("topology.xml", render_topology_xml(test::sample_topology(8)));
  put("topology.lkg.xml", render_topology_xml(test::sample_topology(7)));
  const auto loaded = open().load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->value, test::sample_topology(8));
  EXPECT_EQ(loaded->source, Source::current);
  EXPECT_TRUE(loaded->problems.empty());
}

TEST_F(StoreOpenLoad, corrupt_current_falls_back_to_last_known_good_with_the_reason) {
  const auto valid = render_topology_xml(test::sample_topology(8));
  put("topology.xml", valid.substr(0, valid.size() / 2));
  put("topology.lkg.xml", render_topology_xml(test::sample_topology(7)));
  const auto loaded = open().load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->value, test::sample_topology(7));
  EXPECT_EQ(loaded->source, Source::last_known_good);
  ASSERT_EQ(loaded->problems.size(), 1u);
  EXPECT_THAT(loaded->problems[0], HasSubstr(file("topology.xml").string() + ":"));
  EXPECT_THAT(loaded->problems[0], HasSubstr("XML syntax error"));
}

TEST_F(StoreOpenLoad, missing_current_falls_back_to_last_known_good) {
  put("topology.lkg.xml", render_topology_xml(test::sample_topology(7)));
  const auto loaded = open().load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->source, Source::last_known_good);
  EXPECT_THAT(loaded->problems, ElementsAre(file("topology.xml").string() + ": not found"));
}

TEST_F(StoreOpenLoad, empty_oversized_or_future_current_falls_back) {
  const auto valid = render_topology_xml(test::sample_topology(8));
  const std::pair<std::string, std::string> bad_files[] = {
      {"", "no XML in the file"},
      {std::string(kMaxTopologyDocumentBytes + 1, ' '), "larger than 65536 bytes (64 KiB)"},
      {test::replaced(valid, "version=\"1\"", "version=\"2\""), "written by a newer gatelink"},
      {test::replaced(valid, "generation=\"8\"", "generation=\"8\" extra=\"1\""),
       "unknown attribute \"extra\""},
  };
  put("topology.lkg.xml", render_topology_xml(test::sample_topology(7)));
  for (const auto& [text, reason] : bad_files) {
    put("topology.xml", text);
    const auto loaded = open().load();
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->source, Source::last_known_good) << reason;
    ASSERT_EQ(loaded->problems.size(), 1u);
    EXPECT_THAT(loaded->problems[0], HasSubstr(reason));
  }
}

TEST_F(StoreOpenLoad, both_files_bad_is_an_error_with_both_reasons) {
  const auto valid = render_topology_xml(test::sample_topology(8));
  put("topology.xml", test::replaced(valid, "<primary", "<primari"));
  put("topology.lkg.xml", test::replaced(valid, "generation=\"8\"", "generation=\"eight\""));
  const auto loaded = open().load();
  ASSERT_FALSE(loaded);
  const auto& message = loaded.error().message;
  EXPECT_THAT(message, HasSubstr(file("topology.xml").string() + ":5: unknown element <primari>"));
  EXPECT_THAT(message, HasSubstr(file("topology.lkg.xml").string() +
                                 ":4: <topology> generation=\"eight\": is not a decimal number"));
}

TEST_F(StoreOpenLoad, a_folder_in_place_of_the_current_file_falls_back) {
  test::make_folders(file("topology.xml"));
  put("topology.lkg.xml", render_topology_xml(test::sample_topology(7)));
  const auto loaded = open().load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->source, Source::last_known_good);
  EXPECT_THAT(loaded->problems[0],
              HasSubstr(file("topology.xml").string() + ": a folder, not a regular file"));
}

}  // namespace
}  // namespace gatelink
