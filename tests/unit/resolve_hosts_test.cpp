// Names from /etc/hosts: every address of a name, in order; read afresh on every call; and the
// address families a host without IPv6 asks for.

#include <gmock/gmock.h>

#include <cstdlib>

#include "unit/resolve_test_support.hpp"

namespace gatelink::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

using ResolveHosts = ResolveTest;

TEST_F(ResolveHosts, name_with_several_lines_gives_every_address_in_file_order) {
  write_hosts(
      "127.0.0.1 localhost\n"
      "127.0.0.13 multi.test\n"
      "127.0.0.11 multi.test\n"
      "127.0.0.12 other.test multi.test\n");
  const auto resolution = resolve_now("multi.test", 5723, 10s);
  ASSERT_TRUE(resolution) << describe(resolution);
  EXPECT_THAT(addresses(*resolution), ElementsAre("127.0.0.13", "127.0.0.11", "127.0.0.12"));
  for (const auto& endpoint : *resolution) EXPECT_EQ(endpoint.port(), 5723);
  EXPECT_EQ(dns_->queries(), 0u) << "a name in /etc/hosts needs no DNS";
}

TEST_F(ResolveHosts, edit_of_the_hosts_file_is_seen_by_the_next_call) {
  write_hosts("127.0.0.21 moving.test\n");
  const auto before = resolve_now("moving.test", 5723, 10s);
  ASSERT_TRUE(before) << describe(before);
  EXPECT_THAT(addresses(*before), ElementsAre("127.0.0.21"));

  write_hosts("127.0.0.22 moving.test\n");
  const auto after = resolve_now("moving.test", 5723, 10s);
  ASSERT_TRUE(after) << describe(after);
  EXPECT_THAT(addresses(*after), ElementsAre("127.0.0.22"));
}

TEST_F(ResolveHosts, host_with_only_loopback_asks_for_both_families) {
  write_hosts("127.0.0.31 dual.test\n::1 dual.test\n");
  const auto resolution = resolve_now("dual.test", 5723, 10s);
  ASSERT_TRUE(resolution) << describe(resolution);
  EXPECT_THAT(addresses(*resolution), UnorderedElementsAre("127.0.0.31", "::1"));
}

/// Gives the namespace's loopback a routable IPv4 address while it lives.
struct RoutableIpv4 {
  RoutableIpv4() { added = std::system("ip addr add 192.0.2.1/32 dev lo") == 0; }
  ~RoutableIpv4() {
    // glibc's fortified system() must be checked; a failed removal goes with the namespace.
    if (added && std::system("ip addr del 192.0.2.1/32 dev lo") != 0) return;
  }
  bool added = false;
};

TEST_F(ResolveHosts, ipv4_only_host_gets_no_ipv6_address) {
  // A routable IPv4 address, no routable IPv6 one: the host of a v4-only site.
  const RoutableIpv4 ipv4;
  ASSERT_TRUE(ipv4.added) << "ip addr add 192.0.2.1/32 dev lo failed";
  write_hosts("127.0.0.31 dual.test\n::1 dual.test\n::1 v6only.test\n");
  const auto dual = resolve_now("dual.test", 5723, 10s);
  ASSERT_TRUE(dual) << describe(dual);
  EXPECT_THAT(addresses(*dual), ElementsAre("127.0.0.31"));

  // Known only as IPv6: not found in hosts for IPv4, then asked of DNS (A only), which says no.
  dns_->answer_nxdomain("v6only.test");
  const auto v6only = resolve_now("v6only.test", 5723, 10s);
  ASSERT_FALSE(v6only) << describe(v6only);
  EXPECT_EQ(v6only.error().reason, resolve::ResolveFailure::failed) << describe(v6only);
}

}  // namespace
}  // namespace gatelink::testing
