// Failback: probes of the earlier gateways every probe_interval, a switch only after
// stable_probes healthy probes in a row, make-before-break, and no flapping with the primary.

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

enum class Outcome { healthy, refused, missed, timeout };

/// Runs the probe that is due: returns the actions of its last event.
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
    case Outcome::healthy:
      EXPECT_EQ(rig.at(t + 10ms, Connected{p}), Actions{});  // welcomed is not healthy yet
      return rig.at(t + 1s, HeartbeatAnswered{p, 3ms});
    case Outcome::refused:
      return rig.at(t + 5ms, Closed{p, "connect-refused"});
    case Outcome::missed:
      rig.at(t + 10ms, Connected{p});
      return rig.at(t + 1s, HeartbeatMissed{p});
    case Outcome::timeout:
      return rig.at(t + rig.settings.probe_interval, Tick{});
  }
  return {};
}

TEST(FailoverFailback, failback_after_stable_probes_is_make_before_break) {
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

  // First probe: healthy, but one is not enough. It is closed; the next one is 30 s later.
  Actions out = rig.at(30s, Tick{});
  const SessionId p1 = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Connect{p1, 0, Purpose::probe}, Schedule{t0 + 60s}}));
  io.apply(out);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt);  // one probe at a time
  EXPECT_EQ(rig.at(30010ms, Connected{p1}), Actions{});
  out = rig.at(31s, HeartbeatAnswered{p1, 4ms});
  EXPECT_EQ(out, (Actions{Close{p1, "probe-done"}, Schedule{t0 + 61s}}));
  io.apply(out);
  EXPECT_EQ(rig.machine.gateways()[0].healthy_probes, 1U);
  EXPECT_EQ(rig.machine.gateways()[0].last_seen, t0 + 31s);
  EXPECT_EQ(rig.machine.current_gateway(), 1U);

  // Second healthy probe: it becomes the active session before the old one is closed.
  out = rig.at(61s, Tick{});
  const SessionId p2 = Rig::opened(out);
  io.apply(out);
  rig.at(61010ms, Connected{p2});
  out = rig.at(62s, HeartbeatAnswered{p2, 5ms});
  EXPECT_EQ(out, (Actions{Promote{p2}, Close{s1, "failback"},
                          Report{Kind::failback, 1, 0, "stable-probes"}}));
  io.apply(out);
  EXPECT_EQ(io.traffic, p2);
  EXPECT_EQ(io.open, std::set<SessionId>{p2});

  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
  EXPECT_EQ(rig.machine.active_session(), p2);
  EXPECT_EQ(rig.machine.since(), t0 + 62s);
  EXPECT_EQ(rig.machine.last_rtt(), 5ms);
  EXPECT_EQ(rig.machine.counters().failbacks, 1U);
  EXPECT_EQ(rig.machine.gateways()[0].healthy_probes, 0U);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt);  // on the primary: nothing to probe
  ASSERT_EQ(rig.machine.sessions().size(), 1U);
  EXPECT_EQ(rig.machine.sessions()[0].purpose, Purpose::active);

  // The promoted session is watched like any active one.
  rig.at(63s, HeartbeatMissed{p2});
  EXPECT_EQ(rig.machine.consecutive_misses(), 1U);
}

// Probe outcomes in order, and the probe (0-based) at which the agent fails back, if any.
struct FlapCase {
  const char* name;
  unsigned stable_probes;
  std::vector<Outcome> probes;
  std::optional<std::size_t> fails_back_at;
};

class Flapping : public ::testing::TestWithParam<FlapCase> {};

TEST_P(Flapping, flapping_primary_does_not_drag_agent_back) {
  const FlapCase& c = GetParam();
  Settings settings;
  settings.stable_probes = c.stable_probes;
  Rig rig(2, settings);
  connected_on(rig, 1);
  for (std::size_t i = 0; i < c.probes.size(); ++i) {
    run_probe(rig, c.probes[i]);
    const bool back = c.fails_back_at && i >= *c.fails_back_at;
    EXPECT_EQ(rig.machine.current_gateway(), back ? 0U : 1U) << "after probe " << i;
    EXPECT_EQ(rig.machine.counters().failbacks, back ? 1U : 0U) << "after probe " << i;
    if (back) break;
  }
  EXPECT_EQ(rig.machine.counters().heartbeats_missed, 0U);  // probes do not count there
  EXPECT_EQ(rig.machine.counters().failovers, 0U);
}

using O = Outcome;
INSTANTIATE_TEST_SUITE_P(
    Patterns, Flapping,
    ::testing::Values(
        FlapCase{"up_and_down_by_turns",
                 2,
                 {O::healthy, O::refused, O::healthy, O::missed, O::healthy, O::timeout, O::healthy,
                  O::refused},
                 std::nullopt},
        FlapCase{"two_up_of_three_is_not_stable",
                 3,
                 {O::healthy, O::healthy, O::refused, O::healthy, O::healthy, O::missed},
                 std::nullopt},
        FlapCase{"never_up", 2, {O::refused, O::timeout, O::missed, O::refused}, std::nullopt},
        FlapCase{"stable_after_a_failure", 2, {O::refused, O::healthy, O::healthy}, 2},
        FlapCase{"stable_three", 3, {O::healthy, O::missed, O::healthy, O::healthy, O::healthy}, 4},
        FlapCase{"one_probe_is_enough_when_configured", 1, {O::healthy}, 0}),
    [](const ::testing::TestParamInfo<FlapCase>& row) { return std::string(row.param.name); });

TEST(FailoverFailback, failed_probe_resets_the_count_and_waits_a_probe_interval) {
  Rig rig(2);
  connected_on(rig, 1);
  run_probe(rig, Outcome::healthy);
  EXPECT_EQ(rig.machine.gateways()[0].healthy_probes, 1U);

  const Actions out = run_probe(rig, Outcome::missed);
  ASSERT_EQ(out.size(), 3U);
  const SessionId p = std::get<Close>(out[0]).session;
  EXPECT_EQ(out, (Actions{Close{p, "probe-heartbeat-missed"},
                          Report{Kind::dead, 0, std::nullopt, "probe-heartbeat-missed"},
                          Schedule{t0 + 62s + 30s}}));
  EXPECT_EQ(rig.machine.gateways()[0].healthy_probes, 0U);
  EXPECT_EQ(rig.machine.gateways()[0].last_error, "probe-heartbeat-missed");
  EXPECT_EQ(rig.machine.next_probe(), t0 + 92s);
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

TEST(FailoverFailback, probe_bound_leaves_room_for_the_first_heartbeat) {
  // A probe interval shorter than a heartbeat round would time every probe out.
  Settings settings;
  settings.probe_interval = 500ms;
  Rig rig(2, settings);
  connected_on(rig, 1);
  const Actions opened = rig.at(500ms, Tick{});
  EXPECT_EQ(opened.back(), Action{Schedule{t0 + 500ms + 2s}});
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
  Rig rig(3, {}, {0.0});
  SessionId s = Rig::opened(rig.at(0ms, Start{}));
  s = Rig::opened(rig.at(0ms, GoodbyeReceived{s, "busy", 80s}));
  s = Rig::opened(rig.at(0ms, Closed{s, "connect-refused"}));
  rig.at(0ms, Connected{s});
  EXPECT_EQ(rig.machine.current_gateway(), 2U);

  run_probe(rig, Outcome::healthy, 1);
  const Actions out = run_probe(rig, Outcome::healthy, 1);
  ASSERT_EQ(out.size(), 4U);
  EXPECT_EQ(out[2], (Action{Report{Kind::failback, 2, 1, "stable-probes"}}));
  EXPECT_EQ(out[3], Action{Schedule{t0 + 62s + 30s}});
  EXPECT_EQ(rig.machine.current_gateway(), 1U);

  // The primary's stay-away is over by now: it is probed, and the agent fails back again.
  run_probe(rig, Outcome::healthy, 0);
  run_probe(rig, Outcome::healthy, 0);
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
            (Actions{Promote{p}, Report{Kind::failover, 2, 0, "reset"}}));
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

TEST(FailoverFailback, healthy_probe_streak_does_not_survive_a_failover) {
  Rig rig(3);
  const SessionId s1 = connected_on(rig, 1);
  run_probe(rig, Outcome::healthy);
  EXPECT_EQ(rig.machine.gateways()[0].healthy_probes, 1U);
  const SessionId s2 = Rig::opened(rig.at(40s, Closed{s1, "reset"}));
  rig.at(40s, Connected{s2});
  EXPECT_EQ(rig.machine.gateways()[0].healthy_probes, 0U);
  EXPECT_EQ(rig.machine.next_probe(), t0 + 70s);
}

}  // namespace
}  // namespace gatelink::failover
