// A pushed topology, as a gateway relays it, through everything the agent does with it: decoded,
// checked as the endpoint checks it (check_issued: with the test key pinned the signature over
// the exact document bytes first, then the document, agent, management group and version; then
// the push's header against its document, as Endpoint::on_push does), then handed with its
// document as a TopologyPushed event to a failover::Machine connected on a session, in virtual
// time, and followed until it has had its effect: every session the machine opens then (the
// handover to a new primary, failback probes) is welcomed and answered, or refused, as the
// scenario says. The machine starts on the sample configuration's topology as if pushed before,
// in epoch fuzz::kEpoch generation 2, so that older versions have something to lose to.
// Checks that with the key pinned nothing whose signature does not verify over the exact bytes
// gets past check_issued (refused as unsigned or bad-signature, before anything is parsed), let
// alone is applied, pending or persisted; that what the agent takes is exactly its document's
// topology, of this agent and management group; that each push is acknowledged once, to its
// gateway, with its version, and never rejected by the machine once believed; that the version
// in use only ever grows, and a push not newer is ignored; that a persisted topology carries
// its document byte for byte and reads back from the file it is written to; that a push never
// takes the traffic's session away (DESIGN "Topology: push, change, persistence"); that a
// pending topology whose new primary answers is the one in use in the end; and that the same
// push again changes nothing.
//
// Input: one scenario byte (bits 0-1: the gateway in use, 0 to 2; bit 2: handovers to a new
// primary fail; bit 3: failback probes fail; bit 4: the agent pins fuzz::test_key(), else no
// key), then the body of a topology_push frame (refusals of the frame itself are the codec
// target's: undecodable bodies end the run). The seeds (make_seeds.cpp) are documents rendered
// by render_issued_topology, unsigned and signed with fuzz::test_key().

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "codec/codec.hpp"
#include "failover/failover_machine.hpp"
#include "fuzz_trust.hpp"
#include "store/stored_topology.hpp"
#include "store/topology_document.hpp"
#include "store/topology_trust.hpp"
#include "topology/topology.hpp"

namespace {

using namespace gatelink;
using namespace gatelink::failover;
using namespace std::chrono_literals;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "topology_push_fuzz: %s\n", what);
  std::abort();
}

/// The topology in use before the push: the sample configuration's (config/agent.xml), as
/// pushed earlier in fuzz::kEpoch, generation 2. The seeds' pushes are variations of it.
Topology starting_topology() {
  return Topology{
      .epoch = fuzz::kEpoch,
      .generation = 2,
      .management_group = std::string(fuzz::kManagementGroup),
      .primary = {"gw1.example.test", 5723, ""},
      .failover = {{"gw2.example.test", 5723, ""}, {"127.0.0.1", 15803, "gw3.example.test"}}};
}

/// Whether fuzz::test_key() made `push.signature` of exactly `push.document`, asked of the key
/// itself rather than of check_issued.
bool verifies(const codec::TopologyPush& push) {
  return fuzz::test_key().public_key().verifies(push.document, push.signature);
}

/// What the agent believes of `push`, checked as Endpoint::on_push checks it; nullopt when it
/// refuses (nothing then reaches the machine). Aborts when check_issued breaks its promises.
std::optional<TrustedTopology> believed(const codec::TopologyPush& push, bool pinned) {
  const TopologyTrust trust = fuzz::trust(pinned);
  auto trusted =
      check_issued(push.document, push.signature, trust, fuzz::now(), "the pushed document");
  if (!trusted) {
    const TopologyRefusal reason = trusted.error().reason;
    if (trusted.error().message.empty()) fail("a refusal does not say why");
    if (reason == TopologyRefusal::unsigned_document || reason == TopologyRefusal::bad_signature) {
      if (!pinned) fail("a signature was refused with no key pinned");
      if ((reason == TopologyRefusal::unsigned_document) != push.signature.empty()) {
        fail("unsigned and bad-signature are told apart wrongly");
      }
      // Whether a good signature is ever refused is not asked: a second verification of every
      // refused input would halve the runs, and the fuzzer is after what gets through.
      return std::nullopt;
    }
    // The signature first: with a key pinned, bytes it does not cover are not even parsed.
    if (pinned && !verifies(push)) {
      fail(
          "with the key pinned, a document whose signature does not verify was refused for "
          "another reason than its signature");
    }
    return std::nullopt;
  }
  if (pinned && !verifies(push)) {
    fail("with the key pinned, a signature that does not verify passed");
  }
  if (trusted->signed_by != (pinned ? fuzz::test_key().public_key().fingerprint() : "")) {
    fail("signed_by does not name the pinned key that verified it");
  }
  // What is believed is the document's own content, of this agent and group.
  auto parsed = parse_issued_topology(push.document, "again");
  if (!parsed || !(*parsed == trusted->issued)) fail("check_issued believes another document");
  const Topology& topology = trusted->issued.topology;
  if (trusted->issued.agent != fuzz::kAgent) fail("a document for another agent was believed");
  if (topology.management_group != fuzz::kManagementGroup) {
    fail("a document of another management group was believed");
  }
  if (check_issuable(version_of(topology)) || validate_topology(topology)) {
    fail("a document with a reserved version or an invalid topology was believed");
  }
  const auto latest = std::chrono::duration_cast<std::chrono::seconds>(
      (fuzz::now() + kMaxUnsignedEpochLead).time_since_epoch());
  if (!pinned && topology.epoch > static_cast<std::uint64_t>(latest.count())) {
    fail("an unsigned epoch more than a day ahead was believed");
  }
  // The endpoint's own check: the push names its document's version.
  if (version_of(topology) != TopologyVersion{push.epoch, push.generation}) return std::nullopt;
  return std::move(*trusted);
}

/// Whether `bytes` can be kept in a <stored-topology> file (render_stored_topology).
bool keepable(const std::string& bytes) {
  return bytes.find('\r') == bytes.npos && bytes.find("]]>") == bytes.npos &&
         bytes.find('\0') == bytes.npos;
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
  /// The topology in use after the last event, and the last persisted version: neither goes
  /// back.
  Topology in_use = starting_topology();
  TopologyVersion persisted_version = version_of(starting_topology());
  /// Once pushed: the believed topology and the document it came in, the only ones the machine
  /// may take up.
  std::optional<Topology> believed;
  IssuedDocument document;

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
        check_persist(*persist);
        persisted.push_back(std::move(*persist));
      }
      if (guard && !open.contains(traffic)) fail("no session carries the traffic");
    }
    check_held();
  }

  /// A Persist is the believed topology with its document, byte for byte, newer than the last
  /// one, and reads back from the file the agent writes for it.
  void check_persist(const Persist& persist) {
    if (!believed || !(persist.topology == *believed)) {
      fail("persisted a topology that is not the believed document's");
    }
    if (!persist.document || !(*persist.document == document)) {
      fail("persisted a topology without its document's exact bytes and signature");
    }
    if (version_of(persist.topology) <= persisted_version) fail("persisted an older version");
    persisted_version = version_of(persist.topology);
    // As Endpoint::execute(Persist) hands it to TopologyStore::save.
    const PersistedTopology file{.topology = persist.topology,
                                 .received_from = persist.received_from.to_string(),
                                 .received_at = fuzz::now(),
                                 .issued = *persist.document};
    auto text = render_persisted_topology(file);
    if (!text) {
      if (keepable(file.issued.bytes)) fail("a believed document cannot be persisted");
      return;  // in use, not persisted: the endpoint logs it and says so in the ack
    }
    auto again = parse_persisted_topology(*text, "persisted");
    if (!again || !(*again == file)) fail("a persisted topology does not read back");
  }

  /// What the machine holds is the starting topology or the believed one, never older than
  /// what it held, and a pending one is the believed one with its document, newer than that.
  void check_held() {
    const Topology& held = machine.topology();
    if (!(held == in_use)) {
      if (!believed || !(held == *believed)) fail("a topology in use is not the document's");
      if (version_of(held) <= version_of(in_use)) fail("the version in use went back");
      if (persisted.empty() || !(persisted.back().topology == held)) {
        fail("a topology is in use that was not persisted first");
      }
      in_use = held;
    }
    if (const auto& pending = machine.pending()) {
      if (!believed || !(pending->topology == *believed) || !pending->document ||
          !(*pending->document == document)) {
        fail("a pending topology is not the document's");
      }
      if (version_of(pending->topology) <= version_of(held)) {
        fail("a pending topology is not newer than the one in use");
      }
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
  const Acknowledge& only_ack(std::size_t from, SessionId session, TopologyVersion version) {
    if (acks.size() != from + 1) fail("a push was not acknowledged exactly once");
    const Acknowledge& ack = acks.back();
    if (ack.session != session || ack.version != version) {
      fail("a push was acknowledged to another session or version");
    }
    return ack;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t in_use = std::min<std::size_t>(data[0] & 3u, 2);
  const bool handover_answers = (data[0] & 4u) == 0;
  const bool probes_answer = (data[0] & 8u) == 0;
  const bool pinned = (data[0] & 16u) != 0;
  auto message = codec::decode_body(codec::MessageType::topology_push, {data + 1, size - 1});
  if (!message) return 0;
  const auto& push = std::get<codec::TopologyPush>(*message);
  auto trusted = believed(push, pinned);
  if (!trusted) return 0;  // refused: the machine never hears of it
  const Topology pushed = trusted->issued.topology;
  const TopologyVersion version = version_of(pushed);

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

  // As Endpoint::on_push dispatches it.
  rig.believed = pushed;
  rig.document = IssuedDocument{
      .bytes = push.document, .signature = push.signature, .signed_by = trusted->signed_by};
  rig.feed(TopologyPushed{from, pushed, std::make_shared<const IssuedDocument>(rig.document)});
  const TopologyOutcome outcome = rig.only_ack(0, from, version).outcome;
  const bool newer = version > version_of(before);
  switch (outcome) {
    case TopologyOutcome::applied:
      if (!(rig.machine.topology() == pushed) ||
          rig.persisted.size() != (pushed == before ? 0u : 1u)) {
        fail("an applied push is not the topology in use");
      }
      break;
    case TopologyOutcome::pending:
      if (!rig.machine.pending() || !(rig.machine.pending()->topology == pushed) ||
          !(rig.machine.topology() == before) || !rig.persisted.empty()) {
        fail("a pending push is not the pending topology");
      }
      break;
    case TopologyOutcome::ignored:
      if (!(rig.machine.topology() == before) || rig.machine.pending() || !rig.persisted.empty()) {
        fail("an ignored push changed the topology");
      }
      break;
    case TopologyOutcome::rejected:
      fail("the machine rejected a document the agent believes");
  }
  if (pushed == before) {
    if (outcome != TopologyOutcome::applied) fail("the topology in use again was not applied");
  } else if (newer == (outcome == TopologyOutcome::ignored)) {
    fail(newer ? "a newer version was ignored" : "a version not newer was taken up");
  }

  // Its effect: the sessions it opens are answered (or refused) until nothing is due, or long
  // enough for a handover to have committed.
  for (int step = 0; step < 16; ++step) {
    rig.report_opened(handover_answers, probes_answer);
    if (!rig.next_deadline()) break;
  }
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
      !(rig.machine.topology() == pushed && !rig.machine.pending())) {
    fail("a pending topology whose new primary answers did not take effect");
  }

  // The same push again, on the session that carries the traffic now, changes nothing.
  const Topology settled = rig.machine.topology();
  const std::size_t acks = rig.acks.size();
  const std::size_t persisted = rig.persisted.size();
  rig.report_opened(handover_answers, probes_answer);
  rig.feed(
      TopologyPushed{rig.traffic, pushed, std::make_shared<const IssuedDocument>(rig.document)});
  const TopologyOutcome again = rig.only_ack(acks, rig.traffic, version).outcome;
  if (!(rig.machine.topology() == settled) || rig.persisted.size() != persisted) {
    fail("the same push again changed the topology");
  }
  if ((outcome == TopologyOutcome::ignored) != (again == TopologyOutcome::ignored)) {
    fail("the same push again was judged otherwise");
  }
  return 0;
}
