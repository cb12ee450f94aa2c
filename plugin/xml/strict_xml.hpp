#pragma once
// What every strictly parsed XML file of gatelink shares (the agent configuration, the persisted
// topology): errors located as "FILE:LINE: what" and values echoed safely. The prologue that
// every such file passes first is parse_strict_document() (parsed_document.hpp).

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace gatelink::xml {

/// "FILE:LINE: what": the form of every error about a file's content.
Error located(std::string_view source, int line, const std::string& what);
/// "FILE: larger than N bytes (K KiB); refusing to parse it": a file over its bound, whether its
/// reader or the parser found it so.
Error too_large(std::string_view source, std::size_t max_bytes);
/// A value for a message: cut to a bounded length, control characters as '?'.
std::string echo(std::string_view text);
/// `<name>`.
std::string tag(std::string_view name);
/// Only XML white space.
bool is_blank(std::string_view text);
/// Text without surrounding XML white space.
std::string_view trimmed(std::string_view text);

}  // namespace gatelink::xml
