// The issued topology document (what the management group signs) and the <stored-topology>
// file that keeps it byte for byte with its signature, in the store and in the state folder.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "store/stored_topology.hpp"
#include "store/topology_document.hpp"
#include "store_test_support.hpp"

namespace gatelink {
namespace {

using test::sample_time;
using ::testing::HasSubstr;
using ::testing::StartsWith;

IssuedTopology sample_issued(std::uint64_t epoch = 1764640000, std::uint64_t generation = 7) {
  IssuedTopology issued{.agent = "web01.example.test",
                        .topology = test::sample_topology(generation).topology,
                        .issued_at = sample_time()};
  issued.topology.epoch = epoch;
  return issued;
}

std::string issued_text(const IssuedTopology& issued = sample_issued()) {
  auto text = render_issued_topology(issued);
  EXPECT_TRUE(text) << text.error().message;
  return text ? *text : std::string{};
}

/// `text` with its first `from` replaced by `to`; `from` must be there.
std::string replaced_in(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

std::string issued_error(const std::string& text) {
  auto parsed = parse_issued_topology(text, "doc.xml");
  return parsed ? std::string("(parsed)") : parsed.error().message;
}

TEST(StoreIssued, issued_document_round_trips_with_agent_and_epoch) {
  const auto issued = sample_issued(1764640000, 18446744073709551614u);
  const auto text = issued_text(issued);
  EXPECT_THAT(text, HasSubstr("<topology version=\"2\" agent=\"web01.example.test\" "
                              "management-group=\"EXAMPLE\" epoch=\"1764640000\" "
                              "generation=\"18446744073709551614\" "
                              "issued-at=\"2026-11-25T16:15:16.123Z\">"));
  auto parsed = parse_issued_topology(text, "doc.xml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, issued);
}

TEST(StoreIssued, issued_document_is_parsed_strictly) {
  const std::string good = issued_text();
  const auto replaced = [&](const std::string& from, const std::string& to) {
    return replaced_in(good, from, to);
  };
  EXPECT_EQ(issued_error(good), "(parsed)");
  EXPECT_THAT(issued_error(replaced(" agent=\"web01.example.test\"", "")),
              HasSubstr("missing required attribute \"agent\""));
  EXPECT_THAT(issued_error(replaced("agent=\"web01.example.test\"", "agent=\"web 01\"")),
              HasSubstr("is not an agent name"));
  EXPECT_THAT(issued_error(replaced("epoch=\"1764640000\"", "epoch=\"-1\"")),
              HasSubstr("epoch=\"-1\": is not a decimal number"));
  EXPECT_THAT(issued_error(replaced("epoch=\"1764640000\"", "epoch=\"18446744073709551616\"")),
              HasSubstr("is larger than"));
  EXPECT_THAT(issued_error(replaced("version=\"2\"", "version=\"1\"")),
              HasSubstr("unsupported document version (expected 2)"));
  EXPECT_THAT(issued_error(replaced("version=\"2\"", "version=\"3\"")),
              HasSubstr("written by a newer gatelink"));
  EXPECT_THAT(issued_error(replaced("<primary", "<primary signed=\"yes\"")),
              HasSubstr("unknown attribute \"signed\""));
  EXPECT_THAT(issued_error(replaced("issued-at=\"2026-11-25T16:15:16.123Z\"", "issued-at=\"now\"")),
              HasSubstr("is not a UTC time"));
  EXPECT_THAT(issued_error(std::string(kMaxIssuedTopologyBytes + 1, ' ')),
              HasSubstr("larger than"));
  // The persisted (version 1) reader refuses an issued document, and the reverse.
  EXPECT_THAT(parse_topology_xml(good, "t.xml").error().message,
              HasSubstr("written by a newer gatelink"));
  EXPECT_THAT(issued_error(render_topology_xml(test::sample_topology())),
              HasSubstr("unsupported document version (expected 2)"));
}

TEST(StoreIssued, invalid_topology_is_never_issued) {
  auto issued = sample_issued();
  issued.topology.failover.push_back(issued.topology.primary);
  auto text = render_issued_topology(issued);
  ASSERT_FALSE(text);
  EXPECT_THAT(text.error().message, HasSubstr("duplicate of primary"));
}

StoredTopology sample_stored() {
  return StoredTopology{.document = issued_text(),
                        .signature = std::vector<std::uint8_t>(64, 0xA5),
                        .key = "SHA256:If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XIbk",
                        .received_at = sample_time(5),
                        .received_from = "gw1.example.test@127.0.0.1:15801"};
}

std::string stored_error(const std::string& text) {
  auto parsed = parse_stored_topology(text, "topology.xml");
  return parsed ? std::string("(parsed)") : parsed.error().message;
}

TEST(StoreStored, keeps_the_document_byte_for_byte_with_its_signature) {
  for (auto stored : {sample_stored(), StoredTopology{.document = issued_text()}}) {
    // Leading and trailing blank space, entities and markup-like text are kept as they are.
    stored.document = "\n  " + stored.document + "<!-- &amp; <x> -->\n\t ";
    auto text = render_stored_topology(stored);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_THAT(*text, StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    auto parsed = parse_stored_topology(*text, "topology.xml");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, stored);
  }
}

TEST(StoreStored, what_cannot_be_kept_exactly_is_refused) {
  for (const std::string& bad :
       {std::string("a\r\nb"), std::string("a]]>b"), std::string("a\0b", 3)}) {
    auto stored = sample_stored();
    stored.document = bad;
    EXPECT_FALSE(render_stored_topology(stored)) << bad;
  }
  auto unsigned_with_key = sample_stored();
  unsigned_with_key.signature.clear();
  EXPECT_FALSE(render_stored_topology(unsigned_with_key));
}

TEST(StoreStored, stored_file_is_parsed_strictly) {
  const std::string good = *render_stored_topology(sample_stored());
  const auto replaced = [&](const std::string& from, const std::string& to) {
    return replaced_in(good, from, to);
  };
  EXPECT_EQ(stored_error(good), "(parsed)");
  EXPECT_THAT(stored_error(replaced("<document><![CDATA[", "<document><![CDATA[x]]>y<![CDATA[")),
              HasSubstr("<document>: expected the issued document in one CDATA section, alone"));
  EXPECT_THAT(stored_error(replaced("key=\"SHA256:", "key=\"MD5:")),
              HasSubstr("is not a key fingerprint"));
  EXPECT_THAT(stored_error(replaced("\">pa", "\"> pa")), HasSubstr("expected 64 bytes in base64"));
  EXPECT_THAT(stored_error(replaced("\">paWl", "\">pa")), HasSubstr("expected 64 bytes in base64"));
  EXPECT_THAT(stored_error(replaced("</signature>", "</signature><signature/>")),
              HasSubstr("one <signature> at most, then one <document>"));
  EXPECT_THAT(stored_error(replaced("<signature", "<sig/><signature")),
              HasSubstr("unknown element <sig>"));
  EXPECT_THAT(stored_error(replaced("version=\"1\"", "version=\"2\"")),
              HasSubstr("written by a newer gatelink"));
  EXPECT_THAT(stored_error(replaced("received-from=\"gw1.example.test@127.0.0.1:15801\"",
                                    "received-from=\"a b\"")),
              HasSubstr("received-from=\"a b\""));
  const auto document_start = good.find("<document>");
  EXPECT_THAT(stored_error(good.substr(0, document_start) + "</stored-topology>\n"),
              HasSubstr("missing required element <document>"));
}

}  // namespace
}  // namespace gatelink
