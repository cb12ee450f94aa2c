// Reports to the host: what the failover machine reports (connected, failover, failback,
// topology changes …) as log lines and to the host's state handler.

#include <spdlog/spdlog.h>

#include "common/escape.hpp"
#include "endpoint_impl.hpp"
#include "status/status_time.hpp"

namespace gatelink {

using failover::Clock;
using Kind = failover::Report::Kind;

namespace {

/// A report's name as the log's event= spells it, and as the host's state handler gets it.
std::string_view event_name(Kind kind) {
  switch (kind) {
    case Kind::connected: return "connected";
    case Kind::failover: return "failover";
    case Kind::failback: return "failback";
    case Kind::reconnect: return "reconnect";
    case Kind::backoff: return "backoff";
    case Kind::dead: return "gateway-dead";
    case Kind::applied: return "topology-applied";
    case Kind::pending: return "topology-pending";
    case Kind::committed: return "topology-committed";
    case Kind::handover_failed: return "topology-handover-failed";
    case Kind::ignored: return "topology-ignored";
    case Kind::rejected: return "topology-rejected";
    case Kind::damped: return "flap-damped";
    case Kind::standby_lost:
      return "standby-lost";
  }
  return "unknown";
}

}  // namespace

void Endpoint::Impl::execute(const failover::Report& r) {
  // Reasons may carry a gateway's goodbye key or a pushed topology's problem: data.
  const std::string reason = escaped(r.reason);
  auto name = [this](const std::optional<std::size_t>& i) {
    const auto& gateways = machine.ordered();
    return i && *i < gateways.size() ? escaped(gateways[*i].to_string()) : std::string("none");
  };
  const TopologyVersion version = r.version.value_or(TopologyVersion{});
  // The active session's loss starts an outage that the next connected line ends and measures
  // (a failed attempt while connecting, or a probe's death, does not start one).
  if ((r.kind == Kind::failover || r.kind == Kind::backoff) && dispatched_connected &&
      !outage_since) {
    outage_since = dispatched_at;
  }
  switch (r.kind) {
    case failover::Report::Kind::connected: {
      std::string outage;
      if (outage_since) {
        const std::chrono::duration<double, std::milli> lasted = Clock::now() - *outage_since;
        outage = fmt::format(" outage_ms={:.3f}", lasted.count());
        outage_since.reset();
      }
      spdlog::info("event=connected gateway={} role={} reason={}{}", name(r.to),
                   r.to == 0 ? "primary" : "failover", reason, outage);
      break;
    }
    case failover::Report::Kind::failover:
      spdlog::warn("event=failover from={} to={} reason={}", name(r.from), name(r.to),
                   reason);
      break;
    case failover::Report::Kind::failback:
      spdlog::info("event=failback from={} to={} reason={}", name(r.from), name(r.to),
                   reason);
      break;
    case failover::Report::Kind::reconnect:
      spdlog::info("event=reconnect gateway={} reason={}", name(r.to), reason);
      break;
    case failover::Report::Kind::backoff:
      spdlog::warn("event=backoff reason={}", reason);
      break;
    case failover::Report::Kind::dead:
      spdlog::warn("event=gateway-dead gateway={} reason={}", name(r.from), reason);
      break;
    case failover::Report::Kind::applied:
    case failover::Report::Kind::committed:
      spdlog::info(
          "event=topology-{} epoch={} generation={} primary={} gateways={} gateway={} reason={}",
          failover::to_string(r.kind), version.epoch, version.generation,
          machine.topology().primary.to_string(), machine.ordered().size(), name(r.to), reason);
      break;
    case failover::Report::Kind::pending:
      // Expected on every primary change; what goes wrong while pending is handover-failed.
      spdlog::info("event=topology-pending epoch={} generation={} reason={} gateway={}",
                   version.epoch, version.generation, reason, name(r.from));
      break;
    case failover::Report::Kind::handover_failed:
      spdlog::warn("event=topology-handover-failed epoch={} generation={} reason={} retry_at={}",
                   version.epoch, version.generation, reason,
                   machine.pending() && machine.pending()->retry_at
                       ? format_utc_time(wall_time(*machine.pending()->retry_at))
                       : std::string("-"));
      break;
    case failover::Report::Kind::ignored:
      spdlog::info("event=topology-ignored epoch={} generation={} reason={}", version.epoch,
                   version.generation, reason);
      break;
    case failover::Report::Kind::rejected:
      spdlog::warn("event=topology-rejected epoch={} generation={} reason={}", version.epoch,
                   version.generation, reason);
      break;
    case failover::Report::Kind::damped:
      spdlog::warn("event=flap-damped gateway={} stable_window_ms={} reason={}", name(r.from),
                   machine.stable_window(Clock::now()).count(), reason);
      break;
    case failover::Report::Kind::standby_lost:
      spdlog::info("event=standby-lost gateway={} reason={} retry_in_ms={}", name(r.from), reason,
                   config.timings.probe_interval.count());
      break;
  }
  tell_host(r);
}

void Endpoint::Impl::tell_host(const failover::Report& r) {
  std::lock_guard lock(state_mutex);
  if (!state_handler) return;
  const auto& gateways = machine.ordered();
  auto address = [&](const std::optional<std::size_t>& i) -> std::optional<std::string> {
    if (!i || *i >= gateways.size()) return std::nullopt;
    return gateways[*i].to_string();
  };
  const StateChange change{
      .kind = r.kind,
      .event = event_name(r.kind),
      .gateway = address(r.to),
      .from = address(r.from),
      .position = r.to && *r.to < gateways.size() ? r.to : std::nullopt,
      .gateway_count = gateways.size(),
      .generation = r.version.value_or(version_of(machine.topology())).generation,
      // May carry a gateway's goodbye key or a pushed topology's problem: data.
      .reason = printable(r.reason),
  };
  state_handler(change);
}

}  // namespace gatelink
