// Failback: a probe of an earlier gateway every probe_interval; a probe is kept open and must
// answer every heartbeat for the whole stable window, without a break, before the agent moves
// back, make-before-break. No flap period drags the agent back; flap damping doubles the window.

#include <optional>
#include <string>
#include <vector>

#include "unit/failover_test_support.hpp"

namespace gatelink::failover {
namespace {

using namespace testing_support;
using Kind = Report::Kind;

/// Puts the agent on gateway `k` at t0: every earlier gateway refuses the connection.
SessionId connected_on(Rig& rig, std::size_t k) {
  SessionId s = Rig::opened(rig.at(0ms, Start{}));
  for (std::size_t i = 0; i < k; ++i) s = Rig::opened(rig.at(0ms, Closed{s, "connect-refused"}));
  rig.at(0ms, Connected{s});
  return s;
}

enum class Outcome { stable, refused, breaks, timeout };

/// Runs the probe that is due; returns the actions of its last event. `stable`: it answers
/// every heartbeat (each second) until its window is over and the agent moves.
Actions run_probe(Rig& rig, Outcome outcome, std::size_t target = 0) {
  const std::optional<TimePoint> due = rig.machine.next_probe();
  if (!due) {
    ADD_FAILURE() << "no probe is scheduled";
    return {};
  }
  const Duration t = std::chrono::duration_cast<Duration>(*due - t0);
  const Actions opened = rig.at(t, Tick{});
  const SessionId p = Rig::opened(opened);
  EXPECT_EQ(opened[0], (Action{Connect{p, target, Purpose::probe}}));
  switch (outcome) {
    case Outcome::stable: {
      EXPECT_EQ(rig.at(t + 10ms, Connected{p}), Actions{});  // welcomed is not healthy yet
      const Duration window = rig.machine.stable_window(t0 + t);
      Duration at = t + 1s;
      for (; at < t + 1s + window; at += 1s) rig.at(at, HeartbeatAnswered{p, 3ms});
      return rig.at(t + 1s + window, Tick{});
    }
    case Outcome::refused:
      return rig.at(t + 5ms, Closed{p, "connect-refused"});
    case Outcome::breaks:
      rig.at(t + 10ms, Connected{p});
      rig.at(t + 1s, HeartbeatAnswered{p, 3ms});
      rig.at(t + 2s, HeartbeatAnswered{p, 3ms});
      return rig.at(t + 3500ms, HeartbeatMissed{p, 1});
    case Outcome::timeout:
      return rig.at(t + rig.settings.probe_interval, Tick{});
  }
  return {};
}

TEST(FailoverFailback, failback_after_the_stable_window_is_make_before_break) {
  Rig rig(2);
  IoModel io;
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  io.apply({Connect{s0, 0, Purpose::active}});
  io.lost(s0);
  const Actions moved = rig.at(0ms, Closed{s0, "connect-refused"});
  io.apply(moved);
  const SessionId s1 = Rig::opened(moved);
  EXPECT_EQ(rig.at(0ms, Connected{s1}),
            (Actions{Report{Kind::connected, std::nullopt, 1, "welcome"}, Schedule{t0 + 30s}}));
  io.guard_traffic = true;  // from here on the agent must never be without a working session

  // The probe opens and is kept: its first answer starts the 60 s window (30 s × 2).
  Actions out = rig.at(30s, Tick{});
  const SessionId p = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Connect{p, 0, Purpose::probe}, Schedule{t0 + 60s}}));
  io.apply(out);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt);  // one probe at a time
  EXPECT_EQ(rig.at(30010ms, Connected{p}), Actions{});
  EXPECT_EQ(rig.at(31s, HeartbeatAnswered{p, 4ms}), (Actions{Schedule{t0 + 91s}}));
  for (Duration at = 32s; at < 91s; at += 1s) {
    EXPECT_EQ(rig.at(at, HeartbeatAnswered{p, 5ms}), Actions{}) << at.count();
  }
  EXPECT_EQ(rig.machine.current_gateway(), 1U);
  EXPECT_EQ(rig.machine.gateways()[0].last_seen, t0 + 90s);

  // Window over: the probe carries the traffic before the old session is closed.
  out = rig.at(91s, Tick{});
  EXPECT_EQ(out, (Actions{Promote{p}, Close{s1, "failback"},
                          Report{Kind::failback, 1, 0, "stable-window"}}));
  io.apply(out);
  EXPECT_EQ(io.traffic, p);
  EXPECT_EQ(io.open, std::set<SessionId>{p});
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
  EXPECT_EQ(rig.machine.active_session(), p);
  EXPECT_EQ(rig.machine.since(), t0 + 91s);
  EXPECT_EQ(rig.machine.last_rtt(), 5ms);
  EXPECT_EQ(rig.machine.counters().failbacks, 1U);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt);  // on the primary: nothing to probe
  ASSERT_EQ(rig.machine.sessions().size(), 1U);
  EXPECT_EQ(rig.machine.sessions()[0].purpose, Purpose::active);

  // The promoted session is watched like any active one.
  rig.at(93s, HeartbeatMissed{p, 1});
  EXPECT_EQ(rig.machine.consecutive_misses(), 1U);
}

TEST(FailoverFailback, slow_answers_are_not_a_break) {
  // A primary 900 ms away answers late every time: that is a round-trip time, not a miss.
  Rig rig(2);
  connected_on(rig, 1);
  const SessionId p = Rig::opened(rig.at(30s, Tick{}));
  rig.at(30010ms, Connected{p});
  rig.at(31900ms, HeartbeatAnswered{p, 900ms});
  for (Duration at = 32900ms; at < 91900ms; at += 1s) rig.at(at, HeartbeatAnswered{p, 900ms});
  const Actions out = rig.at(91900ms, Tick{});
  EXPECT_EQ(out[0], Action{Promote{p}});
  EXPECT_EQ(rig.machine.last_rtt(), 900ms);
}

TEST(FailoverFailback, a_distant_probe_may_be_late_with_its_first_answer) {
  // Welcomed, then silent for more than an interval: a gateway 1.5 intervals away has not
  // answered yet. Only the silence limit would end the probe before its first answer.
  Rig rig(2);
  connected_on(rig, 1);
  const SessionId p = Rig::opened(rig.at(30s, Tick{}));
  rig.at(30010ms, Connected{p});
  EXPECT_EQ(rig.at(31510ms, HeartbeatMissed{p, 1}), Actions{});
  EXPECT_EQ(rig.at(32000ms, HeartbeatAnswered{p, 1500ms}), (Actions{Schedule{t0 + 92s}}));
  // Once it has answered, one miss is a break.
  EXPECT_EQ(std::get<Close>(rig.at(34s, HeartbeatMissed{p, 1})[0]).reason,
            "probe-heartbeat-missed");
}

TEST(FailoverFailback, a_probe_silent_for_the_limit_before_any_answer_fails) {
  Rig rig(2);
  connected_on(rig, 1);
  const SessionId p = Rig::opened(rig.at(30s, Tick{}));
  rig.at(30010ms, Connected{p});
  rig.at(31510ms, HeartbeatMissed{p, 1});
  rig.at(32510ms, HeartbeatMissed{p, 2});
  EXPECT_EQ(std::get<Close>(rig.at(33010ms, HeartbeatMissed{p, 3})[0]).reason,
            "probe-heartbeat-missed");
}

TEST(FailoverFailback, a_break_in_the_window_fails_the_probe_and_waits_a_probe_interval) {
  Rig rig(2);
  connected_on(rig, 1);
  const Actions out = run_probe(rig, Outcome::breaks);
  ASSERT_EQ(out.size(), 3U);
  const SessionId p = std::get<Close>(out[0]).session;
  EXPECT_EQ(out, (Actions{Close{p, "probe-heartbeat-missed"},
                          Report{Kind::dead, 0, std::nullopt, "probe-heartbeat-missed"},
                          Schedule{t0 + 33500ms + 30s}}));
  EXPECT_EQ(rig.machine.gateways()[0].last_error, "probe-heartbeat-missed");
  EXPECT_EQ(rig.machine.next_probe(), t0 + 63500ms);
  EXPECT_EQ(rig.machine.current_gateway(), 1U);
  // The next probe starts a window of its own, from its own first answer.
  run_probe(rig, Outcome::stable);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
}

TEST(FailoverFailback, closed_probe_in_the_window_fails_it) {
  Rig rig(2);
  connected_on(rig, 1);
  const SessionId p = Rig::opened(rig.at(30s, Tick{}));
  rig.at(30010ms, Connected{p});
  rig.at(31s, HeartbeatAnswered{p, 3ms});
  EXPECT_EQ(rig.at(59s, Closed{p, "connection-reset"}),
            (Actions{Report{Kind::dead, 0, std::nullopt, "connection-reset"},
                     Schedule{t0 + 89s}}));
  EXPECT_EQ(rig.machine.next_probe(), t0 + 89s);  // the old window is gone with its session
  EXPECT_EQ(rig.machine.current_gateway(), 1U);
}

/// A primary that is up for `up`, then down for `down`, over and over, starting `phase` into
/// its cycle. Up: it accepts, welcomes 10 ms later and answers each heartbeat (every 100 ms)
/// 5 ms later. Down: connecting is refused and an open session is reset at once.
struct FlapCase {
  const char* name;
  Duration up;
  Duration down;
  Duration probe_interval;
  unsigned stable_probes;
  Duration phase;
};

class Flapping : public ::testing::TestWithParam<FlapCase> {};

/// Drives the machine against such a primary for two minutes, ticking whenever it asked to;
/// returns the number of failbacks.
std::uint64_t simulate(const FlapCase& c) {
  Settings settings = test_settings();
  settings.heartbeat_interval = 100ms;
  settings.probe_interval = c.probe_interval;
  settings.stable_probes = c.stable_probes;
  Rig rig(2, settings);
  connected_on(rig, 1);
  const auto primary_up = [&](Duration t) { return (t + c.phase) % (c.up + c.down) < c.up; };

  std::optional<TimePoint> tick;
  struct Probe {
    SessionId id = 0;
    Duration opened{};
    bool welcomed = false;
  };
  std::optional<Probe> probe;
  const auto apply = [&](const Actions& out, Duration now) {
    for (const Action& a : out) {
      if (const auto* s = std::get_if<Schedule>(&a)) tick = s->at;
      if (const auto* k = std::get_if<Connect>(&a); k && k->purpose == Purpose::probe) {
        probe = Probe{k->session, now};
      }
      if (const auto* x = std::get_if<Close>(&a); x && probe && x->session == probe->id) {
        probe.reset();
      }
      if (std::holds_alternative<Promote>(a)) probe.reset();
    }
  };
  apply(rig.at(0ms, Tick{}), 0ms);
  for (Duration now = 5ms; now < 120s && rig.machine.counters().failbacks == 0; now += 5ms) {
    if (tick && t0 + now >= *tick) {
      tick.reset();
      apply(rig.at(now, Tick{}), now);
    }
    if (!probe) continue;
    const SessionId id = probe->id;
    if (!primary_up(now)) {
      probe.reset();
      apply(rig.at(now, Closed{id, "connection-reset"}), now);
    } else if (!probe->welcomed && now >= probe->opened + 10ms) {
      probe->welcomed = true;
      apply(rig.at(now, Connected{id}), now);
    } else if (probe->welcomed && (now - probe->opened - 10ms) % 100ms == 5ms) {
      apply(rig.at(now, HeartbeatAnswered{id, 5ms}), now);
    }
  }
  return rig.machine.counters().failbacks;
}

TEST_P(Flapping, no_flap_period_drags_the_agent_back) {
  EXPECT_EQ(simulate(GetParam()), 0U) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Periods, Flapping,
    ::testing::Values(
        // The case: up 300, down 300, probes every 500 × 2 (a 1 s window).
        FlapCase{"up300_down300_probe500x2", 300ms, 300ms, 500ms, 2, 0ms},
        FlapCase{"up300_down300_probe500x2_shifted", 300ms, 300ms, 500ms, 2, 150ms},
        FlapCase{"up900_down100_probe500x2", 900ms, 100ms, 500ms, 2, 0ms},
        FlapCase{"up950_down50_probe1000x1", 950ms, 50ms, 1000ms, 1, 500ms},
        FlapCase{"up2s_down1s_probe1s_x3", 2s, 1s, 1s, 3, 0ms},
        FlapCase{"up10s_down1s_probe5s_x3", 10s, 1s, 5s, 3, 3s},
        FlapCase{"up500_down500_probe1000x2_aliased", 500ms, 500ms, 1000ms, 2, 0ms}),
    [](const ::testing::TestParamInfo<FlapCase>& row) { return std::string(row.param.name); });

TEST(FailoverFailback, a_primary_up_for_good_is_failed_back_to) {
  // The control for the flapping cases: the same driver, a primary that stays up.
  EXPECT_EQ(simulate(FlapCase{"always_up", 1000s, 1ms, 500ms, 2, 0ms}), 1U);
  // Up for just longer than the window and the first probe (500 + 10 + 5 + 1000 ms): back.
  EXPECT_EQ(simulate(FlapCase{"up_long_enough", 1600ms, 300ms, 500ms, 2, 0ms}), 1U);
}

TEST(FailoverFailback, probe_that_never_answers_times_out) {
  Rig rig(2);
  connected_on(rig, 1);
  const Actions opened = rig.at(30s, Tick{});
  const SessionId p = Rig::opened(opened);
  EXPECT_EQ(opened, (Actions{Connect{p, 0, Purpose::probe}, Schedule{t0 + 60s}}));
  EXPECT_EQ(rig.at(59999ms, Tick{}), (Actions{Schedule{t0 + 60s}}));
  EXPECT_EQ(rig.at(60s, Tick{}),
            (Actions{Close{p, "probe-timeout"},
                     Report{Kind::dead, 0, std::nullopt, "probe-timeout"}, Schedule{t0 + 90s}}));
  // Its late report is stale.
  EXPECT_EQ(rig.at(60001ms, Closed{p, "connect-timeout"}), Actions{});
  EXPECT_EQ(rig.machine.gateways()[0].last_error, "probe-timeout");
}

TEST(FailoverFailback, probe_bound_leaves_room_for_every_step_of_a_distant_gateway) {
  // A probe interval shorter than a distant gateway's connect, handshake, welcome and first
  // answer would time every probe out: the bound is the sum of the step deadlines and the
  // silence limit (2 + 3 + 5 + 3 + 3 s with the defaults).
  Settings settings = test_settings();
  settings.probe_interval = 500ms;
  Rig rig(2, settings);
  connected_on(rig, 1);
  const Actions opened = rig.at(500ms, Tick{});
  EXPECT_EQ(opened.back(), Action{Schedule{t0 + 500ms + 16s}});
}

TEST(FailoverFailback, probe_goodbye_counts_as_a_failure_and_keeps_the_probe_away) {
  Rig rig(3);
  connected_on(rig, 2);
  const SessionId p = Rig::opened(rig.at(30s, Tick{}));
  rig.script({0.0});
  EXPECT_EQ(rig.at(30010ms, GoodbyeReceived{p, "busy", 100s}),
            (Actions{Close{p, "goodbye:busy"}, Report{Kind::dead, 0, std::nullopt, "goodbye:busy"},
                     Schedule{t0 + 60010ms}}));
  EXPECT_EQ(rig.machine.gateways()[0].retry_not_before, t0 + 130010ms);

  // The next probe goes to the best gateway not under a stay-away: the first failover.
  const Actions next = rig.at(60010ms, Tick{});
  EXPECT_EQ(next[0], (Action{Connect{Rig::opened(next), 1, Purpose::probe}}));
}

TEST(FailoverFailback, failback_to_a_nearer_failover_keeps_probing_the_primary) {
  Rig rig(3, test_settings(), {0.0});
  SessionId s = Rig::opened(rig.at(0ms, Start{}));
  s = Rig::opened(rig.at(0ms, GoodbyeReceived{s, "busy", 80s}));
  s = Rig::opened(rig.at(0ms, Closed{s, "connect-refused"}));
  rig.at(0ms, Connected{s});
  EXPECT_EQ(rig.machine.current_gateway(), 2U);

  const Actions out = run_probe(rig, Outcome::stable, 1);
  ASSERT_EQ(out.size(), 4U);
  EXPECT_EQ(out[2], (Action{Report{Kind::failback, 2, 1, "stable-window"}}));
  EXPECT_EQ(out[3], Action{Schedule{t0 + 91s + 30s}});
  EXPECT_EQ(rig.machine.current_gateway(), 1U);

  // The primary's stay-away is over by now: it is probed, and the agent fails back again.
  run_probe(rig, Outcome::stable, 0);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
  EXPECT_EQ(rig.machine.counters().failbacks, 2U);
}

TEST(FailoverFailback, active_dies_while_probe_is_up_promotes_the_probe) {
  Rig rig(3);
  const SessionId s2 = connected_on(rig, 2);
  const SessionId p = Rig::opened(rig.at(30s, Tick{}));
  rig.at(30010ms, Connected{p});

  // No cold connect: the welcomed probe to the primary takes over at once.
  EXPECT_EQ(rig.at(30500ms, Closed{s2, "reset"}),
            (Actions{Promote{p}, Report{Kind::failover, 2, 0, "reset"},
                     Report{Kind::connected, std::nullopt, 0, "promoted"}}));
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
  EXPECT_EQ(rig.machine.active_session(), p);
  EXPECT_EQ(rig.machine.since(), t0 + 30500ms);
  EXPECT_EQ(rig.machine.counters().failovers, 1U);
  EXPECT_EQ(rig.machine.counters().failbacks, 0U);
  EXPECT_EQ(rig.machine.gateways()[2].last_error, "reset");
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt);

  // From now on it is the active session: its heartbeats are the agent's.
  EXPECT_EQ(rig.at(31s, HeartbeatAnswered{p, 7ms}), Actions{});
  EXPECT_EQ(rig.machine.last_rtt(), 7ms);
}

TEST(FailoverFailback, active_dies_while_probe_is_connecting_abandons_the_probe) {
  Rig rig(3);
  const SessionId s1 = connected_on(rig, 1);
  const SessionId p = Rig::opened(rig.at(30s, Tick{}));

  const Actions out = rig.at(30005ms, Closed{s1, "reset"});
  const SessionId s2 = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Close{p, "superseded"}, Report{Kind::failover, 1, 2, "reset"},
                          Connect{s2, 2, Purpose::active}}));
  EXPECT_EQ(rig.at(30010ms, Connected{p}), Actions{});  // stale
  EXPECT_EQ(rig.machine.sessions().size(), 1U);
}

// ---- flap damping -------------------------------------------------------------------------

TEST(FailoverFlapDamping, losing_the_gateway_soon_after_failing_back_doubles_the_window) {
  Rig rig(2);  // window 60 s, flap window 5 min, cap 8 min
  connected_on(rig, 1);
  EXPECT_EQ(rig.machine.stable_window(t0), 60s);
  run_probe(rig, Outcome::stable);  // failback at 91 s
  ASSERT_EQ(rig.machine.current_gateway(), 0U);
  const SessionId active = *rig.machine.active_session();

  // The primary dies two minutes later: a flap.
  const Actions out = rig.at(211s, Closed{active, "connection-reset"});
  ASSERT_GE(out.size(), 2U);
  EXPECT_EQ(out[0], (Action{Report{Kind::damped, 0, std::nullopt, "flap"}}));
  EXPECT_EQ(rig.machine.stable_window(t0 + 211s), 120s);
  EXPECT_EQ(rig.machine.counters().failovers, 1U);

  // Next time round, the probe must hold for 120 s.
  const SessionId s1 = Rig::opened(out);
  rig.at(211s, Connected{s1});
  const Actions back = run_probe(rig, Outcome::stable);
  EXPECT_EQ(std::get<Report>(back[2]).kind, Kind::failback);
  EXPECT_EQ(rig.machine.since(), t0 + 241s + 1s + 120s);
}

TEST(FailoverFlapDamping, repeated_flaps_are_capped_and_quiet_periods_decay_the_window) {
  Rig rig(2);  // window 60 s, flap window 5 min, cap 8 min
  SessionId s = connected_on(rig, 1);
  std::vector<Duration> windows;
  for (int flap = 0; flap < 5; ++flap) {
    run_probe(rig, Outcome::stable);
    const SessionId active = *rig.machine.active_session();
    const Duration died = std::chrono::duration_cast<Duration>(rig.machine.since() - t0) + 10s;
    s = Rig::opened(rig.at(died, Closed{active, "connection-reset"}));
    rig.at(died, Connected{s});
    windows.push_back(rig.machine.stable_window(t0 + died));
  }
  EXPECT_EQ(windows, (std::vector<Duration>{120s, 240s, 480s, 480s, 480s}));

  // Quiet: each flap window (5 min) without a flap halves it, down to the configured 60 s.
  const TimePoint last = rig.machine.since();
  EXPECT_EQ(rig.machine.stable_window(last + 4min), 480s);
  EXPECT_EQ(rig.machine.stable_window(last + 5min), 240s);
  EXPECT_EQ(rig.machine.stable_window(last + 10min), 120s);
  EXPECT_EQ(rig.machine.stable_window(last + 15min), 60s);
  EXPECT_EQ(rig.machine.stable_window(last + 60min), 60s);
}

TEST(FailoverFlapDamping, losing_the_gateway_long_after_failing_back_is_no_flap) {
  Rig rig(2);
  connected_on(rig, 1);
  run_probe(rig, Outcome::stable);
  const SessionId active = *rig.machine.active_session();
  const Actions out = rig.at(91s + 5min + 1s, Closed{active, "connection-reset"});
  EXPECT_EQ(std::get<Report>(out[0]).kind, Kind::failover);
  EXPECT_EQ(rig.machine.stable_window(t0 + 91s + 5min + 1s), 60s);
}

}  // namespace
}  // namespace gatelink::failover
