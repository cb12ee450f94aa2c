// Pushed topologies through the machine: generation order and validation, applied at once when
// nothing that works is at stake, otherwise pending until the new primary answers a heartbeat
// (make-before-break), with the last topology that worked still failing over meanwhile.

#include <limits>
#include <optional>
#include <string>

#include "unit/failover_test_support.hpp"

namespace gatelink::failover {
namespace {

using namespace testing_support;
using Kind = Report::Kind;

/// The actions of one kind, in order.
template <class A>
std::vector<A> only(const Actions& out) {
  std::vector<A> found;
  for (const Action& a : out) {
    if (const auto* x = std::get_if<A>(&a)) found.push_back(*x);
  }
  return found;
}

/// Index of the first action of kind A in `out` (out.size() when none).
template <class A>
std::size_t first_index(const Actions& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (std::holds_alternative<A>(out[i])) return i;
  }
  return out.size();
}

/// The one Acknowledge in `out` (a failure when there is not exactly one).
Acknowledge ack_in(const Actions& out) {
  const auto acks = only<Acknowledge>(out);
  EXPECT_EQ(acks.size(), 1U) << ::testing::PrintToString(out);
  return acks.empty() ? Acknowledge{} : acks.front();
}

/// The session of the handover Connect in `out` (0 and a failure when there is none).
SessionId handover_in(const Actions& out) {
  for (const Connect& c : only<Connect>(out)) {
    if (c.purpose == Purpose::handover) return c.session;
  }
  ADD_FAILURE() << "expected a handover Connect among " << ::testing::PrintToString(out);
  return 0;
}

/// Connected on the primary at 0, which resets at 1 s; welcomed on gw1 at 1.1 s. Returns gw1's
/// session.
SessionId on_first_failover(Rig& rig) {
  const SessionId s0 = rig.connected_on_primary();
  const SessionId s1 = Rig::opened(rig.at(1s, Closed{s0, "reset"}));
  rig.at(1100ms, Connected{s1});
  return s1;
}

TEST(FailoverTopology, same_primary_applies_at_once_persisted_before_acknowledged) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const Topology pushed = topology_of(5, {"gw0", "gw9", "gw1"});
  const Actions out = rig.at(1s, TopologyPushed{s0, pushed});

  EXPECT_EQ(only<Persist>(out), (std::vector<Persist>{{pushed, gateway("gw0"), t0 + 1s}}));
  EXPECT_EQ(ack_in(out), (Acknowledge{s0, {0, 5}, TopologyOutcome::applied, ""}));
  EXPECT_EQ(only<Report>(out), (std::vector<Report>{Report{Kind::applied, 0, 0, "primary-unchanged",
                                                           TopologyVersion{0, 5}}}));
  EXPECT_LT(first_index<Persist>(out), first_index<Acknowledge>(out));
  EXPECT_TRUE(only<Connect>(out).empty()) << "the working session stays";
  EXPECT_TRUE(only<Close>(out).empty());
  EXPECT_EQ(rig.machine.topology(), pushed);
  EXPECT_EQ(rig.machine.ordered(), pushed.ordered());
  EXPECT_FALSE(rig.machine.pending());

  // The new order is the one failover follows now.
  const SessionId s1 = Rig::opened(rig.at(2s, Closed{s0, "reset"}));
  EXPECT_EQ(rig.machine.session_address(s1), gateway("gw9"));
}

TEST(FailoverTopology, the_same_push_through_another_session_is_acknowledged_as_in_use) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const Topology pushed = topology_of(5, {"gw0", "gw1"});
  rig.at(1s, TopologyPushed{s0, pushed});
  const Actions again = rig.at(2s, TopologyPushed{s0, pushed});
  EXPECT_EQ(again, (Actions{Acknowledge{s0, {0, 5}, TopologyOutcome::applied, "already in use"}}));
}

TEST(FailoverTopology, older_or_equal_generation_is_ignored) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  rig.at(1s, TopologyPushed{s0, topology_of(7, {"gw0", "gw1"})});
  for (const std::uint64_t generation : {7U, 6U, 1U}) {
    const Actions out = rig.at(2s, TopologyPushed{s0, topology_of(generation, {"gw0", "gw5"})});
    EXPECT_EQ(ack_in(out).outcome, TopologyOutcome::ignored) << generation;
    EXPECT_TRUE(only<Persist>(out).empty());
    EXPECT_EQ(rig.machine.topology().generation, 7U);
    EXPECT_EQ(rig.machine.topology().failover, std::vector<GatewayAddress>{gateway("gw1")});
  }
}

TEST(FailoverTopology, invalid_push_is_rejected_and_the_current_one_kept) {
  Topology duplicate = topology_of(3, {"gw0", "gw1", "gw1"});
  Topology other_group = topology_of(3, {"gw0", "gw1"});
  other_group.management_group = "OTHER";
  Topology too_many = topology_of(3, {"gw0"});
  for (int i = 1; i <= 16; ++i) {
    too_many.failover.push_back(gateway(std::string("f").append(std::to_string(i))));
  }
  Topology no_primary = topology_of(3, {"gw0"});
  no_primary.primary = GatewayAddress{};
  const std::vector<std::pair<Topology, std::string>> cases = {
      {duplicate, "duplicate"},
      {other_group, "management group OTHER"},
      {too_many, "too many gateways"},
      {no_primary, "no primary"},
      {topology_of(0, {"gw0", "gw5"}), "generation 0"}};
  for (const auto& [pushed, why] : cases) {
    Rig rig(3);
    const SessionId s0 = rig.connected_on_primary();
    const Actions out = rig.at(1s, TopologyPushed{s0, pushed});
    const Acknowledge ack = ack_in(out);
    EXPECT_EQ(ack.outcome, TopologyOutcome::rejected) << why;
    EXPECT_THAT(ack.message, ::testing::HasSubstr(why));
    EXPECT_TRUE(only<Persist>(out).empty()) << why;
    EXPECT_EQ(only<Report>(out).at(0).kind, Kind::rejected);
    EXPECT_EQ(rig.machine.topology(), numbered_topology(3)) << why;
    EXPECT_FALSE(rig.machine.pending()) << why;
  }
}

TEST(FailoverTopology, a_new_epoch_restarts_generations_and_an_older_one_is_ignored) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  Topology seventh = topology_of(7, {"gw0", "gw5"});
  rig.at(1s, TopologyPushed{s0, seventh});
  // A store restored from backup, a key rotation: generation 1 of a later epoch is newer.
  Topology restored = topology_of(1, {"gw0", "gw6"});
  restored.epoch = 1764590400;
  EXPECT_EQ(ack_in(rig.at(2s, TopologyPushed{s0, restored})),
            (Acknowledge{s0, {1764590400, 1}, TopologyOutcome::applied, ""}));
  EXPECT_EQ(rig.machine.topology(), restored);
  // A larger generation of the epoch before is not: nothing goes back.
  Topology stale = topology_of(9, {"gw0", "gw7"});
  const Acknowledge ignored = ack_in(rig.at(3s, TopologyPushed{s0, stale}));
  EXPECT_EQ(ignored.outcome, TopologyOutcome::ignored);
  EXPECT_EQ(ignored.message,
            "epoch 0 generation 9 is not newer than epoch 1764590400 generation 1");
  EXPECT_EQ(rig.machine.topology(), restored);
}

TEST(FailoverTopology, a_version_nothing_could_follow_is_rejected_and_later_pushes_still_apply) {
  constexpr auto kLast = std::numeric_limits<std::uint64_t>::max();
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  Topology last_generation = topology_of(kLast, {"gw0", "gw5"});
  Topology last_epoch = topology_of(1, {"gw0", "gw5"});
  last_epoch.epoch = kLast;
  for (const Topology& pushed : {last_generation, last_epoch}) {
    const Acknowledge ack = ack_in(rig.at(1s, TopologyPushed{s0, pushed}));
    EXPECT_EQ(ack.outcome, TopologyOutcome::rejected);
    EXPECT_THAT(ack.message, ::testing::HasSubstr("reserved"));
    EXPECT_EQ(rig.machine.topology(), numbered_topology(3));
  }
  // The management group's next ordinary push is taken: nothing was frozen.
  const Topology next = topology_of(4, {"gw0", "gw6"});
  EXPECT_EQ(ack_in(rig.at(2s, TopologyPushed{s0, next})).outcome, TopologyOutcome::applied);
  EXPECT_EQ(rig.machine.topology(), next);
}

TEST(FailoverTopology, push_from_a_session_that_is_gone_is_ignored) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  rig.at(1s, Closed{s0, "reset"});
  EXPECT_TRUE(only<Acknowledge>(rig.at(1s, TopologyPushed{s0, topology_of(2, {"gw0"})})).empty());
  EXPECT_EQ(rig.machine.topology().generation, 0U);
}

TEST(FailoverTopology, primary_change_is_pending_until_the_new_primary_answers) {
  Rig rig(3);
  IoModel io;
  io.apply(rig.at(0ms, Start{}));
  const SessionId s0 = io.traffic;
  io.apply(rig.at(10ms, Connected{s0}));
  io.guard_traffic = true;

  const Topology pushed = topology_of(4, {"gw7", "gw8"});
  const Actions out = rig.at(1s, TopologyPushed{s0, pushed});
  io.apply(out);
  EXPECT_EQ(ack_in(out).outcome, TopologyOutcome::pending);
  EXPECT_THAT(ack_in(out).message, ::testing::HasSubstr("gw7.test:5723"));
  EXPECT_TRUE(only<Persist>(out).empty()) << "nothing persisted before it works";
  const SessionId h = handover_in(out);
  EXPECT_EQ(rig.machine.session_address(h), gateway("gw7"));
  ASSERT_TRUE(rig.machine.pending());
  EXPECT_EQ(rig.machine.pending()->topology, pushed);
  EXPECT_EQ(rig.machine.pending()->received_at, t0 + 1s);
  EXPECT_EQ(rig.machine.topology(), numbered_topology(3)) << "the old one stays in use";
  EXPECT_EQ(rig.machine.active_session(), s0);

  // Welcomed is not enough, nor is one answer: the new primary must stay healthy for the whole
  // stable window (30 s × 2) from its first answer on.
  EXPECT_TRUE(only<Persist>(rig.at(1100ms, Connected{h})).empty());
  EXPECT_TRUE(rig.machine.pending());
  EXPECT_EQ(rig.at(1300ms, HeartbeatAnswered{h, 3ms}), (Actions{Schedule{t0 + 61300ms}}));
  for (Duration at = 2300ms; at < 61300ms; at += 1s) {
    EXPECT_TRUE(only<Persist>(rig.at(at, HeartbeatAnswered{h, 3ms})).empty());
  }
  EXPECT_TRUE(rig.machine.pending());

  const Actions committed = rig.at(61300ms, Tick{});
  io.apply(committed);
  EXPECT_EQ(only<Promote>(committed), std::vector<Promote>{Promote{h}});
  EXPECT_LT(first_index<Promote>(committed), first_index<Close>(committed))
      << "make-before-break";
  EXPECT_EQ(only<Close>(committed), (std::vector<Close>{Close{s0, "topology-change"}}));
  EXPECT_EQ(only<Persist>(committed),
            (std::vector<Persist>{{pushed, gateway("gw0"), t0 + 1s}}));
  EXPECT_EQ(ack_in(committed),
            (Acknowledge{h,
                         {0, 4},
                         TopologyOutcome::applied,
                         "the new primary stayed healthy for the stable window"}));
  EXPECT_LT(first_index<Persist>(committed), first_index<Acknowledge>(committed));
  EXPECT_EQ(rig.machine.topology(), pushed);
  EXPECT_FALSE(rig.machine.pending());
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.active_session(), h);
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
  EXPECT_EQ(rig.machine.last_rtt(), 3ms);
  EXPECT_EQ(io.traffic, h);
}

TEST(FailoverTopology, unreachable_new_primary_is_retried_with_backoff_on_the_working_session) {
  Settings settings = test_settings();
  settings.backoff_base = 1000ms;
  Rig rig(3, settings);
  const SessionId s0 = rig.connected_on_primary();
  SessionId h = handover_in(rig.at(1s, TopologyPushed{s0, topology_of(2, {"gw7"})}));

  for (unsigned attempt = 0; attempt < 4; ++attempt) {
    rig.script({0.5});
    const Duration now = 2s + Duration(attempt * 20000);
    const Actions failed = rig.at(now, Closed{h, "connect-refused", "attempt " + std::to_string(attempt)});
    EXPECT_TRUE(only<Connect>(failed).empty());
    const Duration wait = Duration((1000 << attempt) / 2);  // half of base·2^attempt
    EXPECT_EQ(only<Schedule>(failed), std::vector<Schedule>{Schedule{t0 + now + wait}});
    EXPECT_EQ(rig.machine.pending()->last_error, "connect-refused");
    EXPECT_EQ(rig.machine.pending()->last_error_detail, "attempt " + std::to_string(attempt));
    EXPECT_EQ(rig.machine.active_session(), s0) << "still on the working gateway";
    EXPECT_EQ(rig.machine.state(), State::connected);
    EXPECT_TRUE(only<Connect>(rig.at(now + wait - 1ms, Tick{})).empty());
    h = handover_in(rig.at(now + wait, Tick{}));
  }
}

TEST(FailoverTopology, goodbye_from_the_new_primary_is_honoured) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const SessionId h = handover_in(rig.at(1s, TopologyPushed{s0, topology_of(2, {"gw7"})}));
  rig.script({0.0, 0.0});  // backoff draw, retry-after jitter draw
  const Actions out = rig.at(2s, GoodbyeReceived{h, "busy", 10s});
  EXPECT_EQ(only<Close>(out), (std::vector<Close>{Close{h, "goodbye:busy"}}));
  EXPECT_EQ(rig.machine.pending()->retry_at, t0 + 12s);
}

TEST(FailoverTopology, working_session_dies_while_pending_fails_over_along_the_old_topology) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const SessionId h = handover_in(rig.at(1s, TopologyPushed{s0, topology_of(2, {"gw7", "gw8"})}));

  const Actions out = rig.at(2s, Closed{s0, "reset"});
  const SessionId s1 = Rig::opened(out);
  EXPECT_EQ(rig.machine.session_address(s1), gateway("gw1")) << "the old list's next gateway";
  EXPECT_TRUE(only<Close>(out).empty()) << "the handover goes on";
  EXPECT_TRUE(rig.machine.pending());

  // Everything of the old topology is dead too; the new primary answers: that commits.
  rig.at(2100ms, Closed{s1, "connect-refused"});
  const SessionId s2 = rig.machine.active_session().value();
  rig.script({0.5});
  rig.at(2200ms, Closed{s2, "connect-refused"});
  EXPECT_EQ(rig.machine.state(), State::backoff);
  rig.at(2300ms, Connected{h});
  rig.at(2400ms, HeartbeatAnswered{h, 1ms});
  const Actions committed = rig.at(62400ms, Tick{});
  EXPECT_EQ(only<Persist>(committed).size(), 1U);
  EXPECT_EQ(rig.machine.state(), State::connected);
  EXPECT_EQ(rig.machine.topology().generation, 2U);
  EXPECT_EQ(rig.machine.next_retry(), std::nullopt);
}

TEST(FailoverTopology, newer_push_replaces_the_pending_one) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const SessionId h = handover_in(rig.at(1s, TopologyPushed{s0, topology_of(2, {"gw7"})}));

  // The same pending topology again (a gateway pushes after every hello): still pending.
  const Actions again = rig.at(2s, TopologyPushed{s0, topology_of(2, {"gw7"})});
  EXPECT_EQ(ack_in(again).outcome, TopologyOutcome::pending);
  EXPECT_TRUE(only<Connect>(again).empty());

  // Newer, same new primary: the attempt under way is kept.
  const Actions newer = rig.at(3s, TopologyPushed{s0, topology_of(3, {"gw7", "gw1"})});
  EXPECT_EQ(ack_in(newer).outcome, TopologyOutcome::pending);
  EXPECT_TRUE(only<Connect>(newer).empty());
  EXPECT_TRUE(only<Close>(newer).empty());
  EXPECT_EQ(rig.machine.pending()->topology.generation, 3U);

  // Newer, another new primary: the old handover goes, a new one starts.
  const Actions other = rig.at(4s, TopologyPushed{s0, topology_of(4, {"gw8"})});
  EXPECT_EQ(only<Close>(other), (std::vector<Close>{Close{h, "superseded"}}));
  EXPECT_EQ(rig.machine.session_address(handover_in(other)), gateway("gw8"));

  // Older than the pending one: ignored.
  EXPECT_EQ(ack_in(rig.at(5s, TopologyPushed{s0, topology_of(3, {"gw0"})})).outcome,
            TopologyOutcome::ignored);
}

TEST(FailoverTopology, back_to_the_primary_in_use_drops_the_pending_one) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const SessionId h = handover_in(rig.at(1s, TopologyPushed{s0, topology_of(2, {"gw7"})}));
  const Actions out = rig.at(2s, TopologyPushed{s0, topology_of(3, {"gw0", "gw2"})});
  EXPECT_EQ(ack_in(out).outcome, TopologyOutcome::applied);
  EXPECT_EQ(only<Close>(out), (std::vector<Close>{Close{h, "superseded"}}));
  EXPECT_FALSE(rig.machine.pending());
  EXPECT_EQ(rig.machine.topology().generation, 3U);
  // A late report about the dropped handover changes nothing.
  EXPECT_TRUE(only<Persist>(rig.at(3s, HeartbeatAnswered{h, 1ms})).empty());
  EXPECT_EQ(rig.machine.active_session(), s0);
}

TEST(FailoverTopology, dropping_the_gateway_in_use_waits_for_the_primary_even_if_unchanged) {
  Rig rig(3);
  const SessionId s1 = on_first_failover(rig);
  ASSERT_EQ(rig.machine.current_gateway(), 1U);

  // gw1, in use, is not in the new list: applying it at once would drop a working gateway.
  const Actions out = rig.at(2s, TopologyPushed{s1, topology_of(2, {"gw0", "gw2"})});
  EXPECT_EQ(ack_in(out).outcome, TopologyOutcome::pending);
  EXPECT_EQ(rig.machine.session_address(handover_in(out)), gateway("gw0"));
  EXPECT_EQ(rig.machine.active_session(), s1);
}

TEST(FailoverTopology, already_on_the_new_primary_applies_at_once) {
  Rig rig(3);
  const SessionId s1 = on_first_failover(rig);
  rig.at(1300ms, HeartbeatAnswered{s1, 1ms});
  ASSERT_TRUE(rig.machine.next_probe());

  // gw1 in use becomes the primary: it has answered already, nothing to wait for.
  const Actions out = rig.at(2s, TopologyPushed{s1, topology_of(2, {"gw1", "gw0"})});
  EXPECT_EQ(ack_in(out).outcome, TopologyOutcome::applied);
  EXPECT_TRUE(only<Connect>(out).empty());
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt) << "on the primary: nothing to probe";
  const auto reports = only<Report>(out);
  EXPECT_EQ(reports.back(), (Report{Kind::applied, 1, 0, "on-new-primary", TopologyVersion{0, 2}}));
}

TEST(FailoverTopology, records_follow_their_gateway_into_the_new_list) {
  Rig rig(3);
  const SessionId s1 = on_first_failover(rig);
  rig.at(2s, TopologyPushed{s1, topology_of(2, {"gw0", "gw5", "gw1"})});
  EXPECT_EQ(rig.machine.current_gateway(), 2U);
  EXPECT_EQ(rig.machine.gateways()[0].last_error, "reset");
  EXPECT_EQ(rig.machine.gateways()[1].last_error, std::nullopt);
  EXPECT_EQ(rig.machine.gateways()[2].last_seen, t0 + 1100ms);
}

TEST(FailoverTopology, applying_while_connecting_to_a_dropped_gateway_restarts_at_the_primary) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const SessionId h = handover_in(rig.at(1s, TopologyPushed{s0, topology_of(2, {"gw7"})}));
  rig.at(1100ms, Connected{h});
  const SessionId s1 = Rig::opened(rig.at(2s, Closed{s0, "reset"}));
  ASSERT_EQ(rig.machine.state(), State::connecting);

  // The management group goes back to gw0 and drops gw1, which is being dialled: nothing works
  // yet, so it applies at once and the pass starts again at the primary.
  const Actions out = rig.at(2100ms, TopologyPushed{h, topology_of(3, {"gw0", "gw2"})});
  EXPECT_EQ(ack_in(out).outcome, TopologyOutcome::applied);
  EXPECT_THAT(only<Close>(out), ::testing::UnorderedElementsAre(Close{h, "superseded"},
                                                               Close{s1, "not-in-topology"}));
  const SessionId s2 = Rig::opened(out);
  EXPECT_EQ(rig.machine.session_address(s2), gateway("gw0"));
  EXPECT_EQ(rig.machine.state(), State::connecting);
  EXPECT_FALSE(rig.machine.pending());
  EXPECT_EQ(rig.machine.topology().generation, 3U);
}

// Found by the pushed-topology fuzz target: a handover committed while on a failover gateway
// left the failback probe timer running on the new primary (status showed a probe due there).
TEST(FailoverTopology, committed_on_the_new_primary_no_probe_is_due) {
  Rig rig(3);
  const SessionId s1 = on_first_failover(rig);  // the first probe is due at 31.1 s
  const SessionId h = handover_in(rig.at(2s, TopologyPushed{s1, topology_of(2, {"gw7", "gw1"})}));
  rig.at(2100ms, Connected{h});
  rig.at(2200ms, HeartbeatAnswered{h, 3ms});  // healthy: it commits at 62.2 s
  // The probe of gw0 fails, so the next one is due at 63 s: after the commit.
  const SessionId probe = Rig::opened(rig.at(31100ms, Tick{}));
  rig.at(33s, Closed{probe, "connect-refused"});
  ASSERT_TRUE(rig.machine.next_probe());

  rig.at(62200ms, Tick{});
  EXPECT_EQ(rig.machine.topology(), topology_of(2, {"gw7", "gw1"}));
  EXPECT_EQ(rig.machine.current_gateway(), 0U);
  EXPECT_EQ(rig.machine.next_probe(), std::nullopt) << "nothing is above the primary";
}

TEST(FailoverTopology, stop_closes_the_handover_too) {
  Rig rig(3);
  const SessionId s0 = rig.connected_on_primary();
  const SessionId h = handover_in(rig.at(1s, TopologyPushed{s0, topology_of(2, {"gw7"})}));
  const Actions out = rig.at(2s, Stop{});
  EXPECT_EQ(only<Close>(out), (std::vector<Close>{Close{s0, "stop"}, Close{h, "stop"}}));
}

}  // namespace
}  // namespace gatelink::failover
