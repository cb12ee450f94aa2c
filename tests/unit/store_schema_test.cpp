// config/topology.xsd against what the agent writes and refuses (xmllint, when on PATH).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

#include "store/stored_topology.hpp"
#include "store/topology_document.hpp"
#include "store_test_support.hpp"

namespace gatelink {
namespace {

TEST(StoreSchema, rendered_documents_validate_against_the_xsd) {
  if (!test::have_xmllint()) GTEST_SKIP() << "xmllint is not on PATH";
  test::ScratchDir dir;
  auto bootstrap = test::sample_topology(0);
  bootstrap.received_from.clear();
  auto ipv6 = test::sample_topology(UINT64_MAX);
  ipv6.topology.primary = test::gateway("::1", 15801, "gw1.example.test");
  auto specials = test::sample_topology(5);
  specials.topology.management_group = "a&b<c>d\"e'f";
  auto full = test::sample_topology(3);
  full.topology.failover.clear();
  for (int i = 1; i < 16; ++i) {
    full.topology.failover.push_back(test::gateway("10.0.0." + std::to_string(i), 5723));
  }
  int index = 0;
  for (const auto& persisted : {test::sample_topology(7), bootstrap, ipv6, specials, full}) {
    const auto path = dir.path() / ("topology" + std::to_string(index++) + ".xml");
    test::write_file(path, render_topology_xml(persisted));
    EXPECT_EQ(test::xmllint(path, "topology.xsd"), 0) << test::read_file(path);
  }
}

TEST(StoreSchema, stored_files_and_the_documents_in_them_validate_against_the_xsd) {
  if (!test::have_xmllint()) GTEST_SKIP() << "xmllint is not on PATH";
  test::ScratchDir dir;
  const auto key = test::sample_key();
  auto from_store = test::issued_sample(4, test::kSampleEpoch, &key);  // a store entry: no note
  int index = 0;
  for (const auto& persisted : {test::issued_sample(3), test::issued_sample(4, 9, &key)}) {
    const auto stored = dir.path() / ("stored" + std::to_string(index) + ".xml");
    const auto issued = dir.path() / ("issued" + std::to_string(index++) + ".xml");
    test::write_file(stored, render_persisted_topology(persisted).value());
    test::write_file(issued, persisted.issued.bytes);
    EXPECT_EQ(test::xmllint(stored, "topology.xsd"), 0) << test::read_file(stored);
    EXPECT_EQ(test::xmllint(issued, "topology.xsd"), 0) << test::read_file(issued);
  }
  const auto store_entry = dir.path() / "entry.xml";
  test::write_file(store_entry, render_stored_topology({.document = from_store.issued.bytes,
                                                        .signature = from_store.issued.signature,
                                                        .key = from_store.issued.signed_by})
                                    .value());
  EXPECT_EQ(test::xmllint(store_entry, "topology.xsd"), 0) << test::read_file(store_entry);
  const auto bad_signature = dir.path() / "bad.xml";
  test::write_file(bad_signature,
                   test::replaced(test::read_file(store_entry), "==</signature>", "=</signature>"));
  EXPECT_NE(test::xmllint(bad_signature, "topology.xsd"), 0);
}

TEST(StoreSchema, xsd_refuses_what_the_store_refuses) {
  if (!test::have_xmllint()) GTEST_SKIP() << "xmllint is not on PATH";
  test::ScratchDir dir;
  const auto sample = render_topology_xml(test::sample_topology(7));
  const std::pair<std::string, std::string> breakages[] = {
      {"version=\"1\"", "version=\"3\""},
      {"version=\"1\" ", ""},
      {"generation=\"7\"", "generation=\"07\""},
      {"generation=\"7\"", "generation=\"-7\""},
      {"generation=\"7\"", "generation=\"7\" weight=\"1\""},
      {"management-group=\"EXAMPLE\"", "management-group=\"EX AMPLE\""},
      {"received-at=\"2026-11-25T16:15:16.130Z\"", "received-at=\"2026-11-25T16:15:16.130\""},
      {"received-from=\"gw1.example.test@127.0.0.1:15801\"", "received-from=\"\""},
      {"<primary address=\"127.0.0.1:15801\" server-name=\"gw1.example.test\"/>", ""},
      {"<failover address=\"gw3.example.test:5723\"/>", "<secondary address=\"gw3:5723\"/>"},
      {"server-name=\"gw2.example.test\"", "server-name=\"\""},
      {"address=\"gw3.example.test:5723\"", "address=\"gw3 example:5723\""},
  };
  for (const auto& [from, to] : breakages) {
    const auto broken = test::replaced(sample, from, to);
    ASSERT_FALSE(parse_topology_xml(broken, "broken.xml")) << to;
    test::write_file(dir.path() / "broken.xml", broken);
    EXPECT_NE(test::xmllint(dir.path() / "broken.xml", "topology.xsd"), 0) << from << " -> " << to;
  }
}

}  // namespace
}  // namespace gatelink
