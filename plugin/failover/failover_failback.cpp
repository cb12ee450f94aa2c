// Failback: while on a failover gateway, probe the earlier ones every probe_interval and move
// back, make-before-break, after stable_probes healthy probes in a row (DESIGN "Heartbeats and
// failover"). A probe is a real session (connect, handshake, welcome, one heartbeat answer).

#include <algorithm>
#include <utility>

#include "failover/failover_machine.hpp"

namespace gatelink::failover {
namespace {

/// How long a probe may take to answer its first heartbeat. One probe interval, but never less
/// than two heartbeat intervals: the session's first heartbeat may only leave after one interval.
Duration probe_timeout(const Settings& settings) {
  return std::max(settings.probe_interval, settings.heartbeat_interval * 2);
}

}  // namespace

void Machine::open_probe(Step& step) {
  next_probe_.reset();
  const std::size_t current = active()->gateway;
  // The primary first; a gateway that sent us away is skipped until its retry-after ends.
  std::optional<std::size_t> target = next_eligible(0, step.now);
  if (!target || *target >= current) {
    next_probe_ = step.now + settings_.probe_interval;
    return;
  }
  const SessionId id = open(*target, Purpose::probe, step);
  find(id)->deadline = step.now + probe_timeout(settings_);
}

void Machine::probe_healthy(SessionRecord& session, Duration rtt, Step& step) {
  GatewayRecord& record = gateways_[session.gateway];
  ++record.healthy_probes;
  if (record.healthy_probes < std::max(1U, settings_.stable_probes)) {
    close(session.id, "probe-done", step);
    next_probe_ = step.now + settings_.probe_interval;
    return;
  }

  // Make-before-break: the probe has answered a heartbeat and now carries the traffic before the
  // old session is closed, so there is no moment without a working gateway.
  record.healthy_probes = 0;
  const SessionId promoted = session.id;
  const std::size_t to = session.gateway;
  SessionRecord* old = active();
  const SessionId old_id = old->id;
  const std::size_t from = old->gateway;
  session.purpose = Purpose::active;
  session.deadline.reset();
  step.out.emplace_back(Promote{promoted});
  close(old_id, "failback", step);
  ++counters_.failbacks;
  step.out.emplace_back(Report{Report::Kind::failback, from, to, "stable-probes"});
  now_connected(*find(promoted), step);
  last_rtt_ = rtt;
}

void Machine::probe_failed(SessionRecord& session, std::string reason, bool close_it, Step& step) {
  // Any failure restarts the count: a primary that flaps faster than stable_probes ×
  // probe_interval never gathers enough healthy probes in a row to drag the agent back.
  const std::size_t gateway = session.gateway;
  const SessionId id = session.id;
  gateways_[gateway].healthy_probes = 0;
  gateways_[gateway].last_error = reason;
  if (close_it) {
    close(id, reason, step);
  } else {
    forget(id);
  }
  step.out.emplace_back(Report{Report::Kind::dead, gateway, std::nullopt, std::move(reason)});
  next_probe_ = step.now + settings_.probe_interval;
}

SessionRecord* Machine::promotable() {
  // The welcomed non-active session on the earliest gateway: today a probe, later a warm standby.
  SessionRecord* best = nullptr;
  for (SessionRecord& session : sessions_) {
    // A handover's gateway belongs to a topology not in use yet: it is committed, not promoted.
    if (session.purpose != Purpose::probe || session.phase == Phase::connecting) continue;
    if (best == nullptr || session.gateway < best->gateway) best = &session;
  }
  return best;
}

}  // namespace gatelink::failover
