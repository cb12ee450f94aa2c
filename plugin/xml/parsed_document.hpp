#pragma once
// The one strict prologue of gatelink's XML files (the agent configuration, the persisted
// topology): a bounded size, no NUL byte, tinyxml2's syntax errors said as
// "FILE:LINE: XML syntax error: what", and one root element of the expected name with nothing
// around it but an XML declaration, comments and white space. What the root holds is the
// caller's to check, against its own tables.

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/result.hpp"

namespace tinyxml2 {
class XMLDocument;
class XMLElement;
}  // namespace tinyxml2

namespace gatelink::xml {

/// What a kind of document must be before its content is read.
struct DocumentRules {
  std::string_view root;      ///< name of the one root element
  std::size_t max_bytes = 0;  ///< larger texts are refused before parsing
  /// A second name the root may have: the format an older build wrote and this one still
  /// reads. The caller looks at root().Name() to tell them apart.
  std::string_view older_root = {};
};

/// A document that passed the prologue: the parsed tree (white space kept, entities decoded)
/// and its root element.
class ParsedDocument {
 public:
  ParsedDocument(ParsedDocument&& other) noexcept;
  ParsedDocument& operator=(ParsedDocument&& other) noexcept;
  ~ParsedDocument();

  /// The root element, named as DocumentRules::root says; valid while this document lives.
  const tinyxml2::XMLElement& root() const { return *root_; }

 private:
  friend Result<ParsedDocument> parse_strict_document(std::string_view text,
                                                      std::string_view source,
                                                      const DocumentRules& rules);
  ParsedDocument(std::unique_ptr<tinyxml2::XMLDocument> doc, const tinyxml2::XMLElement& root);

  std::unique_ptr<tinyxml2::XMLDocument> doc_;
  const tinyxml2::XMLElement* root_;
};

/// Parses `text`, named `source` in messages, through the prologue: every refusal is
/// "SOURCE:LINE: what", or "SOURCE: larger than ..." for a text over rules.max_bytes.
Result<ParsedDocument> parse_strict_document(std::string_view text, std::string_view source,
                                             const DocumentRules& rules);

}  // namespace gatelink::xml
