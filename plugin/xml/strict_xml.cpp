#include "xml/strict_xml.hpp"

#include <tinyxml2.h>

#include <algorithm>

namespace gatelink::xml {

namespace {
constexpr std::size_t kMaxEchoed = 60;  // longer values are cut in messages
constexpr std::string_view kXmlSpace = " \t\r\n";
}  // namespace

Error located(std::string_view source, int line, const std::string& what) {
  return Error{std::string(source) + ":" + std::to_string(std::max(line, 1)) + ": " + what};
}

std::string echo(std::string_view text) {
  std::string out(text.substr(0, kMaxEchoed));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, '?');
  return text.size() > kMaxEchoed ? out + "..." : out;
}

// Appended, not `"<" + std::string(name)`: GCC 12 at -O3 warns falsely on that form (-Wrestrict,
// https://gcc.gnu.org/bugzilla/show_bug.cgi?id=105329).
std::string tag(std::string_view name) { return std::string("<").append(name).append(">"); }

bool is_blank(std::string_view text) { return text.find_first_not_of(kXmlSpace) == text.npos; }

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(kXmlSpace);
  return first == text.npos ? "" : text.substr(first, text.find_last_not_of(kXmlSpace) - first + 1);
}

Result<const tinyxml2::XMLElement*> find_root(const tinyxml2::XMLDocument& doc,
                                              std::string_view source, std::string_view root_name,
                                              std::string_view second_root_hint) {
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
                                               "; " + std::string(second_root_hint));
      }
      if (std::string_view(element->Name()) != root_name) {
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

}  // namespace gatelink::xml
