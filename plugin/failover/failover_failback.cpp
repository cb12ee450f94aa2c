// Failback: while on a failover gateway, probe the earlier ones every probe_interval; a probe is
// a session that is opened and kept, and the agent moves back, make-before-break, only once it
// has stayed up and answered every heartbeat for the whole stable window without a break
// (DESIGN "Heartbeats and failover"). A primary that is up for less than the window never drags
// the agent back, whatever the period of its flapping. Flap damping: losing a gateway soon after
// failing back to it doubles the next window (capped); quiet periods halve it again.

#include <algorithm>
#include <tuple>
#include <utility>

#include "common/reason.hpp"
#include "failover/failover_machine.hpp"

namespace gatelink::failover {
namespace {

/// How long a probe may take to answer its first heartbeat: a backstop, since every step of a
/// connection has its own deadline and an unanswered probe ends at the silence limit. Every step
/// may take its whole deadline on a distant gateway, so it is never less than their sum.
Duration probe_timeout(const Settings& settings) {
  const Duration steps = settings.resolve_timeout + settings.connect_timeout +
                         settings.handshake_timeout + settings.welcome_timeout +
                         settings.silence_limit();
  return std::max(settings.probe_interval, steps);
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

void Machine::probe_healthy(SessionRecord& session, Step& step) {
  // The first answer starts the stable window; any break before its end fails the probe.
  session.deadline = step.now + stable_window(step.now);
}

void Machine::fail_back(SessionRecord& session, Step& step) {
  // Make-before-break: the probe has answered every heartbeat for the stable window and now
  // carries the traffic before the old session is closed, so there is no moment without one.
  const SessionId promoted = session.id;
  const std::size_t to = session.gateway;
  const std::optional<Duration> rtt = session.last_rtt;
  SessionRecord* old = active();
  const SessionId old_id = old->id;
  const std::size_t from = old->gateway;
  session.purpose = Purpose::active;
  session.deadline.reset();
  step.out.emplace_back(Promote{promoted});
  close(old_id, key(Reason::failback), step);
  ++counters_.failbacks;
  step.out.emplace_back(Report{Report::Kind::failback, from, to, key(Reason::stable_window)});
  now_connected(*find(promoted), step);
  last_rtt_ = rtt;
  failed_back_at_ = step.now;
  failed_back_to_ = to;
}

void Machine::probe_failed(SessionRecord& session, Failure why, bool close_it, Step& step) {
  const std::size_t gateway = session.gateway;
  std::string reason = end_session(session, std::move(why), close_it, step);
  step.out.emplace_back(Report{Report::Kind::dead, gateway, std::nullopt, std::move(reason)});
  next_probe_ = step.now + settings_.probe_interval;
}

SessionRecord* Machine::promotable() {
  // The welcomed non-active session on the earliest gateway: a probe (earlier than the active
  // one), else the warm standby (the next after it).
  SessionRecord* best = nullptr;
  for (SessionRecord& session : sessions_) {
    // A handover's gateway belongs to a topology not in use yet: it is committed, not promoted.
    const bool spare = session.purpose == Purpose::probe || session.purpose == Purpose::standby;
    if (!spare || session.phase == Phase::connecting) continue;
    if (best == nullptr || session.gateway < best->gateway) best = &session;
  }
  return best;
}

// ---- flap damping -------------------------------------------------------------------------

namespace {

/// The window after the quiet periods up to `now`: each whole flap_window since it last
/// changed halves it, down to the undamped window. Returns the window and when it last changed.
std::pair<Duration, TimePoint> decayed(const Settings& settings, Duration window,
                                       TimePoint changed, TimePoint now) {
  const Duration base = settings.stable_window();
  const Duration quiet = std::max(settings.flap_window, Duration(1));
  while (window > base && now - changed >= quiet) {
    window = std::max(base, window / 2);
    changed += quiet;
  }
  return {window, changed};
}

}  // namespace

void Machine::decay_window(TimePoint now) {
  std::tie(window_, window_changed_) = decayed(settings_, window_, window_changed_, now);
}

Duration Machine::stable_window(TimePoint now) const {
  return decayed(settings_, window_, window_changed_, now).first;
}

void Machine::damp_flap(std::size_t gateway, Step& step) {
  const bool flapped = failed_back_at_ && failed_back_to_ == gateway &&
                       step.now - *failed_back_at_ <= settings_.flap_window;
  failed_back_at_.reset();
  if (!flapped) return;
  decay_window(step.now);
  const Duration cap = std::max(settings_.max_stable_window, settings_.stable_window());
  window_ = std::min(cap, window_ * 2);
  window_changed_ = step.now;
  step.out.emplace_back(Report{Report::Kind::damped, gateway, std::nullopt, key(Reason::flap)});
}

}  // namespace gatelink::failover
