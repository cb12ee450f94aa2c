// Peer strings are data (issue 9 item 6): a gateway that names itself, explains an error or
// pushes a host with control characters, bidi overrides or a forged log line gets them into the
// agent's log and gatelinkctl's screen only escaped. The real agent against the scriptable fake
// gateway over real TLS on 127.0.0.1.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "fixtures/fake_gateway.hpp"
#include "integration/harness.hpp"
#include "integration/issued_push.hpp"

namespace gatelink::test {
namespace {

constexpr auto kWait = 10s;
/// What a hostile gateway would like an operator to read: a fake failover line after a newline,
/// an escape sequence that clears the screen, a right-to-left override, a C1 control.
const std::string kForged =
    "evil\n2026-12-01T00:00:00.000Z warning agent=agent1.example.test event=failover "
    "to=attacker\x1b[2J\xe2\x80\xae\xc2\x9b";

/// Every line of `log` is one of the agent's own: it starts with a timestamp and the agent's
/// name, and holds no byte a terminal would act on.
::testing::AssertionResult only_own_lines(const std::string& log) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("20", 0) != 0 || line.find(" agent=agent1.example.test ") == std::string::npos)
      return ::testing::AssertionFailure() << "a line that is not the agent's: " << line;
    for (unsigned char c : line) {
      if (c < 0x20 || c == 0x7f) return ::testing::AssertionFailure() << "control in: " << line;
    }
    if (line.find("\xe2\x80\xae") != std::string::npos || line.find("\xc2\x9b") != std::string::npos)
      return ::testing::AssertionFailure() << "bidi override or C1 control in: " << line;
    // The forged text may stand only inside a quoted, escaped value.
    if (const auto at = line.find("event=failover to=attacker");
        at != std::string::npos && line.rfind("\"", at) == std::string::npos)
      return ::testing::AssertionFailure() << "forged field in: " << line;
  }
  return ::testing::AssertionSuccess();
}

struct Agent {
  explicit Agent(const std::string& address) {
    AgentSetup setup;
    setup.gateways = {{address, "gw1.example.test"}};
    process = start_agent(dir, write_agent_config(dir, setup));
  }
  std::string log() const { return process->log(); }
  TempDir dir;
  std::unique_ptr<Process> process;
};

TEST(PeerStrings, a_hostile_gateway_name_and_error_message_are_logged_escaped) {
  FakeGateway gateway;
  gateway.set_script({.on_hello = [&](const codec::Hello& hello) -> std::optional<codec::Message> {
    codec::Welcome welcome = gateway.welcome_for(hello);
    welcome.gateway_name = kForged;
    return welcome;
  }});
  Agent agent(gateway.address());
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = agent_status(agent.dir / "agent.sock");
        return s && (*s)["state"] == "connected";
      },
      kWait))
      << agent.log();
  // The status text an on-site technician reads shows it escaped too.
  const auto text = run_program({(bin_dir() / "gatelinkctl").string(), "--socket",
                                 (agent.dir / "agent.sock").string(), "status"});
  EXPECT_EQ(text.out.find('\x1b'), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("\xe2\x80\xae"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("evil\\n2026"), std::string::npos) << text.out;
  const auto json = run_program({(bin_dir() / "gatelinkctl").string(), "--socket",
                                 (agent.dir / "agent.sock").string(), "status", "--json"});
  EXPECT_EQ(json.out.find('\x1b'), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("\xe2\x80\xae"), std::string::npos) << json.out;

  // An error message on the way out.
  ASSERT_TRUE(gateway.send(0, codec::ErrorMessage{.code = codec::ErrorCode::internal,
                                                  .message = kForged}));
  ASSERT_TRUE(wait_until([&] { return any_line_has(agent.log(), {"event=gateway-error"}); },
                         kWait))
      << agent.log();
  EXPECT_TRUE(any_line_has(agent.log(), {"event=handshake-ok", "gateway_name=\"evil\\n2026"}))
      << agent.log();
  EXPECT_TRUE(only_own_lines(agent.log()));
}

TEST(PeerStrings, a_pushed_host_with_control_characters_is_rejected_and_logged_escaped) {
  FakeGateway gateway;
  Agent agent(gateway.address());
  ASSERT_TRUE(gateway.wait_heartbeats(0, 1, kWait)) << agent.log();
  // By hand: no management group would issue this. Character references put the control
  // characters into the attribute's value as the parser reads it.
  std::string host;
  for (const unsigned char c : kForged) {
    host += (c < 0x20 || c == '&' || c == '<' || c == '"') ? "&#" + std::to_string(c) + ";"
                                                           : std::string(1, static_cast<char>(c));
  }
  const std::string document =
      "<topology version=\"2\" agent=\"agent1.example.test\" management-group=\"TEST\" "
      "epoch=\"1\" generation=\"1\" issued-at=\"2026-12-01T00:00:00.000Z\"><primary address=\"" +
      host + ":5723\"/></topology>";
  ASSERT_TRUE(gateway.send(0, raw_push(document, 1, 1)));
  ASSERT_TRUE(wait_until([&] { return any_line_has(agent.log(), {"event=topology-rejected"}); },
                         kWait))
      << agent.log();
  EXPECT_TRUE(any_line_has(agent.log(),
                           {"event=topology-rejected", "reason=malformed", "\\\"evil\\\\x0a2026"}))
      << agent.log();
  EXPECT_TRUE(only_own_lines(agent.log()));
}

TEST(PeerStrings, a_plaintext_goodbye_with_a_forged_reason_is_refused) {
  // Before TLS anyone can answer: a goodbye whose reason is not a key is a protocol error.
  FakeGateway gateway;
  gateway.script_next({.admission = FakeGateway::Admission::silent});
  Agent agent(gateway.address());
  ASSERT_TRUE(gateway.wait_connections(1, kWait)) << agent.log();
  // The goodbye frame built by hand: the codec would refuse to encode this reason.
  const std::string reason = "busy\n2026-12-01T00:00:00.000Z info event=failover to=attacker";
  codec::Bytes frame = {'G', 'L', codec::kProtocolVersion,
                        static_cast<std::uint8_t>(codec::MessageType::goodbye), 0, 0, 0,
                        static_cast<std::uint8_t>(2 + reason.size() + 4)};
  frame.push_back(0);
  frame.push_back(static_cast<std::uint8_t>(reason.size()));
  frame.insert(frame.end(), reason.begin(), reason.end());
  frame.insert(frame.end(), {0, 0, 0, 0});
  ASSERT_TRUE(gateway.send_raw(0, frame));
  ASSERT_TRUE(wait_until([&] { return any_line_has(agent.log(), {"event=protocol-error"}); },
                         kWait))
      << agent.log();
  EXPECT_FALSE(any_line_has(agent.log(), {"event=goodbye"})) << agent.log();
  EXPECT_TRUE(only_own_lines(agent.log()));
}

// ---- bounds on what a peer can make the agent believe ---------------------------------------

/// The agent on a fake gateway that does not answer heartbeats by itself; returns once the
/// agent's first heartbeat arrived.
void on_mute_gateway(FakeGateway& gateway, std::unique_ptr<Agent>& agent) {
  gateway.set_script({.answer_heartbeats = false});
  agent = std::make_unique<Agent>(gateway.address());
  ASSERT_TRUE(gateway.wait_heartbeats(0, 1, kWait)) << agent->log();
}

TEST(PeerBounds, an_echo_from_the_future_is_a_protocol_error_not_a_negative_round_trip) {
  FakeGateway gateway;
  std::unique_ptr<Agent> agent;
  ASSERT_NO_FATAL_FAILURE(on_mute_gateway(gateway, agent));
  ASSERT_TRUE(gateway.send(0, codec::HeartbeatAck{.sequence = 1,
                                                  .sent_at_us = 0x7fffffffffffffffULL}));
  ASSERT_TRUE(gateway.wait_closed(0, kWait)) << agent->log();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=protocol-error", "echoes another send time"}))
      << agent->log();
  auto s = agent_status(agent->dir / "agent.sock");
  ASSERT_TRUE(s);
  EXPECT_TRUE((*s)["heartbeat"]["last_rtt_ms"].is_null() ||
              (*s)["heartbeat"]["last_rtt_ms"].get<double>() >= 0.0)
      << s->dump();
}

TEST(PeerBounds, an_answer_to_a_heartbeat_never_sent_is_a_protocol_error) {
  FakeGateway gateway;
  std::unique_ptr<Agent> agent;
  ASSERT_NO_FATAL_FAILURE(on_mute_gateway(gateway, agent));
  ASSERT_TRUE(gateway.send(0, codec::HeartbeatAck{.sequence = 1000000, .sent_at_us = 1}));
  ASSERT_TRUE(gateway.wait_closed(0, kWait)) << agent->log();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=protocol-error", "never sent"})) << agent->log();
  // Status says what broke the protocol, not only that it broke.
  std::optional<nlohmann::json> s;
  ASSERT_TRUE(wait_until(
      [&] {
        s = agent_status(agent->dir / "agent.sock");
        return s && (*s)["gateways"][0]["last_error"] == "protocol-error";
      },
      kWait))
      << (s ? s->dump() : agent->log());
  const nlohmann::json& detail = (*s)["gateways"][0]["last_error_detail"];
  ASSERT_TRUE(detail.is_string()) << s->dump();
  EXPECT_NE(detail.get<std::string>().find("never sent"), std::string::npos) << s->dump();
}

}  // namespace
}  // namespace gatelink::test
