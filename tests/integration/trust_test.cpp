// Mutual TLS as DESIGN "Connection and trust" wants it, with real processes: the agent never
// reports connected to a gateway whose certificate fails a check, and the gateway refuses a
// rogue agent. Each case fails if its check is removed: the bad certificate differs from a
// good one in exactly the property under test.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <string_view>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

struct BadGateway {
  const char* cert_base;
  const char* reason;
  bool with_crl;
};

class BadGatewayCertificate : public ::testing::TestWithParam<BadGateway> {};

TEST_P(BadGatewayCertificate, agent_never_connects_and_logs_the_reason) {
  const auto& c = GetParam();
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", c.cert_base);
  AgentSetup setup;
  setup.with_crl = c.with_crl;
  setup.gateways = {{gw.address, "gw1.example.test"}};
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";

  bool ever_connected = false;
  const bool rejected = wait_until(
      [&] {
        auto s = agent_status(socket);
        if (!s) return false;
        if ((*s)["state"] == "connected") ever_connected = true;
        const auto& err = (*s)["gateways"][0]["last_error"];
        return err.is_string() && err.get<std::string>() == c.reason;
      },
      10s);
  EXPECT_TRUE(rejected) << agent->log();
  EXPECT_FALSE(ever_connected) << agent->log();
  EXPECT_NE(agent->log().find(std::string("reason=") + c.reason), std::string::npos)
      << agent->log();
}

INSTANTIATE_TEST_SUITE_P(
    Trust, BadGatewayCertificate,
    ::testing::Values(BadGateway{"gw-expired", "expired", false},
                      BadGateway{"gw-wrong-eku", "wrong-purpose", false},
                      BadGateway{"gw-wrong-name", "name-mismatch", false},
                      BadGateway{"gw-revoked", "revoked", true},
                      BadGateway{"gw-other-ca", "untrusted", false}),
    [](const auto& param_info) {
      std::string n = param_info.param.cert_base;
      std::replace(n.begin(), n.end(), '-', '_');
      return n;
    });

TEST(Trust, revoked_gateway_is_accepted_without_a_crl_so_the_crl_is_what_refuses_it) {
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw-revoked");
  AgentSetup setup;
  setup.gateways = {{gw.address, "gw1.example.test"}};
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  EXPECT_TRUE(wait_until(
      [&] {
        auto s = agent_status(dir / "agent.sock");
        return s && (*s)["state"] == "connected";
      },
      10s))
      << agent->log();
}

struct RogueAgent {
  const char* cert_base;
  const char* agent_name;
  const char* reason;  ///< as the gateway logs it
};

class RogueAgentCertificate : public ::testing::TestWithParam<RogueAgent> {};

TEST_P(RogueAgentCertificate, gateway_refuses_it_and_logs_the_reason) {
  const auto& c = GetParam();
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  AgentSetup setup;
  setup.name = c.agent_name;
  setup.cert_base = c.cert_base;
  setup.gateways = {{gw.address, "gw1.example.test"}};
  auto agent = start_agent(dir, write_agent_config(dir, setup));

  EXPECT_TRUE(wait_until(
      [&] {
        return gw.process->log().find(std::string("event=agent-rejected")) != std::string::npos &&
               gw.process->log().find(std::string("reason=") + c.reason) != std::string::npos;
      },
      10s))
      << gw.process->log();
  EXPECT_EQ(gw.process->log().find("event=agent-connected"), std::string::npos)
      << gw.process->log();
  if (std::string_view(c.reason) != "name-mismatch") {
    // The certificate's own line names the agent by its endpoint (the stream's label).
    EXPECT_TRUE(any_line_has(gw.process->log(),
                             {"event=certificate-rejected", "peer=127.0.0.1:", c.reason}))
        << gw.process->log();
  }
  auto s = agent_status(dir / "agent.sock");
  ASSERT_TRUE(s) << agent->log();
  EXPECT_NE((*s)["state"], "connected");
}

INSTANTIATE_TEST_SUITE_P(
    Trust, RogueAgentCertificate,
    ::testing::Values(RogueAgent{"agent-other-ca", "agent1.example.test", "untrusted"},
                      RogueAgent{"agent-wrong-eku", "agent1.example.test", "wrong-purpose"},
                      RogueAgent{"agent-expired", "agent1.example.test", "expired"},
                      // A valid certificate, but the hello claims another agent's name.
                      RogueAgent{"agent", "agent2.example.test", "name-mismatch"}),
    [](const auto& param_info) {
      std::string n = std::string(param_info.param.cert_base) + "_" + param_info.param.reason;
      std::replace(n.begin(), n.end(), '-', '_');
      return n;
    });

TEST(Trust, agent_refuses_to_start_with_a_key_readable_by_others) {
  TempDir dir;
  const auto pki = test_pki();
  AgentSetup setup;
  setup.gateways = {{"127.0.0.1:1", "gw1.example.test"}};
  auto config = write_agent_config(dir, setup);
  // Same configuration, but the key copied with mode 0644.
  const auto key = dir / "agent.key";
  fs::copy_file(pki.file("agent.key"), key);
  ::chmod(key.c_str(), 0644);
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find(pki.file("agent.key"));
  ASSERT_NE(at, std::string::npos);
  text.replace(at, pki.file("agent.key").size(), key.string());
  std::ofstream(config) << text;

  auto r = run_program({(bin_dir() / "gatelink-agent").string(), "--config", config.string()});
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_NE(r.out.find(key.string()), std::string::npos) << r.out;
  auto check = run_program(
      {(bin_dir() / "gatelink-agent").string(), "--config", config.string(), "--check-config"});
  EXPECT_EQ(check.exit_status, 1) << check.out;

  ::chmod(key.c_str(), 0600);
  check = run_program(
      {(bin_dir() / "gatelink-agent").string(), "--config", config.string(), "--check-config"});
  EXPECT_EQ(check.exit_status, 0) << check.out;
}

TEST(Trust, replaced_ca_file_is_picked_up_without_a_restart) {
  TempDir dir;
  const auto pki = test_pki();
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  AgentSetup setup;
  setup.gateways = {{gw.address, "gw1.example.test"}};
  auto config = write_agent_config(dir, setup);
  // The agent trusts a copy of the CA file that first holds the wrong CA.
  const auto ca = dir / "trusted-ca.pem";
  fs::copy_file(pki.file("other-ca.pem"), ca);
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find(pki.file("ca.pem"));
  ASSERT_NE(at, std::string::npos);
  text.replace(at, pki.file("ca.pem").size(), ca.string());
  std::ofstream(config) << text;

  auto agent = start_agent(dir, config);
  const auto socket = dir / "agent.sock";
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = agent_status(socket);
        return s && (*s)["gateways"][0]["last_error"] == "untrusted";
      },
      10s))
      << agent->log();

  // Renewal: the right CA is put in place (write a new file, rename over the old one).
  fs::copy_file(pki.file("ca.pem"), dir / "trusted-ca.pem.new");
  fs::rename(dir / "trusted-ca.pem.new", ca);
  EXPECT_TRUE(wait_until(
      [&] {
        auto s = agent_status(socket);
        return s && (*s)["state"] == "connected";
      },
      10s))
      << agent->log();
  EXPECT_NE(agent->log().find("event=certificate-reloaded"), std::string::npos) << agent->log();
  EXPECT_TRUE(agent->running());
}

TEST(Config, agent_refuses_a_bad_configuration_naming_file_and_line) {
  TempDir dir;
  const auto config = dir / "agent.xml";
  std::ofstream(config) << "<agent name=\"a\" management-group=\"G\">\n"
                        << "  <tls ca=\"ca.pem\" cert=\"a.pem\" key=\"a.key\"/>\n"
                        << "  <gateways><primary address=\"gw1:5723\"/></gateways>\n"
                        << "  <heartbeat interval-ms=\"soon\"/>\n"
                        << "</agent>\n";
  for (const char* flag : {"--check-config", ""}) {
    std::vector<std::string> argv = {(bin_dir() / "gatelink-agent").string(), "--config",
                                     config.string()};
    if (*flag) argv.push_back(flag);
    auto r = run_program(argv);
    EXPECT_EQ(r.exit_status, 1) << r.out;
    EXPECT_NE(r.out.find(config.string() + ":4"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("interval-ms"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace gatelink::test
