// The settle rule of the file watch, in virtual time: a burst of changes is reported once it has
// been quiet for the settle time, and at the latest four settle times after its first change.

#include <gtest/gtest.h>

#include <chrono>

#include "tls/settle_timer.hpp"

namespace gatelink::tls {
namespace {

using namespace std::chrono_literals;
using SettleClock = SettleTimer::Clock;

constexpr auto kSettleTime = 250ms;
const SettleClock::time_point kFirstChange{10s};

TEST(SettleTimerBurst, a_lone_change_is_reported_one_settle_time_later) {
  SettleTimer::Burst burst(kSettleTime);
  EXPECT_EQ(burst.change(kFirstChange), kFirstChange + kSettleTime);
}

TEST(SettleTimerBurst, each_change_pushes_the_report_back) {
  SettleTimer::Burst burst(kSettleTime);
  burst.change(kFirstChange);
  EXPECT_EQ(burst.change(kFirstChange + 100ms), kFirstChange + 100ms + kSettleTime);
  EXPECT_EQ(burst.change(kFirstChange + 300ms), kFirstChange + 300ms + kSettleTime);
}

TEST(SettleTimerBurst, a_burst_that_never_settles_is_reported_four_settle_times_after_it_began) {
  SettleTimer::Burst burst(kSettleTime);
  const auto limit = kFirstChange + SettleTimer::kMaxSettleFactor * kSettleTime;
  burst.change(kFirstChange);
  // A change every 100 ms, well within the settle time, up to the limit.
  for (auto at = kFirstChange + 100ms; at < limit; at += 100ms) {
    EXPECT_LE(burst.change(at), limit);
  }
  EXPECT_EQ(burst.change(limit - 1ms), limit);
}

TEST(SettleTimerBurst, a_change_after_the_report_starts_a_new_burst) {
  SettleTimer::Burst burst(kSettleTime);
  burst.change(kFirstChange);
  burst.reported();
  const auto later = kFirstChange + 1h;
  EXPECT_EQ(burst.change(later), later + kSettleTime);
  for (auto at = later + 100ms; at < later + 2s; at += 100ms) burst.change(at);
  EXPECT_EQ(burst.change(later + 2s), later + SettleTimer::kMaxSettleFactor * kSettleTime);
}

}  // namespace
}  // namespace gatelink::tls
