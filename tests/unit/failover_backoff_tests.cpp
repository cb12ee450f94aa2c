// Backoff: exponential with full jitter, capped, and spread out, checked over many real draws.

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>

#include "failover/failover_backoff.hpp"
#include "unit/failover_test_support.hpp"

namespace gatelink::failover {
namespace {

using namespace testing_support;

struct CeilingCase {
  unsigned attempt;
  Duration ceiling;
};

class BackoffCeiling : public ::testing::TestWithParam<CeilingCase> {};

TEST_P(BackoffCeiling, ceiling_doubles_until_the_cap) {
  EXPECT_EQ(backoff_ceiling(test_settings(), GetParam().attempt), GetParam().ceiling);
}

INSTANTIATE_TEST_SUITE_P(Defaults, BackoffCeiling,
                         ::testing::Values(CeilingCase{0, 500ms}, CeilingCase{1, 1s},
                                           CeilingCase{2, 2s}, CeilingCase{5, 16s},
                                           CeilingCase{6, 30s}, CeilingCase{7, 30s},
                                           CeilingCase{64, 30s}, CeilingCase{4'000'000'000U, 30s}));

TEST(FailoverBackoff, odd_settings_stay_sane) {
  Settings settings = test_settings();
  settings.backoff_base = 40s;  // above the cap: the cap wins from the first attempt
  EXPECT_EQ(backoff_ceiling(settings, 0), 30s);
  settings.backoff_base = 0ms;  // no backoff at all, and no endless doubling of zero
  EXPECT_EQ(backoff_ceiling(settings, 100), 0ms);
  settings.backoff_base = Duration::max() / 3;
  settings.backoff_cap = Duration::max();
  EXPECT_EQ(backoff_ceiling(settings, 10), Duration::max());  // no overflow on the way
}

TEST(FailoverBackoff, delay_is_the_draw_times_the_ceiling) {
  EXPECT_EQ(backoff_delay(test_settings(), 1, 0.0), 0ms);
  EXPECT_EQ(backoff_delay(test_settings(), 1, 0.25), 250ms);
  EXPECT_EQ(backoff_delay(test_settings(), 1, 1.0), 1s);
  EXPECT_EQ(backoff_delay(test_settings(), 1, 3.0), 1s);  // a broken source cannot exceed the cap
  EXPECT_EQ(backoff_delay(test_settings(), 1, -3.0), 0ms);
}

TEST(FailoverBackoff, backoff_stays_within_bounds_over_many_draws) {
  std::mt19937_64 generator(20240611);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  constexpr unsigned kAttempts = 12;
  const Settings settings = test_settings();
  struct Seen {
    Duration low = Duration::max();
    Duration high = Duration::zero();
    double sum = 0;
    unsigned count = 0;
    std::set<Duration::rep> distinct;
  };
  std::vector<Seen> seen(kAttempts);
  for (unsigned draw = 0; draw < 10'000; ++draw) {
    const unsigned attempt = draw % kAttempts;
    const Duration ceiling =
        std::min(settings.backoff_cap, settings.backoff_base * (Duration::rep{1} << attempt));
    const Duration delay = backoff_delay(settings, attempt, unit(generator));
    ASSERT_GE(delay, 0ms) << "attempt " << attempt;
    ASSERT_LE(delay, ceiling) << "attempt " << attempt;
    ASSERT_LE(delay, settings.backoff_cap);
    Seen& s = seen[attempt];
    s.low = std::min(s.low, delay);
    s.high = std::max(s.high, delay);
    s.sum += static_cast<double>(delay.count());
    ++s.count;
    s.distinct.insert(delay.count());
  }
  // Not degenerate: each window is covered from near zero to near its top, centred on its middle
  // (uniform), with many distinct values, so a fleet does not come back in the same second.
  for (unsigned attempt = 0; attempt < kAttempts; ++attempt) {
    const Seen& s = seen[attempt];
    const double ceiling = static_cast<double>(backoff_ceiling(settings, attempt).count());
    EXPECT_LT(static_cast<double>(s.low.count()), 0.05 * ceiling) << attempt;
    EXPECT_GT(static_cast<double>(s.high.count()), 0.95 * ceiling) << attempt;
    EXPECT_NEAR(s.sum / s.count / ceiling, 0.5, 0.05) << attempt;
    EXPECT_GT(s.distinct.size(),
              std::min<std::size_t>(400, backoff_ceiling(settings, attempt).count() / 2))
        << attempt;
  }
}

TEST(FailoverBackoff, machine_backoff_grows_per_failed_pass_and_is_capped) {
  // The same through the machine: one gateway that never comes up, 10,000 passes in a row.
  std::mt19937_64 generator(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const Settings settings = test_settings();
  Machine machine(settings, numbered_topology(1), [&] { return unit(generator); });
  TimePoint now = t0;
  SessionId s = std::get<Connect>(machine.handle(Start{}, now)[0]).session;
  std::set<Duration::rep> distinct_capped;
  for (unsigned pass = 0; pass < 10'000; ++pass) {
    machine.handle(Closed{s, "connect-refused"}, now);
    ASSERT_EQ(machine.state(), State::backoff);
    const Duration waited = std::chrono::duration_cast<Duration>(*machine.next_retry() - now);
    const Duration ceiling = backoff_ceiling(settings, pass);
    ASSERT_GE(waited, 0ms) << pass;
    ASSERT_LE(waited, ceiling) << pass;
    ASSERT_LE(ceiling, settings.backoff_cap);
    if (ceiling == settings.backoff_cap) distinct_capped.insert(waited.count());
    now = *machine.next_retry();
    const std::vector<Action> out = machine.handle(Tick{}, now);
    ASSERT_EQ(out.size(), 2U);
    s = std::get<Connect>(out[1]).session;
  }
  EXPECT_EQ(machine.counters().reconnects, 10'000U);
  EXPECT_GT(distinct_capped.size(), 5'000U);
}

}  // namespace
}  // namespace gatelink::failover
