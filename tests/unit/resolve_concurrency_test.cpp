// No lookup waits behind another: lookups stuck on a silent DNS server do not delay an IP
// literal or a name from /etc/hosts started after them.

#include <gmock/gmock.h>

#include <array>
#include <string>

#include "unit/resolve_test_support.hpp"

namespace gatelink::testing {
namespace {

using ::testing::ElementsAre;

using ResolveConcurrency = ResolveTest;

TEST_F(ResolveConcurrency, silent_lookups_do_not_delay_a_literal_or_a_hosts_name) {
  write_hosts("127.0.0.51 listed.test\n");
  // More than glibc's getaddrinfo_a pool (20 threads), which would queue the next lookup.
  constexpr std::size_t kSilent = 24;
  std::array<asio::cancellation_signal, kSilent> signals;
  std::vector<std::future<resolve::Resolution>> silent;
  for (std::size_t i = 0; i < kSilent; ++i) {
    silent.push_back(start("silent" + std::to_string(i) + ".test", 5723, 60s, &signals[i]));
  }
  ASSERT_TRUE(dns_->wait_for_names(kSilent, 10s))
      << "only " << dns_->names().size() << " of the silent names reached DNS";

  const auto literal = resolve_now("127.0.0.52", 5723, 10s);
  const auto listed = resolve_now("listed.test", 5723, 10s);
  ASSERT_TRUE(literal) << describe(literal);
  ASSERT_TRUE(listed) << describe(listed);
  EXPECT_THAT(addresses(*listed), ElementsAre("127.0.0.51"));
  // Ordering, not timing: both completed while every silent lookup still waits on DNS.
  for (auto& lookup : silent) {
    EXPECT_EQ(lookup.wait_for(0s), std::future_status::timeout) << "a silent lookup completed";
  }

  for (auto& signal : signals) cancel(signal);
  for (auto& lookup : silent) {
    const auto resolution = lookup.get();
    ASSERT_FALSE(resolution) << describe(resolution);
    EXPECT_EQ(resolution.error().reason, resolve::ResolveFailure::cancelled);
  }
}

}  // namespace
}  // namespace gatelink::testing
