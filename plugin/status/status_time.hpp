#pragma once
// Wall-clock times as the status JSON carries them: ISO-8601 in UTC with milliseconds,
// `2026-11-25T16:15:16.123Z`, so that readers in any time zone see the same instant.

#include <optional>
#include <string>
#include <string_view>

#include "status/status_snapshot.hpp"

namespace gatelink {

/// `2026-11-25T16:15:16.123Z`; sub-millisecond digits are cut, not rounded.
std::string format_utc_time(WallTime time);

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (1 to 9 fraction digits, years 1970 to 2200);
/// nullopt when malformed or out of that range.
std::optional<WallTime> parse_utc_time(std::string_view text);

}  // namespace gatelink
