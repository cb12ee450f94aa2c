// Links that hold on real networks (issue 9): the real agent and real reference gateways over
// real TLS on 127.0.0.1, with the test tree's delay/fault proxy standing in for a WAN between
// the agent and its primary. A gateway 300 ms away is kept, failed back to and handed over to
// like a local one; a silent one is left after the silence limit; a primary that flaps through
// the proxy never drags the agent back. Every wait is bounded; nothing asserts how long a step
// took (failover_bench --rtt-ms measures that).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/fault_proxy.hpp"
#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

constexpr const char* kAgentName = "agent1.example.test";
constexpr const char* kGroup = "TEST";
constexpr auto kWait = 20s;
/// Each way: a 300 ms round trip.
constexpr auto kOneWay = 150ms;

class Wan : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = dir_ / "store";
    fs::create_directories(store_);
    for (int i = 0; i < 3; ++i) {
      gw_.push_back(start_gateway(dir_, name(i), "gw" + std::to_string(i + 1), 0,
                                  {"--store", store_.string(), "--store-poll-ms", "100"}));
    }
    // gw1 and gw3 are far away: the agent reaches them only through a proxy each.
    far_.push_back(std::make_unique<FaultProxy>(gw_[0].port));
    far_.push_back(std::make_unique<FaultProxy>(gw_[2].port));
    for (auto& proxy : far_) proxy->set_delay(FaultProxy::Direction::both, kOneWay);
  }

  static std::string name(int i) { return "gw" + std::to_string(i + 1) + ".example.test"; }
  /// The far primary, as the agent's configuration and gatelink-mg write it.
  std::string far_primary() const { return name(0) + "@" + far_[0]->address(); }
  std::string far_third() const { return name(2) + "@" + far_[1]->address(); }
  std::string near_second() const { return name(1) + "@" + gw_[1].address; }

  /// Agent with bootstrap [gw1 far, gw2 near]; heartbeats every 500 ms, 3 misses; probes every
  /// 500 ms, a 1 s stable window.
  void start_agent_far_primary() {
    AgentSetup setup;
    setup.name = kAgentName;
    setup.management_group = kGroup;
    setup.heartbeat_interval_ms = 500;
    setup.misses = 3;
    setup.probe_interval_ms = 500;
    setup.stable_probes = 2;
    setup.handshake_timeout_ms = 5000;  // admission, TLS and welcome take a few round trips
    setup.gateways = {{far_[0]->address(), name(0)}, {gw_[1].address, name(1)}};
    agent_ = start_agent(dir_, write_agent_config(dir_, setup));
  }

  std::optional<nlohmann::json> status() const { return agent_status(dir_ / "agent.sock"); }
  bool on(const std::string& address) const {
    auto s = status();
    return s && (*s)["state"] == "connected" && (*s)["gateway"] == address;
  }
  std::string logs() const {
    std::string out = "\n--- agent log ---\n" + (agent_ ? agent_->log() : std::string("-"));
    for (const auto& g : gw_) out += "\n--- " + g.name + " ---\n" + g.process->log();
    if (auto s = status()) out += "\n--- status ---\n" + s->dump(2) + "\n";
    return out;
  }

  TempDir dir_;
  fs::path store_;
  std::vector<GatewayProcess> gw_;
  std::vector<std::unique_ptr<FaultProxy>> far_;
  std::unique_ptr<Process> agent_;
};

TEST_F(Wan, a_primary_300ms_away_is_kept_and_its_round_trip_shown) {
  start_agent_far_primary();
  ASSERT_TRUE(wait_until([&] { return on(far_primary()); }, kWait)) << logs();
  // Twenty heartbeat answers later (each a round trip through the proxy) it is still there.
  const std::size_t base = far_[0]->counters().forwarded_down;
  ASSERT_TRUE(far_[0]->wait([&](const FaultProxy::Counters& c) {
    return c.forwarded_down >= base + 20 * 30;  // an answer is ~30 bytes of TLS record or more
  }, kWait)) << logs();
  auto s = *status();
  EXPECT_EQ(s["gateway"], far_primary()) << logs();
  EXPECT_EQ(s["counters"]["failovers"], 0) << logs();
  EXPECT_GE(s["heartbeat"]["last_rtt_ms"].get<double>(), 300.0) << logs();
  EXPECT_EQ(s["heartbeat"]["interval_ms"], 500);
  EXPECT_FALSE(any_line_has(agent_->log(), {"event=failover"})) << logs();
}

TEST_F(Wan, a_primary_300ms_away_is_failed_back_to_after_the_stable_window) {
  far_[0]->set_down(true);
  start_agent_far_primary();
  ASSERT_TRUE(wait_until([&] { return on(near_second()); }, kWait)) << logs();
  far_[0]->set_down(false);
  ASSERT_TRUE(wait_until([&] { return on(far_primary()); }, kWait)) << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failback", "reason=stable-window"})) << logs();
  // Slow answers were round trips, never misses: no probe broke on them.
  EXPECT_FALSE(any_line_has(agent_->log(), {"event=gateway-dead", "probe-heartbeat-missed"}))
      << logs();
  EXPECT_EQ((*status())["counters"]["failbacks"], 1) << logs();
}

TEST_F(Wan, a_silent_distant_primary_is_left_for_the_next_gateway) {
  start_agent_far_primary();
  ASSERT_TRUE(wait_until([&] { return on(far_primary()); }, kWait)) << logs();
  const auto silent_at = std::chrono::steady_clock::now();
  far_[0]->set_blackhole(true);
  ASSERT_TRUE(wait_until([&] { return on(near_second()); }, kWait)) << logs();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - silent_at);
  std::printf("silent primary 300 ms away -> next gateway: %lld ms (silence limit 1500 ms)\n",
              static_cast<long long>(took.count()));
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failover", "reason=heartbeat-timeout"}))
      << logs();
}

TEST_F(Wan, a_new_primary_300ms_away_is_handed_over_to) {
  start_agent_far_primary();
  ASSERT_TRUE(wait_until([&] { return on(far_primary()); }, kWait)) << logs();
  const auto mg = run_mg(store_, {"set-parent", "--agent", kAgentName, "--management-group",
                                  kGroup, "--primary", far_third(), "--failover", near_second()});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = status();
        return s && (*s)["topology"]["generation"] == 1 && (*s)["gateway"] == far_third();
      },
      kWait))
      << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=topology-committed", "generation=1"}))
      << logs();
  EXPECT_FALSE(any_line_has(agent_->log(), {"event=topology-handover-failed"})) << logs();
}

TEST_F(Wan, a_primary_flapping_through_the_proxy_never_drags_the_agent_back) {
  far_[0]->set_down(true);
  start_agent_far_primary();
  ASSERT_TRUE(wait_until([&] { return on(near_second()); }, kWait)) << logs();

  // Up 300 ms, down 300 ms, twelve times, while probes go out every 500 ms with a 1 s window.
  const std::size_t accepted_before = far_[0]->accepted();
  for (int flap = 0; flap < 12; ++flap) {
    far_[0]->set_down(false);
    std::this_thread::sleep_for(300ms);  // the flap itself, not a synchronisation
    far_[0]->set_down(true);
    std::this_thread::sleep_for(300ms);
  }
  // The probes did reach the flapping primary; none took the agent back.
  EXPECT_GT(far_[0]->accepted(), accepted_before) << logs();
  auto s = *status();
  EXPECT_EQ(s["gateway"], near_second()) << logs();
  EXPECT_EQ(s["counters"]["failbacks"], 0) << logs();

  // Up for good: back after one stable window.
  far_[0]->set_down(false);
  ASSERT_TRUE(wait_until([&] { return on(far_primary()); }, kWait)) << logs();
  EXPECT_EQ((*status())["counters"]["failbacks"], 1) << logs();
}

}  // namespace
}  // namespace gatelink::test
