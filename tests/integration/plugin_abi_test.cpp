// libgatelink embedded through its C ABI, the way another monitoring agent would load it:
// open with a configuration file, start, read status, stop, close — against a real gateway.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "gatelink/endpoint.hpp"
#include "gatelink/gatelink.h"
#include "integration/harness.hpp"

extern "C" const char* gatelink_abi_check_version(void);

namespace gatelink::test {
namespace {

TEST(PluginAbi, open_refuses_a_missing_configuration_with_a_reason) {
  char error[256] = "unchanged";
  EXPECT_EQ(gatelink_open("/nonexistent/agent.xml", error, sizeof error), nullptr);
  EXPECT_NE(std::string(error).find("/nonexistent/agent.xml"), std::string::npos) << error;
  EXPECT_EQ(gatelink_open(nullptr, error, sizeof error), nullptr);
  gatelink_close(nullptr);  // harmless
  EXPECT_STRNE(gatelink_abi_check_version(), "");
}

/// One gateway and the configuration of an agent that uses it as primary.
struct OneGateway {
  TempDir dir;
  GatewayProcess gw = start_gateway(dir, "gw1.example.test", "gw1");
  fs::path config = write_agent_config(dir, AgentSetup{.gateways = {{gw.address,
                                                                      "gw1.example.test"}}});
};

TEST(PluginAbi, embedded_endpoint_connects_and_reports_status) {
  OneGateway setup;
  auto& gw = setup.gw;
  char error[512] = "";
  gatelink_endpoint* endpoint = gatelink_open(setup.config.c_str(), error, sizeof error);
  ASSERT_NE(endpoint, nullptr) << error;
  EXPECT_EQ(gatelink_connected(endpoint), 0);
  ASSERT_EQ(gatelink_start(endpoint), 0);
  EXPECT_EQ(gatelink_start(endpoint), -1);  // once only
  EXPECT_TRUE(wait_until([&] { return gatelink_connected(endpoint) == 1; }, 10s));

  // Too small a buffer: truncated but terminated, and the full length is returned.
  char small[16];
  const size_t full = gatelink_status_json(endpoint, small, sizeof small);
  EXPECT_GT(full, sizeof small);
  EXPECT_EQ(std::string(small).size(), sizeof small - 1);
  // The document changes between calls (RTT, times): leave room, as a host would.
  std::string json(full + 1024, '\0');
  const size_t length = gatelink_status_json(endpoint, json.data(), json.size());
  ASSERT_LT(length, json.size());
  json.resize(length);
  auto status = nlohmann::json::parse(json);
  EXPECT_EQ(status["state"], "connected");
  EXPECT_EQ(status["agent"], "agent1.example.test");

  gatelink_stop(endpoint);
  EXPECT_EQ(gatelink_connected(endpoint), 0);
  gatelink_close(endpoint);
  // The gateway heard a goodbye from the embedded endpoint, not a dropped connection.
  EXPECT_TRUE(wait_until(
      [&] { return gw.process->log().find("reason=agent-goodbye") != std::string::npos; }, 5s))
      << gw.process->log();
}

TEST(PluginAbi, status_from_another_thread_during_stop_is_safe) {
  OneGateway setup;
  char error[512] = "";
  gatelink_endpoint* endpoint = gatelink_open(setup.config.c_str(), error, sizeof error);
  ASSERT_NE(endpoint, nullptr) << error;
  ASSERT_EQ(gatelink_start(endpoint), 0);
  ASSERT_TRUE(wait_until([&] { return gatelink_connected(endpoint) == 1; }, 10s));

  // A host's monitoring thread keeps asking while its main thread stops the endpoint.
  std::atomic<bool> done{false};
  std::atomic<int> answers{0};
  std::thread poller([&] {
    char buffer[8192];
    while (!done) {
      if (gatelink_status_json(endpoint, buffer, sizeof buffer) > 0) ++answers;
    }
  });
  gatelink_stop(endpoint);
  ASSERT_TRUE(wait_until([&] { return answers.load() > 0; }, 5s));
  done = true;
  poller.join();
  char buffer[8192];
  ASSERT_GT(gatelink_status_json(endpoint, buffer, sizeof buffer), 0u);
  EXPECT_EQ(nlohmann::json::parse(buffer)["state"], "stopped");
  gatelink_close(endpoint);
}

TEST(PluginApi, one_gateway_serves_many_agents_at_once) {
  // 40 embedded endpoints (C++ API) connect to one reference gateway concurrently.
  constexpr std::size_t kAgents = 40;
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  AgentSetup setup;
  setup.gateways = {{gw.address, "gw1.example.test"}};
  auto config = load_agent_config(write_agent_config(dir, setup).string());
  ASSERT_TRUE(config) << config.error().message;

  std::vector<std::unique_ptr<Endpoint>> endpoints;
  for (std::size_t i = 0; i < kAgents; ++i) {
    auto endpoint = Endpoint::open(*config);
    ASSERT_TRUE(endpoint) << endpoint.error().message;
    endpoints.push_back(std::move(*endpoint));
  }
  for (auto& e : endpoints) e->start();
  const auto all_connected = [&] {
    for (auto& e : endpoints) {
      if (e->status().state != ConnectionState::connected) return false;
    }
    return true;
  };
  EXPECT_TRUE(wait_until(all_connected, 30s)) << gw.process->log();
  // Heartbeats keep flowing to all of them.
  EXPECT_TRUE(wait_until(
      [&] {
        for (auto& e : endpoints) {
          if (!e->status().heartbeat.last_rtt_ms) return false;
        }
        return true;
      },
      10s));
  for (auto& e : endpoints) e->stop();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto log = gw.process->log();
        std::size_t n = 0;
        // Count the goodbyes of stop(): an agent that reconnected on a loaded machine leaves
        // extra disconnect lines, but says goodbye once.
        for (auto at = log.find("reason=agent-goodbye:stop"); at != std::string::npos;
             at = log.find("reason=agent-goodbye:stop", at + 1)) {
          ++n;
        }
        return n == kAgents;
      },
      10s))
      << gw.process->log();
}

}  // namespace
}  // namespace gatelink::test
