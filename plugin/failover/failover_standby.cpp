// Warm standby (Settings::warm_standby, DESIGN "Heartbeats and failover"): while connected, a
// quiet second session to the next eligible gateway after the active one, heartbeating every
// standby_interval. When the active session dies, the standby is promoted at once, without a
// handshake (active_died, through promotable()), and its own new standby follows within a
// probe interval, spread over it; a standby still connecting to that gateway becomes the
// connection attempt. A standby that fails is opened again after probe_interval;
// a gateway that sent it away with a retry-after is skipped until then, like any other.

#include "common/reason.hpp"
#include "failover/failover_machine.hpp"

namespace gatelink::failover {

const SessionRecord* Machine::standby() const {
  return find_if([](const SessionRecord& s) { return s.purpose == Purpose::standby; });
}

void Machine::keep_standby(Step& step) {
  if (!settings_.warm_standby || state_ != State::connected) return;
  if (next_standby_ && step.now < *next_standby_) return;
  next_standby_.reset();
  const SessionRecord* current = active();
  if (current == nullptr) return;
  const std::optional<std::size_t> target = next_eligible(current->gateway + 1, step.now);
  if (const SessionRecord* spare = standby()) {
    if (target && spare->gateway == *target) return;
    // The list or the active gateway moved: the standby is no longer the next one.
    close(spare->id, key(Reason::superseded), step);
  }
  if (!target) {
    // The last gateway, or every later one sent us away: look again later.
    if (current->gateway + 1 < gateways_.size())
      next_standby_ = step.now + settings_.probe_interval;
    return;
  }
  open(*target, Purpose::standby, step);
}

void Machine::standby_failed(SessionRecord& session, Failure why, bool close_it, Step& step) {
  const std::size_t gateway = session.gateway;
  std::string reason = end_session(session, std::move(why), close_it, step);
  step.out.emplace_back(
      Report{Report::Kind::standby_lost, gateway, std::nullopt, std::move(reason)});
  next_standby_ = step.now + settings_.probe_interval;
}

}  // namespace gatelink::failover
