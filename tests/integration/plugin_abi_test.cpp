// libgatelink embedded through its C ABI, the way another monitoring agent would load it:
// open with a configuration file, start, read status, stop, close — against a real gateway, and
// against the fixtures' fake gateway where the gateway must misbehave.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "codec/codec.hpp"
#include "endpoint/endpoint.hpp"
#include "endpoint/endpoint_runtime.hpp"
#include "fixtures/fake_gateway.hpp"
#include "gatelink/gatelink.h"
#include "integration/harness.hpp"
#include "plugin/plugin_test_support.hpp"

extern "C" const char* gatelink_abi_check_version(void);

namespace gatelink::test {
namespace {

TEST(PluginAbi, open_refuses_a_missing_configuration_with_a_reason) {
  char error[256] = "unchanged";
  EXPECT_EQ(gatelink_open("/nonexistent/agent.xml", error, sizeof error), nullptr);
  EXPECT_NE(std::string(error).find("/nonexistent/agent.xml"), std::string::npos) << error;
  EXPECT_EQ(gatelink_open(nullptr, error, sizeof error), nullptr);
  EXPECT_EQ(gatelink_close(nullptr), GATELINK_OK);  // harmless
  EXPECT_EQ(gatelink_start(nullptr), GATELINK_E_INVALID_ARGUMENT);
  EXPECT_EQ(gatelink_abi_version(), GATELINK_ABI_VERSION);
  EXPECT_STRNE(gatelink_abi_check_version(), "");
}

TEST(PluginAbi, embedded_endpoint_connects_and_reports_status) {
  OneGateway setup;
  auto& gw = setup.gw;
  char error[512] = "";
  gatelink_endpoint* endpoint = gatelink_open(setup.config.c_str(), error, sizeof error);
  ASSERT_NE(endpoint, nullptr) << error;
  EXPECT_EQ(gatelink_connected(endpoint), 0);
  ASSERT_EQ(gatelink_start(endpoint), 0);
  EXPECT_EQ(gatelink_start(endpoint), GATELINK_E_STATE);  // once only
  EXPECT_TRUE(wait_until([&] { return gatelink_connected(endpoint) == 1; }, 10s));

  // Too small a buffer: truncated but terminated, and the full length is returned.
  char small[16];
  size_t full = 0;
  EXPECT_EQ(gatelink_status_json(endpoint, small, sizeof small, &full), GATELINK_E_TRUNCATED);
  EXPECT_GT(full, sizeof small);
  EXPECT_EQ(std::string(small).size(), sizeof small - 1);
  // The document changes between calls (RTT, times): leave room, as a host would.
  std::string json(full + 1024, '\0');
  size_t length = 0;
  ASSERT_EQ(gatelink_status_json(endpoint, json.data(), json.size(), &length), GATELINK_OK);
  json.resize(length);
  auto status = nlohmann::json::parse(json);
  EXPECT_EQ(status["state"], "connected");
  EXPECT_EQ(status["agent"], "agent1.example.test");

  EXPECT_EQ(gatelink_stop(endpoint), GATELINK_OK);
  EXPECT_EQ(gatelink_connected(endpoint), 0);
  EXPECT_EQ(gatelink_start(endpoint), GATELINK_E_STATE);  // stopped for good
  EXPECT_EQ(gatelink_close(endpoint), GATELINK_OK);
  // The gateway heard a goodbye from the embedded endpoint, not a dropped connection.
  EXPECT_TRUE(wait_until(
      [&] { return gw.process->log().find("reason=agent-goodbye") != std::string::npos; }, 5s))
      << gw.process->log();
}

/// The status JSON of `endpoint`, parsed (a discarded value when it does not parse).
nlohmann::json status_of(gatelink_endpoint* endpoint) {
  std::string json(64 * 1024, '\0');
  size_t length = 0;
  if (gatelink_status_json(endpoint, json.data(), json.size(), &length) != GATELINK_OK)
    return nlohmann::json(nlohmann::json::value_t::discarded);
  json.resize(length);
  return nlohmann::json::parse(json, nullptr, false);
}

/// This process's TCP socket from 127.0.0.1:`local` to 127.0.0.1:`remote` (an embedded
/// endpoint's connection to a gateway), or -1.
int find_tcp_socket(std::uint16_t local, std::uint16_t remote) {
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    sockaddr_in own{};
    sockaddr_in peer{};
    socklen_t own_size = sizeof own;
    socklen_t peer_size = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&own), &own_size) != 0 ||
        own.sin_family != AF_INET ||
        ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) {
      continue;
    }
    if (ntohs(own.sin_port) == local && ntohs(peer.sin_port) == remote) return fd;
  }
  return -1;
}

/// Bytes in a socket's kernel queue: SIOCINQ (received, unread) or SIOCOUTQ (not yet taken by
/// the peer).
int queued_bytes(int fd, unsigned long which) {
  int bytes = -1;
  return ::ioctl(fd, which, &bytes) == 0 ? bytes : -1;
}

/// How many heartbeat answers (46 bytes each over TLS 1.3) the kernel can buffer between an
/// endpoint and a gateway that reads nothing: the endpoint's largest send buffer and the
/// gateway's receive buffer (which grows only as it reads), from this machine's settings.
std::size_t answers_the_kernel_can_hold() {
  constexpr std::size_t kAnswerOnTheWire = 46;
  std::size_t wmem[3] = {};
  std::size_t rmem[3] = {};
  std::ifstream("/proc/sys/net/ipv4/tcp_wmem") >> wmem[0] >> wmem[1] >> wmem[2];
  std::ifstream("/proc/sys/net/ipv4/tcp_rmem") >> rmem[0] >> rmem[1] >> rmem[2];
  return (wmem[2] + rmem[1]) / kAnswerOnTheWire;
}

/// Whether a write to `fd` would go through now.
bool writable(int fd) {
  pollfd entry{fd, POLLOUT, 0};
  return ::poll(&entry, 1, 0) == 1 && (entry.revents & POLLOUT) != 0;
}

/// `count` heartbeats in a row, as a gateway sends them (each one asks for an answer).
codec::Bytes heartbeat_flood(std::size_t count) {
  codec::Bytes bytes;
  for (std::size_t i = 0; i < count; ++i) {
    const auto frame = codec::encode(codec::Heartbeat{.sequence = i + 1, .sent_at_us = 1});
    bytes.insert(bytes.end(), frame.begin(), frame.end());
  }
  return bytes;
}

TEST(PluginAbi, status_from_another_thread_during_stop_is_safe) {
  // The handshake deadline of the harness's configuration: stop() waits that long at most for a
  // goodbye that cannot be written.
  constexpr auto kHandshakeTimeout = 1000ms;
  using Clock = std::chrono::steady_clock;

  FakeGateway gateway;
  TempDir dir;
  AgentSetup setup{.gateways = {{gateway.address(), "gw1.example.test"}}};
  setup.heartbeat_interval_ms = 5000;  // no heartbeat goes unanswered during the test
  const auto config = write_agent_config(dir, setup);
  char error[512] = "";
  // Closed on every way out of the test, an early one too: an endpoint left open at exit logs
  // after spdlog's registry is gone.
  const std::unique_ptr<gatelink_endpoint, decltype(&gatelink_close)> owned{
      gatelink_open(config.c_str(), error, sizeof error), &gatelink_close};
  gatelink_endpoint* const endpoint = owned.get();
  ASSERT_NE(endpoint, nullptr) << error;
  ASSERT_EQ(gatelink_start(endpoint), 0);
  ASSERT_TRUE(wait_until([&] { return gatelink_connected(endpoint) == 1; }, 10s));
  ASSERT_TRUE(gateway.wait_heartbeats(0, 1, 10s));

  // The gateway stops reading and sends heartbeats: the endpoint answers each one, twice as many
  // answers as the kernel can buffer between it and a gateway that does not read, so its goodbye
  // cannot be written and stop() must wait for that write's deadline: a stop that lasts, however
  // fast the machine. Both sockets are in this process: once the gateway has written every
  // heartbeat and the endpoint has read them all, its way out is full for good.
  gateway.set_reading(0, false);
  ASSERT_TRUE(gateway.send_raw(0, heartbeat_flood(2 * answers_the_kernel_can_hold())));
  const auto agent_port = gateway.record(0).peer_port;
  const int gateway_socket = find_tcp_socket(gateway.port(), agent_port);
  const int endpoint_socket = find_tcp_socket(agent_port, gateway.port());
  ASSERT_GE(gateway_socket, 0);
  ASSERT_GE(endpoint_socket, 0);
  const bool flooded = wait_until(
      [&] {
        return gateway.record(0).unsent_bytes == 0 && queued_bytes(gateway_socket, SIOCOUTQ) == 0 &&
               queued_bytes(endpoint_socket, SIOCINQ) == 0;
      },
      60s);
#if defined(__SANITIZE_THREAD__)
  // Under TSan the endpoint reads the flood so slowly that its session may be cut (the
  // keepalive's user timeout) before it has read it all: the race detection is what that build
  // is for; the stop window cannot be staged there.
  if (!flooded) GTEST_SKIP() << "TSan build: the session ended before the flood was read";
#endif
  ASSERT_TRUE(flooded);
  ASSERT_FALSE(writable(endpoint_socket));

  // A host's monitoring thread keeps asking while its main thread stops the endpoint.
  struct Call {
    Clock::time_point asked;
    Clock::time_point returned;
    bool answered = false;  ///< a whole status document
  };
  std::vector<Call> calls;
  std::atomic<bool> done{false};
  std::atomic<std::size_t> answers{0};
  std::thread poller([&] {
    while (!done) {
      const auto asked = Clock::now();
      const auto s = status_of(endpoint);
      const bool answered = s.is_object() && s.contains("state");
      calls.push_back({asked, Clock::now(), answered});
      if (answered) ++answers;
    }
  });
  const bool polling = wait_until([&] { return answers.load() > 0; }, 10s);
  const auto stop_began = Clock::now();
  gatelink_stop(endpoint);
  const auto stop_ended = Clock::now();
  done = true;
  poller.join();
  ASSERT_TRUE(polling);

#if defined(__SANITIZE_THREAD__)
  // Under TSan the endpoint runs so slowly that the flood may end its session before stop():
  // the race detection is what that build is for; the stop window cannot be staged there.
  if (stop_ended - stop_began < kHandshakeTimeout) {
    GTEST_SKIP() << "TSan build: the session ended before stop(), no stop window to observe";
  }
#endif
  ASSERT_GE(stop_ended - stop_began, kHandshakeTimeout)
      << "stop() did not have to wait for its goodbye: the heartbeats did not fill the buffers";
  // Calls asked after stop() began were answered in the first half of its wait: a status() that
  // waited for stop() to finish would have none there.
  const auto midway = stop_began + (stop_ended - stop_began) / 2;
  std::size_t during_stop = 0;
  std::size_t unanswered = 0;
  for (const auto& call : calls) {
    if (!call.answered) ++unanswered;
    if (call.answered && call.asked > stop_began && call.returned < midway) ++during_stop;
  }
  EXPECT_EQ(unanswered, 0u) << calls.size() << " calls";
  EXPECT_GT(during_stop, 0u) << calls.size() << " calls";
  const auto final_status = status_of(endpoint);
  ASSERT_TRUE(final_status.is_object());
  EXPECT_EQ(final_status["state"], "stopped");
}

/// The configuration of agent `i` of many on `setup`'s gateway: a state folder of its own (a
/// second endpoint on a folder is refused: one agent per folder).
AgentConfig agent_of_many(const OneGateway& setup, std::size_t i) {
  auto config = load_agent_config(setup.config.string());
  if (!config) throw std::runtime_error(config.error().message);
  config->state_dir = (setup.dir / ("state-" + std::to_string(i))).string();
  return std::move(*config);
}

TEST(PluginApi, one_gateway_serves_many_agents_at_once) {
  // 40 embedded endpoints (C++ API) connect to one reference gateway concurrently.
  constexpr std::size_t kAgents = 40;
  OneGateway setup;
  auto& gw = setup.gw;
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  for (std::size_t i = 0; i < kAgents; ++i) {
    auto endpoint = Endpoint::open(agent_of_many(setup, i));
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

TEST(PluginApi, endpoints_on_one_runtime_share_its_lanes_and_stop_one_at_a_time) {
  // Many endpoints on the two lanes of one runtime (as the fleet simulator runs them): all of
  // them connect, every handler runs on one of the two lanes, and stopping and destroying some
  // leaves the others connected and heartbeating.
  constexpr std::size_t kAgents = 12;
  OneGateway setup;
  auto& gw = setup.gw;
  auto runtime = std::make_shared<EndpointRuntime>(2);
  std::mutex threads_mutex;
  std::set<std::thread::id> handler_threads;
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  for (std::size_t i = 0; i < kAgents; ++i) {
    auto endpoint = Endpoint::open(agent_of_many(setup, i), runtime);
    ASSERT_TRUE(endpoint) << endpoint.error().message;
    (*endpoint)->set_state_handler([&](const StateChange&) {
      EXPECT_TRUE(Endpoint::on_endpoint_thread());
      std::lock_guard lock(threads_mutex);
      handler_threads.insert(std::this_thread::get_id());
    });
    endpoints.push_back(std::move(*endpoint));
  }
  for (auto& e : endpoints) e->start();
  const auto connected = [&](std::size_t from) {
    for (std::size_t i = from; i < endpoints.size(); ++i) {
      if (endpoints[i]->status().state != ConnectionState::connected) return false;
    }
    return true;
  };
  ASSERT_TRUE(wait_until([&] { return connected(0); }, 30s)) << gw.process->log();
  {
    std::lock_guard lock(threads_mutex);
    EXPECT_GE(handler_threads.size(), 1u);
    EXPECT_LE(handler_threads.size(), runtime->lanes());
    EXPECT_EQ(handler_threads.count(std::this_thread::get_id()), 0u);
  }

  // Half of them stop and are gone while the other half keeps running on the same lanes.
  constexpr std::size_t kStopped = kAgents / 2;
  for (std::size_t i = 0; i < kStopped; ++i) {
    endpoints[i]->stop();
    EXPECT_EQ(endpoints[i]->status().state, ConnectionState::stopped);
    EXPECT_FALSE(endpoints[i]->alive(100ms));
    endpoints[i].reset();
  }
  // Each heartbeat answered gives a new round-trip time (to the microsecond): wait for one.
  std::vector<std::optional<double>> rtt;
  for (std::size_t i = kStopped; i < kAgents; ++i) {
    EXPECT_TRUE(endpoints[i]->alive(1s));
    rtt.push_back(endpoints[i]->status().heartbeat.last_rtt_ms);
  }
  EXPECT_TRUE(wait_until(
      [&] {
        for (std::size_t i = kStopped; i < kAgents; ++i) {
          if (endpoints[i]->status().heartbeat.last_rtt_ms == rtt[i - kStopped]) return false;
        }
        return true;
      },
      10s))
      << "the endpoints left on the lanes stopped heartbeating";
  EXPECT_TRUE(connected(kStopped));
  for (std::size_t i = kStopped; i < kAgents; ++i) endpoints[i].reset();
  runtime.reset();  // its lanes end once the last endpoint on it is gone
}

}  // namespace
}  // namespace gatelink::test
