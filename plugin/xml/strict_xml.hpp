#pragma once
// What every strictly parsed XML file of gatelink shares (the agent configuration, the persisted
// topology): errors located as "FILE:LINE: what", values echoed safely, and one root element
// with nothing around it but an XML declaration, comments and white space.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tinyxml2 {
class XMLDocument;
class XMLElement;
}  // namespace tinyxml2

namespace gatelink::xml {

/// "FILE:LINE: what": the form of every error about a file's content.
Error located(std::string_view source, int line, const std::string& what);
/// A value for a message: cut to a bounded length, control characters as '?'.
std::string echo(std::string_view text);
/// `<name>`.
std::string tag(std::string_view name);
/// Only XML white space.
bool is_blank(std::string_view text);
/// Text without surrounding XML white space.
std::string_view trimmed(std::string_view text);

/// The document's single root element, which must be `<root_name>`. `second_root_hint` ends
/// the message about a second root element.
Result<const tinyxml2::XMLElement*> find_root(const tinyxml2::XMLDocument& doc,
                                              std::string_view source, std::string_view root_name,
                                              std::string_view second_root_hint);

}  // namespace gatelink::xml
