#pragma once
// Status snapshots shared by the status unit tests and the gatelinkctl integration tests.

#include <chrono>

#include "status/status_snapshot.hpp"

namespace gatelink::test {

/// An agent connected to its primary for 3m12s at `now`, its failover refusing connections.
inline StatusSnapshot connected_snapshot(WallTime now) {
  using std::chrono::hours;
  using std::chrono::seconds;
  StatusSnapshot s;
  s.version = "0.1.0";
  s.agent = "web01.example.test";
  s.management_group = "EXAMPLE";
  s.state = ConnectionState::connected;
  s.gateway = "gw1.example.test@127.0.0.1:15801";
  s.gateway_name = "gw1.example.test";
  s.role = "primary";
  s.position = 0;
  s.since = now - seconds{192};
  s.heartbeat = {1000, 3, 0.412, 0};
  s.failback = {30000, 30000};
  s.topology.primary = "gw1.example.test@127.0.0.1:15801";
  s.topology.failover = {"gw2.example.test@127.0.0.1:15802"};
  s.gateways = {{"gw1.example.test@127.0.0.1:15801", "primary", std::nullopt, now - seconds{1}},
                {"gw2.example.test@127.0.0.1:15802", "failover", "connect-refused", std::nullopt}};
  s.certificate = {"CN=agent1.example.test", now + hours{24 * 365}, 365};
  return s;
}

/// `s` in `state` (connecting, backoff, ...), without a gateway in use.
inline StatusSnapshot without_gateway(StatusSnapshot s, ConnectionState state) {
  s.state = state;
  s.gateway.reset();
  s.gateway_name.reset();
  s.role.reset();
  s.position.reset();
  s.next_probe.reset();
  return s;
}

/// The same agent in `state` (connecting, backoff, ...), without a gateway in use.
inline StatusSnapshot not_connected_snapshot(WallTime now, ConnectionState state) {
  return without_gateway(connected_snapshot(now), state);
}

/// Three gateways: the agent is on failover 1 of 2 because the primary's certificate expired;
/// the next failback probe is due in 12 s.
inline StatusSnapshot on_failover_snapshot(WallTime now) {
  using std::chrono::seconds;
  StatusSnapshot s = connected_snapshot(now);
  s.gateway = "gw2.example.test@127.0.0.1:15802";
  s.gateway_name = "gw2.example.test";
  s.role = "failover";
  s.position = 1;
  s.topology.failover = {"gw2.example.test@127.0.0.1:15802", "gw3.example.test@127.0.0.1:15803"};
  s.gateways = {{"gw1.example.test@127.0.0.1:15801", "primary", "expired", now - seconds{300}},
                {"gw2.example.test@127.0.0.1:15802", "failover", std::nullopt, now - seconds{1}},
                {"gw3.example.test@127.0.0.1:15803", "failover", std::nullopt, std::nullopt}};
  s.counters.failovers = 1;
  s.next_probe = now + seconds{12};
  return s;
}

/// The same three gateways, none of them in use: `state` connecting (to `attempt`) or backoff.
inline StatusSnapshot three_gateways_not_connected(WallTime now, ConnectionState state) {
  StatusSnapshot s = without_gateway(on_failover_snapshot(now), state);
  s.since = now - std::chrono::seconds{2};
  return s;
}

}  // namespace gatelink::test
