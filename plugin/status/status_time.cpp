#include "status/status_time.hpp"

#include <array>
#include <cstdio>

namespace gatelink {
namespace {

/// Reads exactly `count` decimal digits at `pos`; nullopt if any is not a digit.
std::optional<int> read_digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string format_utc_time(WallTime time) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(time);
  const auto day = floor<days>(millis);
  const year_month_day date{day};
  const hh_mm_ss clock{millis - day};
  std::array<char, 64> text{};
  const int length = std::snprintf(
      text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
      static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
      static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
      static_cast<int>(clock.minutes().count()), static_cast<int>(clock.seconds().count()),
      static_cast<int>(clock.subseconds().count()));
  return std::string(text.data(), static_cast<std::size_t>(length));
}

namespace {
constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2200;
}  // namespace

std::optional<WallTime> parse_utc_time(std::string_view text) {
  using namespace std::chrono;
  constexpr std::string_view kPunctuation = "--T::";
  constexpr std::array<std::size_t, 5> kPunctuationAt = {4, 7, 10, 13, 16};
  constexpr std::size_t kSecondsEnd = 19;
  constexpr std::size_t kMaxFractionDigits = 9;  // nanoseconds, system_clock's resolution here

  if (text.size() < kSecondsEnd + 1) return std::nullopt;
  for (std::size_t i = 0; i < kPunctuationAt.size(); ++i) {
    if (text[kPunctuationAt[i]] != kPunctuation[i]) return std::nullopt;
  }
  const auto y = read_digits(text, 0, 4);
  const auto mo = read_digits(text, 5, 2);
  const auto d = read_digits(text, 8, 2);
  const auto h = read_digits(text, 11, 2);
  const auto mi = read_digits(text, 14, 2);
  const auto s = read_digits(text, 17, 2);
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  if (*h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  // WallTime counts nanoseconds in 64 bits: years outside about 1678..2262 would wrap around.
  // Nothing gatelink stamps lies before the epoch or centuries ahead.
  if (*y < kFirstYear || *y > kLastYear) return std::nullopt;
  const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)},
                            day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;

  std::size_t pos = kSecondsEnd;
  nanoseconds fraction{0};
  if (text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    std::int64_t scale = 1'000'000'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > kMaxFractionDigits) return std::nullopt;
      scale /= 10;
      fraction += nanoseconds{(text[pos] - '0') * scale};
      ++pos;
    }
    if (digits == 0) return std::nullopt;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return std::nullopt;

  const auto instant = sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s} + fraction;
  return time_point_cast<WallTime::duration>(instant);
}

}  // namespace gatelink
