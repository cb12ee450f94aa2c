// A busy answer's retry-after follows the pace the gateway's handshakes finish at: those ahead
// divided by that pace, within the floor and the cap; the pace's window (2 s) while it is
// unknown or gone stale. Virtual time: instants are built, never read.

#include <gtest/gtest.h>

#include <chrono>

#include "busy_retry.hpp"

namespace gatelink::gateway {
namespace {

using namespace std::chrono_literals;
using Millis = BusyRetry::Millis;

const BusyRetry::Clock::time_point kNow{std::chrono::hours(1)};

/// `n` handshakes finished at `at`.
void finish(BusyRetry& retry, int n, BusyRetry::Clock::time_point at) {
  for (int i = 0; i < n; ++i) retry.finished(at);
}

TEST(BusyRetry, the_window_while_no_handshake_has_finished) {
  BusyRetry retry(250ms, 5000ms);
  EXPECT_EQ(retry.retry_after(100, kNow), 2000ms);
  EXPECT_EQ(retry.per_second(kNow), 0.0);
  BusyRetry short_cap(250ms, 1500ms);
  EXPECT_EQ(short_cap.retry_after(100, kNow), 1500ms);
}

TEST(BusyRetry, those_ahead_at_the_recent_pace) {
  BusyRetry retry(250ms, 5000ms);
  finish(retry, 400, kNow);  // 200 a second over the window
  EXPECT_DOUBLE_EQ(retry.per_second(kNow), 200.0);
  EXPECT_EQ(retry.retry_after(300, kNow), 1500ms);
  EXPECT_EQ(retry.retry_after(900, kNow), 4500ms);
  EXPECT_EQ(retry.retry_after(1001, kNow), 5000ms);  // 5005 ms: held to the cap
  EXPECT_EQ(retry.retry_after(10, kNow), 250ms);     // 50 ms: never back at once
}

TEST(BusyRetry, a_slower_pace_asks_for_longer) {
  BusyRetry fast(250ms, 60000ms);
  BusyRetry slow(250ms, 60000ms);
  finish(fast, 600, kNow);
  finish(slow, 60, kNow);
  EXPECT_EQ(fast.retry_after(300, kNow), 1000ms);
  EXPECT_EQ(slow.retry_after(300, kNow), 10000ms);
}

TEST(BusyRetry, the_pace_forgets_what_is_older_than_its_window) {
  BusyRetry retry(250ms, 5000ms);
  finish(retry, 200, kNow - 1500ms);
  finish(retry, 200, kNow);
  EXPECT_DOUBLE_EQ(retry.per_second(kNow), 200.0);
  // 600 ms on, the earlier 200 are more than 2 s old.
  EXPECT_DOUBLE_EQ(retry.per_second(kNow + 600ms), 100.0);
  EXPECT_EQ(retry.retry_after(100, kNow + 600ms), 1000ms);
  // A quiet gateway knows no pace again.
  EXPECT_EQ(retry.per_second(kNow + 2000ms), 0.0);
  EXPECT_EQ(retry.retry_after(100, kNow + 2000ms), 2000ms);
  // Long quiet, then busy again: only the new handshakes count.
  finish(retry, 4, kNow + 1h);
  EXPECT_DOUBLE_EQ(retry.per_second(kNow + 1h), 2.0);
  EXPECT_EQ(retry.retry_after(1, kNow + 1h), 500ms);
}

TEST(BusyRetry, a_floor_above_the_cap_gives_way_to_the_cap) {
  BusyRetry retry(250ms, 100ms);
  finish(retry, 400, kNow);
  EXPECT_EQ(retry.retry_after(1, kNow), 100ms);
  BusyRetry never(250ms, 0ms);
  EXPECT_EQ(never.retry_after(1, kNow), 0ms);
}

}  // namespace
}  // namespace gatelink::gateway
