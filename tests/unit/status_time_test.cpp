#include "status/status_time.hpp"

#include <gtest/gtest.h>

namespace gatelink {
namespace {

using namespace std::chrono;

WallTime at(int y, unsigned mo, unsigned d, int h, int mi, int s, milliseconds ms = {}) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + ms;
}

TEST(StatusTime, formats_utc_with_milliseconds) {
  EXPECT_EQ(format_utc_time(at(2026, 11, 25, 16, 15, 16, milliseconds{123})),
            "2026-11-25T16:15:16.123Z");
  EXPECT_EQ(format_utc_time(WallTime{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_time(at(2028, 2, 29, 23, 59, 59, milliseconds{999})),
            "2028-02-29T23:59:59.999Z");
}

TEST(StatusTime, cuts_below_the_millisecond_instead_of_rounding_into_the_next_second) {
  const WallTime almost = at(2026, 12, 31, 23, 59, 59) + microseconds{999'999};
  EXPECT_EQ(format_utc_time(almost), "2026-12-31T23:59:59.999Z");
}

TEST(StatusTime, parses_what_it_formats) {
  const WallTime time = at(2026, 11, 25, 16, 15, 16, milliseconds{123});
  EXPECT_EQ(parse_utc_time(format_utc_time(time)), time);
  EXPECT_EQ(parse_utc_time("2026-11-25T16:15:16Z"), at(2026, 11, 25, 16, 15, 16));
  EXPECT_EQ(parse_utc_time("2026-11-25T16:15:16.5Z"),
            at(2026, 11, 25, 16, 15, 16, milliseconds{500}));
  EXPECT_EQ(parse_utc_time("2026-11-25T16:15:16.000001Z"),
            at(2026, 11, 25, 16, 15, 16) + microseconds{1});
}

TEST(StatusTime, malformed_times_are_rejected) {
  for (const char* bad : {"", "2026-11-25", "2026-11-25 16:15:16Z", "2026-11-25T16:15:16",
                          "2026-11-25T16:15:16+01:00", "2026-13-25T16:15:16Z",
                          "2026-02-30T16:15:16Z", "2026-11-25T24:00:00Z", "2026-11-25T16:60:16Z",
                          "2026-11-25T16:15:16.Z", "2026-11-25T16:15:16.1234567890Z",
                          "2026-11-25T16:15:16.123Zjunk", "20x6-11-25T16:15:16Z"}) {
    EXPECT_FALSE(parse_utc_time(bad).has_value()) << bad;
  }
}

TEST(StatusTime, years_that_would_wrap_around_are_rejected) {
  // Found by tests/fuzz/topology_xml_fuzz: year 1013 wrapped to 2183 and did not read back.
  for (const char* bad : {"1013-11-25T16:15:16.130Z", "1969-12-31T23:59:59Z",
                          "2201-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    EXPECT_FALSE(parse_utc_time(bad).has_value()) << bad;
  }
  for (const char* good : {"1970-01-01T00:00:00Z", "2200-12-31T23:59:59.999Z"}) {
    const auto parsed = parse_utc_time(good);
    ASSERT_TRUE(parsed.has_value()) << good;
    EXPECT_EQ(parse_utc_time(format_utc_time(*parsed)), parsed) << good;
  }
}

}  // namespace
}  // namespace gatelink
