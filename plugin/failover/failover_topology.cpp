// Pushed topologies (DESIGN "Topology: push, change, persistence"): validation and version
// order, then either applied at once (the primary and the gateway in use stay) or pending until
// the new primary has answered a heartbeat on a session of its own (the handover), so that a
// change never leaves the agent without a working gateway. Until the handover commits, the last
// topology that worked stays in use, failover included.

#include <algorithm>
#include <utility>

#include "failover/failover_backoff.hpp"
#include "common/reason.hpp"
#include "failover/failover_machine.hpp"

namespace gatelink::failover {
namespace {

/// Where `address` is in `list`, if it is. Gateways compare whole: host, port and the name
/// their certificate must carry.
std::optional<std::size_t> position_in(const std::vector<GatewayAddress>& list,
                                       const GatewayAddress& address) {
  const auto it = std::find(list.begin(), list.end(), address);
  if (it == list.end()) return std::nullopt;
  return static_cast<std::size_t>(it - list.begin());
}

/// The attempt count stops growing long after the backoff reached its cap.
constexpr unsigned kMaxCountedFailures = 64;

}  // namespace

void Machine::on(const TopologyPushed& event, Step& step) {
  const SessionRecord* from = find(event.session);
  // Only a welcomed session speaks for a gateway; anything else is stale.
  if (from == nullptr || from->phase == Phase::connecting) return;
  const Topology& pushed = event.topology;
  const TopologyVersion version = version_of(pushed);

  if (auto problem = check_issuable(version)) {
    return refuse(event.session, version, TopologyOutcome::rejected, problem->message, step);
  }
  if (auto problem = validate_topology(pushed)) {
    return refuse(event.session, version, TopologyOutcome::rejected, problem->message, step);
  }
  if (pushed.management_group != topology_.management_group) {
    return refuse(event.session, version, TopologyOutcome::rejected,
                  "management group " + pushed.management_group + " is not this agent's (" +
                      topology_.management_group + ")",
                  step);
  }
  if (pushed == topology_) {
    // The same push through a second session (a probe, the handover): the agent holds it.
    step.out.emplace_back(
        Acknowledge{event.session, version, TopologyOutcome::applied, "already in use"});
    return;
  }
  if (pending_ && pushed == pending_->topology) {
    // Gateways push again after every hello while the agent holds the older version.
    step.out.emplace_back(
        Acknowledge{event.session, version, TopologyOutcome::pending,
                    "already pending: waiting for the new primary " + pushed.primary.to_string()});
    return;
  }
  // Strictly greater (epoch, generation) than anything held: a new epoch starts generations
  // again, and nothing can go back.
  const TopologyVersion held = std::max(
      version_of(topology_), pending_ ? version_of(pending_->topology) : TopologyVersion{});
  if (version <= held) {
    return refuse(event.session, version, TopologyOutcome::ignored,
                  to_string(version) + " is not newer than " + to_string(held), step);
  }

  const GatewayAddress received_from = *session_address(event.session);
  const std::vector<GatewayAddress> list = pushed.ordered();
  const SessionRecord* in_use = state_ == State::connected ? active() : nullptr;
  const std::optional<std::size_t> in_use_from =
      in_use ? std::optional(in_use->gateway) : std::nullopt;
  // At once when nothing that works is at stake: the primary is the same and the gateway in use
  // stays in the list, or the gateway in use is the new primary and has answered already.
  const bool keeps_in_use = !in_use || position_in(list, ordered_[in_use->gateway]).has_value();
  const bool on_new_primary = in_use && in_use->phase == Phase::healthy &&
                              ordered_[in_use->gateway] == pushed.primary;
  if (!((pushed.primary == topology_.primary && keeps_in_use) || on_new_primary)) {
    return make_pending(PendingTopology{.topology = pushed,
                                        .document = event.document,
                                        .received_from = received_from,
                                        .received_at = step.now},
                        event.session, step);
  }

  drop_pending(key(Reason::superseded), step);
  step.out.emplace_back(Persist{pushed, received_from, step.now, event.document});
  step.out.emplace_back(Acknowledge{event.session, version, TopologyOutcome::applied, ""});
  const std::optional<std::size_t> to =
      in_use_from ? position_in(list, ordered_[*in_use_from]) : std::nullopt;
  step.out.emplace_back(Report{Report::Kind::applied, in_use_from, to,
                               pushed.primary == topology_.primary ? key(Reason::primary_unchanged)
                                                                   : key(Reason::on_new_primary),
                               version});
  adopt(pushed, step);
}

void Machine::refuse(SessionId session, TopologyVersion version, TopologyOutcome outcome,
                     std::string message, Step& step) {
  const auto kind =
      outcome == TopologyOutcome::ignored ? Report::Kind::ignored : Report::Kind::rejected;
  step.out.emplace_back(Acknowledge{session, version, outcome, message});
  step.out.emplace_back(Report{kind, std::nullopt, std::nullopt, std::move(message), version});
}

void Machine::make_pending(PendingTopology pending, SessionId from, Step& step) {
  const TopologyVersion version = version_of(pending.topology);
  const std::string primary = pending.topology.primary.to_string();
  // A newer pending topology with the same new primary keeps the attempt already under way.
  const bool same_target = pending_ && pending_->topology.primary == pending.topology.primary;
  if (same_target) {
    pending.failures = pending_->failures;
    pending.last_error = std::move(pending_->last_error);
    pending.last_error_detail = std::move(pending_->last_error_detail);
    pending.retry_at = pending_->retry_at;
  } else {
    drop_pending(key(Reason::superseded), step);
  }
  pending_ = std::move(pending);
  step.out.emplace_back(Acknowledge{
      from, version, TopologyOutcome::pending,
      "waiting for the new primary " + primary + " to stay healthy for the stable window"});
  step.out.emplace_back(Report{Report::Kind::pending, current_gateway(), std::nullopt,
                               "new-primary " + primary, version});
  if (!handover() && !(same_target && pending_->retry_at)) open_handover(step);
}

void Machine::drop_pending(const std::string& reason, Step& step) {
  if (!pending_) return;
  if (const SessionRecord* session = handover()) close(session->id, reason, step);
  pending_.reset();
}

void Machine::open_handover(Step& step) {
  pending_->retry_at.reset();
  // Index 0 of the pending topology: its new primary.
  open(0, Purpose::handover, step);
}

void Machine::handover_failed(SessionRecord& session, Failure why, bool close_it,
                              std::optional<Duration> retry_after, Step& step) {
  const SessionId id = session.id;
  if (close_it) {
    close(id, why.key, step);
  } else {
    forget(id);
  }
  PendingTopology& pending = *pending_;
  Duration delay = backoff_delay(settings_, pending.failures, draw());
  if (retry_after) delay = std::max(delay, jittered_retry_after(settings_, *retry_after, draw()));
  if (pending.failures < kMaxCountedFailures) ++pending.failures;
  pending.retry_at = step.now + delay;
  pending.last_error = why.key;
  pending.last_error_detail = why.kept_detail();
  step.out.emplace_back(Report{Report::Kind::handover_failed, std::nullopt, std::nullopt,
                               std::move(why.key), version_of(pending.topology)});
}

void Machine::commit(SessionRecord& session, Step& step) {
  const std::optional<Duration> rtt = session.last_rtt;
  PendingTopology done = std::move(*pending_);
  pending_.reset();
  const SessionId id = session.id;
  const std::optional<std::size_t> from = current_gateway();
  // Make-before-break: the new primary has answered every heartbeat for the stable window, so it
  // carries the traffic before anything of the old topology is closed.
  step.out.emplace_back(Promote{id});
  for (std::size_t i = sessions_.size(); i-- > 0;) {
    if (sessions_[i].id != id) close(sessions_[i].id, key(Reason::topology_change), step);
  }
  const TopologyVersion version = version_of(done.topology);
  step.out.emplace_back(
      Persist{done.topology, done.received_from, done.received_at, std::move(done.document)});
  step.out.emplace_back(Acknowledge{id, version, TopologyOutcome::applied,
                                    "the new primary stayed healthy for the stable window"});
  step.out.emplace_back(
      Report{Report::Kind::committed, from, std::size_t{0}, key(Reason::stable_window), version});
  adopt(std::move(done.topology), step);
  SessionRecord& promoted = *find(id);
  promoted.purpose = Purpose::active;
  promoted.gateway = 0;
  promoted.deadline.reset();
  now_connected(promoted, step);
  last_rtt_ = rtt;
}

void Machine::adopt(Topology topology, Step& step) {
  std::vector<GatewayAddress> next = topology.ordered();
  // What the machine knows of a gateway (errors, retry-after) stays with it when it moves.
  std::vector<GatewayRecord> records(next.size());
  for (std::size_t i = 0; i < ordered_.size(); ++i) {
    if (auto to = position_in(next, ordered_[i])) records[*to] = gateways_[i];
  }
  std::vector<SessionId> orphans;
  for (SessionRecord& session : sessions_) {
    if (session.purpose == Purpose::handover) continue;
    if (auto to = position_in(next, ordered_[session.gateway])) {
      session.gateway = *to;
    } else {
      orphans.push_back(session.id);
    }
  }
  topology_ = std::move(topology);
  ordered_ = std::move(next);
  gateways_ = std::move(records);

  bool lost_active = false;
  for (const SessionId id : orphans) {
    lost_active = lost_active || find(id)->purpose == Purpose::active;
    close(id, key(Reason::not_in_topology), step);
  }
  const SessionRecord* current = active();
  // A probe only ever looks back up the list.
  if (const SessionRecord* looking = probe();
      looking && current && looking->gateway >= current->gateway) {
    close(looking->id, key(Reason::superseded), step);
  }
  // Only a session still connecting can be lost here: a working one is never dropped for a list.
  if (lost_active) return start_pass(step);
  if (state_ != State::connected || current == nullptr) return;
  if (current->gateway == 0) {
    next_probe_.reset();
  } else if (!next_probe_ && !probe()) {
    next_probe_ = step.now + settings_.probe_interval;
  }
  keep_standby(step);  // the next gateway after the active one may be another now
}

}  // namespace gatelink::failover
