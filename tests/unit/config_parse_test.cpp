// Parsing valid agent configurations: the sample, defaults, every value and what XML allows.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>

#include "config/agent_config.hpp"
#include "config/platform_defaults.hpp"
#include "config_test_support.hpp"

namespace gatelink {
namespace {

constexpr auto kMinimal = R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1:5723"/></gateways>
</agent>
)";

/// The numbers of a configuration, in schema order, to compare them in one go.
using Numbers = std::vector<std::int64_t>;

Numbers timings_of(const AgentConfig& c) {
  const gatelink::Timings& t = c.timings;
  return {t.heartbeat_interval.count(), t.heartbeat_misses,  t.probe_interval.count(),
          t.stable_probes,              t.flap_window.count(), t.max_stable_window.count(),
          t.backoff_base.count(),       t.backoff_cap.count(), t.max_stay_away.count(),
          t.resolve_timeout.count(),    t.connect_timeout.count(),
          t.handshake_timeout.count(),  t.welcome_timeout.count()};
}

/// The documented defaults (docs/CONFIGURATION.md, common/timings.hpp): what an absent element
/// means. Written out here so that a changed default is a decision, not an accident.
const Numbers kDefaultTimings{1000, 3, 10000, 3, 300000, 600000, 500, 30000, 300000,
                              2000, 3000, 5000, 3000};

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
  EXPECT_EQ(config.state_dir, kDefaultStateDir);
  EXPECT_EQ(config.status_socket, kDefaultStatusSocket);
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
  <failback probe-interval-ms="1000" stable-probes="4" flap-window-ms="7000"
            max-stable-window-ms="8000"/>
  <backoff base-ms="100" cap-ms="100" max-stay-away-ms="60000"/>
  <timeouts resolve-ms="600" connect-ms="700" handshake-ms="900" welcome-ms="800"/>
  <state dir="/srv/state"/>
  <status socket="/srv/agent.sock"/>
</agent>)");
  EXPECT_EQ(config.tls.crl, "ca.crl");
  EXPECT_EQ(config.bootstrap.primary.to_string(), "gw1.example.test@[::1]:15801");
  ASSERT_EQ(config.bootstrap.failover.size(), 1u);
  EXPECT_EQ(config.bootstrap.failover[0].to_string(), "10.0.0.2:5723");
  EXPECT_EQ(timings_of(config), (Numbers{250, 5, 1000, 4, 7000, 8000, 100, 100, 60000, 600, 700, 900, 800}));
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
  expected[1] = 7;  // heartbeat misses
  EXPECT_EQ(timings_of(config), expected);
}

TEST(AgentConfigParse, warm_standby_is_off_unless_its_element_is_there) {
  const auto off = parsed(kMinimal);
  EXPECT_FALSE(off.timings.warm_standby);
  EXPECT_EQ(off.timings.standby_interval, std::chrono::milliseconds(5000));
  const auto on = parsed(R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1"/></gateways>
  <warm-standby/>
</agent>)");
  EXPECT_TRUE(on.timings.warm_standby);
  EXPECT_EQ(on.timings.standby_interval, std::chrono::milliseconds(5000));
  const auto paced = parsed(R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1"/></gateways>
  <warm-standby interval-ms="2000"/>
</agent>)");
  EXPECT_TRUE(paced.timings.warm_standby);
  EXPECT_EQ(paced.timings.standby_interval, std::chrono::milliseconds(2000));
}

TEST(AgentConfigParse, ticket_prefetch_is_on_within_five_minutes_unless_set_to_zero) {
  EXPECT_EQ(parsed(kMinimal).timings.ticket_prefetch_within, std::chrono::milliseconds(300000));
  const auto off = parsed(R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="gw1"/></gateways>
  <resumption prefetch-within-ms="0"/>
</agent>)");
  EXPECT_EQ(off.timings.ticket_prefetch_within, std::chrono::milliseconds(0));
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

TEST(AgentConfigParse, management_group_keys_are_pinned_in_order) {
  EXPECT_TRUE(parsed(kMinimal).management_group_keys.empty());
  const auto config = parsed(R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <management-group-keys>
    <key file="/etc/gatelink/mg.pub"/>
    <key file="mg-next.pub"/>
  </management-group-keys>
  <gateways><primary address="gw1"/></gateways>
</agent>)");
  EXPECT_EQ(config.management_group_keys,
            (std::vector<std::string>{"/etc/gatelink/mg.pub", "mg-next.pub"}));
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
