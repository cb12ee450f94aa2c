// Accept failures wait, longer each time up to a cap, and are logged at most once a period with
// the count they stand for: out of descriptors the gateway neither spins nor floods its log.

#include <gtest/gtest.h>

#include <chrono>

#include "accept_backoff.hpp"
#include "log_throttle.hpp"

namespace gatelink::gateway {
namespace {

using namespace std::chrono_literals;

TEST(AcceptBackoff, waits_grow_from_the_first_to_the_cap) {
  AcceptBackoff backoff(10ms, 1000ms);
  EXPECT_EQ(backoff.failed(), 10ms);
  EXPECT_EQ(backoff.failed(), 20ms);
  EXPECT_EQ(backoff.failed(), 40ms);
  EXPECT_EQ(backoff.failed(), 80ms);
  EXPECT_EQ(backoff.failed(), 160ms);
  EXPECT_EQ(backoff.failed(), 320ms);
  EXPECT_EQ(backoff.failed(), 640ms);
  EXPECT_EQ(backoff.failed(), 1000ms);
  EXPECT_EQ(backoff.failed(), 1000ms);
}

TEST(AcceptBackoff, an_accept_that_works_starts_over) {
  AcceptBackoff backoff(10ms, 1000ms);
  for (int i = 0; i < 20; ++i) backoff.failed();
  backoff.succeeded();
  EXPECT_EQ(backoff.failed(), 10ms);
}

TEST(LogThrottle, logs_the_first_at_once_then_one_line_a_period_with_the_count) {
  LogThrottle throttle(1s);
  const LogThrottle::Clock::time_point t0{};
  EXPECT_EQ(throttle.event(t0), 1u);
  for (int i = 1; i <= 499; ++i) EXPECT_EQ(throttle.event(t0 + i * 1ms), std::nullopt);
  EXPECT_EQ(throttle.event(t0 + 1s), 500u);  // 499 held back, and this one
  EXPECT_EQ(throttle.event(t0 + 1500ms), std::nullopt);
  EXPECT_EQ(throttle.event(t0 + 5s), 2u);
}

}  // namespace
}  // namespace gatelink::gateway
