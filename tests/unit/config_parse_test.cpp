// Parsing valid agent configurations: the sample, defaults, every value and what XML allows.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>

#include "config/agent_config.hpp"
#include "config_test_support.hpp"

namespace gatelink {
namespace {

constexpr auto kMinimal = R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1:5723"/></gateways>
</agent>
)";

/// The numbers of a configuration, in schema order, to compare them in one go.
struct Timings {
  std::int64_t heartbeat_interval_ms;
  unsigned heartbeat_misses;
  std::int64_t probe_interval_ms;
  unsigned stable_probes;
  std::int64_t backoff_base_ms;
  std::int64_t backoff_cap_ms;
  std::int64_t connect_timeout_ms;
  std::int64_t handshake_timeout_ms;

  friend bool operator==(const Timings&, const Timings&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Timings& t) {
    return out << "{" << t.heartbeat_interval_ms << ", " << t.heartbeat_misses << ", "
               << t.probe_interval_ms << ", " << t.stable_probes << ", " << t.backoff_base_ms
               << ", " << t.backoff_cap_ms << ", " << t.connect_timeout_ms << ", "
               << t.handshake_timeout_ms << "}";
  }
};

Timings timings_of(const AgentConfig& c) {
  return {c.heartbeat_interval.count(), c.heartbeat_misses,
          c.probe_interval.count(),     c.stable_probes,
          c.backoff_base.count(),       c.backoff_cap.count(),
          c.connect_timeout.count(),    c.handshake_timeout.count()};
}

/// The documented defaults (DESIGN and the task): what an absent element means.
constexpr Timings kDefaultTimings{1000, 3, 30000, 2, 500, 30000, 3000, 3000};

AgentConfig parsed(std::string_view text) {
  auto config = parse_agent_config(text, "test.xml");
  EXPECT_TRUE(config) << config.error().message;
  return config ? *config : AgentConfig{};
}

TEST(AgentConfigParse, sample_configuration_parses_with_its_values) {
  const auto path = test::source_dir() / "config" / "agent.xml";
  auto loaded = parse_agent_config(test::read_file(path), path.string());
  ASSERT_TRUE(loaded) << loaded.error().message;
  const auto& config = *loaded;
  EXPECT_EQ(config.source, path.string());
  EXPECT_EQ(config.name, "web01.example.test");
  EXPECT_EQ(config.management_group, "EXAMPLE");
  EXPECT_EQ(config.tls.ca, "/etc/gatelink/ca.pem");
  EXPECT_EQ(config.tls.cert, "/etc/gatelink/agent.pem");
  EXPECT_EQ(config.tls.key, "/etc/gatelink/agent.key");
  EXPECT_EQ(config.tls.crl, "/etc/gatelink/ca.crl");
  EXPECT_EQ(config.bootstrap.generation, 0u);
  EXPECT_EQ(config.bootstrap.management_group, "EXAMPLE");
  EXPECT_EQ(config.bootstrap.primary.to_string(), "gw1.example.test:5723");
  ASSERT_EQ(config.bootstrap.failover.size(), 2u);
  EXPECT_EQ(config.bootstrap.failover[0].to_string(), "gw2.example.test:5723");
  EXPECT_EQ(config.bootstrap.failover[1].to_string(), "gw3.example.test@127.0.0.1:15803");
  EXPECT_EQ(timings_of(config), kDefaultTimings);
  EXPECT_EQ(config.state_dir, "/var/lib/gatelink");
  EXPECT_EQ(config.status_socket, "/run/gatelink/agent.sock");
}

TEST(AgentConfigParse, absent_optional_elements_take_the_documented_defaults) {
  const auto config = parsed(kMinimal);
  EXPECT_EQ(config.tls.crl, "");
  EXPECT_TRUE(config.bootstrap.failover.empty());
  EXPECT_EQ(timings_of(config), kDefaultTimings);
  EXPECT_EQ(config.state_dir, "/var/lib/gatelink");
  EXPECT_EQ(config.status_socket, "/run/gatelink/agent.sock");
}

TEST(AgentConfigParse, schema_defaults_match_the_struct_defaults) {
  auto config = parsed(kMinimal);
  AgentConfig expected;
  expected.source = "test.xml";
  expected.name = "a1";
  expected.management_group = "MG";
  expected.tls = {"ca.pem", "agent.pem", "agent.key", ""};
  expected.bootstrap.management_group = "MG";
  expected.bootstrap.primary = *parse_gateway_address("gw1:5723");
  EXPECT_EQ(timings_of(config), timings_of(expected));
  EXPECT_EQ(config.state_dir, expected.state_dir);
  EXPECT_EQ(config.status_socket, expected.status_socket);
  EXPECT_EQ(config.bootstrap, expected.bootstrap);
}

TEST(AgentConfigParse, every_optional_value_is_read) {
  const auto config = parsed(R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key" crl="ca.crl"/>
  <gateways>
    <primary address="[::1]:15801" server-name="gw1.example.test"/>
    <failover address="10.0.0.2"/>
  </gateways>
  <heartbeat interval-ms="250" misses="5"/>
  <failback probe-interval-ms="1000" stable-probes="4"/>
  <backoff base-ms="100" cap-ms="100"/>
  <timeouts connect-ms="700" handshake-ms="900"/>
  <state dir="/srv/state"/>
  <status socket="/srv/agent.sock"/>
</agent>)");
  EXPECT_EQ(config.tls.crl, "ca.crl");
  EXPECT_EQ(config.bootstrap.primary.to_string(), "gw1.example.test@[::1]:15801");
  ASSERT_EQ(config.bootstrap.failover.size(), 1u);
  EXPECT_EQ(config.bootstrap.failover[0].to_string(), "10.0.0.2:5723");
  EXPECT_EQ(timings_of(config), (Timings{250, 5, 1000, 4, 100, 100, 700, 900}));
  EXPECT_EQ(config.state_dir, "/srv/state");
  EXPECT_EQ(config.status_socket, "/srv/agent.sock");
}

TEST(AgentConfigParse, partial_element_defaults_its_other_attributes) {
  const auto config = parsed(R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1"/></gateways>
  <heartbeat misses="7"/>
</agent>)");
  auto expected = kDefaultTimings;
  expected.heartbeat_misses = 7;
  EXPECT_EQ(timings_of(config), expected);
}

TEST(AgentConfigParse, fifteen_failovers_are_accepted) {
  std::string failovers;
  for (int i = 2; i <= 16; ++i)
    failovers += "<failover address=\"gw" + std::to_string(i) + "\"/>\n";
  const auto config = parsed(R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1"/>
)" + failovers + "</gateways></agent>");
  EXPECT_EQ(config.bootstrap.failover.size(), 15u);
}

TEST(AgentConfigParse, declaration_comments_and_any_element_order_are_accepted) {
  const auto config = parsed(R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- before -->
<agent management-group="MG" name="a1">
  <status socket="/s"/> <!-- inside -->
  <gateways><!-- x --><primary address="gw1"/></gateways>
  <tls key="agent.key" cert="agent.pem" ca="ca.pem"/>
</agent>
<!-- after -->
)");
  EXPECT_EQ(config.status_socket, "/s");
  EXPECT_EQ(config.tls.key, "agent.key");
}

TEST(AgentConfigParse, xml_entities_in_values_are_decoded) {
  const auto config = parsed(R"(<agent name="a1" management-group="MG">
  <tls ca="/etc/a&amp;b/ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1"/></gateways>
</agent>)");
  EXPECT_EQ(config.tls.ca, "/etc/a&b/ca.pem");
}

TEST(AgentConfigParse, relative_paths_stay_relative_without_a_file) {
  const auto config = parsed(kMinimal);
  EXPECT_EQ(config.tls.ca, "ca.pem");
  EXPECT_EQ(config.tls.key, "agent.key");
}

TEST(AgentConfigParse, name_and_management_group_may_be_255_characters) {
  const std::string long_name(255, 'n');
  const auto config =
      parsed(R"(<agent name=")" + long_name + R"(" management-group=")" + long_name + R"(">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1"/></gateways>
</agent>)");
  EXPECT_EQ(config.name, long_name);
  EXPECT_EQ(config.bootstrap.management_group, long_name);
}

}  // namespace
}  // namespace gatelink
