// A pushed topology, as a gateway sends it, through everything the agent does with it: decoded
// and converted (pushed_topology), validated (validate_topology), then handed as a
// TopologyPushed event to a failover::Machine connected on a session, in virtual time, and
// followed until it has had its effect: every session the machine opens then (the handover to a
// new primary, failback probes) is welcomed and answered, or refused, as the scenario says.
// Checks that each push is acknowledged once, to its gateway, with its generation; that an
// invalid topology is refused and never persisted, pending or in use; that a push never takes
// the traffic's session away (DESIGN "Topology: push, change, persistence"); that a pending
// topology whose new primary answers is the one in use in the end; and that the same push again
// changes nothing.
//
// Input: one scenario byte (bits 0-1: the gateway in use, 0 to 2; bit 2: handovers to a new
// primary fail; bit 3: failback probes fail), then what the gateway pushed: today the body of a
// topology_push frame. When the push carries a signed XML document instead, pushed_topology() is
// the one function to change, and the seeds (make_seeds.cpp) with it.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <set>
#include <span>
#include <variant>
#include <vector>

#include "codec/codec.hpp"
#include "failover/failover_machine.hpp"
#include "topology/topology.hpp"

namespace {

using namespace gatelink;
using namespace gatelink::failover;
using namespace std::chrono_literals;

/// What the gateway pushed, as the agent reads it; nullopt when the bytes are not a push
/// (refusals of the frame itself are the codec target's).
std::optional<Topology> pushed_topology(std::span<const std::uint8_t> push) {
  auto message = codec::decode_body(codec::MessageType::topology_push, push);
  if (!message) return std::nullopt;
  return codec::to_topology(std::get<codec::TopologyPush>(*message));
}

/// The topology in use before the push: the sample configuration's (config/agent.xml), of
/// which the seeds' pushes are variations.
Topology starting_topology() {
  return Topology{
      .generation = 0,
      .management_group = "EXAMPLE",
      .primary = {"gw1.example.test", 5723, ""},
      .failover = {{"gw2.example.test", 5723, ""}, {"127.0.0.1", 15803, "gw3.example.test"}}};
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "topology_push_fuzz: %s\n", what);
  std::abort();
}

/// The machine and a model of the I/O layer that carries its actions out in virtual time.
struct Rig {
  Machine machine{Settings{}, starting_topology(), [] { return 0.5; }};
  TimePoint now = TimePoint{} + std::chrono::hours(1000);
  std::optional<TimePoint> timer;  ///< the machine's last Schedule
  std::set<SessionId> open;        ///< sessions the I/O layer holds
  std::deque<Connect> opened;      ///< opened and not reported on yet
  SessionId traffic = 0;           ///< the session carrying traffic
  bool guard = false;              ///< once set, traffic must always have a session
  std::vector<Acknowledge> acks;
  std::vector<Persist> persisted;

  void feed(const Event& event) {
    for (Action& action : machine.handle(event, now)) {
      if (auto* c = std::get_if<Connect>(&action)) {
        if (guard && c->purpose == Purpose::active) fail("a push started a new active session");
        open.insert(c->session);
        opened.push_back(*c);
        if (c->purpose == Purpose::active) traffic = c->session;
      } else if (auto* p = std::get_if<Promote>(&action)) {
        if (!open.contains(p->session)) fail("promoted a session that is not open");
        traffic = p->session;
      } else if (auto* x = std::get_if<Close>(&action)) {
        open.erase(x->session);
        if (traffic == x->session) traffic = 0;
      } else if (auto* s = std::get_if<Schedule>(&action)) {
        timer = s->at;
      } else if (auto* a = std::get_if<Acknowledge>(&action)) {
        acks.push_back(std::move(*a));
      } else if (auto* persist = std::get_if<Persist>(&action)) {
        if (validate_topology(persist->topology) || persist->topology.generation == 0) {
          fail("persisted an invalid topology");
        }
        persisted.push_back(std::move(*persist));
      }
      if (guard && !open.contains(traffic)) fail("no session carries the traffic");
    }
  }

  /// Reports on the sessions opened since the last call: welcomed and answering, or refused
  /// (handovers with `handover`, the others with `others`).
  void report_opened(bool handover, bool others) {
    while (!opened.empty()) {
      const SessionId s = opened.front().session;
      const bool answer = opened.front().purpose == Purpose::handover ? handover : others;
      opened.pop_front();
      if (answer) {
        feed(Connected{s});
        feed(HeartbeatAnswered{s, 20ms});
      } else {
        open.erase(s);
        feed(Closed{s, "connect-refused"});
      }
    }
  }

  /// Every open session answers its heartbeats; then the machine's timer fires.
  bool next_deadline() {
    if (!timer) return false;
    now = std::max(now, *timer);
    timer.reset();
    for (const SessionId s : std::set<SessionId>(open)) feed(HeartbeatAnswered{s, 20ms});
    feed(Tick{});
    return true;
  }

  /// The one acknowledgement of a push to `session` among acks[from...].
  const Acknowledge& only_ack(std::size_t from, SessionId session, std::uint64_t generation) {
    if (acks.size() != from + 1) fail("a push was not acknowledged exactly once");
    const Acknowledge& ack = acks.back();
    if (ack.session != session || ack.generation != generation) {
      fail("a push was acknowledged to another session or generation");
    }
    return ack;
  }

  /// Whatever the machine holds is a valid topology.
  void check_held() const {
    if (validate_topology(machine.topology())) fail("an invalid topology is in use");
    if (machine.pending() && (validate_topology(machine.pending()->topology) ||
                              machine.pending()->topology.generation == 0)) {
      fail("an invalid topology is pending");
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t in_use = std::min<std::size_t>(data[0] & 3u, 2);
  const bool handover_answers = (data[0] & 4u) == 0;
  const bool probes_answer = (data[0] & 8u) == 0;
  const std::optional<Topology> pushed = pushed_topology({data + 1, size - 1});
  if (!pushed) return 0;
  const bool valid = !validate_topology(*pushed);

  // Connected on gateway `in_use`: the earlier ones refuse, that one welcomes and answers.
  Rig rig;
  rig.feed(Start{});
  for (std::size_t refused = 0; refused < in_use; ++refused) {
    const SessionId s = rig.opened.back().session;
    rig.opened.clear();
    rig.open.erase(s);
    rig.feed(Closed{s, "connect-refused"});
  }
  rig.report_opened(true, true);
  if (rig.machine.state() != State::connected || rig.machine.current_gateway() != in_use) {
    fail("the rig did not connect the machine");
  }
  rig.guard = true;
  const Topology before = rig.machine.topology();
  const SessionId from = rig.traffic;

  rig.feed(TopologyPushed{from, *pushed});
  const TopologyOutcome outcome = rig.only_ack(0, from, pushed->generation).outcome;
  rig.check_held();
  switch (outcome) {
    case TopologyOutcome::applied:
      if (!valid || !(rig.machine.topology() == *pushed) || rig.persisted.size() != 1) {
        fail("an applied push is not the topology in use");
      }
      break;
    case TopologyOutcome::pending:
      if (!valid || !rig.machine.pending() || !(rig.machine.pending()->topology == *pushed) ||
          !(rig.machine.topology() == before) || !rig.persisted.empty()) {
        fail("a pending push is not the pending topology");
      }
      break;
    case TopologyOutcome::ignored:
    case TopologyOutcome::rejected:
      if (!(rig.machine.topology() == before) || rig.machine.pending() || !rig.persisted.empty()) {
        fail("a refused push changed the topology");
      }
      break;
  }
  if (!valid && outcome != TopologyOutcome::rejected) fail("an invalid topology was not rejected");

  // Its effect: the sessions it opens are answered (or refused) until nothing is due, or long
  // enough for a handover to have committed.
  for (int step = 0; step < 16; ++step) {
    rig.report_opened(handover_answers, probes_answer);
    if (!rig.next_deadline()) break;
  }
  rig.check_held();
  if (rig.machine.state() != State::connected || rig.machine.active_session() != rig.traffic) {
    fail("the machine lost its working session");
  }
  // Failback probes look up the list: there is nothing above the primary.
  const bool probing =
      std::any_of(rig.machine.sessions().begin(), rig.machine.sessions().end(),
                  [](const SessionRecord& s) { return s.purpose == Purpose::probe; });
  if (rig.machine.current_gateway() == 0 && (rig.machine.next_probe() || probing)) {
    fail("a probe is due or open while on the primary");
  }
  if (outcome == TopologyOutcome::pending && handover_answers &&
      !(rig.machine.topology() == *pushed && !rig.machine.pending())) {
    fail("a pending topology whose new primary answers did not take effect");
  }

  // The same push again, on the session that carries the traffic now, changes nothing.
  const Topology settled = rig.machine.topology();
  const std::size_t acks = rig.acks.size();
  const std::size_t persisted = rig.persisted.size();
  rig.report_opened(handover_answers, probes_answer);
  rig.feed(TopologyPushed{rig.traffic, *pushed});
  const TopologyOutcome again = rig.only_ack(acks, rig.traffic, pushed->generation).outcome;
  if (!(rig.machine.topology() == settled) || rig.persisted.size() != persisted) {
    fail("the same push again changed the topology");
  }
  if ((outcome == TopologyOutcome::rejected) != (again == TopologyOutcome::rejected)) {
    fail("the same push again was judged otherwise");
  }
  return 0;
}
