// Drain and busy: a goodbye moves the agent on at once, and a retry-after keeps it away from that
// gateway (jittered, never earlier than asked).

#include "failover/failover_backoff.hpp"
#include "unit/failover_test_support.hpp"

namespace gatelink::failover {
namespace {

using namespace testing_support;
using Kind = Report::Kind;

TEST(FailoverGoodbye, goodbye_moves_on_without_waiting) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  // No retry-after, so no draw: the scripted source stays empty.
  const Actions out = rig.at(5s, GoodbyeReceived{s0, "drain", std::nullopt});
  const SessionId s1 = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Close{s0, "goodbye"}, Report{Kind::failover, 0, 1, "goodbye:drain"},
                          Connect{s1, 1, Purpose::active}}));
  EXPECT_EQ(rig.machine.gateways()[0].last_error, "goodbye:drain");
  EXPECT_EQ(rig.machine.gateways()[0].retry_not_before, std::nullopt);
  EXPECT_EQ(rig.machine.counters().heartbeats_missed, 0U);
  EXPECT_EQ(rig.machine.counters().failovers, 1U);

  // The gateway's close after its goodbye arrives late and changes nothing.
  EXPECT_EQ(rig.at(5001ms, Closed{s0, "end-of-stream"}), Actions{});
  EXPECT_EQ(rig.machine.current_gateway(), 1U);
}

// The stay-away is retry_after × (1 + draw/2): never earlier than asked, at most half again.
struct RetryCase {
  double draw;
  Duration expected;
};

class RetryAfterJitter : public ::testing::TestWithParam<RetryCase> {};

TEST_P(RetryAfterJitter, goodbye_retry_after_is_never_earlier_than_asked) {
  Rig rig(2, test_settings(), {GetParam().draw});
  const SessionId s0 = rig.connected_on_primary();
  rig.at(1s, GoodbyeReceived{s0, "drain", 60s});
  EXPECT_EQ(rig.machine.gateways()[0].retry_not_before, t0 + 1s + GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Draws, RetryAfterJitter,
                         ::testing::Values(RetryCase{0.0, 60s}, RetryCase{0.5, 75s},
                                           RetryCase{0.999, 89970ms}, RetryCase{1.0, 90s},
                                           RetryCase{-1.0, 60s}, RetryCase{7.0, 90s}));

TEST(FailoverGoodbye, retry_after_is_bounded_by_max_stay_away) {
  // A gateway cannot send an agent away for longer than its own cap, nor make the arithmetic
  // overflow; asked for the cap or more, the agents spread over the cap's last quarter.
  Settings settings = test_settings();
  settings.max_stay_away = 5min;
  EXPECT_EQ(jittered_retry_after(settings, Duration::max(), 0.0), 5min);
  EXPECT_EQ(jittered_retry_after(settings, Duration::max(), 1.0), 225s);
  EXPECT_EQ(jittered_retry_after(settings, 24h, 0.5), 5min - 37500ms);
  EXPECT_EQ(jittered_retry_after(settings, 4min, 1.0), 5min);  // stretched, but not beyond
  EXPECT_EQ(jittered_retry_after(settings, Duration(-5), 0.5), Duration::zero());
  EXPECT_EQ(jittered_retry_after(settings, 1ms, 0.1), 2ms);  // rounded up, never down
}

TEST(FailoverGoodbye, a_day_long_retry_after_keeps_a_single_gateway_agent_away_minutes_only) {
  Settings settings = test_settings();
  settings.max_stay_away = 5min;
  Rig rig(1, settings, {0.0, 0.0});
  const SessionId s0 = rig.connected_on_primary();
  rig.at(1s, GoodbyeReceived{s0, "drain", 24h});
  ASSERT_EQ(rig.machine.state(), State::backoff);
  EXPECT_EQ(rig.machine.next_retry(), t0 + 1s + 5min);
}

TEST(FailoverGoodbye, goodbye_retry_after_keeps_agent_away) {
  Rig rig(2, test_settings(), {0.5});
  const SessionId s0 = rig.connected_on_primary();
  const SessionId s1 = Rig::opened(rig.at(0ms, GoodbyeReceived{s0, "drain", 60s}));
  const TimePoint away_until = t0 + 75s;  // 60 s × (1 + 0.5 / 2)
  EXPECT_EQ(rig.machine.gateways()[0].retry_not_before, away_until);
  rig.at(10ms, Connected{s1});
  EXPECT_EQ(rig.machine.next_probe(), t0 + 30010ms);

  // Probes skip the primary while it asked us to stay away: no session, try again later.
  EXPECT_EQ(rig.at(30010ms, Tick{}), (Actions{Schedule{t0 + 60010ms}}));
  EXPECT_EQ(rig.at(60010ms, Tick{}), (Actions{Schedule{t0 + 90010ms}}));
  const Actions probe = rig.at(90010ms, Tick{});
  EXPECT_EQ(probe, (Actions{Connect{Rig::opened(probe), 0, Purpose::probe},
                            Schedule{t0 + 90010ms + 30s}}));
}

TEST(FailoverGoodbye, backoff_skips_a_gateway_that_sent_the_agent_away) {
  Rig rig(2, test_settings(), {0.0});
  const SessionId s0 = rig.connected_on_primary();
  const SessionId s1 = Rig::opened(rig.at(0ms, GoodbyeReceived{s0, "drain", 60s}));
  rig.at(10ms, Connected{s1});

  // The failover dies too; the pass is over, and the primary is still out of bounds.
  rig.script({0.5});
  EXPECT_EQ(rig.at(5s, Closed{s1, "reset"}),
            (Actions{Report{Kind::backoff, 1, std::nullopt, "reset"}, Schedule{t0 + 5250ms}}));
  const Actions out = rig.at(5250ms, Tick{});
  EXPECT_EQ(out, (Actions{Report{Kind::reconnect, std::nullopt, 1, "backoff-over"},
                          Connect{Rig::opened(out), 1, Purpose::active}}));
}

/// Three gateways each answer a new agent with a busy goodbye before the welcome.
struct AllBusy {
  SessionId last;  ///< the session to the last gateway
  Actions out;     ///< what its goodbye caused
};

AllBusy all_busy(Rig& rig) {
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  const Actions out = rig.at(10ms, GoodbyeReceived{s0, "busy", 10s});
  const SessionId s1 = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Close{s0, "goodbye"}, Report{Kind::failover, 0, 1, "goodbye:busy"},
                          Connect{s1, 1, Purpose::active}}));
  const SessionId s2 = Rig::opened(rig.at(20ms, GoodbyeReceived{s1, "busy", 4s}));
  return {s2, rig.at(30ms, GoodbyeReceived{s2, "busy", 20s})};
}

TEST(FailoverGoodbye, busy_everywhere_backs_off_until_earliest_retry_after) {
  // Jitter draws 0 (stay-aways exactly as asked), then the backoff draw: 0.5 × 500 ms is shorter
  // than every stay-away, so the agent waits for the first gateway that lets it back.
  Rig rig(3, test_settings(), {0.0, 0.0, 0.0, 0.5});
  const AllBusy busy = all_busy(rig);
  EXPECT_EQ(busy.out, (Actions{Close{busy.last, "goodbye"},
                               Report{Kind::backoff, 2, std::nullopt, "goodbye:busy"},
                               Schedule{t0 + 4020ms}}));
  EXPECT_EQ(rig.machine.state(), State::backoff);
  EXPECT_EQ(rig.machine.next_retry(), t0 + 4020ms);
  EXPECT_EQ(rig.machine.counters().failovers, 0U);

  // Then the gateway whose stay-away ended first, although it is not the primary.
  const Actions out = rig.at(4020ms, Tick{});
  EXPECT_EQ(out, (Actions{Report{Kind::reconnect, std::nullopt, 1, "backoff-over"},
                          Connect{Rig::opened(out), 1, Purpose::active}}));
}

TEST(FailoverGoodbye, busy_everywhere_still_waits_out_a_longer_backoff) {
  // The later of the two wins: the stay-away is honoured and the backoff keeps its growth.
  Settings settings = test_settings();
  settings.backoff_base = 10s;
  Rig rig(3, settings, {0.0, 0.0, 0.0, 1.0});
  all_busy(rig);
  EXPECT_EQ(rig.machine.next_retry(), t0 + 30ms + 10s);
}

}  // namespace
}  // namespace gatelink::failover
