// Reports to the host: what the failover machine reports (connected, failover, failback,
// topology changes …) as log lines.

#include <spdlog/spdlog.h>

#include "common/escape.hpp"
#include "endpoint_impl.hpp"
#include "status/status_time.hpp"

namespace gatelink {

using failover::Clock;

void Endpoint::Impl::execute(const failover::Report& r) {
  // Reasons may carry a gateway's goodbye key or a pushed topology's problem: data.
  const std::string reason = escaped(r.reason);
  auto name = [this](const std::optional<std::size_t>& i) {
    const auto& gateways = machine.ordered();
    return i && *i < gateways.size() ? escaped(gateways[*i].to_string()) : std::string("none");
  };
  switch (r.kind) {
    case failover::Report::Kind::connected:
      spdlog::info("event=connected gateway={} role={} reason={}", name(r.to),
                   r.to == 0 ? "primary" : "failover", reason);
      break;
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
      spdlog::info("event=topology-{} generation={} primary={} gateways={} gateway={} reason={}",
                   failover::to_string(r.kind), r.generation.value_or(0),
                   machine.topology().primary.to_string(), machine.ordered().size(),
                   name(r.to), reason);
      break;
    case failover::Report::Kind::pending:
      // Expected on every primary change; what goes wrong while pending is handover-failed.
      spdlog::info("event=topology-pending generation={} reason={} gateway={}",
                   r.generation.value_or(0), reason, name(r.from));
      break;
    case failover::Report::Kind::handover_failed:
      spdlog::warn("event=topology-handover-failed generation={} reason={} retry_at={}",
                   r.generation.value_or(0), reason,
                   machine.pending() && machine.pending()->retry_at
                       ? format_utc_time(wall_time(*machine.pending()->retry_at))
                       : std::string("-"));
      break;
    case failover::Report::Kind::ignored:
      spdlog::info("event=topology-ignored generation={} reason={}",
                   r.generation.value_or(0), reason);
      break;
    case failover::Report::Kind::rejected:
      spdlog::warn("event=topology-rejected generation={} reason={}",
                   r.generation.value_or(0), reason);
      break;
    case failover::Report::Kind::damped:
      spdlog::warn("event=flap-damped gateway={} stable_window_ms={} reason={}", name(r.from),
                   machine.stable_window(Clock::now()).count(), reason);
      break;
  }
}
}  // namespace gatelink
