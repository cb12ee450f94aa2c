// Warm standby: while connected, a quiet session to the next gateway in order, promoted without
// a handshake when the active one dies; reopened after the probe interval when it is lost; moved
// along when the agent fails back. Off unless configured.

#include <optional>
#include <string>
#include <vector>

#include "unit/failover_test_support.hpp"

namespace gatelink::failover {
namespace {

using namespace testing_support;
using Kind = Report::Kind;

Settings standby_settings() {
  Settings s = test_settings();
  s.warm_standby = true;
  return s;
}

/// The one Connect of `purpose` in `out`, or nullopt.
std::optional<Connect> connect_of(const Actions& out, Purpose purpose) {
  for (const Action& a : out) {
    if (const auto* c = std::get_if<Connect>(&a); c != nullptr && c->purpose == purpose) return *c;
  }
  return std::nullopt;
}

bool has(const Actions& out, const Action& action) {
  return std::find(out.begin(), out.end(), action) != out.end();
}

/// On the primary with a welcomed standby to gw1: the active session and the standby's.
std::pair<SessionId, SessionId> on_primary_with_standby(Rig& rig) {
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  const Actions welcomed = rig.at(10ms, Connected{s0});
  const auto standby = connect_of(welcomed, Purpose::standby);
  EXPECT_TRUE(standby) << ::testing::PrintToString(welcomed);
  if (!standby) return {s0, 0};
  EXPECT_EQ(standby->gateway, 1U);
  EXPECT_EQ(rig.at(20ms, Connected{standby->session}), Actions{});
  EXPECT_EQ(rig.at(1s, HeartbeatAnswered{standby->session, 2ms}), Actions{});
  return {s0, standby->session};
}

TEST(FailoverStandby, is_off_unless_configured) {
  Rig rig(3);
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  EXPECT_EQ(rig.at(10ms, Connected{s0}),
            (Actions{Report{Kind::connected, std::nullopt, 0, "welcome"}}));
  EXPECT_EQ(rig.machine.standby(), nullptr);
}

TEST(FailoverStandby, opens_to_the_next_gateway_once_connected_and_stays_quiet) {
  Rig rig(3, standby_settings());
  const auto [s0, standby] = on_primary_with_standby(rig);
  ASSERT_NE(rig.machine.standby(), nullptr);
  EXPECT_EQ(rig.machine.standby()->id, standby);
  EXPECT_EQ(rig.machine.standby()->phase, Phase::healthy);
  // Its answers are its own: the active session's figures stay the active one's.
  EXPECT_EQ(rig.machine.last_rtt(), std::nullopt);
  EXPECT_EQ(rig.machine.gateways()[1].last_seen, t0 + 1s);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
}

TEST(FailoverStandby, takes_over_at_once_when_the_active_one_dies) {
  Rig rig(3, standby_settings());
  IoModel io;
  const auto [s0, standby] = on_primary_with_standby(rig);
  io.apply({Connect{s0, 0, Purpose::active}, Connect{standby, 1, Purpose::standby}});
  io.lost(s0);
  rig.script({0.5});  // the new standby: half a probe interval (30 s) on
  const Actions out = rig.at(5s, Closed{s0, "connection-reset"});
  io.apply(out);
  EXPECT_EQ(io.traffic, standby);
  // Promoted and reported (connected at once); no new active connection, and the next standby
  // not yet: every agent of the dead gateway is promoted in this instant.
  ASSERT_GE(out.size(), 3U);
  EXPECT_EQ(out[0], Action{Promote{standby}});
  EXPECT_EQ(out[1], (Action{Report{Kind::failover, 0, 1, "connection-reset"}}));
  EXPECT_EQ(out[2], (Action{Report{Kind::connected, std::nullopt, 1, "promoted"}}));
  EXPECT_EQ(connect_of(out, Purpose::active), std::nullopt);
  EXPECT_EQ(connect_of(out, Purpose::standby), std::nullopt);
  EXPECT_EQ(connect_of(rig.at(19s, Tick{}), Purpose::standby), std::nullopt);
  const auto next = connect_of(rig.at(20s, Tick{}), Purpose::standby);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->gateway, 2U);
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.current_gateway(), 1U);
  EXPECT_EQ(rig.machine.active_session(), standby);
  EXPECT_EQ(rig.machine.since(), t0 + 5s);
  EXPECT_EQ(rig.machine.counters().failovers, 1U);
  // Promoted, it is watched like any active session.
  rig.at(6s, HeartbeatMissed{standby, 1});
  EXPECT_EQ(rig.machine.consecutive_misses(), 1U);
}

TEST(FailoverStandby, one_still_connecting_to_the_next_gateway_becomes_the_attempt) {
  Rig rig(3, standby_settings());
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  const auto standby = connect_of(rig.at(10ms, Connected{s0}), Purpose::standby);
  ASSERT_TRUE(standby);
  const Actions out = rig.at(15ms, Closed{s0, "connection-reset"});
  EXPECT_EQ(out,
            (Actions{Report{Kind::failover, 0, 1, "connection-reset"}, Promote{standby->session}}));
  EXPECT_EQ(rig.machine.state(), State::connecting);
  EXPECT_EQ(rig.machine.active_session(), standby->session);
  const Actions welcomed = rig.at(30ms, Connected{standby->session});
  EXPECT_TRUE(has(welcomed, Report{Kind::connected, std::nullopt, 1, "welcome"}));
  EXPECT_EQ(connect_of(welcomed, Purpose::standby)->gateway, 2U);
}

TEST(FailoverStandby, a_lost_standby_is_opened_again_after_the_probe_interval) {
  Rig rig(3, standby_settings());
  const auto [s0, standby] = on_primary_with_standby(rig);
  const Actions lost = rig.at(2s, Closed{standby, "connection-reset"});
  EXPECT_EQ(lost, (Actions{Report{Kind::standby_lost, 1, std::nullopt, "connection-reset"},
                           Schedule{t0 + 32s}}));
  EXPECT_EQ(rig.machine.standby(), nullptr);
  EXPECT_EQ(rig.machine.gateways()[1].last_error, "connection-reset");
  EXPECT_EQ(rig.at(31s, Tick{}), (Actions{Schedule{t0 + 32s}}));
  const Actions again = rig.at(32s, Tick{});
  ASSERT_TRUE(connect_of(again, Purpose::standby));
  EXPECT_EQ(connect_of(again, Purpose::standby)->gateway, 1U);
  // The active one dying meanwhile with no standby up: the ordinary failover.
  const Actions moved = rig.at(33s, Closed{s0, "connection-reset"});
  EXPECT_EQ(connect_of(moved, Purpose::active), std::nullopt) << "the standby is the attempt";
}

TEST(FailoverStandby, a_silent_standby_is_dead_at_the_silence_limit_only) {
  Rig rig(3, standby_settings());
  const auto [s0, standby] = on_primary_with_standby(rig);
  EXPECT_EQ(rig.at(7s, HeartbeatMissed{standby, 1}), Actions{});
  EXPECT_EQ(rig.at(12s, HeartbeatMissed{standby, 2}), Actions{});
  const Actions dead = rig.at(15s, HeartbeatMissed{standby, 3});
  EXPECT_TRUE(has(dead, Close{standby, "heartbeat-timeout"}));
  EXPECT_TRUE(has(dead, Report{Kind::standby_lost, 1, std::nullopt, "heartbeat-timeout"}));
  EXPECT_EQ(rig.machine.counters().heartbeats_missed, 0U) << "the active session's count";
}

TEST(FailoverStandby, a_busy_gateway_refusing_the_standby_is_skipped_until_its_retry_after) {
  Rig rig(4, standby_settings());
  const auto [s0, standby] = on_primary_with_standby(rig);
  rig.script({0.5});  // the retry-after's jitter
  rig.at(2s, GoodbyeReceived{standby, "busy", 60s});
  ASSERT_TRUE(rig.machine.gateways()[1].retry_not_before);
  const Actions again = rig.at(32s, Tick{});
  ASSERT_TRUE(connect_of(again, Purpose::standby));
  EXPECT_EQ(connect_of(again, Purpose::standby)->gateway, 2U) << "the next one that takes it";
}

TEST(FailoverStandby, none_on_the_last_gateway) {
  Rig rig(2, standby_settings());
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  const SessionId s1 = Rig::opened(rig.at(5ms, Closed{s0, "connect-refused"}));
  const Actions welcomed = rig.at(10ms, Connected{s1});
  EXPECT_EQ(connect_of(welcomed, Purpose::standby), std::nullopt);
  EXPECT_EQ(rig.machine.standby(), nullptr);
}

TEST(FailoverStandby, failing_back_moves_the_standby_to_the_next_after_the_primary) {
  Rig rig(3, standby_settings());
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  const SessionId s1 = Rig::opened(rig.at(5ms, Closed{s0, "connect-refused"}));
  const auto standby = connect_of(rig.at(10ms, Connected{s1}), Purpose::standby);
  ASSERT_TRUE(standby);
  EXPECT_EQ(standby->gateway, 2U);
  rig.at(20ms, Connected{standby->session});
  // The probe of the primary holds for its window (60 s) and the agent moves back.
  const SessionId p = Rig::opened(rig.at(30010ms, Tick{}));
  rig.at(30020ms, Connected{p});
  for (Duration at = 31s; at < 91s; at += 1s) rig.at(at, HeartbeatAnswered{p, 3ms});
  const Actions back = rig.at(91s, Tick{});
  EXPECT_EQ(back[0], Action{Promote{p}});
  EXPECT_TRUE(has(back, Close{s1, "failback"}));
  EXPECT_TRUE(has(back, Close{standby->session, "superseded"}));
  const auto next = connect_of(back, Purpose::standby);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->gateway, 1U);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
}

TEST(FailoverStandby, stop_closes_it_too) {
  Rig rig(3, standby_settings());
  const auto [s0, standby] = on_primary_with_standby(rig);
  const Actions out = rig.at(3s, Stop{});
  EXPECT_EQ(out, (Actions{Close{s0, "stop"}, Close{standby, "stop"}}));
}

}  // namespace
}  // namespace gatelink::failover
