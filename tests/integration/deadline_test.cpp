// A deadline on every step (issue 9 item 3): the real agent against gateways that stall at one
// step each, over real TCP and TLS on 127.0.0.1. Each attempt fails with that step's own reason
// (connect-timeout, handshake-timeout, welcome-timeout), and no reason leaks into the next
// attempt. resolve-timeout has its own tests (dns_test.cpp, resolve_tests).

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fixtures/fake_gateway.hpp"
#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

constexpr auto kWait = 15s;

/// A listening socket whose accept queue is full and never drained: the kernel drops further
/// SYNs, so a connect to it hangs until the connector gives up (a gateway behind a black hole).
class FullBacklog {
 public:
  FullBacklog() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 0) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    // Fill the queue (backlog 0 holds one, the kernel allows one more) from non-blocking
    // sockets, until one does not complete at once.
    for (int i = 0; i < 8; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      fillers_.push_back(fd);
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), length);
    }
  }
  ~FullBacklog() {
    for (const int fd : fillers_) ::close(fd);
    ::close(listener_);
  }
  FullBacklog(const FullBacklog&) = delete;
  FullBacklog& operator=(const FullBacklog&) = delete;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::vector<int> fillers_;
};

struct Agent {
  explicit Agent(std::vector<std::pair<std::string, std::string>> gateways) {
    AgentSetup setup;
    setup.gateways = std::move(gateways);
    process = start_agent(dir, write_agent_config(dir, setup));  // connect and handshake 1 s
  }
  std::optional<nlohmann::json> status() const { return agent_status(dir / "agent.sock"); }
  /// Waits until gateway `i` shows `reason` as its last error.
  bool wait_error(std::size_t i, const std::string& reason) const {
    return wait_until(
        [&] {
          auto s = status();
          return s && (*s)["gateways"].size() > i && (*s)["gateways"][i]["last_error"] == reason;
        },
        kWait);
  }
  std::string log() const { return process->log(); }
  TempDir dir;
  std::unique_ptr<Process> process;
};

TEST(StepDeadlines, a_gateway_that_never_completes_the_tcp_connect_is_connect_timeout) {
  FullBacklog black_hole;
  Agent agent({{black_hole.address(), "gw1.example.test"}});
  EXPECT_TRUE(agent.wait_error(0, "connect-timeout")) << agent.log();
}

TEST(StepDeadlines, silence_before_the_admission_is_handshake_timeout) {
  FakeGateway gateway;
  gateway.set_script({.admission = FakeGateway::Admission::silent});
  Agent agent({{gateway.address(), "gw1.example.test"}});
  EXPECT_TRUE(agent.wait_error(0, "handshake-timeout")) << agent.log();
}

TEST(StepDeadlines, a_stalled_tls_handshake_is_handshake_timeout) {
  FakeGateway gateway;
  gateway.set_script({.handshake = FakeGateway::Handshake::stall});
  Agent agent({{gateway.address(), "gw1.example.test"}});
  EXPECT_TRUE(agent.wait_error(0, "handshake-timeout")) << agent.log();
}

TEST(StepDeadlines, an_unanswered_hello_is_welcome_timeout) {
  FakeGateway gateway;
  gateway.set_script(
      {.on_hello = [](const codec::Hello&) -> std::optional<codec::Message> { return {}; }});
  Agent agent({{gateway.address(), "gw1.example.test"}});
  EXPECT_TRUE(agent.wait_error(0, "welcome-timeout")) << agent.log();
  EXPECT_TRUE(gateway.record(0).tls_up) << "the handshake itself completed";
}

TEST(StepDeadlines, no_reason_leaks_into_the_next_attempt) {
  // gw1 stalls its handshake, gw2 answers the hello with silence, gw3 welcomes: each attempt
  // fails with its own step's reason, and the agent ends on gw3.
  FakeGateway stalls("gw1.example.test", "gw1");
  stalls.set_script({.handshake = FakeGateway::Handshake::stall});
  FakeGateway mute("gw2.example.test", "gw2");
  mute.set_script(
      {.on_hello = [](const codec::Hello&) -> std::optional<codec::Message> { return {}; }});
  FakeGateway good("gw3.example.test", "gw3");
  Agent agent({{stalls.address(), "gw1.example.test"},
               {mute.address(), "gw2.example.test"},
               {good.address(), "gw3.example.test"}});
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = agent.status();
        return s && (*s)["state"] == "connected" && (*s)["position"] == 2;
      },
      kWait))
      << agent.log();
  auto s = *agent.status();
  EXPECT_EQ(s["gateways"][0]["last_error"], "handshake-timeout") << agent.log();
  EXPECT_EQ(s["gateways"][1]["last_error"], "welcome-timeout") << agent.log();
  EXPECT_TRUE(s["gateways"][2]["last_error"].is_null()) << agent.log();
}

}  // namespace
}  // namespace gatelink::test
