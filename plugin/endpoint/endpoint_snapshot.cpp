// The endpoint's status snapshot: what status() and the status JSON show, taken on the
// endpoint's thread.

#include "endpoint_impl.hpp"

namespace gatelink {

using failover::Clock;

namespace {

std::vector<std::string> addresses(const std::vector<GatewayAddress>& gateways) {
  std::vector<std::string> out;
  for (const auto& gateway : gateways) out.push_back(gateway.to_string());
  return out;
}

StoredTopologyStatus stored_status(const PersistedTopology& file) {
  return {.epoch = file.topology.epoch,
          .generation = file.topology.generation,
          .primary = file.topology.primary.to_string(),
          .failover = addresses(file.topology.failover),
          .received_from = file.received_from,
          .received_at = file.received_at};
}

}  // namespace

StatusSnapshot Endpoint::Impl::snapshot() const {
  const auto steady_now = Clock::now();
  const auto wall_now = std::chrono::system_clock::now();
  auto wall = [&](Clock::time_point t) { return wall_time(t, steady_now, wall_now); };
  auto role_of = [](std::size_t i) { return std::string(i == 0 ? "primary" : "failover"); };
  const auto& gateways = machine.ordered();

  StatusSnapshot s;
  s.version = std::string(gatelink::version());
  s.agent = config.name;
  s.management_group = config.management_group;
  switch (machine.state()) {
    case failover::State::connected:
      s.state = ConnectionState::connected;
      break;
    case failover::State::backoff:
      s.state = ConnectionState::backoff;
      break;
    case failover::State::stopped:
      s.state = ConnectionState::stopped;
      break;
    default:
      s.state = ConnectionState::connecting;
  }
  s.since = wall(machine.since());
  if (auto current = machine.current_gateway(); current && s.state == ConnectionState::connected) {
    s.gateway = gateways[*current].to_string();
    if (auto active = machine.active_session()) {
      if (auto it = sessions.find(*active); it != sessions.end()) {
        s.gateway_name = it->second.gateway_name;
        if (it->second.last_rtt) {
          s.heartbeat.last_rtt_ms = static_cast<double>(it->second.last_rtt->count()) / 1000.0;
        }
      }
    }
    s.role = role_of(*current);
    s.position = *current;
  } else if (current && s.state == ConnectionState::connecting) {
    s.attempt = StatusSnapshot::Attempt{.gateway = gateways[*current].to_string(),
                                        .position = *current};
  }
  link::Liveness liveness{config.timings.heartbeat_interval, config.timings.heartbeat_misses};
  if (auto active = machine.active_session(); active && s.state == ConnectionState::connected) {
    if (auto it = sessions.find(*active); it != sessions.end() && it->second.agreed) {
      liveness = *it->second.agreed;
    }
  }
  if (const failover::SessionRecord* spare = machine.standby()) {
    StatusSnapshot::Standby standby{
        .gateway = gateways[spare->gateway].to_string(),
        .position = spare->gateway,
        .state = spare->phase == failover::Phase::connecting ? "connecting"
                 : spare->phase == failover::Phase::up       ? "up"
                                                             : "healthy",
        .interval_ms = static_cast<std::uint32_t>(config.timings.standby_interval.count())};
    if (auto it = sessions.find(spare->id); it != sessions.end()) {
      if (it->second.agreed) {
        standby.interval_ms = static_cast<std::uint32_t>(it->second.agreed->interval.count());
      }
      if (it->second.last_rtt) {
        standby.last_rtt_ms = static_cast<double>(it->second.last_rtt->count()) / 1000.0;
      }
    }
    s.standby = std::move(standby);
  }
  s.heartbeat.interval_ms = static_cast<std::uint32_t>(liveness.interval.count());
  s.heartbeat.misses = liveness.misses;
  s.heartbeat.missed = machine.consecutive_misses();
  s.failback.stable_window_ms =
      static_cast<std::uint64_t>(machine.stable_window(steady_now).count());
  s.failback.configured_window_ms =
      static_cast<std::uint64_t>(config.timings.stable_window().count());

  const Topology& topology = machine.topology();
  s.topology.epoch = topology.epoch;
  s.topology.generation = topology.generation;
  s.topology.source = version_of(topology) == TopologyVersion{} ? "bootstrap" : "pushed";
  s.topology.primary = topology.primary.to_string();
  s.topology.failover = addresses(topology.failover);
  s.topology.last_known_good = last_known_good;
  s.topology.pinned_keys = trust.keys.size();
  // Where the topology in use came from, and who signed it: the file of its version (none for
  // the bootstrap list).
  for (const auto* file : {&persisted_file, &loaded_file}) {
    if (*file && s.topology.source == "pushed" && (*file)->topology == topology) {
      s.topology.received_from = (*file)->received_from;
      s.topology.received_at = (*file)->received_at;
      s.topology.signed_by = (*file)->issued.signed_by;
      break;
    }
  }
  if (last_known_good_file) s.topology.last_known_good_topology = stored_status(*last_known_good_file);
  if (const auto& pending = machine.pending()) {
    PendingTopologyStatus p{.epoch = pending->topology.epoch,
                            .generation = pending->topology.generation,
                            .primary = pending->topology.primary.to_string(),
                            .failover = addresses(pending->topology.failover),
                            .since = wall(pending->received_at),
                            .last_error = pending->last_error,
                            .received_from = pending->received_from.to_string(),
                            .last_error_detail = pending->last_error_detail};
    s.topology.pending = std::move(p);
  }

  const auto& records = machine.gateways();
  for (std::size_t i = 0; i < gateways.size(); ++i) {
    GatewayStatus g{.address = gateways[i].to_string(), .role = role_of(i)};
    if (i < records.size()) {
      g.last_error = records[i].last_error;
      g.last_error_detail = records[i].last_error_detail;
      if (records[i].last_seen) g.last_seen = wall(*records[i].last_seen);
    }
    s.gateways.push_back(std::move(g));
  }
  const auto& c = machine.counters();
  s.counters = {.failovers = c.failovers,
                .failbacks = c.failbacks,
                .reconnects = c.reconnects,
                .heartbeats_missed = c.heartbeats_missed};
  s.certificate = certificate_status(wall_now);
  if (auto t = machine.next_retry()) s.next_retry = wall(*t);
  if (auto t = machine.next_probe()) s.next_probe = wall(*t);
  return s;
}

}  // namespace gatelink
