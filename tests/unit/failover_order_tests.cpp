// Order and detection: the primary first, then the failovers in order, a dead gateway left at
// once, backoff after the last one, and the silent gateway found after exactly `misses` misses.

#include <algorithm>
#include <functional>
#include <optional>
#include <string>

#include "unit/failover_test_support.hpp"

namespace gatelink::failover {
namespace {

using namespace testing_support;
using Kind = Report::Kind;

TEST(FailoverOrder, start_connects_to_primary) {
  Rig rig(3);
  const Actions started = rig.at(0ms, Start{});
  const SessionId s = Rig::opened(started);
  EXPECT_EQ(started, (Actions{Connect{s, 0, Purpose::active}}));
  EXPECT_EQ(rig.machine.state(), State::connecting);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
  EXPECT_EQ(rig.machine.active_session(), s);

  // The primary needs no failback probe, so nothing is scheduled.
  EXPECT_EQ(rig.at(40ms, Connected{s}),
            (Actions{Report{Kind::connected, std::nullopt, 0, "welcome"}}));
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.since(), t0 + 40ms);
  EXPECT_EQ(rig.machine.gateways()[0].last_seen, t0 + 40ms);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt);
}

// Every way a connected gateway can die moves the agent to the next one at once.
struct Death {
  const char* name;
  std::function<Actions(Rig&, SessionId, Duration)> kill;
  std::string reason;
  std::optional<std::string> close;  ///< the machine closes the session itself, with this reason
};

class PrimaryDies : public ::testing::TestWithParam<Death> {};

TEST_P(PrimaryDies, primary_dies_moves_to_first_failover) {
  const Death& death = GetParam();
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const Actions out = death.kill(rig, s0, 5s);
  const SessionId s1 = Rig::opened(out);
  Actions expected;
  if (death.close) expected.emplace_back(Close{s0, *death.close});
  expected.emplace_back(Report{Kind::failover, 0, 1, death.reason});
  expected.emplace_back(Connect{s1, 1, Purpose::active});
  EXPECT_EQ(out, expected);
  EXPECT_NE(s1, s0);
  EXPECT_EQ(rig.machine.state(), State::connecting);
  EXPECT_EQ(rig.machine.current_gateway(), 1U);
  EXPECT_EQ(rig.machine.gateways()[0].last_error, death.reason);
  EXPECT_EQ(rig.machine.counters().failovers, 1U);
  EXPECT_EQ(rig.machine.counters().reconnects, 0U);
}

INSTANTIATE_TEST_SUITE_P(
    EveryDeath, PrimaryDies,
    ::testing::Values(Death{"reset",
                            [](Rig& r, SessionId s, Duration when) {
                              return r.at(when, Closed{s, "reset"});
                            },
                            "reset", std::nullopt},
                      Death{"end_of_stream",
                            [](Rig& r, SessionId s, Duration when) {
                              return r.at(when, Closed{s, "end-of-stream"});
                            },
                            "end-of-stream", std::nullopt},
                      Death{"heartbeat_timeout",
                            [](Rig& r, SessionId s, Duration when) {
                              r.at(when - 2s, HeartbeatMissed{s, 1});
                              r.at(when - 1s, HeartbeatMissed{s, 2});
                              return r.at(when, HeartbeatMissed{s, 3});
                            },
                            "heartbeat-timeout", "heartbeat-timeout"},
                      Death{"goodbye_drain",
                            [](Rig& r, SessionId s, Duration when) {
                              return r.at(when, GoodbyeReceived{s, "drain", std::nullopt});
                            },
                            "goodbye:drain", "goodbye"}),
    [](const ::testing::TestParamInfo<Death>& row) { return std::string(row.param.name); });

// Whatever stops a session from coming up — the I/O layer enforces the connect and handshake
// deadlines and reports them as a close — is handled like any close: next gateway, at once.
class ConnectFails : public ::testing::TestWithParam<const char*> {};

TEST_P(ConnectFails, failed_connect_moves_on_without_counting_a_failover) {
  Rig rig(3);
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  const Actions out = rig.at(3s, Closed{s0, GetParam()});
  const SessionId s1 = Rig::opened(out);
  EXPECT_EQ(out,
            (Actions{Report{Kind::failover, 0, 1, GetParam()}, Connect{s1, 1, Purpose::active}}));
  EXPECT_EQ(rig.machine.gateways()[0].last_error, GetParam());
  EXPECT_EQ(rig.machine.gateways()[0].last_seen, std::nullopt);
  // Never connected, so this is not a failover the operator has to count.
  EXPECT_EQ(rig.machine.counters().failovers, 0U);
  EXPECT_EQ(rig.machine.state(), State::connecting);
}

INSTANTIATE_TEST_SUITE_P(EveryFailure, ConnectFails,
                         ::testing::Values("connect-timeout", "handshake-timeout",
                                           "connect-refused", "expired", "wrong-name", "revoked"),
                         [](const ::testing::TestParamInfo<const char*>& row) {
                           std::string name = row.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(FailoverOrder, first_failover_dies_moves_to_second) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const SessionId s1 = Rig::opened(rig.at(1s, Closed{s0, "reset"}));
  rig.at(1010ms, Connected{s1});

  const Actions out = rig.at(9s, Closed{s1, "reset"});
  const SessionId s2 = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Report{Kind::failover, 1, 2, "reset"}, Connect{s2, 2, Purpose::active}}));
  EXPECT_EQ(rig.machine.counters().failovers, 2U);

  // Welcomed on the last failover: report it and plan the first failback probe.
  EXPECT_EQ(
      rig.at(9020ms, Connected{s2}),
      (Actions{Report{Kind::connected, std::nullopt, 2, "welcome"}, Schedule{t0 + 9020ms + 30s}}));
  EXPECT_EQ(rig.machine.current_gateway(), 2U);
  EXPECT_EQ(rig.machine.next_probe(), t0 + 9020ms + 30s);
}

// The detail of a failure is shown beside its key in status; the machine keeps it bounded and
// never lets it outlive the failure it came with.
TEST(FailoverOrder, a_failure_keeps_its_detail_until_the_next_failure_of_that_gateway) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const SessionId s1 =
      Rig::opened(rig.at(1s, Closed{s0, "handshake-failed", "wrong version number"}));
  EXPECT_EQ(rig.machine.gateways()[0].last_error, "handshake-failed");
  EXPECT_EQ(rig.machine.gateways()[0].last_error_detail, "wrong version number");

  const SessionId s2 = Rig::opened(rig.at(2s, Closed{s1, "protocol-error", std::string(5000, 'x')}));
  EXPECT_EQ(rig.machine.gateways()[1].last_error_detail, std::string(kMaxDetail, 'x'));

  rig.script({0.5});
  rig.at(3s, Closed{s2, "connect-refused"});
  EXPECT_EQ(rig.machine.gateways()[2].last_error_detail, std::nullopt);
  // Backoff, then the primary again: its new failure replaces the old detail.
  const auto retry = std::chrono::duration_cast<Duration>(*rig.machine.next_retry() - t0);
  const SessionId again = Rig::opened(rig.at(retry, Tick{}));
  rig.at(retry + 10ms, Closed{again, "connect-timeout"});
  EXPECT_EQ(rig.machine.gateways()[0].last_error, "connect-timeout");
  EXPECT_EQ(rig.machine.gateways()[0].last_error_detail, std::nullopt);
}

TEST(FailoverOrder, all_dead_backs_off_then_retries_primary) {
  Rig rig(3);
  SessionId s = Rig::opened(rig.at(0ms, Start{}));
  s = Rig::opened(rig.at(10ms, Closed{s, "connect-refused"}));
  s = Rig::opened(rig.at(20ms, Closed{s, "connect-refused"}));

  // The last gateway fails: a full pass without success. Full jitter of base·2^0 = 500 ms.
  rig.script({0.5});
  EXPECT_EQ(rig.at(30ms, Closed{s, "connect-refused"}),
            (Actions{Report{Kind::backoff, 2, std::nullopt, "connect-refused"},
                     Schedule{t0 + 30ms + 250ms}}));
  EXPECT_EQ(rig.machine.state(), State::backoff);
  EXPECT_EQ(rig.machine.current_gateway(), std::nullopt);
  EXPECT_EQ(rig.machine.next_retry(), t0 + 280ms);

  // Too early: nothing happens, but the timer that fired is armed again.
  EXPECT_EQ(rig.at(279ms, Tick{}), (Actions{Schedule{t0 + 280ms}}));

  // Then the primary again.
  Actions out = rig.at(280ms, Tick{});
  s = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Report{Kind::reconnect, std::nullopt, 0, "backoff-over"},
                          Connect{s, 0, Purpose::active}}));
  EXPECT_EQ(rig.machine.counters().reconnects, 1U);
  EXPECT_EQ(rig.machine.next_retry(), std::nullopt);

  // A second failed pass in a row doubles the window: 0.5 × 1000 ms.
  s = Rig::opened(rig.at(300ms, Closed{s, "connect-refused"}));
  s = Rig::opened(rig.at(310ms, Closed{s, "connect-refused"}));
  rig.script({0.5});
  rig.at(320ms, Closed{s, "connect-refused"});
  EXPECT_EQ(rig.machine.next_retry(), t0 + 320ms + 500ms);

  // A success resets the exponent: the next backoff is drawn from base again.
  s = Rig::opened(rig.at(820ms, Tick{}));
  rig.at(830ms, Connected{s});
  s = Rig::opened(rig.at(5s, Closed{s, "reset"}));
  s = Rig::opened(rig.at(5010ms, Closed{s, "reset"}));
  rig.script({1.0});
  rig.at(5020ms, Closed{s, "reset"});
  EXPECT_EQ(rig.machine.next_retry(), t0 + 5020ms + 500ms);
  EXPECT_EQ(rig.machine.counters().failovers, 1U);  // only the move away from a connected gateway
  EXPECT_EQ(rig.machine.counters().reconnects, 2U);
}

// The silent gateway is dead after exactly `misses` misses, i.e. at misses × interval.
class SilentGateway : public ::testing::TestWithParam<unsigned> {};

TEST_P(SilentGateway, silent_gateway_is_dead_after_exactly_misses_heartbeats) {
  const unsigned misses = GetParam();
  Settings settings = test_settings();
  settings.heartbeat_misses = misses;
  Rig rig(2, settings);
  const SessionId s0 = rig.connected_on_primary();
  for (unsigned i = 1; i < misses; ++i) {
    EXPECT_EQ(rig.at(settings.heartbeat_interval * i, HeartbeatMissed{s0, i}), Actions{}) << i;
    EXPECT_EQ(rig.machine.state(), State::connected);
    EXPECT_EQ(rig.machine.consecutive_misses(), i);
  }
  const Actions out = rig.at(settings.heartbeat_interval * misses, HeartbeatMissed{s0, misses});
  const SessionId s1 = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Close{s0, "heartbeat-timeout"},
                          Report{Kind::failover, 0, 1, "heartbeat-timeout"},
                          Connect{s1, 1, Purpose::active}}));
  EXPECT_EQ(rig.machine.counters().heartbeats_missed, misses);
  EXPECT_EQ(rig.machine.consecutive_misses(), 0U);  // counts the new session's misses
  EXPECT_EQ(rig.machine.gateways()[0].last_error, "heartbeat-timeout");
}

INSTANTIATE_TEST_SUITE_P(Misses, SilentGateway, ::testing::Values(2U, 3U, 5U));

TEST(FailoverOrder, silence_counts_again_from_the_last_answer) {
  Rig rig(2);
  const SessionId s0 = rig.connected_on_primary();
  rig.at(1500ms, HeartbeatMissed{s0, 1});
  rig.at(2500ms, HeartbeatMissed{s0, 2});
  EXPECT_EQ(rig.machine.consecutive_misses(), 2U);
  EXPECT_EQ(rig.at(2600ms, HeartbeatAnswered{s0, 12ms}), Actions{});
  EXPECT_EQ(rig.machine.consecutive_misses(), 0U);
  EXPECT_EQ(rig.machine.last_rtt(), 12ms);
  EXPECT_EQ(rig.machine.gateways()[0].last_seen, t0 + 2600ms);

  // The I/O layer counts the silence afresh from that answer: two intervals are only two.
  EXPECT_EQ(rig.at(4100ms, HeartbeatMissed{s0, 1}), Actions{});
  EXPECT_EQ(rig.at(5100ms, HeartbeatMissed{s0, 2}), Actions{});
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.counters().heartbeats_missed, 4U);
  EXPECT_EQ(rig.machine.last_rtt(), 12ms);  // the last answer's, until the session ends
  EXPECT_EQ(rig.at(5600ms, HeartbeatMissed{s0, 3}).size(), 3U);
  EXPECT_EQ(rig.machine.last_rtt(), std::nullopt);
}

TEST(FailoverOrder, the_welcome_sets_how_much_silence_kills_the_session) {
  // The gateway agreed to 5 misses instead of the configured 3: the session lives on.
  Rig rig(2);
  const SessionId s0 = Rig::opened(rig.at(0ms, Start{}));
  rig.at(0ms, Connected{s0, 5});
  EXPECT_EQ(rig.at(3s, HeartbeatMissed{s0, 3}), Actions{});
  EXPECT_EQ(rig.at(4s, HeartbeatMissed{s0, 4}), Actions{});
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(std::get<Close>(rig.at(5s, HeartbeatMissed{s0, 5})[0]).reason, "heartbeat-timeout");
}

TEST(FailoverOrder, single_gateway_list_reconnects_to_itself) {
  Rig rig(1);
  const SessionId s0 = rig.connected_on_primary();
  rig.script({0.4});
  EXPECT_EQ(rig.at(7s, Closed{s0, "reset"}),
            (Actions{Report{Kind::backoff, 0, std::nullopt, "reset"}, Schedule{t0 + 7200ms}}));
  const Actions out = rig.at(7200ms, Tick{});
  const SessionId s1 = Rig::opened(out);
  EXPECT_EQ(out, (Actions{Report{Kind::reconnect, std::nullopt, 0, "backoff-over"},
                          Connect{s1, 0, Purpose::active}}));
  EXPECT_NE(s1, s0);
  EXPECT_EQ(rig.machine.counters().reconnects, 1U);
  EXPECT_EQ(rig.machine.counters().failovers, 0U);
  rig.at(7210ms, Connected{s1});
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
}

TEST(FailoverOrder, dead_failover_does_not_wrap_to_primary_before_backoff) {
  // After the last gateway the agent waits (the fleet must spread) before the primary again.
  Rig rig(2);
  SessionId s = Rig::opened(rig.at(0ms, Start{}));
  s = Rig::opened(rig.at(1ms, Closed{s, "connect-refused"}));
  rig.at(2ms, Connected{s});
  rig.script({0.0});
  EXPECT_EQ(rig.at(3s, Closed{s, "reset"}),
            (Actions{Report{Kind::backoff, 1, std::nullopt, "reset"}, Schedule{t0 + 3s}}));
  EXPECT_EQ(rig.machine.state(), State::backoff);
}

}  // namespace
}  // namespace gatelink::failover
