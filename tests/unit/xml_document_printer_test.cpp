// The printer every gatelink XML file is written with (xml/document_printer.hpp): the form of
// the files (declaration, comments, two spaces a level), XML specials escaped by tinyxml2, and
// whatever it writes read back by the strict prologue as it was given.

#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <string>
#include <string_view>

#include "xml/document_printer.hpp"
#include "xml/parsed_document.hpp"

namespace gatelink::xml {
namespace {

constexpr DocumentRules kPrinted{"doc", 64 * 1024};
/// Every character XML gives a meaning to, and a few that are only data.
constexpr std::string_view kSpecials = "a&b<c>d\"e'f &amp; ]]> --";

TEST(XmlDocumentPrinter, writes_the_form_of_gatelinks_files) {
  DocumentPrinter printer;
  printer.comment(" what this is.\n     More. ");
  printer.open("doc");
  printer.attribute("version", "1");
  printer.attribute("name", "x");
  printer.open("list");
  printer.open("item");
  printer.attribute("a", "1");
  printer.close();
  printer.open("item");
  printer.close();
  printer.close();
  printer.open("empty");
  printer.close();
  printer.close();
  EXPECT_EQ(printer.text(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<!-- what this is.\n     More. -->\n"
            "<doc version=\"1\" name=\"x\">\n"
            "  <list>\n"
            "    <item a=\"1\"/>\n"
            "    <item/>\n"
            "  </list>\n"
            "  <empty/>\n"
            "</doc>\n");
}

TEST(XmlDocumentPrinter, escapes_every_xml_special_in_attribute_values) {
  DocumentPrinter printer;
  printer.open("doc");
  printer.attribute("v", kSpecials);
  printer.close();
  EXPECT_EQ(printer.text(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<doc v=\"a&amp;b&lt;c&gt;d&quot;e&apos;f &amp;amp; ]]&gt; --\"/>\n");
}

TEST(XmlDocumentPrinter, what_it_writes_reads_back_as_given) {
  DocumentPrinter printer;
  printer.comment(" a comment ");
  printer.open("doc");
  printer.attribute("v", kSpecials);
  printer.attribute("empty", "");
  printer.open("child");
  printer.attribute("w", std::string(kSpecials) + "\xc3\xa9");  // UTF-8 passes as it is
  printer.close();
  printer.close();
  auto parsed = parse_strict_document(printer.text(), "printed", kPrinted);
  ASSERT_TRUE(parsed) << parsed.error().message << "\n" << printer.text();
  EXPECT_EQ(parsed->root().Attribute("v"), kSpecials);
  EXPECT_STREQ(parsed->root().Attribute("empty"), "");
  const auto* child = parsed->root().FirstChildElement("child");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->Attribute("w"), std::string(kSpecials) + "\xc3\xa9");
}

TEST(XmlDocumentPrinter, element_names_need_not_outlive_the_call) {
  // XMLPrinter keeps a pointer to each open element's name until it is closed: names built on
  // the fly, deep enough to make the printer's own store of them grow, end as they began.
  DocumentPrinter printer;
  for (int depth = 0; depth < 40; ++depth) {
    printer.open(depth == 0 ? std::string("doc") : "level" + std::to_string(depth));
    printer.attribute("n", std::to_string(depth));
  }
  for (int depth = 0; depth < 40; ++depth) printer.close();
  auto parsed = parse_strict_document(printer.text(), "printed", kPrinted);
  ASSERT_TRUE(parsed) << parsed.error().message << "\n" << printer.text();
  const tinyxml2::XMLElement* element = &parsed->root();
  for (int depth = 1; depth < 40; ++depth) {
    element = element->FirstChildElement(("level" + std::to_string(depth)).c_str());
    ASSERT_NE(element, nullptr) << depth;
    EXPECT_EQ(element->Attribute("n"), std::to_string(depth));
  }
}

}  // namespace
}  // namespace gatelink::xml
