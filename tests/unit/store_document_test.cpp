// The persisted topology document: its exact form, the round trip, and every way a file can be
// wrong (cut short, corrupt, another schema, a newer version, too large), each refused with
// "FILE:LINE: problem".

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "store/topology_document.hpp"
#include "store_test_support.hpp"

namespace gatelink {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kSource = "state/topology.xml";

// Line 4 holds <topology>, line 5 <primary>, lines 6 and 7 the failovers.
constexpr std::string_view kSample =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- An agent's topology as the management group gave it (schema: topology.xsd).\n"
    "     Written by gatelink; only a newer generation replaces it. Do not edit. -->\n"
    "<topology version=\"1\" management-group=\"EXAMPLE\" generation=\"7\" "
    "received-at=\"2026-11-25T16:15:16.130Z\" received-from=\"gw1.example.test@127.0.0.1:15801\">\n"
    "  <primary address=\"127.0.0.1:15801\" server-name=\"gw1.example.test\"/>\n"
    "  <failover address=\"127.0.0.1:15802\" server-name=\"gw2.example.test\"/>\n"
    "  <failover address=\"gw3.example.test:5723\"/>\n"
    "</topology>\n";

/// Parses `text` and expects it refused with a message that starts with `location` and holds
/// `problem`.
void expect_refused(std::string_view text, std::string_view location, std::string_view problem) {
  const auto parsed = parse_topology_xml(text, kSource);
  ASSERT_FALSE(parsed) << "accepted:\n" << text;
  EXPECT_THAT(parsed.error().message, StartsWith(std::string(kSource) + std::string(location)));
  EXPECT_THAT(parsed.error().message, HasSubstr(std::string(problem)));
}

std::string sample_with(std::string_view from, std::string_view to) {
  return test::replaced(std::string(kSample), from, to);
}

TEST(StoreDocument, renders_the_documented_form) {
  EXPECT_EQ(render_topology_xml(test::sample_topology(7)), kSample);
}

TEST(StoreDocument, round_trip_keeps_every_field) {
  const auto original = test::sample_topology(7);
  const auto parsed = parse_topology_xml(render_topology_xml(original), kSource);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, original);
}

TEST(StoreDocument, round_trip_of_ipv6_bootstrap_and_largest_generation) {
  PersistedTopology original;
  original.topology.generation = UINT64_MAX;
  original.topology.management_group = "A&B<\"C\">";
  original.topology.primary = test::gateway("::1", 15801, "gw1.example.test");
  original.topology.failover = {test::gateway("2001:db8::1", 5723)};
  original.received_at = test::sample_time();
  const auto text = render_topology_xml(original);
  EXPECT_THAT(text, HasSubstr("address=\"[::1]:15801\""));
  EXPECT_THAT(text, HasSubstr("management-group=\"A&amp;B&lt;&quot;C&quot;&gt;\""));
  EXPECT_THAT(text, Not(HasSubstr("received-from")));
  const auto parsed = parse_topology_xml(text, kSource);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, original);
}

TEST(StoreDocument, every_xml_special_in_the_management_group_is_escaped_and_reads_back) {
  // The management group is any printable ASCII (topology.xsd's "name"); addresses, server
  // names and received-from hold none of these characters.
  auto original = test::sample_topology(7);
  original.topology.management_group = "a&b<c>d\"e'f&amp;";
  const auto text = render_topology_xml(original);
  EXPECT_THAT(text, HasSubstr("management-group=\"a&amp;b&lt;c&gt;d&quot;e&apos;f&amp;amp;\""));
  const auto parsed = parse_topology_xml(text, kSource);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, original);
}

TEST(StoreDocument, server_name_is_written_only_when_set) {
  auto original = test::sample_topology();
  original.topology.primary.server_name.clear();
  EXPECT_THAT(render_topology_xml(original),
              HasSubstr("  <primary address=\"127.0.0.1:15801\"/>\n"));
}

TEST(StoreDocument, received_at_is_kept_to_the_millisecond) {
  auto original = test::sample_topology();
  original.received_at += std::chrono::microseconds(999);
  const auto parsed = parse_topology_xml(render_topology_xml(original), kSource);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->received_at, test::sample_time(7));
}

TEST(StoreDocument, finer_times_in_a_file_read_back_to_the_millisecond) {
  // Found by tests/fuzz/topology_xml_fuzz: a hand-written .1308Z did not survive a rewrite.
  const auto text = test::replaced(std::string(kSample), "16.130Z", "16.1308Z");
  const auto parsed = parse_topology_xml(text, kSource);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto again = parse_topology_xml(render_topology_xml(*parsed), kSource);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *parsed);
}

TEST(StoreDocument, every_prefix_of_a_valid_file_is_refused) {
  const std::string text(kSample);
  const auto complete = text.find("</topology>") + std::string_view("</topology>").size();
  for (std::size_t size = 0; size < text.size(); ++size) {
    const auto parsed = parse_topology_xml(text.substr(0, size), kSource);
    if (size < complete) {
      ASSERT_FALSE(parsed) << "a file cut after " << size << " bytes was accepted";
      EXPECT_THAT(parsed.error().message, StartsWith(std::string(kSource) + ":"));
    } else {
      // Only the final newline is missing: still the whole document.
      ASSERT_TRUE(parsed) << size << ": " << parsed.error().message;
    }
  }
}

TEST(StoreDocument, empty_and_blank_files_are_refused) {
  expect_refused("", ":1:", "no XML in the file; expected a <topology> element");
  expect_refused(" \n\n", ":", "no XML in the file");
  expect_refused("<?xml version=\"1.0\"?>\n<!-- nothing -->\n", ":1:", "no <topology> element");
}

TEST(StoreDocument, corrupt_files_are_refused) {
  expect_refused(
      "\x7f"
      "ELF\x02\x01\x01",
      ":1:", "XML syntax error");
  expect_refused(sample_with("  <primary", "\xff\xfe<primary"),
                 ":5:", "<topology>: unexpected text");
  expect_refused(sample_with("15801\" server", std::string("15801\0\" server", 14)),
                 ":5:", "NUL byte in the file");
  expect_refused(sample_with("</topology>", "</topologx>"),
                 ":4:", "XML syntax error: <topology> is closed by a different end tag");
  expect_refused(sample_with("<failover address=\"gw3", "<failover address=gw3"), ":7:",
                 "XML syntax error: malformed attribute in <failover> (values go in quotes: "
                 "name=\"value\")");
  expect_refused(sample_with("generation=\"7\"", "generation=\"7\" generation=\"8\""),
                 ":4:", "XML syntax error: attribute \"generation\" given twice in <topology>");
  expect_refused(std::string(kSample) + "<topology/>",
                 ":9:", "second root element <topology>; the file holds one <topology>");
  expect_refused(std::string(kSample) + "trailing",
                 ":9:", "XML syntax error: malformed text, or text outside <topology>");
}

TEST(StoreDocument, another_schema_is_refused) {
  expect_refused("<agent name=\"a\" management-group=\"EXAMPLE\"/>",
                 ":1:", "root element is <agent>; expected <topology>");
  expect_refused(sample_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                             "<!DOCTYPE topology SYSTEM \"x.dtd\">"),
                 ":1:", "DOCTYPE and other declarations are not allowed");
  expect_refused(sample_with("  <failover address=\"gw3.example.test:5723\"/>",
                             "  <secondary address=\"gw3.example.test:5723\"/>"),
                 ":7:", "unknown element <secondary> in <topology> (expected: primary, failover)");
  expect_refused(
      sample_with("  <primary address=\"127.0.0.1:15801\" server-name=\"gw1.example.test\"/>\n",
                  ""),
      ":5:", "<failover> before <primary>");
  expect_refused(sample_with("  <failover address=\"gw3.example.test:5723\"/>",
                             "  <primary address=\"gw3.example.test:5723\"/>"),
                 ":7:", "duplicate <primary> (first at line 5); only one is allowed");
  expect_refused(sample_with("<failover address=\"gw3.example.test:5723\"/>",
                             "<failover address=\"gw3.example.test:5723\">gw4</failover>"),
                 ":7:", "<failover>: unexpected text \"gw4\"");
  expect_refused(sample_with("<failover address=\"gw3.example.test:5723\"/>",
                             "<failover address=\"gw3.example.test:5723\"><port/></failover>"),
                 ":7:", "<failover>: unexpected element <port>");
  expect_refused(sample_with("</topology>", "text</topology>"),
                 ":8:", "<topology>: unexpected text \"text\"");
}

TEST(StoreDocument, unknown_attributes_are_refused) {
  expect_refused(sample_with("generation=\"7\"", "generation=\"7\" weight=\"3\""), ":4:",
                 "<topology>: unknown attribute \"weight\" (expected: version, management-group, "
                 "generation, received-at, received-from)");
  expect_refused(sample_with("<failover address=\"gw3.example.test:5723\"",
                             "<failover address=\"gw3.example.test:5723\" port=\"1\""),
                 ":7:", "<failover>: unknown attribute \"port\" (expected: address, server-name)");
}

TEST(StoreDocument, missing_required_attributes_and_elements_are_refused) {
  for (const auto* attribute : {"management-group=\"EXAMPLE\" ", "generation=\"7\" ",
                                "received-at=\"2026-11-25T16:15:16.130Z\" ", "version=\"1\" "}) {
    const auto name = std::string(attribute).substr(0, std::string(attribute).find('='));
    expect_refused(sample_with(attribute, ""),
                   ":4:", "<topology>: missing required attribute \"" + name + "\"");
  }
  expect_refused(sample_with("address=\"gw3.example.test:5723\"", ""),
                 ":7:", "<failover>: missing required attribute \"address\"");
  expect_refused(
      "<topology version=\"1\" management-group=\"EXAMPLE\" generation=\"7\" "
      "received-at=\"2026-11-25T16:15:16.130Z\"/>",
      ":1:", "<topology>: missing required element <primary>");
}

TEST(StoreDocument, bad_numbers_and_times_are_refused) {
  for (const auto* bad : {"", "-1", "+7", "07", "7 ", "0x7", "1e3", "18446744073709551616"}) {
    expect_refused(sample_with("generation=\"7\"", "generation=\"" + std::string(bad) + "\""),
                   ":4:", "<topology> generation=\"" + std::string(bad) + "\": ");
  }
  for (const auto* bad : {"", "2026-11-25 16:15:16Z", "2026-13-01T00:00:00Z",
                          "2026-11-25T16:15:16.130", "2026-11-25T16:15:16+01:00", "yesterday"}) {
    expect_refused(sample_with("received-at=\"2026-11-25T16:15:16.130Z\"",
                               "received-at=\"" + std::string(bad) + "\""),
                   ":4:", "is not a UTC time such as 2026-11-25T16:15:16.123Z");
  }
}

TEST(StoreDocument, bad_addresses_are_refused) {
  expect_refused(sample_with("address=\"gw3.example.test:5723\"", "address=\"gw3..example:5723\""),
                 ":7:", "<failover>: gateway address \"gw3..example:5723\": ");
  expect_refused(sample_with("127.0.0.1:15802", "127.0.0.1:0"), ":6:", "not in 1..65535");
  expect_refused(sample_with("127.0.0.1:15801\" server", "[::1:15801\" server"),
                 ":5:", "'[' without ']'");
  expect_refused(sample_with("127.0.0.1:15801\" server", "gw1@127.0.0.1:15801\" server"),
                 ":5:", "'@' is not allowed here");
  expect_refused(sample_with("server-name=\"gw2.example.test\"", "server-name=\"\""),
                 ":6:", "<failover> server-name=\"\": is empty");
  expect_refused(sample_with("server-name=\"gw2.example.test\"", "server-name=\"gw 2\""),
                 ":6:", "server name \"gw 2\"");
  expect_refused(
      sample_with("received-from=\"gw1.example.test@127.0.0.1:15801\"", "received-from=\"\""),
      ":4:", "<topology> received-from=\"\": is empty");
  expect_refused(sample_with("received-from=\"gw1.example.test@127.0.0.1:15801\"",
                             "received-from=\"gw1 at 127.0.0.1\""),
                 ":4:", "<topology> received-from: gateway address \"gw1 at 127.0.0.1\"");
}

TEST(StoreDocument, invalid_topologies_are_refused_at_their_line) {
  expect_refused(sample_with("127.0.0.1:15802", "127.0.0.1:15801"),
                 ":6:", "invalid topology: failover[0]: duplicate of primary 127.0.0.1:15801");
  expect_refused(sample_with("gw3.example.test:5723",
                             "GW1.example.test:5723\"/>\n"
                             "  <failover address=\"gw1.example.test:5723"),
                 ":8:", "invalid topology: failover[2]: duplicate of failover[1]");
  expect_refused(sample_with("EXAMPLE", "EX&#32;AMPLE"),
                 ":4:", "invalid topology: management group contains a space");
  expect_refused(sample_with("management-group=\"EXAMPLE\"", "management-group=\"\""),
                 ":4:", "invalid topology: management group is empty");
  std::string many;
  for (int i = 0; i < 16; ++i) {
    many += "  <failover address=\"10.0.0." + std::to_string(i + 1) + ":5723\"/>\n";
  }
  expect_refused(sample_with("</topology>", many + "</topology>"),
                 ":21:", "too many gateways: more than 16");
}

TEST(StoreDocument, a_newer_version_is_refused_clearly) {
  // A newer writer may add attributes; the version is what the reader must complain about.
  expect_refused(sample_with("version=\"1\"", "version=\"2\" checksum=\"abc\""), ":4:",
                 "<topology> version=\"2\": written by a newer gatelink (document version 2; "
                 "this build reads version 1); refusing to read it");
  expect_refused(sample_with("version=\"1\"", "version=\"99999999999999999999999\""),
                 ":4:", "unsupported document version (expected 1)");
  for (const auto* other : {"0", "1.0", "01", "", "v1"}) {
    expect_refused(sample_with("version=\"1\"", "version=\"" + std::string(other) + "\""),
                   ":4:", "unsupported document version (expected 1)");
  }
}

TEST(StoreDocument, files_over_64_kib_are_refused_before_parsing) {
  const std::string text(kSample);
  const auto padding = [&](std::size_t total) {
    return text + "<!--" + std::string(total - text.size() - 8, 'x') + "-->\n";
  };
  const auto at_limit = padding(kMaxTopologyDocumentBytes);
  ASSERT_EQ(at_limit.size(), kMaxTopologyDocumentBytes);
  const auto parsed = parse_topology_xml(at_limit, kSource);
  EXPECT_TRUE(parsed) << parsed.error().message;
  expect_refused(at_limit + " ", ": ", "larger than 65536 bytes (64 KiB); refusing to parse it");
}

TEST(StoreDocument, comments_and_blank_space_are_allowed) {
  const auto text = sample_with("  <primary", "  <!-- the first one -->\n\n  <primary");
  const auto parsed = parse_topology_xml(text, kSource);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->topology.generation, 7u);
}

}  // namespace
}  // namespace gatelink
