#include "xml/parsed_document.hpp"

#include <tinyxml2.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xml/strict_xml.hpp"

namespace gatelink::xml {

namespace {

int line_of(std::string_view text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

/// `<name>` with its article, as in "expected an <agent> element".
std::string tag_with_article(std::string_view name) {
  const bool vowel = !name.empty() && std::string_view("aeiouAEIOU").find(name[0]) != name.npos;
  return (vowel ? "an " : "a ") + tag(name);
}

/// Names what tinyxml2's XML_ERROR_PARSING_ATTRIBUTE does not: an attribute given twice in the
/// tag of `element` that ends on `line`. Only a diagnosis; tinyxml2 has already refused.
std::optional<std::string> repeated_attribute(std::string_view text, int line,
                                              std::string_view element) {
  std::size_t line_end = 0;
  for (int i = 0; i < line && line_end != std::string_view::npos; ++i) {
    line_end = text.find('\n', i == 0 ? 0 : line_end + 1);
  }
  const auto head = text.substr(0, line_end);
  const auto start = head.rfind(std::string("<").append(element));
  if (start == std::string_view::npos || element.empty()) return std::nullopt;
  std::vector<std::string_view> seen;
  std::size_t at = start + 1 + element.size();
  while (at < head.size()) {
    at = head.find_first_not_of(" \t\r\n", at);
    if (at == std::string_view::npos || head[at] == '>' || head[at] == '/') break;
    const auto name_end = head.find_first_of("= \t\r\n", at);
    if (name_end == std::string_view::npos) break;
    const auto name = head.substr(at, name_end - at);
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) return std::string(name);
    seen.push_back(name);
    const auto quote = head.find_first_of("\"'", name_end);
    if (quote == std::string_view::npos) break;
    const auto close = head.find(head[quote], quote + 1);
    if (close == std::string_view::npos) break;
    at = close + 1;
  }
  return std::nullopt;
}

/// tinyxml2's refusal of `text` in words; `root` is the element the document should hold.
std::string syntax_problem(const tinyxml2::XMLDocument& doc, std::string_view text,
                           std::string_view root) {
  // tinyxml2 names the element only inside its ErrorStr(): "... XMLElement name=NAME".
  static constexpr std::string_view kElementMarker = "XMLElement name=";
  const std::string_view detail = doc.ErrorStr();
  const auto marker = detail.find(kElementMarker);
  const auto element = marker == std::string_view::npos
                           ? std::string_view()
                           : detail.substr(marker + kElementMarker.size());
  const auto in_element = element.empty() ? std::string() : " in " + tag(echo(element));
  switch (doc.ErrorID()) {
    case tinyxml2::XML_ERROR_PARSING_ATTRIBUTE:
      if (auto name = repeated_attribute(text, doc.ErrorLineNum(), element)) {
        return "attribute \"" + echo(*name) + "\" given twice" + in_element;
      }
      return "malformed attribute" + in_element + " (values go in quotes: name=\"value\")";
    case tinyxml2::XML_ERROR_MISMATCHED_ELEMENT:  // reported at the line of the start tag
      return (element.empty() ? "an element" : tag(echo(element))) +
             " is closed by a different end tag";
    case tinyxml2::XML_ERROR_PARSING_ELEMENT:
      return "malformed element" + in_element;
    case tinyxml2::XML_ERROR_PARSING_COMMENT:
      return "malformed or unterminated comment";
    case tinyxml2::XML_ERROR_PARSING_TEXT:
    case tinyxml2::XML_ERROR_PARSING_CDATA:
      return "malformed text, or text outside " + tag(root);
    case tinyxml2::XML_ERROR_PARSING_DECLARATION:
    case tinyxml2::XML_ERROR_PARSING_UNKNOWN:
      return "malformed declaration";
    case tinyxml2::XML_ERROR_EMPTY_DOCUMENT:
      return "no XML in the file; expected " + tag_with_article(root) + " element";
    case tinyxml2::XML_ELEMENT_DEPTH_EXCEEDED:
      return "elements nested too deeply";
    default:
      return "malformed XML (an element not closed, or the file cut short?)";
  }
}

/// The document's single root element, which must be `<rules.root>` (or `<rules.older_root>`),
/// with nothing around it but
/// an XML declaration first, comments and blank text.
Result<const tinyxml2::XMLElement*> find_root(const tinyxml2::XMLDocument& doc,
                                              std::string_view source, const DocumentRules& rules) {
  const std::string_view root_name = rules.root;
  const auto fail = [&](int line, const std::string& what) { return located(source, line, what); };
  const tinyxml2::XMLElement* root = nullptr;
  for (const auto* node = doc.FirstChild(); node; node = node->NextSibling()) {
    if (node->ToComment()) continue;
    if (const auto* declaration = node->ToDeclaration()) {
      const std::string_view value = declaration->Value();
      const bool is_xml = value == "xml" || value.substr(0, 4) == "xml ";
      if (!is_xml || node != doc.FirstChild()) {
        return fail(node->GetLineNum(), "processing instructions are not allowed");
      }
      continue;
    }
    if (const auto* element = node->ToElement()) {
      if (root) {
        return fail(element->GetLineNum(), "second root element " + tag(echo(element->Name())) +
                                               "; the file holds one " + tag(root_name));
      }
      const std::string_view name = element->Name();
      if (name != root_name && (rules.older_root.empty() || name != rules.older_root)) {
        return fail(element->GetLineNum(), "root element is " + tag(echo(element->Name())) +
                                               "; expected " + tag(root_name));
      }
      root = element;
      continue;
    }
    if (node->ToText() && is_blank(node->Value())) continue;
    return fail(node->GetLineNum(), node->ToUnknown()
                                        ? "DOCTYPE and other declarations are not allowed"
                                        : "unexpected text outside " + tag(root_name));
  }
  if (!root) return fail(1, "no " + tag(root_name) + " element");
  return root;
}

}  // namespace

ParsedDocument::ParsedDocument(std::unique_ptr<tinyxml2::XMLDocument> doc,
                               const tinyxml2::XMLElement& root)
    : doc_(std::move(doc)), root_(&root) {}
ParsedDocument::ParsedDocument(ParsedDocument&& other) noexcept = default;
ParsedDocument& ParsedDocument::operator=(ParsedDocument&& other) noexcept = default;
ParsedDocument::~ParsedDocument() = default;

Result<ParsedDocument> parse_strict_document(std::string_view text, std::string_view source,
                                             const DocumentRules& rules) {
  if (text.size() > rules.max_bytes) return too_large(source, rules.max_bytes);
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return located(source, line_of(text, nul), "NUL byte in the file");
  }
  auto doc = std::make_unique<tinyxml2::XMLDocument>(true, tinyxml2::PRESERVE_WHITESPACE);
  if (doc->Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
    return located(source, doc->ErrorLineNum(),
                   "XML syntax error: " + syntax_problem(*doc, text, rules.root));
  }
  auto root = find_root(*doc, source, rules);
  if (!root) return root.error();
  return ParsedDocument(std::move(doc), **root);
}

}  // namespace gatelink::xml
