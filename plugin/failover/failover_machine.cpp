// The failover machine: states, the session table and moving along the ordered gateway list.
// Failback probes live in failover_failback.cpp, the delays in failover_backoff.cpp.

#include "common/reason.hpp"
#include "failover/failover_machine.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <utility>

#include "failover/failover_backoff.hpp"

namespace gatelink::failover {
namespace {

/// The only state changes there are; enter() checks every transition against this.
constexpr bool allowed(State from, State to) {
  switch (from) {
    case State::idle:
      return to == State::connecting || to == State::backoff || to == State::stopped;
    case State::connecting:
    case State::connected:
    case State::backoff:
      return to != State::idle;
    case State::stopped:
      return false;
  }
  return false;
}

/// The name of an enumerator from a table that the caller checks is complete (static_assert).
template <class Enum, std::size_t N>
std::string_view name_of(Enum value, const std::array<std::string_view, N>& names) {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : std::string_view("unknown");
}

}  // namespace

std::string_view to_string(State state) {
  static constexpr std::array<std::string_view, 5> kNames{"idle", "connecting", "connected",
                                                          "backoff", "stopped"};
  static_assert(kNames.size() == static_cast<std::size_t>(State::stopped) + 1);
  return name_of(state, kNames);
}

std::string_view to_string(Purpose purpose) {
  static constexpr std::array<std::string_view, 4> kNames{"active", "probe", "handover", "standby"};
  static_assert(kNames.size() == static_cast<std::size_t>(Purpose::standby) + 1);
  return name_of(purpose, kNames);
}

std::string_view to_string(Report::Kind kind) {
  static constexpr std::array<std::string_view, 14> kNames{
      "connected", "failover", "failback", "reconnect",   "backoff",
      "dead",      "applied",  "pending",  "committed",   "handover-failed",
      "ignored",   "rejected", "damped",   "standby-lost"};
  static_assert(kNames.size() == static_cast<std::size_t>(Report::Kind::standby_lost) + 1);
  return name_of(kind, kNames);
}

Machine::Machine(Settings settings, Topology topology, Random random)
    : settings_(settings),
      random_(std::move(random)),
      topology_(std::move(topology)),
      // No primary, no gateways: the machine waits instead of dialling an empty host.
      ordered_(topology_.primary.host.empty() ? std::vector<GatewayAddress>{}
                                              : topology_.ordered()),
      gateways_(ordered_.size()),
      window_(settings_.stable_window()) {}

std::vector<Action> Machine::handle(const Event& event, TimePoint now) {
  if (state_ == State::stopped) return {};
  Step step{now, {}};
  std::visit([&](const auto& e) { on(e, step); }, event);
  // The I/O layer keeps one timer. A Tick means it has fired, so it is re-armed whenever anything
  // is pending; otherwise only a changed deadline is worth a Schedule. A deadline that went away
  // needs no cancel: a Tick with nothing due does nothing.
  const std::optional<TimePoint> due = earliest_deadline();
  if (due && (due != scheduled_ || std::holds_alternative<Tick>(event))) {
    step.out.emplace_back(Schedule{*due});
  }
  scheduled_ = due;
  return std::move(step.out);
}

std::optional<std::size_t> Machine::current_gateway() const {
  if (const SessionRecord* session = active()) return session->gateway;
  return std::nullopt;
}

std::optional<SessionId> Machine::active_session() const {
  if (const SessionRecord* session = active()) return session->id;
  return std::nullopt;
}

std::optional<TimePoint> Machine::next_retry() const {
  return state_ == State::backoff ? retry_at_ : std::nullopt;
}

std::optional<TimePoint> Machine::next_probe() const {
  return state_ == State::connected ? next_probe_ : std::nullopt;
}

std::optional<GatewayAddress> Machine::session_address(SessionId id) const {
  const SessionRecord* session = find_if([id](const SessionRecord& s) { return s.id == id; });
  if (session == nullptr) return std::nullopt;
  if (session->purpose == Purpose::handover) return pending_->topology.primary;
  return ordered_.at(session->gateway);
}

// ---- events -------------------------------------------------------------------------------

void Machine::on(const Start& /*event*/, Step& step) {
  if (state_ != State::idle || ordered_.empty()) return;
  start_pass(step);
}

void Machine::on(const Connected& event, Step& step) {
  SessionRecord* session = find(event.session);
  if (session == nullptr || session->phase != Phase::connecting) return;
  session->phase = Phase::up;
  session->misses = event.misses != 0 ? event.misses : settings_.heartbeat_misses;
  // A handover's gateway is not in the list in use; it counts once committed.
  if (session->purpose == Purpose::handover) return;
  gateways_[session->gateway].last_seen = step.now;
  // A probe is not healthy yet: it must also answer a heartbeat (probe_healthy).
  if (session->purpose != Purpose::active) return;
  step.out.emplace_back(Report{Report::Kind::connected, std::nullopt, session->gateway, key(Reason::welcome)});
  now_connected(*session, step);
}

void Machine::on(const HeartbeatAnswered& event, Step& step) {
  SessionRecord* session = find(event.session);
  if (session == nullptr || session->phase == Phase::connecting) return;
  session->last_rtt = event.rtt;
  const bool first = session->phase != Phase::healthy;
  session->phase = Phase::healthy;
  if (session->purpose == Purpose::handover) {
    // Healthy from its first answer on; it commits once it stayed so for the stable window.
    if (first) session->deadline = step.now + stable_window(step.now);
    return;
  }
  gateways_[session->gateway].last_seen = step.now;
  if (session->purpose == Purpose::probe) {
    if (first) probe_healthy(*session, step);
    return;
  }
  if (session->purpose == Purpose::standby) return;
  misses_ = 0;
  last_rtt_ = event.rtt;
}

void Machine::on(const HeartbeatMissed& event, Step& step) {
  SessionRecord* session = find(event.session);
  if (session == nullptr || session->phase == Phase::connecting) return;
  // A probe (or a handover) must be flawless through its whole stable window: once it has
  // answered, one interval of silence beyond the normal gap and that gateway is not ready to
  // take us. Before its first answer a distant gateway may simply not have answered yet: only
  // the silence limit (and a probe's own deadline) ends it then.
  // A standby is held to the silence limit only, as the active session is: it is quiet, not on
  // trial.
  if (session->purpose == Purpose::standby) {
    if (event.missed < std::max(1U, session->misses)) return;
    return standby_failed(*session, {key(Reason::heartbeat_timeout)}, true, step);
  }
  if (session->purpose != Purpose::active) {
    const bool broken = session->phase == Phase::healthy ||
                        event.missed >= std::max(1U, session->misses);
    if (!broken) return;
    if (session->purpose == Purpose::probe) {
      return probe_failed(*session, {key(Reason::probe_heartbeat_missed)}, true, step);
    }
    return handover_failed(*session, {key(Reason::heartbeat_missed)}, true, std::nullopt, step);
  }
  misses_ = event.missed;
  ++counters_.heartbeats_missed;
  if (event.missed < std::max(1U, session->misses)) return;
  const std::size_t gateway = session->gateway;
  close(event.session, key(Reason::heartbeat_timeout), step);
  active_died(gateway, {key(Reason::heartbeat_timeout)}, step);
}

void Machine::on(const Closed& event, Step& step) {
  SessionRecord* session = find(event.session);
  if (session == nullptr) return;
  Failure why{event.reason, event.detail};
  if (session->purpose == Purpose::probe) return probe_failed(*session, std::move(why), false, step);
  if (session->purpose == Purpose::standby) {
    return standby_failed(*session, std::move(why), false, step);
  }
  if (session->purpose == Purpose::handover) {
    return handover_failed(*session, std::move(why), false, std::nullopt, step);
  }
  const std::size_t gateway = session->gateway;
  forget(event.session);
  active_died(gateway, std::move(why), step);
}

void Machine::on(const GoodbyeReceived& event, Step& step) {
  SessionRecord* session = find(event.session);
  if (session == nullptr) return;
  if (session->purpose == Purpose::handover) {
    return handover_failed(*session, {goodbye_key(event.reason)}, true, event.retry_after, step);
  }
  const std::size_t gateway = session->gateway;
  if (event.retry_after) {
    gateways_[gateway].retry_not_before =
        step.now + jittered_retry_after(settings_, *event.retry_after, draw());
  }
  Failure why{goodbye_key(event.reason)};
  if (session->purpose == Purpose::probe) return probe_failed(*session, std::move(why), true, step);
  if (session->purpose == Purpose::standby) {
    return standby_failed(*session, std::move(why), true, step);
  }
  close(event.session, key(Reason::goodbye), step);
  active_died(gateway, std::move(why), step);
}

void Machine::on(const Tick& /*event*/, Step& step) {
  // The new primary of a pending topology is tried whatever the list in use is doing, and
  // takes over once it has stayed healthy for the stable window.
  if (pending_ && pending_->retry_at && step.now >= *pending_->retry_at) open_handover(step);
  if (SessionRecord* moving = handover();
      moving && moving->deadline && step.now >= *moving->deadline) {
    return commit(*moving, step);
  }
  if (state_ == State::backoff && retry_at_ && step.now >= *retry_at_) return start_pass(step);
  if (state_ != State::connected) return;
  if (next_standby_ && step.now >= *next_standby_) keep_standby(step);
  if (SessionRecord* looking = probe()) {
    if (looking->deadline && step.now >= *looking->deadline) {
      if (looking->phase == Phase::healthy) return fail_back(*looking, step);
      probe_failed(*looking, {key(Reason::probe_timeout)}, true, step);
    }
  } else if (next_probe_ && step.now >= *next_probe_) {
    open_probe(step);
  }
}

void Machine::on(const Stop& /*event*/, Step& step) {
  // The active session first, so that an operator's log reads in the order that matters.
  if (const SessionRecord* session = active()) close(session->id, key(Reason::stop), step);
  while (!sessions_.empty()) close(sessions_.front().id, key(Reason::stop), step);
  enter(State::stopped, step.now);
}

// ---- moving along the list ----------------------------------------------------------------

std::optional<std::string> Machine::Failure::kept_detail() const {
  if (detail.empty()) return std::nullopt;
  return detail.substr(0, kMaxDetail);
}

void Machine::active_died(std::size_t gateway, Failure why, Step& step) {
  const bool was_connected = state_ == State::connected;
  gateways_[gateway].last_error = why.key;
  gateways_[gateway].last_error_detail = why.kept_detail();
  std::string reason = std::move(why.key);
  if (was_connected) damp_flap(gateway, step);

  // A probe that is already welcomed is as good as a cold connect that just succeeded, and it is
  // earlier in the order: take it instead of opening yet another session.
  if (SessionRecord* standby = was_connected ? promotable() : nullptr) {
    const SessionId promoted = standby->id;
    const std::size_t to = standby->gateway;
    standby->purpose = Purpose::active;
    standby->deadline.reset();
    for (std::size_t i = sessions_.size(); i-- > 0;) {
      if (sessions_[i].id != promoted && sessions_[i].purpose != Purpose::handover) {
        close(sessions_[i].id, key(Reason::superseded), step);
      }
    }
    ++counters_.failovers;
    step.out.emplace_back(Promote{promoted});
    step.out.emplace_back(Report{Report::Kind::failover, gateway, to, std::move(reason)});
    // Connected already: told at once, as a cold connect is told once welcomed.
    step.out.emplace_back(Report{Report::Kind::connected, std::nullopt, to, key(Reason::promoted)});
    // Every agent of the dead gateway is promoted in the same instant; their new standbys at
    // once would be a herd of handshakes at the gateway after this one. Each opens its own
    // within a probe interval, spread.
    if (settings_.warm_standby) next_standby_ = step.now + spread(settings_.probe_interval, draw());
    return now_connected(*find(promoted), step);
  }

  // Whatever else is open (a probe still connecting) belonged to the dead session's state; the
  // handover to a pending topology's new primary goes on: it is how that topology takes effect.
  // A standby still connecting to the very gateway that comes next is that attempt already.
  const std::optional<std::size_t> next = next_eligible(gateway + 1, step.now);
  const SessionRecord* spare = standby();
  // Ids start at 1: 0 is none.
  const SessionId attempt = spare != nullptr && next && spare->gateway == *next ? spare->id : 0;
  for (std::size_t i = sessions_.size(); i-- > 0;) {
    if (sessions_[i].purpose != Purpose::handover && sessions_[i].id != attempt) {
      close(sessions_[i].id, key(Reason::superseded), step);
    }
  }
  next_standby_.reset();
  if (!next) return enter_backoff(gateway, reason, step);
  if (was_connected) ++counters_.failovers;
  step.out.emplace_back(Report{Report::Kind::failover, gateway, *next, std::move(reason)});
  enter(State::connecting, step.now);
  if (attempt != 0) {
    find(attempt)->purpose = Purpose::active;
    step.out.emplace_back(Promote{attempt});
    return;
  }
  open(*next, Purpose::active, step);
}

std::string Machine::end_session(SessionRecord& session, Failure why, bool close_it, Step& step) {
  gateways_[session.gateway].last_error = why.key;
  gateways_[session.gateway].last_error_detail = why.kept_detail();
  std::string reason = std::move(why.key);
  if (close_it) {
    close(session.id, reason, step);
  } else {
    forget(session.id);
  }
  return reason;
}

void Machine::start_pass(Step& step) {
  const std::optional<std::size_t> first = next_eligible(0, step.now);
  // Only reachable when every gateway sent us away; enter_backoff waits for the earliest.
  if (!first) return enter_backoff(std::nullopt, key(Reason::all_gateways_excluded), step);
  if (state_ == State::backoff) {
    ++counters_.reconnects;
    step.out.emplace_back(Report{Report::Kind::reconnect, std::nullopt, *first, key(Reason::backoff_over)});
  }
  enter(State::connecting, step.now);
  open(*first, Purpose::active, step);
}

void Machine::enter_backoff(std::optional<std::size_t> from, const std::string& reason,
                            Step& step) {
  TimePoint at = step.now + backoff_delay(settings_, failed_passes_, draw());
  if (failed_passes_ < 64) ++failed_passes_;  // the ceiling is long capped by then
  // When every gateway asked us to stay away, wait until the first of them lets us back (the
  // later of the two, so the stay-away is honoured and the backoff still grows).
  std::optional<TimePoint> reopens;
  for (std::size_t i = 0; i < gateways_.size(); ++i) {
    const TimePoint open_at = excluded(i, step.now) ? *gateways_[i].retry_not_before : step.now;
    if (!reopens || open_at < *reopens) reopens = open_at;
  }
  if (reopens && *reopens > at) at = *reopens;
  enter(State::backoff, step.now);
  retry_at_ = at;
  step.out.emplace_back(Report{Report::Kind::backoff, from, std::nullopt, reason});
}

void Machine::now_connected(SessionRecord& session, Step& step) {
  enter(State::connected, step.now);
  failed_passes_ = 0;
  gateways_[session.gateway].last_seen = step.now;
  // On a failover gateway, keep looking for the way back (failover_failback.cpp); on the
  // primary there is nothing to probe, whatever was due on the gateway before.
  if (session.gateway > 0) {
    next_probe_ = step.now + settings_.probe_interval;
  } else {
    next_probe_.reset();
  }
  keep_standby(step);
}

// ---- bookkeeping --------------------------------------------------------------------------

void Machine::enter(State next, TimePoint now) {
  assert(allowed(state_, next));
  state_ = next;
  since_ = now;
  // Each state owns its deadline and the per-session figures; leaving it drops them.
  misses_ = 0;
  last_rtt_.reset();
  if (next != State::connected) next_probe_.reset();
  if (next != State::connected) next_standby_.reset();
  if (next != State::backoff) retry_at_.reset();
}

const SessionRecord* Machine::find_if(
    const std::function<bool(const SessionRecord&)>& match) const {
  const auto it = std::find_if(sessions_.begin(), sessions_.end(), match);
  return it == sessions_.end() ? nullptr : &*it;
}

SessionRecord* Machine::find(SessionId id) {
  // The table is owned by this machine; the const search just avoids writing it twice.
  return const_cast<SessionRecord*>(find_if([id](const SessionRecord& s) { return s.id == id; }));
}

const SessionRecord* Machine::active() const {
  return find_if([](const SessionRecord& s) { return s.purpose == Purpose::active; });
}

SessionRecord* Machine::active() {
  return const_cast<SessionRecord*>(std::as_const(*this).active());
}

SessionRecord* Machine::probe() {
  return const_cast<SessionRecord*>(
      find_if([](const SessionRecord& s) { return s.purpose == Purpose::probe; }));
}

SessionRecord* Machine::handover() {
  return const_cast<SessionRecord*>(
      find_if([](const SessionRecord& s) { return s.purpose == Purpose::handover; }));
}

SessionId Machine::open(std::size_t gateway, Purpose purpose, Step& step) {
  const SessionId id = next_id_++;
  sessions_.push_back(SessionRecord{id, gateway, purpose, Phase::connecting, std::nullopt});
  step.out.emplace_back(Connect{id, gateway, purpose});
  return id;
}

void Machine::forget(SessionId id) {
  std::erase_if(sessions_, [id](const SessionRecord& s) { return s.id == id; });
}

void Machine::close(SessionId id, std::string reason, Step& step) {
  step.out.emplace_back(Close{id, std::move(reason)});
  // Forgotten at once: the I/O layer's late report of this close finds no session and is ignored.
  forget(id);
}

bool Machine::excluded(std::size_t gateway, TimePoint now) const {
  const std::optional<TimePoint>& until = gateways_[gateway].retry_not_before;
  return until && *until > now;
}

std::optional<std::size_t> Machine::next_eligible(std::size_t from, TimePoint now) const {
  for (std::size_t i = from; i < gateways_.size(); ++i) {
    if (!excluded(i, now)) return i;
  }
  return std::nullopt;
}

std::optional<TimePoint> Machine::earliest_deadline() const {
  std::optional<TimePoint> due = retry_at_;
  const auto consider = [&due](const std::optional<TimePoint>& at) {
    if (at && (!due || *at < *due)) due = at;
  };
  consider(next_probe_);
  consider(next_standby_);
  if (pending_) consider(pending_->retry_at);
  for (const SessionRecord& session : sessions_) consider(session.deadline);
  return due;
}

double Machine::draw() { return random_ ? random_() : 0.0; }

}  // namespace gatelink::failover
