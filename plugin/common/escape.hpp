#pragma once
// Strings that came from a peer (names, reasons, messages, addresses) are data: wherever they
// are logged or shown they go through escaped(), so that no peer can forge a log line, split a
// key=value field or send control sequences to an operator's terminal (DESIGN "Who may reach
// what"). A plain word stays as it is, so logs stay readable and greppable; anything else is
// quoted and escaped by fmt's debug format: C0 and C1 controls, bidi overrides and other
// non-printable code points as \x.. or \u{..}, invalid UTF-8 byte by byte, quotes and
// backslashes escaped.

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace gatelink {

/// Whether `text` can stand bare in a key=value log line: printable ASCII without space, quote,
/// backslash or '='.
constexpr bool is_plain_word(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
           return c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=' && c != '\'';
         });
}

/// `text` as it may appear in a log line or on a terminal: bare when a plain word, else
/// "quoted \x1b escaped".
inline std::string escaped(std::string_view text) {
  if (is_plain_word(text)) return std::string(text);
  return fmt::format("{:?}", text);
}

/// `text` for a person's terminal, without quotes: printable characters (other scripts
/// included) as they are, and everything a terminal could act on (C0 and C1 controls, bidi
/// overrides, invalid UTF-8) escaped the way escaped() does.
inline std::string printable(std::string_view text) {
  std::string quoted = fmt::format("{:?}", text);
  return quoted.substr(1, quoted.size() - 2);
}

}  // namespace gatelink
