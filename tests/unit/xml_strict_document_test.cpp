// The strict prologue every gatelink XML file passes (xml/parsed_document.hpp): one root of the
// expected name, nothing around it but a declaration, comments and blanks, a bounded size, and
// each refusal as "FILE:LINE: what" that names what tinyxml2 only hints at.

#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <string>
#include <string_view>
#include <utility>

#include "xml/parsed_document.hpp"

namespace gatelink::xml {
namespace {

using namespace std::string_literals;

constexpr DocumentRules kRules{"doc", 1024};

/// The message of a refused `text`; fails the test when it was accepted.
std::string refusal(std::string_view text, const DocumentRules& rules = kRules) {
  auto parsed = parse_strict_document(text, "in.xml", rules);
  EXPECT_FALSE(parsed) << "accepted:\n" << text;
  return parsed ? "" : parsed.error().message;
}

TEST(XmlStrictDocument, declaration_comments_and_blanks_around_the_root_are_allowed) {
  const auto text =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- before -->\n\n"
      "<doc a=\"1\">\n  <item/>\n</doc>\n<!-- after -->\n  \n";
  auto parsed = parse_strict_document(text, "in.xml", kRules);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_STREQ(parsed->root().Name(), "doc");
  EXPECT_EQ(parsed->root().GetLineNum(), 4);
  EXPECT_STREQ(parsed->root().Attribute("a"), "1");
}

TEST(XmlStrictDocument, the_document_outlives_its_text) {
  auto text = std::make_unique<std::string>("<doc a=\"&amp;&lt;&gt;&quot;&apos;\"><x/></doc>");
  auto parsed = parse_strict_document(*text, "in.xml", kRules);
  text.reset();
  ASSERT_TRUE(parsed) << parsed.error().message;
  ParsedDocument moved = std::move(*parsed);
  EXPECT_STREQ(moved.root().Attribute("a"), "&<>\"'");
  EXPECT_STREQ(moved.root().FirstChildElement()->Name(), "x");
}

TEST(XmlStrictDocument, a_second_root_is_refused_at_its_line) {
  EXPECT_EQ(refusal("<doc/>\n<!-- -->\n<doc/>\n"),
            "in.xml:3: second root element <doc>; the file holds one <doc>");
  EXPECT_EQ(refusal("<doc/>\n<other/>\n"),
            "in.xml:2: second root element <other>; the file holds one <doc>");
}

TEST(XmlStrictDocument, another_root_is_refused) {
  EXPECT_EQ(refusal("\n<agent/>"), "in.xml:2: root element is <agent>; expected <doc>");
}

TEST(XmlStrictDocument, text_outside_the_root_is_refused) {
  EXPECT_EQ(refusal("<doc/>\ntrailing\n"),
            "in.xml:2: XML syntax error: malformed text, or text outside <doc>");
  EXPECT_EQ(refusal("leading\n<doc/>\n"), "in.xml:1: unexpected text outside <doc>");
}

TEST(XmlStrictDocument, declarations_other_than_the_first_xml_one_are_refused) {
  EXPECT_EQ(refusal("<!DOCTYPE doc>\n<doc/>"),
            "in.xml:1: DOCTYPE and other declarations are not allowed");
  EXPECT_EQ(refusal("<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"x\"?>\n<doc/>"),
            "in.xml:2: processing instructions are not allowed");
  // tinyxml2 itself takes an XML declaration only at the start.
  EXPECT_EQ(refusal("<!-- first -->\n<?xml version=\"1.0\"?>\n<doc/>"),
            "in.xml:2: XML syntax error: malformed declaration");
}

TEST(XmlStrictDocument, an_empty_document_is_refused_with_the_root_it_needs) {
  EXPECT_EQ(refusal(""),
            "in.xml:1: XML syntax error: no XML in the file; expected a <doc> element");
  EXPECT_EQ(refusal(" \n\t\n"),
            "in.xml:1: XML syntax error: no XML in the file; expected a <doc> element");
  EXPECT_EQ(refusal("", {"agent", 1024}),
            "in.xml:1: XML syntax error: no XML in the file; expected an <agent> element");
  EXPECT_EQ(refusal("<?xml version=\"1.0\"?>\n<!-- only this -->\n"), "in.xml:1: no <doc> element");
}

TEST(XmlStrictDocument, an_oversize_text_is_refused_before_parsing) {
  const std::string at_limit = "<doc>" + std::string(1024 - 11, ' ') + "</doc>";
  ASSERT_EQ(at_limit.size(), 1024u);
  EXPECT_TRUE(parse_strict_document(at_limit, "in.xml", kRules));
  EXPECT_EQ(refusal(at_limit + " "),
            "in.xml: larger than 1024 bytes (1 KiB); refusing to parse it");
  // Refused for its size before anything else: not even well-formed.
  EXPECT_EQ(refusal("<doc", {"doc", 3}), "in.xml: larger than 3 bytes; refusing to parse it");
}

TEST(XmlStrictDocument, a_nul_byte_is_refused_at_its_line) {
  EXPECT_EQ(refusal("<doc\n\n a=\"x\0\"/>"s), "in.xml:3: NUL byte in the file");
}

TEST(XmlStrictDocument, malformed_xml_is_refused_with_its_line_and_problem) {
  EXPECT_EQ(refusal("<doc>\n  <item a=1/>\n</doc>"),
            "in.xml:2: XML syntax error: malformed attribute in <item> (values go in quotes: "
            "name=\"value\")");
  EXPECT_EQ(refusal("<doc>\n  <item>\n  </iten>\n</doc>"),
            "in.xml:2: XML syntax error: <item> is closed by a different end tag");
  EXPECT_EQ(refusal("<doc>\n  <item a=\"1\" <x/>\n</doc>"),
            "in.xml:2: XML syntax error: malformed element");
  EXPECT_EQ(refusal("<doc>\n<!-- never closed\n</doc>"),
            "in.xml:2: XML syntax error: malformed or unterminated comment");
  EXPECT_EQ(refusal("<doc>\n  <item/>\n"),
            "in.xml:1: XML syntax error: malformed XML (an element not closed, or the file cut "
            "short?)");
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "<doc>";
  EXPECT_EQ(refusal(deep, {"doc", deep.size()}),
            "in.xml:1: XML syntax error: elements nested too deeply");
}

TEST(XmlStrictDocument, a_repeated_attribute_is_named) {
  EXPECT_EQ(refusal("<doc>\n  <item a=\"1\" b='2' a=\"3\"/>\n</doc>"),
            "in.xml:2: XML syntax error: attribute \"a\" given twice in <item>");
  // The tag spans lines: the line where tinyxml2 stopped, and the name all the same.
  EXPECT_EQ(refusal("<doc>\n  <item a=\"1\"\n        b=\"2\" b=\"2\"/>\n</doc>"),
            "in.xml:3: XML syntax error: attribute \"b\" given twice in <item>");
  EXPECT_EQ(refusal("<doc x=\"1\" x=\"1\"/>"),
            "in.xml:1: XML syntax error: attribute \"x\" given twice in <doc>");
}

}  // namespace
}  // namespace gatelink::xml
