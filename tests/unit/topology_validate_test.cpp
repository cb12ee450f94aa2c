// validate_topology: every way a topology can be wrong, each message naming the entry.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "topology/topology.hpp"

namespace gatelink {
namespace {

using ::testing::HasSubstr;

GatewayAddress gateway(const std::string& text) {
  auto address = parse_gateway_address(text);
  EXPECT_TRUE(address) << text << ": " << address.error().message;
  return address ? *address : GatewayAddress{};
}

Topology topology(const std::string& primary, std::initializer_list<std::string> failovers) {
  Topology result;
  result.generation = 7;
  result.management_group = "EXAMPLE";
  result.primary = gateway(primary);
  for (const auto& failover : failovers) result.failover.push_back(gateway(failover));
  return result;
}

std::string problem(const Topology& topology) {
  const auto error = validate_topology(topology);
  return error ? error->message : "(valid)";
}

TEST(ValidateTopology, accepts_a_primary_alone) {
  EXPECT_EQ(problem(topology("127.0.0.1:15801", {})), "(valid)");
}

TEST(ValidateTopology, accepts_a_primary_and_failovers) {
  EXPECT_EQ(problem(topology("gw1.example.test", {"gw2.example.test", "gw3@127.0.0.1:15803"})),
            "(valid)");
}

TEST(ValidateTopology, accepts_the_same_host_on_other_ports) {
  EXPECT_EQ(problem(topology("127.0.0.1:15801", {"127.0.0.1:15802", "127.0.0.1:15803"})),
            "(valid)");
}

TEST(ValidateTopology, ordered_gives_the_primary_then_the_failovers_in_order) {
  const auto t = topology("gw1", {"gw2", "gw3"});
  const auto order = t.ordered();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0].host, "gw1");
  EXPECT_EQ(order[1].host, "gw2");
  EXPECT_EQ(order[2].host, "gw3");
}

TEST(ValidateTopology, refuses_a_topology_without_primary) {
  Topology t = topology("gw1", {"gw2"});
  t.primary = GatewayAddress{};
  EXPECT_EQ(problem(t), "no primary gateway");
}

TEST(ValidateTopology, refuses_a_failover_that_repeats_the_primary) {
  EXPECT_EQ(problem(topology("127.0.0.1:15801",
                             {"127.0.0.1:15802", "127.0.0.1:15803", "127.0.0.1:15801"})),
            "failover[2]: duplicate of primary 127.0.0.1:15801");
}

TEST(ValidateTopology, refuses_a_failover_that_repeats_an_earlier_failover) {
  EXPECT_EQ(problem(topology("gw1", {"gw2:1", "gw3", "gw2:1"})),
            "failover[2]: duplicate of failover[0] gw2:1");
}

TEST(ValidateTopology, duplicate_ignores_the_server_name) {
  EXPECT_EQ(problem(topology("a@127.0.0.1:1", {"b@127.0.0.1:1"})),
            "failover[0]: duplicate of primary 127.0.0.1:1");
}

TEST(ValidateTopology, duplicate_ignores_the_case_of_dns_names) {
  EXPECT_EQ(problem(topology("gw1.example.test", {"GW1.Example.Test:5723"})),
            "failover[0]: duplicate of primary gw1.example.test:5723");
}

TEST(ValidateTopology, duplicate_compares_ipv6_in_canonical_form) {
  EXPECT_EQ(problem(topology("[::1]:9", {"[0:0:0:0:0:0:0:1]:9"})),
            "failover[0]: duplicate of primary [::1]:9");
}

TEST(ValidateTopology, accepts_kMaxGateways_gateways) {
  Topology t = topology("gw0", {});
  for (std::size_t i = 1; i < kMaxGateways; ++i)
    t.failover.push_back(gateway("gw" + std::to_string(i)));
  EXPECT_EQ(problem(t), "(valid)");
}

TEST(ValidateTopology, refuses_more_than_kMaxGateways_gateways) {
  Topology t = topology("gw0", {});
  for (std::size_t i = 1; i <= kMaxGateways; ++i)
    t.failover.push_back(gateway("gw" + std::to_string(i)));
  EXPECT_EQ(problem(t), "too many gateways: 17 (at most 16)");
}

TEST(ValidateTopology, refuses_an_empty_management_group) {
  Topology t = topology("gw1", {});
  t.management_group.clear();
  EXPECT_EQ(problem(t), "management group is empty");
}

TEST(ValidateTopology, refuses_a_management_group_longer_than_255) {
  Topology t = topology("gw1", {});
  t.management_group = std::string(255, 'm');
  EXPECT_EQ(problem(t), "(valid)");
  t.management_group += 'm';
  EXPECT_EQ(problem(t), "management group is longer than 255 characters");
}

TEST(ValidateTopology, refuses_a_management_group_with_control_characters_or_spaces) {
  Topology t = topology("gw1", {});
  t.management_group = "EXAM\nPLE";
  EXPECT_THAT(problem(t), HasSubstr("non-printable"));
  t.management_group = "EXAM PLE";
  EXPECT_THAT(problem(t), HasSubstr("non-printable"));
}

TEST(ValidateTopology, refuses_a_malformed_primary_host) {
  Topology t = topology("gw1", {"gw2"});
  t.primary.host = "gw 1";
  EXPECT_THAT(problem(t), HasSubstr("primary: gateway address \"gw 1:5723\": host \"gw 1\""));
}

TEST(ValidateTopology, refuses_port_zero_and_names_the_failover) {
  Topology t = topology("gw1", {"gw2", "gw3"});
  t.failover[1].port = 0;
  EXPECT_EQ(problem(t), "failover[1]: gateway address \"gw3:0\": port \"0\" is not in 1..65535");
}

TEST(ValidateTopology, refuses_a_failover_without_host) {
  Topology t = topology("gw1", {"gw2"});
  t.failover[0].host.clear();
  EXPECT_EQ(problem(t), "failover[0]: host is empty");
}

TEST(ValidateTopology, refuses_an_ipv6_host_given_with_brackets) {
  Topology t = topology("gw1", {});
  t.primary.host = "[::1]";
  EXPECT_THAT(problem(t), HasSubstr("primary: "));
}

TEST(ValidateTopology, refuses_an_ipv6_host_not_in_canonical_form) {
  Topology t = topology("gw1", {});
  t.primary.host = "0::1";
  EXPECT_EQ(problem(t), "primary: host \"0::1\" is not in canonical form (\"::1\")");
}

TEST(ValidateTopology, refuses_a_host_that_smuggles_a_server_name) {
  Topology t = topology("gw1", {"gw2"});
  t.failover[0].host = "evil@gw2";
  EXPECT_EQ(problem(t), "failover[0]: host \"evil@gw2\" is not a host name or IP address");
}

TEST(ValidateTopology, refuses_a_malformed_server_name) {
  Topology t = topology("gw1", {"gw2"});
  t.failover[0].server_name = "10.0.0.1";
  EXPECT_THAT(problem(t), HasSubstr("failover[0]: "));
  EXPECT_THAT(problem(t), HasSubstr("is not a DNS name"));
}

}  // namespace
}  // namespace gatelink
