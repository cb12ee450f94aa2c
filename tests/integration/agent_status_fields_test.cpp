// What a real agent tells gatelinkctl beyond the basics: the gateway it is trying while
// connecting, and where the topology in use and the last-known-good one came from. A real
// gatelink-gateway --store over real TLS on 127.0.0.1; gatelink-mg writes the topologies.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

constexpr char kAgent[] = "agent1.example.test";

/// `gatelinkctl ARGS... --json` against the agent of `dir`, parsed; null when it does not parse.
nlohmann::json ctl_json(const TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {(bin_dir() / "gatelinkctl").string(), "--socket",
                                   (dir / "agent.sock").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.emplace_back("--json");
  return nlohmann::json::parse(run_program(argv).out, nullptr, false);
}

/// A TCP port on 127.0.0.1 that completes the TCP handshake and then says nothing, ever.
class SilentTcpListener {
 public:
  SilentTcpListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentTcpListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentTcpListener(const SilentTcpListener&) = delete;
  SilentTcpListener& operator=(const SilentTcpListener&) = delete;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  unsigned port_ = 0;
};

TEST(AgentStatusFields, connecting_names_the_gateway_being_tried) {
  TempDir dir;
  const SilentTcpListener silent;
  AgentSetup setup;
  setup.name = kAgent;
  setup.gateways = {{silent.address(), "gw1.example.test"}};
  setup.handshake_timeout_ms = 60'000;  // stays in the handshake for the whole test
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  nlohmann::json status;
  ASSERT_TRUE(wait_until(
      [&] {
        status = ctl_json(dir, {"status"});
        return status.is_object() && status["attempt"].is_object();
      },
      10s))
      << status.dump() << agent->log();
  EXPECT_EQ(status["state"], "connecting");
  EXPECT_EQ(status["attempt"]["gateway"], "gw1.example.test@" + silent.address());
  EXPECT_EQ(status["attempt"]["position"], 0);
  EXPECT_EQ(status["summary"]["text"].get<std::string>().rfind(
                "NOT connected: connecting to primary gw1.example.test", 0),
            0u)
      << status["summary"];
  EXPECT_TRUE(status["gateway"].is_null());
}

TEST(AgentStatusFields, topology_tells_where_each_generation_came_from) {
  TempDir dir;
  const fs::path store = dir / "store";
  fs::create_directories(store);
  auto gw1 = start_gateway(dir, "gw1.example.test", "gw1", 0,
                           {"--store", store.string(), "--store-poll-ms", "50"});
  const std::string primary = "gw1.example.test@" + gw1.address;
  ASSERT_EQ(run_mg(store, {"set-parent", "--agent", kAgent, "--management-group", "TEST",
                           "--primary", primary})
                .exit_status,
            0);
  AgentSetup setup;
  setup.name = kAgent;
  setup.gateways = {{gw1.address, gw1.name}};
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  nlohmann::json topology;
  const auto generation_in_use = [&](int generation) {
    return wait_until(
        [&] {
          topology = ctl_json(dir, {"topology"});
          return topology.is_object() && topology["current"]["generation"] == generation;
        },
        10s);
  };
  ASSERT_TRUE(generation_in_use(1)) << topology.dump() << agent->log();
  EXPECT_EQ(topology["current"]["source"], "pushed");
  EXPECT_EQ(topology["current"]["received_from"], primary);
  EXPECT_TRUE(topology["current"]["received_at"].is_string()) << topology.dump();
  EXPECT_TRUE(topology["last_known_good"].is_null()) << topology.dump();

  // A second push with the same primary applies at once; the first becomes last-known-good.
  ASSERT_EQ(run_mg(store, {"set-parent", "--agent", kAgent, "--primary", primary, "--failover",
                           "gw2.example.test@127.0.0.1:1"})
                .exit_status,
            0);
  ASSERT_TRUE(generation_in_use(2)) << topology.dump() << agent->log();
  EXPECT_EQ(topology["current"]["failover"], nlohmann::json::array({"gw2.example.test@127.0.0.1:1"}));
  EXPECT_EQ(topology["last_known_good"]["generation"], 1) << topology.dump();
  EXPECT_EQ(topology["last_known_good"]["primary"], primary);
  EXPECT_EQ(topology["last_known_good"]["received_from"], primary);

  // After a restart the agent reads both back from its state folder.
  agent.reset();
  agent = start_agent(dir, write_agent_config(dir, setup));
  ASSERT_TRUE(generation_in_use(2)) << topology.dump() << agent->log();
  EXPECT_EQ(topology["current"]["received_from"], primary);
  EXPECT_EQ(topology["last_known_good"]["generation"], 1) << topology.dump();
}

}  // namespace
}  // namespace gatelink::test
