#pragma once
// Reading the agent's status document as gatelinkctl gets it: gatelinkctl may talk to an agent
// of another version, so every field may be missing, null or of an unexpected type. Every string
// read here goes through printable() (common/escape.hpp): names and errors come from gateways
// and certificates, and no escape sequence or bidi override may reach a terminal.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "status/status_snapshot.hpp"

namespace gatelink::status_document {

using Json = nlohmann::ordered_json;

/// Shown for what a document lacks.
inline constexpr std::string_view kMissing = "—";

/// `object[key]`, or nullptr when `object` is not an object, lacks the key or holds null there.
const Json* member(const Json* object, const char* key);

/// A value as text: a string as it is, anything else as its JSON, a missing one as `—`.
std::string text(const Json* value);
inline std::string text(const Json* object, const char* key) { return text(member(object, key)); }

/// A string member as printable text, or nullopt when missing or not a string.
std::optional<std::string> string_of(const Json* object, const char* key);

/// A string member exactly as sent (not yet printable: for functions that escape it themselves,
/// such as error_phrase()), or nullopt when missing or not a string.
std::optional<std::string> raw_string_of(const Json* object, const char* key);

/// The phrase for an object's `last_error` (a gateway row, a pending topology), with its
/// `last_error_detail` where that says more (status/error_phrase.hpp); nullopt when the object
/// has no string `last_error`.
std::optional<std::string> last_error_phrase(const Json* object);

/// An unsigned integer member, or nullopt.
std::optional<std::uint64_t> count_of(const Json* object, const char* key);

/// A list as `a, b, c` (`none` when empty); anything else as text().
std::string list_text(const Json* value);

/// A time the document carries (status/status_time.hpp), or nullopt.
std::optional<WallTime> time_of(const Json* value);

/// `2026-11-25 16:15:16Z`.
std::string date_and_time(WallTime time);

/// `16:18:27Z` on the day of `now`, the full date and time on any other.
std::string short_time(WallTime time, WallTime now);

/// `2026-11-25 16:15:16Z (3m12s)` for the past, `... (in 4s)` for the future; a time that does
/// not parse is shown as sent.
std::string moment(const Json* value, WallTime now);

/// `in 4s` for the future, `now` for the past (a due time the agent has not acted on yet).
std::string due_in(WallTime time, WallTime now);

/// Formats a span as its two largest units: `45s`, `3m12s`, `2h05m`, `3d04h`.
std::string format_span(std::chrono::seconds span);

/// The name an operator knows a gateway by: the server name of `name@host:port`, else the
/// address itself.
std::string gateway_label(const std::string& address);

}  // namespace gatelink::status_document
