// IP literals never reach a resolver: they complete at once, whatever the deadline, while the
// only DNS server never answers.

#include <gmock/gmock.h>

#include "unit/resolve_test_support.hpp"

namespace gatelink::testing {
namespace {

using ::testing::ElementsAre;

using ResolveLiteral = ResolveTest;

TEST_F(ResolveLiteral, ipv4_literal_resolves_at_once_without_dns) {
  // A zero deadline would fail any lookup that went to a resolver.
  const auto resolution = resolve_now("192.0.2.7", 5723, 0ms);
  ASSERT_TRUE(resolution) << describe(resolution);
  EXPECT_THAT(addresses(*resolution), ElementsAre("192.0.2.7"));
  EXPECT_EQ(resolution->front().port(), 5723);
  EXPECT_EQ(dns_->queries(), 0u);
}

TEST_F(ResolveLiteral, ipv6_literal_with_or_without_brackets_resolves_at_once_without_dns) {
  // plugin/topology/gateway_address stores `[2001:db8::5]:5723` as host `2001:db8::5`.
  for (const char* host : {"2001:db8::5", "[2001:db8::5]"}) {
    const auto resolution = resolve_now(host, 15801, 0ms);
    ASSERT_TRUE(resolution) << host << ": " << describe(resolution);
    EXPECT_THAT(addresses(*resolution), ElementsAre("2001:db8::5")) << host;
    EXPECT_EQ(resolution->front().port(), 15801);
  }
  EXPECT_EQ(dns_->queries(), 0u);
}

TEST_F(ResolveLiteral, only_exact_literals_count) {
  // inet_aton's shorthands are names (to a resolver), and brackets are for IPv6 only.
  EXPECT_FALSE(resolve::parse_ip_literal("127.1"));
  EXPECT_FALSE(resolve::parse_ip_literal("[127.0.0.1]"));
  EXPECT_FALSE(resolve::parse_ip_literal("gw1.example.test"));
  EXPECT_FALSE(resolve::parse_ip_literal(""));
  EXPECT_TRUE(resolve::parse_ip_literal("::ffff:192.0.2.1"));
}

}  // namespace
}  // namespace gatelink::testing
