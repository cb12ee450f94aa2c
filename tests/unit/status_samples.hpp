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

/// The same agent in `state` (connecting, backoff, ...), without a gateway in use.
inline StatusSnapshot not_connected_snapshot(WallTime now, ConnectionState state) {
  StatusSnapshot s = connected_snapshot(now);
  s.state = state;
  s.gateway.reset();
  s.gateway_name.reset();
  s.role.reset();
  s.position.reset();
  return s;
}

}  // namespace gatelink::test
