#pragma once
// The checks every strictly read element of gatelink's XML files makes after the prologue
// (parsed_document.hpp): only the attributes its table allows, the required ones present, a
// version this build reads, plain decimal numbers, nothing but comments and white space where no
// content belongs. Every error is "SOURCE:LINE: what", values echoed safely.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tinyxml2 {
class XMLAttribute;
class XMLElement;
class XMLNode;
}  // namespace tinyxml2

namespace gatelink::xml {

/// An attribute an element may carry.
struct AttributeRule {
  std::string_view name;
  bool required = false;
};

/// Plain decimal without sign, spaces or leading zeros, as gatelink writes numbers.
Result<std::uint64_t> parse_decimal(std::string_view text);

/// Reads the elements of one document, named `source` in errors.
class ElementReader {
 public:
  explicit ElementReader(std::string_view source) : source_(source) {}

  /// "SOURCE:LINE: what".
  Error fail(int line, const std::string& what) const;
  /// "SOURCE:LINE: <element> name="value": problem", at the attribute's line.
  Error attribute_error(const tinyxml2::XMLElement& element, const tinyxml2::XMLAttribute& attr,
                        const Error& problem) const;

  /// The element's `version` attribute must be `version`; a greater one is "written by a newer
  /// gatelink". Checked first: a newer writer may add what this reader would call unknown.
  std::optional<Error> check_version(const tinyxml2::XMLElement& element, unsigned version) const;
  /// Only attributes of `rules`, and every required one.
  std::optional<Error> check_attributes(const tinyxml2::XMLElement& element,
                                        std::span<const AttributeRule> rules) const;
  /// A node where no content belongs: a comment or white space, nothing else.
  std::optional<Error> check_no_text(const tinyxml2::XMLNode& node) const;
  /// An element without children but comments and white space.
  std::optional<Error> check_empty(const tinyxml2::XMLElement& element) const;
  /// The plain decimal value of the element's attribute `name`, which check_attributes() has
  /// found present.
  Result<std::uint64_t> decimal(const tinyxml2::XMLElement& element, const char* name) const;

 private:
  std::string_view source_;
};

}  // namespace gatelink::xml
