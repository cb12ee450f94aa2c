#include "xml/element_reader.hpp"

#include <tinyxml2.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>

#include "xml/strict_xml.hpp"

namespace gatelink::xml {

Result<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty()) return Error{"is empty"};
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error{"is not a decimal number"};
  }
  if (text.size() > 1 && text.front() == '0') return Error{"has a leading zero"};
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error{"is larger than " + std::to_string(UINT64_MAX)};
  }
  return value;
}

Error ElementReader::fail(int line, const std::string& what) const {
  return located(source_, line, what);
}

Error ElementReader::attribute_error(const tinyxml2::XMLElement& element,
                                     const tinyxml2::XMLAttribute& attr,
                                     const Error& problem) const {
  return fail(attr.GetLineNum(), tag(element.Name()) + " " + attr.Name() + "=\"" +
                                     echo(attr.Value()) + "\": " + problem.message);
}

std::optional<Error> ElementReader::check_version(const tinyxml2::XMLElement& element,
                                                  unsigned version) const {
  const auto* attr = element.FindAttribute("version");
  if (!attr) {
    return fail(element.GetLineNum(),
                tag(element.Name()) + ": missing required attribute \"version\"");
  }
  const std::string_view text = attr->Value();
  if (text == std::to_string(version)) return std::nullopt;
  const auto number = parse_decimal(text);
  if (number && *number > version) {
    return attribute_error(
        element, *attr,
        Error{"written by a newer gatelink (document version " + std::string(text) +
              "; this build reads version " + std::to_string(version) + "); refusing to read it"});
  }
  return attribute_error(
      element, *attr,
      Error{"unsupported document version (expected " + std::to_string(version) + ")"});
}

std::optional<Error> ElementReader::check_attributes(const tinyxml2::XMLElement& element,
                                                     std::span<const AttributeRule> rules) const {
  for (const auto* attr = element.FirstAttribute(); attr; attr = attr->Next()) {
    const std::string_view name = attr->Name();
    if (std::none_of(rules.begin(), rules.end(), [&](auto& r) { return r.name == name; })) {
      std::string expected;
      for (const auto& rule : rules) {
        expected += (expected.empty() ? "" : ", ") + std::string(rule.name);
      }
      return fail(attr->GetLineNum(), tag(element.Name()) + ": unknown attribute \"" + echo(name) +
                                          "\" (expected: " + expected + ")");
    }
  }
  for (const auto& rule : rules) {
    if (rule.required && !element.FindAttribute(std::string(rule.name).c_str())) {
      return fail(element.GetLineNum(), tag(element.Name()) + ": missing required attribute \"" +
                                            std::string(rule.name) + "\"");
    }
  }
  return std::nullopt;
}

std::optional<Error> ElementReader::check_no_text(const tinyxml2::XMLNode& node) const {
  if (node.ToComment()) return std::nullopt;
  if (const auto* text = node.ToText()) {
    if (is_blank(text->Value())) return std::nullopt;
    return fail(node.GetLineNum(), tag(node.Parent()->Value()) + ": unexpected text \"" +
                                       echo(trimmed(text->Value())) + "\"");
  }
  return fail(node.GetLineNum(), tag(node.Parent()->Value()) + ": unexpected markup");
}

std::optional<Error> ElementReader::check_empty(const tinyxml2::XMLElement& element) const {
  for (const auto* child = element.FirstChild(); child; child = child->NextSibling()) {
    if (child->ToElement()) {
      return fail(child->GetLineNum(),
                  tag(element.Name()) + ": unexpected element " + tag(echo(child->Value())));
    }
    if (auto error = check_no_text(*child)) return error;
  }
  return std::nullopt;
}

Result<std::uint64_t> ElementReader::decimal(const tinyxml2::XMLElement& element,
                                             const char* name) const {
  const auto* attr = element.FindAttribute(name);
  if (!attr) {
    return fail(element.GetLineNum(),
                tag(element.Name()) + ": missing required attribute \"" + name + "\"");
  }
  auto value = parse_decimal(attr->Value());
  if (!value) return attribute_error(element, *attr, value.error());
  return value;
}

}  // namespace gatelink::xml
