// The schema table: its defaults, the XSD that mirrors it, xmllint on the sample, the docs.

#include "config/config_schema.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "config/agent_config.hpp"
#include "config_test_support.hpp"

namespace gatelink {
namespace {

using ::testing::HasSubstr;

TEST(ConfigSchema, every_default_passes_its_own_row_check) {
  for (const auto& row : agent_config_schema()) {
    if (row.is_element() || row.default_value.empty()) continue;
    const auto checked = check_value(row, row.default_value);
    EXPECT_TRUE(checked) << row.element << "@" << row.attribute << ": " << checked.error().message;
  }
}

TEST(ConfigSchema, required_attributes_have_no_default) {
  for (const auto& row : agent_config_schema()) {
    if (!row.is_element() && row.required) {
      EXPECT_TRUE(row.default_value.empty()) << row.element << "@" << row.attribute;
    }
  }
}

TEST(ConfigSchema, every_row_belongs_to_an_element_declared_before_it) {
  std::vector<std::string_view> elements;
  for (const auto& row : agent_config_schema()) {
    if (row.is_element()) {
      const auto slash = row.element.rfind('/');
      if (slash != std::string_view::npos) {
        EXPECT_NE(std::find(elements.begin(), elements.end(), row.element.substr(0, slash)),
                  elements.end())
            << row.element;
      }
      EXPECT_EQ(std::count(elements.begin(), elements.end(), row.element), 0) << row.element;
      elements.push_back(row.element);
    } else {
      EXPECT_NE(std::find(elements.begin(), elements.end(), row.element), elements.end())
          << row.element << "@" << row.attribute;
    }
  }
}

/// An element or attribute as a schema declares it; attribute empty for an element.
struct Declared {
  std::string element;
  std::string attribute;
  bool required = false;
  std::string default_value;
  std::uint64_t min = 0;
  std::uint64_t max = 0;

  friend bool operator<(const Declared& a, const Declared& b) {
    return std::tie(a.element, a.attribute) < std::tie(b.element, b.attribute);
  }
  friend bool operator==(const Declared&, const Declared&) = default;
};

void PrintTo(const Declared& d, std::ostream* out) {
  *out << d.element << (d.attribute.empty() ? "" : "@") << d.attribute
       << (d.required ? " required" : " optional") << " default=\"" << d.default_value << "\" "
       << d.min << ".." << d.max;
}

std::vector<Declared> from_table() {
  std::vector<Declared> out;
  for (const auto& row : agent_config_schema()) {
    out.push_back({std::string(row.element), std::string(row.attribute), row.required,
                   std::string(row.default_value), row.min, row.max});
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Reads what config/agent.xsd declares: nested anonymous types, named simple types for
/// the text attributes, inline restrictions for the numbers.
class XsdReader {
 public:
  explicit XsdReader(const tinyxml2::XMLElement& schema) {
    for (auto* type = schema.FirstChildElement("xs:simpleType"); type;
         type = type->NextSiblingElement("xs:simpleType")) {
      named_types_[type->Attribute("name")] = type;
    }
    for (auto* element = schema.FirstChildElement("xs:element"); element;
         element = element->NextSiblingElement("xs:element")) {
      read_element(*element, "");
    }
    std::sort(declared_.begin(), declared_.end());
  }

  const std::vector<Declared>& declared() const { return declared_; }

 private:
  static std::uint64_t number(const char* text, std::uint64_t fallback) {
    if (!text) return fallback;
    return std::string_view(text) == "unbounded" ? ~std::uint64_t{0} : std::stoull(text);
  }

  static std::uint64_t facet(const tinyxml2::XMLElement& restriction, const char* a,
                             const char* b) {
    const auto* found = restriction.FirstChildElement(a);
    if (!found) found = restriction.FirstChildElement(b);
    return found ? number(found->Attribute("value"), 0) : 0;
  }

  void read_element(const tinyxml2::XMLElement& element, const std::string& parent) {
    const std::string path = (parent.empty() ? "" : parent + "/") + element.Attribute("name");
    const auto min = number(element.Attribute("minOccurs"), 1);
    declared_.push_back({path, "", min > 0, "", min, number(element.Attribute("maxOccurs"), 1)});
    const auto* type = element.FirstChildElement("xs:complexType");
    ASSERT_NE(type, nullptr) << path;
    for (auto* attribute = type->FirstChildElement("xs:attribute"); attribute;
         attribute = attribute->NextSiblingElement("xs:attribute")) {
      read_attribute(*attribute, path);
    }
    for (const char* group : {"xs:all", "xs:sequence"}) {
      const auto* children = type->FirstChildElement(group);
      for (auto* child = children ? children->FirstChildElement("xs:element") : nullptr; child;
           child = child->NextSiblingElement("xs:element")) {
        read_element(*child, path);
      }
    }
  }

  void read_attribute(const tinyxml2::XMLElement& attribute, const std::string& path) {
    const tinyxml2::XMLElement* simple = attribute.FirstChildElement("xs:simpleType");
    if (const char* type_name = attribute.Attribute("type")) simple = named_types_[type_name];
    ASSERT_NE(simple, nullptr) << path << "@" << attribute.Attribute("name");
    const auto* restriction = simple->FirstChildElement("xs:restriction");
    ASSERT_NE(restriction, nullptr) << path << "@" << attribute.Attribute("name");
    const char* use = attribute.Attribute("use");
    const char* default_value = attribute.Attribute("default");
    declared_.push_back(
        {path, attribute.Attribute("name"), use && std::string_view(use) == "required",
         default_value ? default_value : "", facet(*restriction, "xs:minInclusive", "xs:minLength"),
         facet(*restriction, "xs:maxInclusive", "xs:maxLength")});
  }

  std::map<std::string, const tinyxml2::XMLElement*, std::less<>> named_types_;
  std::vector<Declared> declared_;
};

TEST(ConfigSchema, xsd_declares_exactly_the_schema_table) {
#ifdef _WIN32
  GTEST_SKIP() << "config/agent.xsd declares the Linux defaults of <state dir> and <status socket>";
#endif
  const auto text = test::read_file(test::source_dir() / "config" / "agent.xsd");
  tinyxml2::XMLDocument xsd;
  ASSERT_EQ(xsd.Parse(text.data(), text.size()), tinyxml2::XML_SUCCESS) << xsd.ErrorStr();
  ASSERT_NE(xsd.RootElement(), nullptr);
  const XsdReader reader(*xsd.RootElement());
  EXPECT_EQ(reader.declared(), from_table());
}

TEST(ConfigSchema, sample_validates_against_the_xsd) {
  if (!test::have_xmllint()) GTEST_SKIP() << "xmllint is not on PATH";
  EXPECT_EQ(test::xmllint(test::source_dir() / "config" / "agent.xml", "agent.xsd"), 0);
}

TEST(ConfigSchema, xsd_refuses_what_the_agent_refuses) {
  if (!test::have_xmllint()) GTEST_SKIP() << "xmllint is not on PATH";
  test::ScratchDir dir;
  auto sample = test::read_file(test::source_dir() / "config" / "agent.xml");
  const std::pair<std::string, std::string> breakages[] = {
      {"misses=\"3\"", "misses=\"0\""},
      {"misses=\"3\"", "missed=\"3\""},
      {"misses=\"3\"", "misses=\"+3\""},
      {"management-group=\"EXAMPLE\"", ""},
      {"<state ", "<stat "},
      {"name=\"web01.example.test\"", "name=\"web 01\""},
  };
  for (const auto& [from, to] : breakages) {
    auto broken = sample;
    const auto at = broken.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    broken.replace(at, from.size(), to);
    ASSERT_FALSE(parse_agent_config(broken, "broken.xml")) << to;
    test::write_file(dir.path() / "broken.xml", broken);
    EXPECT_NE(test::xmllint(dir.path() / "broken.xml", "agent.xsd"), 0) << from << " -> " << to;
  }
}

TEST(ConfigSchema, reference_markdown_documents_every_row) {
  const auto doc = config_reference_markdown();
  for (const auto& row : agent_config_schema()) {
    if (row.is_element()) {
      EXPECT_THAT(doc, HasSubstr("## `<" + std::string(row.element_name()) + ">` (`" +
                                 std::string(row.element) + "`)"));
      EXPECT_THAT(doc, HasSubstr(std::string(row.help)));
      continue;
    }
    EXPECT_THAT(doc, HasSubstr("| `" + std::string(row.attribute) + "` |"));
    if (!row.default_value.empty()) {
      EXPECT_THAT(doc, HasSubstr(std::string("`").append(row.default_value).append("`")));
    }
  }
  EXPECT_THAT(doc, HasSubstr("| `interval-ms` | milliseconds | `1000` | 50..600000 |"));
  EXPECT_THAT(doc, HasSubstr("| `key` | path | required |"));
}

}  // namespace
}  // namespace gatelink
