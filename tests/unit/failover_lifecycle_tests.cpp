// Start, stop, stale events, schedules, and the figures status shows (counters, per-gateway
// records).

#include <functional>
#include <string>

#include "unit/failover_test_support.hpp"

namespace gatelink::failover {
namespace {

using namespace testing_support;
using Kind = Report::Kind;

TEST(FailoverLifecycle, stop_closes_everything) {
  Rig rig(2);
  SessionId s = Rig::opened(rig.at(0ms, Start{}));
  s = Rig::opened(rig.at(0ms, Closed{s, "connect-refused"}));
  rig.at(0ms, Connected{s});
  const SessionId p = Rig::opened(rig.at(30s, Tick{}));

  EXPECT_EQ(rig.at(31s, Stop{}), (Actions{Close{s, "stop"}, Close{p, "stop"}}));
  EXPECT_EQ(rig.machine.state(), State::stopped);
  EXPECT_EQ(rig.machine.since(), t0 + 31s);
  EXPECT_TRUE(rig.machine.sessions().empty());
  EXPECT_EQ(rig.machine.current_gateway(), std::nullopt);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt);

  // Later events, late reports included, are ignored.
  EXPECT_EQ(rig.at(32s, Closed{s, "end-of-stream"}), Actions{});
  EXPECT_EQ(rig.at(60s, Tick{}), Actions{});
  EXPECT_EQ(rig.at(61s, Start{}), Actions{});
  EXPECT_EQ(rig.machine.state(), State::stopped);
}

TEST(FailoverLifecycle, stop_in_backoff_closes_nothing_and_cancels_the_retry) {
  Rig rig(1, test_settings(), {0.5});
  const SessionId s = Rig::opened(rig.at(0ms, Start{}));
  rig.at(1ms, Closed{s, "connect-refused"});
  EXPECT_EQ(rig.at(2ms, Stop{}), Actions{});
  EXPECT_EQ(rig.machine.next_retry(), std::nullopt);
  EXPECT_EQ(rig.at(1s, Tick{}), Actions{});
}

// Every kind of session event, for a session the machine does not hold.
std::vector<std::pair<const char*, std::function<Event(SessionId)>>> session_events() {
  return {
      {"connected", [](SessionId s) { return Event{Connected{s}}; }},
      {"answered",
       [](SessionId s) {
         return Event{HeartbeatAnswered{s, 3ms}};
       }},
      {"missed", [](SessionId s) { return Event{HeartbeatMissed{s}}; }},
      {"closed",
       [](SessionId s) {
         return Event{Closed{s, "reset"}};
       }},
      {"goodbye",
       [](SessionId s) {
         return Event{GoodbyeReceived{s, "busy", 10s}};
       }},
  };
}

TEST(FailoverLifecycle, stale_session_events_are_ignored) {
  Rig rig(3);
  const SessionId old = rig.connected_on_primary();
  const SessionId current = Rig::opened(rig.at(1s, Closed{old, "reset"}));
  rig.at(1s, Connected{current});
  const Counters before = rig.machine.counters();

  for (const auto& [name, make] : session_events()) {
    for (const SessionId stale : {old, current + 1000, SessionId{0}}) {
      EXPECT_EQ(rig.at(2s, make(stale)), Actions{}) << name << " for " << stale;
    }
  }
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.active_session(), current);
  EXPECT_EQ(rig.machine.counters().failovers, before.failovers);
  EXPECT_EQ(rig.machine.counters().heartbeats_missed, 0U);
  EXPECT_EQ(rig.machine.gateways()[0].retry_not_before, std::nullopt);  // no goodbye took hold
}

TEST(FailoverLifecycle, events_out_of_order_for_a_session_are_ignored) {
  Rig rig(2);
  const SessionId s = Rig::opened(rig.at(0ms, Start{}));
  // Heartbeat news before the welcome cannot happen; if it is reported, it changes nothing.
  EXPECT_EQ(rig.at(1ms, HeartbeatAnswered{s, 1ms}), Actions{});
  EXPECT_EQ(rig.at(1ms, HeartbeatMissed{s}), Actions{});
  EXPECT_EQ(rig.machine.counters().heartbeats_missed, 0U);
  EXPECT_EQ(rig.at(2ms, Connected{s}).size(), 1U);
  EXPECT_EQ(rig.at(3ms, Connected{s}), Actions{});  // a second welcome
  EXPECT_EQ(rig.machine.since(), t0 + 2ms);
}

TEST(FailoverLifecycle, start_twice_and_empty_lists) {
  Rig rig(2);
  rig.at(0ms, Start{});
  EXPECT_EQ(rig.at(1ms, Start{}), Actions{});
  EXPECT_EQ(rig.machine.sessions().size(), 1U);

  // Nothing to connect to: the machine waits (a topology change will bring gateways).
  Rig empty(0);
  EXPECT_EQ(empty.at(0ms, Start{}), Actions{});
  EXPECT_EQ(empty.machine.state(), State::idle);
  EXPECT_EQ(empty.at(1s, Tick{}), Actions{});
}

TEST(FailoverLifecycle, schedule_is_emitted_when_the_earliest_deadline_changes) {
  Rig rig(2);
  SessionId s = Rig::opened(rig.at(0ms, Start{}));
  s = Rig::opened(rig.at(0ms, Closed{s, "connect-refused"}));
  EXPECT_EQ(rig.at(0ms, Connected{s}).back(), Action{Schedule{t0 + 30s}});
  // Heartbeats change no deadline: no Schedule.
  EXPECT_EQ(rig.at(1s, HeartbeatAnswered{s, 2ms}), Actions{});
  EXPECT_EQ(rig.at(2s, HeartbeatMissed{s}), Actions{});
  // A Tick before the deadline re-arms the timer that fired.
  EXPECT_EQ(rig.at(3s, Tick{}), (Actions{Schedule{t0 + 30s}}));
  // At the deadline the probe opens, and its own bound becomes the next deadline.
  const Actions probe = rig.at(30s, Tick{});
  EXPECT_EQ(probe.back(), Action{Schedule{t0 + 60s}});
}

TEST(FailoverLifecycle, counters_and_gateway_records) {
  Rig rig(3, test_settings(), {0.0, 0.5});
  const SessionId s0 = rig.connected_on_primary(100ms);
  rig.at(600ms, HeartbeatAnswered{s0, 9ms});
  rig.at(1600ms, HeartbeatMissed{s0});
  EXPECT_EQ(rig.machine.consecutive_misses(), 1U);

  // Primary drains (stay away 60 s), failover 1 refuses, failover 2 is the one.
  const SessionId s1 = Rig::opened(rig.at(2s, GoodbyeReceived{s0, "drain", 60s}));
  const SessionId s2 = Rig::opened(rig.at(2100ms, Closed{s1, "expired"}));
  rig.at(2200ms, Connected{s2});
  rig.at(3200ms, HeartbeatAnswered{s2, 11ms});

  const std::vector<GatewayRecord>& gw = rig.machine.gateways();
  ASSERT_EQ(gw.size(), 3U);
  EXPECT_EQ(gw[0].last_error, "goodbye:drain");
  EXPECT_EQ(gw[0].last_seen, t0 + 600ms);
  EXPECT_EQ(gw[0].retry_not_before, t0 + 62s);
  EXPECT_EQ(gw[1].last_error, "expired");
  EXPECT_EQ(gw[1].last_seen, std::nullopt);
  EXPECT_EQ(gw[2].last_error, std::nullopt);
  EXPECT_EQ(gw[2].last_seen, t0 + 3200ms);

  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.current_gateway(), 2U);
  EXPECT_EQ(rig.machine.since(), t0 + 2200ms);
  EXPECT_EQ(rig.machine.last_rtt(), 11ms);
  EXPECT_EQ(rig.machine.consecutive_misses(), 0U);
  EXPECT_EQ(rig.machine.next_probe(), t0 + 32200ms);
  EXPECT_EQ(rig.machine.next_retry(), std::nullopt);

  // The last one dies: backoff, with its end visible.
  const Actions out = rig.at(10s, Closed{s2, "reset"});
  EXPECT_EQ(out,
            (Actions{Report{Kind::backoff, 2, std::nullopt, "reset"}, Schedule{t0 + 10250ms}}));
  EXPECT_EQ(rig.machine.next_retry(), t0 + 10250ms);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt);
  EXPECT_EQ(rig.machine.current_gateway(), std::nullopt);
  EXPECT_EQ(rig.machine.last_rtt(), std::nullopt);

  const Counters& c = rig.machine.counters();
  EXPECT_EQ(c.failovers, 1U);  // only 0 → 1 left a connected gateway; 1 → 2 was a failed connect
  EXPECT_EQ(c.failbacks, 0U);
  EXPECT_EQ(c.reconnects, 0U);
  EXPECT_EQ(c.heartbeats_missed, 1U);
}

TEST(FailoverLifecycle, names_for_logs) {
  EXPECT_EQ(to_string(State::backoff), "backoff");
  EXPECT_EQ(to_string(State::connected), "connected");
  EXPECT_EQ(to_string(Purpose::probe), "probe");
  EXPECT_EQ(to_string(Report::Kind::failback), "failback");
}

}  // namespace
}  // namespace gatelink::failover
