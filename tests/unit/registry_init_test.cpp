// The store's management group, named once (gatelink-mg init, DIR/store.xml): set-parent takes
// it from there, refuses another, and init refuses whatever would make the store disagree.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "registry_test_support.hpp"

namespace gatelink {
namespace {

using test::parent_request;
using ::testing::HasSubstr;

class RegistryInit : public test::RegistryTest {
 protected:
  void write_settings(const std::string& text) const {
    std::ofstream(store() / "store.xml", std::ios::binary) << text;
  }
};

TEST_F(RegistryInit, set_parent_takes_the_management_group_from_the_store) {
  auto initialised = registry_.init({.management_group = "EXAMPLE"});
  ASSERT_TRUE(initialised) << initialised.error().message;
  auto settings = registry_.settings();
  ASSERT_TRUE(settings && *settings);
  EXPECT_EQ((*settings)->management_group, "EXAMPLE");

  const auto written = set(parent_request("web01", std::nullopt, "gw1", {"gw2"}));
  EXPECT_EQ(written.issued.topology.management_group, "EXAMPLE");
  EXPECT_EQ(written.issued.topology.generation, 1u);
  // Naming the same group is fine; another one is refused, the store unchanged.
  EXPECT_EQ(generation_of(parent_request("web01", "EXAMPLE", "gw1")), 2u);
  const auto before = test::tree_snapshot(store());
  auto other = registry_.set_parent(parent_request("web02", "OTHER", "gw1"), test::sample_time(5));
  ASSERT_FALSE(other);
  EXPECT_THAT(other.error().message,
              HasSubstr("the store belongs to management group \"EXAMPLE\", not \"OTHER\""));
  EXPECT_EQ(test::tree_snapshot(store()), before);
}

TEST_F(RegistryInit, without_init_a_first_entry_still_names_its_group) {
  auto settings = registry_.settings();
  ASSERT_TRUE(settings);
  EXPECT_FALSE(*settings);
  auto written =
      registry_.set_parent(parent_request("web01", std::nullopt, "gw1"), test::sample_time(1));
  ASSERT_FALSE(written);
  EXPECT_THAT(written.error().message, HasSubstr("needs --management-group (or, once for the "
                                                 "store: gatelink-mg --store "));
  EXPECT_EQ(set(parent_request("web01", "EXAMPLE", "gw1")).issued.topology.management_group,
            "EXAMPLE");
}

TEST_F(RegistryInit, init_twice_is_refused) {
  ASSERT_TRUE(registry_.init({.management_group = "EXAMPLE"}));
  expect_init_refused({.management_group = "EXAMPLE"},
                      "initialised already, for management group \"EXAMPLE\"");
  expect_init_refused({.management_group = "OTHER"},
                      "initialised already, for management group \"EXAMPLE\"");
}

TEST_F(RegistryInit, init_over_entries_of_another_group_is_refused) {
  set(parent_request("web01", "EXAMPLE", "gw1"));
  expect_init_refused({.management_group = "OTHER"},
                      "agent web01 belongs to management group \"EXAMPLE\"");
  EXPECT_TRUE(registry_.init({.management_group = "EXAMPLE"}));
  // The entry was of epoch 0 (no store.xml); the store's epoch starts it again.
  EXPECT_EQ(generation_of(parent_request("web01", std::nullopt, "gw2")), 1u);
}

TEST_F(RegistryInit, init_over_an_unreadable_entry_is_refused) {
  set(parent_request("web01", "EXAMPLE", "gw1"));
  std::filesystem::resize_file(agent_file("web01"), 30);
  expect_init_refused({.management_group = "EXAMPLE"}, agent_file("web01").string());
}

TEST_F(RegistryInit, invalid_group_is_refused_and_nothing_created) {
  expect_init_refused({.management_group = ""}, "management group is empty");
  expect_init_refused({.management_group = "A B"}, "management group contains a space");
  EXPECT_FALSE(std::filesystem::exists(store() / ".lock"));
}

TEST_F(RegistryInit, a_bad_store_file_is_named_and_nothing_is_written) {
  for (const auto& [text, expected] : std::initializer_list<std::pair<std::string, std::string>>{
           {"<topology-store version=\"1\"/>", "missing required attribute \"management-group\""},
           {"<topology-store version=\"1\" management-group=\"MG\" flavour=\"3\"/>",
            "unknown attribute \"flavour\""},
           {"<topology-store version=\"1\" management-group=\"MG\" epoch=\"0\"/>",
            "epoch 0 is the one of stores without store.xml"},
           {"<topology-store version=\"1\" management-group=\"MG\" epoch=\"03\"/>", "epoch"},
           {"<topology-store version=\"1\" management-group=\"MG\" "
            "epoch=\"18446744073709551615\"/>",
            "is reserved"},
           {"<topology-store version=\"1\" management-group=\"MG\" signing-key=\"mg.key\"/>",
            "is not an absolute path"},
           {"<topology-store version=\"9\" management-group=\"MG\"/>",
            "written by a newer gatelink"},
           {"<topology-store version=\"1\" management-group=\"M G\"/>", "contains a space"},
           {"<topology-store version=\"1\" management-group=\"MG\">x</topology-store>",
            "unexpected text"},
           {"<store/>", "store.xml:1:"}}) {
    write_settings(text);
    const auto before = test::tree_snapshot(store());
    auto written = registry_.set_parent(parent_request("web01", "MG", "gw1"), test::sample_time(1));
    ASSERT_FALSE(written) << text;
    EXPECT_THAT(written.error().message, HasSubstr((store() / "store.xml").string())) << text;
    EXPECT_THAT(written.error().message, HasSubstr(expected)) << text;
    EXPECT_EQ(test::tree_snapshot(store()), before) << text;
  }
}

}  // namespace
}  // namespace gatelink
