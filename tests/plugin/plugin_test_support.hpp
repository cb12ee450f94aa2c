#pragma once
// What the tests of libgatelink's hosts share: a real gateway and an agent configuration that
// uses it as primary.

#include "integration/harness.hpp"

namespace gatelink::test {

/// One gateway and the configuration of an agent that uses it as primary.
struct OneGateway {
  TempDir dir;
  GatewayProcess gw = start_gateway(dir, "gw1.example.test", "gw1");
  fs::path config = write_agent_config(dir, AgentSetup{.gateways = {{gw.address,
                                                                      "gw1.example.test"}}});
};

}  // namespace gatelink::test
