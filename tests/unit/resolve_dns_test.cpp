// Names only DNS knows, against a DNS server that never answers (or answers NXDOMAIN): the
// deadline ends the lookup, cancellation ends it at once, and answers after the end are harmless.

#include <gmock/gmock.h>

#include "unit/resolve_test_support.hpp"

namespace gatelink::testing {
namespace {

using ResolveDns = ResolveTest;
using Clock = std::chrono::steady_clock;

TEST_F(ResolveDns, silent_name_times_out_at_its_deadline) {
  const auto deadline = 300ms;
  const auto started = Clock::now();
  const auto resolution = resolve_now("silent.test", 5723, deadline);
  const auto elapsed = Clock::now() - started;
  ASSERT_FALSE(resolution) << describe(resolution);
  EXPECT_EQ(resolution.error().reason, resolve::ResolveFailure::timeout) << describe(resolution);
  EXPECT_EQ(resolve::to_string(resolution.error().reason), "resolve-timeout");
  EXPECT_GE(elapsed, deadline) << "completed before its deadline";
  // Ended by its own deadline, not by the resolver's (resolv.conf here: timeout:30 attempts:1).
  EXPECT_THAT(resolution.error().detail, ::testing::HasSubstr("deadline"));
  EXPECT_TRUE(dns_->names().contains("silent.test")) << "the lookup never reached DNS";
}

TEST_F(ResolveDns, answer_after_the_deadline_is_harmless) {
  const auto timed_out = resolve_now("late.test", 5723, 200ms);
  ASSERT_FALSE(timed_out) << describe(timed_out);
  EXPECT_EQ(timed_out.error().reason, resolve::ResolveFailure::timeout);
  EXPECT_THAT(timed_out.error().detail, ::testing::HasSubstr("deadline"));
  ASSERT_TRUE(dns_->names().contains("late.test"));

  // The answers arrive now, after the lookup ended (run under ASan: nothing may touch it).
  dns_->answer_held();
  write_hosts("127.0.0.41 after.test\n");
  const auto next = resolve_now("after.test", 5723, 10s);
  ASSERT_TRUE(next) << describe(next);
  EXPECT_EQ(describe(next), "127.0.0.41:5723");
  const auto again = resolve_now("late.test", 5723, 200ms);
  ASSERT_FALSE(again) << describe(again);
  EXPECT_EQ(again.error().reason, resolve::ResolveFailure::timeout);
}

TEST_F(ResolveDns, name_that_does_not_exist_fails_with_the_resolvers_words) {
  dns_->answer_nxdomain("missing.test");
  const auto resolution = resolve_now("missing.test", 5723, 10s);
  ASSERT_FALSE(resolution) << describe(resolution);
  EXPECT_EQ(resolution.error().reason, resolve::ResolveFailure::failed) << describe(resolution);
  EXPECT_EQ(resolve::to_string(resolution.error().reason), "resolve-failed");
  EXPECT_FALSE(resolution.error().detail.empty());
}

TEST_F(ResolveDns, cancelled_lookup_completes_at_once_as_cancelled) {
  asio::cancellation_signal signal;
  auto lookup = start("cancelled.test", 5723, 60s, &signal);
  ASSERT_TRUE(dns_->wait_for_names(1, 10s)) << "the lookup never reached DNS";
  cancel(signal);
  const auto resolution = lookup.get();
  ASSERT_FALSE(resolution) << describe(resolution);
  EXPECT_EQ(resolution.error().reason, resolve::ResolveFailure::cancelled) << describe(resolution);
}

TEST_F(ResolveDns, lookup_left_running_ends_with_the_io_context) {
  // An agent that stops with a lookup in flight: the pending lookup is destroyed, not leaked.
  auto lookup = start("abandoned.test", 5723, 60s);
  ASSERT_TRUE(dns_->wait_for_names(1, 10s)) << "the lookup never reached DNS";
  shut_down();
  EXPECT_THROW(lookup.get(), std::exception);  // its handler was destroyed, never called
}

}  // namespace
}  // namespace gatelink::testing
