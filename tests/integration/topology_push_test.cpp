// Topology push, change and persistence end to end (DESIGN "Topology: push, change,
// persistence"): gatelink-mg writes an agent's topology to the store, real reference gateways
// (all three on one store) push it over real TLS on 127.0.0.1, and the real agent applies it at
// once, or holds it pending until its new primary answers, persists it and loads it again after
// kill -9. Every wait is bounded; nothing asserts on how long a step took. Each test fails if the
// behaviour it names is taken out of the product: the status fields, files and log lines checked
// here are the ones that behaviour alone produces.

#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "integration/harness.hpp"
#include "integration/topology_support.hpp"

namespace gatelink::test {
namespace {

constexpr const char* kAgentName = "agent1.example.test";
constexpr const char* kGroup = "TEST";
/// Generous bound for anything the agent or a gateway does on loopback, on a loaded machine.
constexpr auto kWait = 10s;
/// How often the gateways look at the store: short, so that a test does not wait for it.
constexpr const char* kStorePollMs = "100";

std::vector<std::string> strings(const nlohmann::json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) out.push_back(item.is_string() ? item.get<std::string>() : "?");
  return out;
}

/// Three gateways gw1, gw2, gw3 delivering from one store, and one agent.
class TopologyPush : public ::testing::Test {
 protected:
  static constexpr std::size_t kGateways = 3;

  void SetUp() override {
    fs::create_directories(store_);
    for (std::size_t i = 0; i < kGateways; ++i) {
      gw_[i] = start_gateway(dir_, gateway_name(i), gateway_cert(i), 0, store_flags());
    }
  }

  std::vector<std::string> store_flags() const {
    return {"--store", store_.string(), "--store-poll-ms", kStorePollMs};
  }

  /// Writes the agent's configuration with `bootstrap` (gateway indexes, primary first).
  void configure(const std::vector<std::size_t>& bootstrap) {
    AgentSetup setup;
    setup.name = kAgentName;
    setup.management_group = kGroup;
    // A short stable window (400 ms): a new primary must stay healthy that long to commit.
    setup.probe_interval_ms = 200;
    setup.stable_probes = 2;
    for (const std::size_t i : bootstrap) setup.gateways.emplace_back(gw_[i].address, gw_[i].name);
    config_ = write_agent_config(dir_, setup);
  }
  /// Starts the agent with the configuration written last; returns where its log starts.
  std::size_t start() {
    const std::size_t offset = agent_log().size();
    agent_ = start_agent(dir_, config_);
    return offset;
  }
  /// kill -9 of the agent, reaped.
  void kill_agent() {
    agent_->signal(SIGKILL);
    ASSERT_TRUE(agent_->wait_exit(kWait).has_value()) << logs();
  }

  /// gatelink-mg set-parent for the agent: gateway `primary` first, then `failover` in order.
  RunResult set_parent(std::size_t primary, const std::vector<std::size_t>& failover,
                       const std::string& group = kGroup) const {
    std::vector<std::string> args = {"set-parent", "--agent", kAgentName, "--primary",
                                     addr(primary), "--management-group", group};
    if (!failover.empty()) {
      std::string list;
      for (const std::size_t i : failover) list.append(list.empty() ? "" : ",").append(addr(i));
      args.insert(args.end(), {"--failover", list});
    }
    return run_mg(store_, args);
  }

  /// gateway `i` as gatelink-mg takes it and status shows it.
  std::string addr(std::size_t i) const { return cli_address(gw_[i]); }
  std::vector<std::string> addrs(const std::vector<std::size_t>& list) const {
    std::vector<std::string> out;
    for (const std::size_t i : list) out.push_back(addr(i));
    return out;
  }

  std::optional<nlohmann::json> status() const { return agent_status(dir_ / "agent.sock"); }
  /// Connected, and to gateway `i`.
  bool on(const nlohmann::json& s, std::size_t i) const {
    return s["state"] == "connected" && s["gateway"] == addr(i);
  }
  bool wait_on(std::size_t i) const {
    return wait_until(
        [&] {
          auto s = status();
          return s && on(*s, i);
        },
        kWait);
  }

  /// The agent holds topology `generation` (and, when given, is connected to gateway `i`).
  bool wait_generation(std::uint64_t generation, std::optional<std::size_t> i = {}) const {
    return wait_until(
        [&] {
          auto s = status();
          return s && (*s)["topology"]["generation"] == generation && (!i || on(*s, *i));
        },
        kWait);
  }

  /// A topology is pending and at least one attempt to reach its new primary has failed.
  bool wait_pending_with_error() const {
    return wait_until(
        [&] {
          auto s = status();
          return s && (*s)["topology"]["pending"].is_object() &&
                 (*s)["topology"]["pending"]["last_error"].is_string();
        },
        kWait);
  }

  void kill_gateway(std::size_t i) {
    gw_[i].process->signal(SIGKILL);
    ASSERT_TRUE(gw_[i].process->wait_exit(kWait).has_value()) << logs();
  }
  /// Starts gateway `i` again on the port it had, so addresses in the store still fit.
  void restart_gateway(std::size_t i) {
    const std::uint16_t port = gw_[i].port;
    gw_[i] = start_gateway(dir_, gateway_name(i), gateway_cert(i), port, store_flags());
    ASSERT_EQ(gw_[i].port, port);
  }

  fs::path state_file(const std::string& name) const { return agent_state_dir(dir_) / name; }
  std::string agent_log() const { return read_text_file(dir_ / "agent.log"); }
  std::string gateway_log(std::size_t i) const {
    return read_text_file(dir_ / (gateway_name(i) + ".log"));
  }
  /// The gateway's log line for the agent's answer to a push.
  std::vector<std::string> ack(std::uint64_t generation, const std::string& outcome) const {
    return {"event=topology-ack", std::string("agent=") + kAgentName,
            "generation=" + std::to_string(generation) + " outcome=" + outcome};
  }

  /// Everything a failure message needs: logs, the last status, the store and the state files.
  std::string logs() const {
    std::ostringstream out;
    out << "\n--- agent log ---\n" << tail(agent_log());
    for (std::size_t i = 0; i < kGateways; ++i) {
      out << "\n--- " << gateway_name(i) << " log ---\n" << tail(gateway_log(i), 6000);
    }
    out << "\n--- store entry ---\n"
        << read_text_file(store_ / "agents" / (std::string(kAgentName) + ".xml"));
    for (const char* name : {"topology.xml", "topology.lkg.xml"}) {
      out << "\n--- state/" << name << " ---\n" << read_text_file(state_file(name));
    }
    if (agent_) {
      auto s = status();
      out << "\n--- status ---\n" << (s ? s->dump(2) : std::string("(no answer)")) << "\n";
    }
    return out.str();
  }

  TempDir dir_;
  fs::path store_ = dir_ / "store";
  std::array<GatewayProcess, kGateways> gw_;
  fs::path config_;
  std::unique_ptr<Process> agent_;
};

TEST_F(TopologyPush, same_primary_is_applied_at_once_persisted_and_survives_kill_9) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();
  {
    auto s = *status();
    EXPECT_EQ(s["topology"]["generation"], 0) << logs();
    EXPECT_EQ(s["topology"]["source"], "bootstrap") << logs();
  }

  auto mg = set_parent(0, {2, 1});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;

  ASSERT_TRUE(wait_generation(1))
      << logs();
  auto s = *status();
  EXPECT_EQ(s["topology"]["source"], "pushed") << logs();
  EXPECT_EQ(s["topology"]["primary"], addr(0)) << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({2, 1})) << logs();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  // Applied at once, on the session in use: no reconnect, no failover.
  EXPECT_TRUE(on(s, 0)) << logs();
  EXPECT_EQ(s["counters"]["failovers"], 0) << logs();
  EXPECT_TRUE(any_line_has(gateway_log(0), {"event=topology-pushed",
                                            std::string("agent=") + kAgentName, "generation=1",
                                            "reason=store-changed"}))
      << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(0), ack(1, "applied")); }, kWait))
      << logs();
  EXPECT_TRUE(any_line_has(agent_log(), {"event=topology-persisted", "generation=1"})) << logs();

  // On disk before the ack: the file is complete, valid and holds the pushed order.
  const auto persisted = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(persisted.file) << persisted.problem;
  EXPECT_EQ(persisted.file->generation, 1u);
  EXPECT_EQ(persisted.file->management_group, kGroup);
  EXPECT_EQ(persisted.file->primary, addr(0));
  EXPECT_EQ(persisted.file->failover, addrs({2, 1}));

  // Without any gateway to tell it, the restarted agent knows generation 1 from its file alone.
  for (std::size_t i = 0; i < kGateways; ++i) ASSERT_NO_FATAL_FAILURE(kill_gateway(i));
  ASSERT_NO_FATAL_FAILURE(kill_agent());
  const std::size_t restarted = start();
  std::optional<nlohmann::json> after;
  ASSERT_TRUE(wait_until([&] { return (after = status()).has_value(); }, kWait)) << logs();
  EXPECT_NE((*after)["state"], "connected") << logs();
  EXPECT_EQ((*after)["topology"]["generation"], 1) << logs();
  EXPECT_EQ((*after)["topology"]["source"], "pushed") << logs();
  EXPECT_EQ((*after)["topology"]["primary"], addr(0)) << logs();
  EXPECT_EQ(strings((*after)["topology"]["failover"]), addrs({2, 1})) << logs();
  EXPECT_TRUE(any_line_has(agent_log().substr(restarted),
                           {"event=topology-loaded", "source=persisted", "generation=1"}))
      << logs();

  // Its hello says so: the gateway has nothing newer to push.
  const std::size_t gw1_before = gateway_log(0).size();
  ASSERT_NO_FATAL_FAILURE(restart_gateway(0));
  ASSERT_TRUE(wait_on(0)) << logs();
  EXPECT_TRUE(wait_until(
      [&] {
        return any_line_has(gateway_log(0).substr(gw1_before),
                            {"event=agent-connected", std::string("agent=") + kAgentName,
                             "generation=1"});
      },
      kWait))
      << logs();
}

TEST_F(TopologyPush, primary_change_to_unreachable_gateway_stays_pending_then_commits) {
  // gw3 is the new primary, and down when the change is made.
  ASSERT_NO_FATAL_FAILURE(kill_gateway(2));
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();

  auto mg = set_parent(2, {0, 1});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;

  // Pending, and at least one attempt to reach the new primary has failed.
  ASSERT_TRUE(wait_pending_with_error()) << logs();
  {
    auto s = *status();
    EXPECT_TRUE(on(s, 0)) << logs();
    EXPECT_EQ(s["topology"]["generation"], 0) << logs();
    EXPECT_EQ(s["topology"]["source"], "bootstrap") << logs();
    EXPECT_EQ(strings(s["topology"]["failover"]), addrs({1})) << logs();
    const auto& pending = s["topology"]["pending"];
    EXPECT_EQ(pending["generation"], 1) << logs();
    EXPECT_EQ(pending["primary"], addr(2)) << logs();
    EXPECT_EQ(strings(pending["failover"]), addrs({0, 1})) << logs();
    EXPECT_TRUE(pending["since"].is_string()) << logs();
  }
  EXPECT_TRUE(any_line_has(agent_log(), {"event=topology-pending", "generation=1"})) << logs();
  EXPECT_TRUE(any_line_has(agent_log(), {"event=topology-handover-failed", "generation=1"}))
      << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(0), ack(1, "pending")); }, kWait))
      << logs();
  // Nothing pending is persisted: a restart now would start from what works.
  EXPECT_FALSE(fs::exists(state_file("topology.xml"))) << logs();

  // The new primary comes up: the agent reaches it, commits and moves, never without a gateway.
  ASSERT_NO_FATAL_FAILURE(restart_gateway(2));
  const auto states_seen = wait_status_recording_states(
      dir_ / "agent.sock",
      [&](const nlohmann::json& s) { return on(s, 2) && s["topology"]["generation"] == 1; },
      kWait);
  ASSERT_TRUE(states_seen) << logs();
  for (const auto& state : *states_seen) EXPECT_EQ(state, "connected") << logs();

  auto s = *status();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  EXPECT_EQ(s["topology"]["source"], "pushed") << logs();
  EXPECT_EQ(s["topology"]["primary"], addr(2)) << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({0, 1})) << logs();
  EXPECT_EQ(s["role"], "primary") << logs();
  EXPECT_EQ(s["position"], 0) << logs();
  EXPECT_TRUE(any_line_has(agent_log(), {"event=topology-committed", "generation=1"})) << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(2), ack(1, "applied")); }, kWait))
      << logs();
  // The old session was closed by the agent once the new one was up.
  EXPECT_TRUE(wait_until(
      [&] {
        return any_line_has(gateway_log(0), {"event=agent-disconnected",
                                             std::string("agent=") + kAgentName,
                                             "reason=agent-goodbye"});
      },
      kWait))
      << logs();

  const auto persisted = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(persisted.file) << persisted.problem;
  EXPECT_EQ(persisted.file->generation, 1u);
  EXPECT_EQ(persisted.file->primary, addr(2));
  EXPECT_EQ(persisted.file->failover, addrs({0, 1}));
}

TEST_F(TopologyPush, pending_topology_is_not_persisted_and_is_pushed_again_after_kill_9) {
  ASSERT_NO_FATAL_FAILURE(kill_gateway(2));
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();
  auto mg = set_parent(2, {0, 1});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = status();
        return s && (*s)["topology"]["pending"].is_object();
      },
      kWait))
      << logs();

  // The restarted agent starts from what worked; the gateway hears generation 0 in its hello and
  // pushes generation 1 again, which is pending again.
  ASSERT_NO_FATAL_FAILURE(kill_agent());
  EXPECT_FALSE(fs::exists(state_file("topology.xml"))) << logs();
  const std::size_t gw1_before = gateway_log(0).size();
  const std::size_t restarted = start();
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = status();
        return s && on(*s, 0) && (*s)["topology"]["pending"].is_object() &&
               (*s)["topology"]["pending"]["generation"] == 1;
      },
      kWait))
      << logs();
  EXPECT_EQ((*status())["topology"]["generation"], 0) << logs();
  EXPECT_TRUE(any_line_has(agent_log().substr(restarted),
                           {"event=topology-loaded", "source=bootstrap", "generation=0"}))
      << logs();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto gw1 = gateway_log(0).substr(gw1_before);
        return any_line_has(gw1, {"event=topology-pushed", "generation=1", "reason=hello"}) &&
               any_line_has(gw1, ack(1, "pending"));
      },
      kWait))
      << logs();

  ASSERT_NO_FATAL_FAILURE(restart_gateway(2));
  ASSERT_TRUE(wait_generation(1, 2))
      << logs();
  const auto persisted = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(persisted.file) << persisted.problem;
  EXPECT_EQ(persisted.file->generation, 1u);
}

TEST_F(TopologyPush, push_while_agent_is_offline_is_delivered_after_its_hello) {
  configure({0, 1});
  auto mg = set_parent(0, {2, 1});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;

  start();
  ASSERT_TRUE(wait_generation(1, 0))
      << logs();
  auto s = *status();
  EXPECT_EQ(s["topology"]["source"], "pushed") << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({2, 1})) << logs();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  // The hello told the gateway generation 0; the gateway answered with what the store holds.
  const auto gw1 = gateway_log(0);
  EXPECT_TRUE(any_line_has(gw1, {"event=agent-connected", std::string("agent=") + kAgentName,
                                 "generation=0"}))
      << logs();
  EXPECT_TRUE(any_line_has(gw1, {"event=topology-pushed", std::string("agent=") + kAgentName,
                                 "generation=1", "reason=hello"}))
      << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(0), ack(1, "applied")); }, kWait))
      << logs();
  const auto persisted = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(persisted.file) << persisted.problem;
  EXPECT_EQ(persisted.file->generation, 1u);
}

TEST_F(TopologyPush, pending_agent_whose_gateway_dies_fails_over_along_last_working_topology) {
  // In use: gw1, then gw2. Pending: gw3 (down), then gw1 only. Should the agent follow the
  // pending list when gw1 dies, it finds nothing alive; the last working one leads it to gw2.
  ASSERT_NO_FATAL_FAILURE(kill_gateway(2));
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();

  auto mg = set_parent(2, {0});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;
  ASSERT_TRUE(wait_pending_with_error()) << logs();

  const std::size_t gw2_before = gateway_log(1).size();
  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));
  ASSERT_TRUE(wait_on(1)) << logs();
  auto s = *status();
  EXPECT_EQ(s["role"], "failover") << logs();
  EXPECT_EQ(s["counters"]["failovers"], 1) << logs();
  EXPECT_EQ(s["topology"]["generation"], 0) << logs();
  EXPECT_EQ(s["topology"]["primary"], addr(0)) << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({1})) << logs();
  ASSERT_TRUE(s["topology"]["pending"].is_object()) << logs();
  EXPECT_EQ(s["topology"]["pending"]["generation"], 1) << logs();
  EXPECT_EQ(s["topology"]["pending"]["primary"], addr(2)) << logs();
  EXPECT_TRUE(any_line_has(agent_log(), {"event=failover", "from=" + addr(0), "to=" + addr(1)}))
      << logs();
  // gw2 offers the same generation after the hello; the agent keeps waiting, not starting over.
  EXPECT_TRUE(wait_until(
      [&] { return any_line_has(gateway_log(1).substr(gw2_before), ack(1, "pending")); }, kWait))
      << logs();
  EXPECT_FALSE(fs::exists(state_file("topology.xml"))) << logs();

  // The new primary comes up: the handover commits from the failover gateway.
  ASSERT_NO_FATAL_FAILURE(restart_gateway(2));
  ASSERT_TRUE(wait_generation(1, 2))
      << logs();
  s = *status();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({0})) << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(2), ack(1, "applied")); }, kWait))
      << logs();
  const auto persisted = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(persisted.file) << persisted.problem;
  EXPECT_EQ(persisted.file->generation, 1u);
  EXPECT_EQ(persisted.file->primary, addr(2));
}

TEST_F(TopologyPush, newer_topology_keeping_the_primary_supersedes_a_pending_one) {
  ASSERT_NO_FATAL_FAILURE(kill_gateway(2));
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();
  auto to_gw3 = set_parent(2, {0});
  ASSERT_EQ(to_gw3.exit_status, 0) << to_gw3.out;
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = status();
        return s && (*s)["topology"]["pending"].is_object();
      },
      kWait))
      << logs();

  // The admin changes their mind: gw1 stays primary. That applies at once and ends the wait.
  auto back = set_parent(0, {2, 1});
  ASSERT_EQ(back.exit_status, 0) << back.out;
  ASSERT_TRUE(wait_generation(2))
      << logs();
  auto s = *status();
  EXPECT_TRUE(on(s, 0)) << logs();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  EXPECT_EQ(s["topology"]["primary"], addr(0)) << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({2, 1})) << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(0), ack(2, "applied")); }, kWait))
      << logs();
  const auto persisted = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(persisted.file) << persisted.problem;
  EXPECT_EQ(persisted.file->generation, 2u);
  EXPECT_EQ(persisted.file->primary, addr(0));
}

TEST_F(TopologyPush, same_primary_pushed_while_on_a_failover_gateway_keeps_that_session) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();
  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));
  ASSERT_TRUE(wait_on(1)) << logs();

  // gw2 stays in the list, one place further down: no reconnect, only its position changes.
  auto mg = set_parent(0, {2, 1});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;
  ASSERT_TRUE(wait_generation(1))
      << logs();
  auto s = *status();
  EXPECT_TRUE(on(s, 1)) << logs();
  EXPECT_EQ(s["position"], 2) << logs();
  EXPECT_EQ(s["role"], "failover") << logs();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  EXPECT_EQ(s["counters"]["failovers"], 1) << logs();
  EXPECT_EQ(s["gateways"][2]["address"], addr(1)) << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(1), ack(1, "applied")); }, kWait))
      << logs();
}

TEST_F(TopologyPush, new_primary_that_is_the_gateway_in_use_applies_at_once) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();
  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));
  ASSERT_TRUE(wait_on(1)) << logs();

  // gw2 becomes primary: it already answers, so there is nothing to wait for.
  auto mg = set_parent(1, {2});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;
  ASSERT_TRUE(wait_generation(1))
      << logs();
  auto s = *status();
  EXPECT_TRUE(on(s, 1)) << logs();
  EXPECT_EQ(s["position"], 0) << logs();
  EXPECT_EQ(s["role"], "primary") << logs();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  EXPECT_EQ(s["topology"]["primary"], addr(1)) << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({2})) << logs();
  // On its primary now: no failback probes towards the old one.
  EXPECT_TRUE(s["next_probe"].is_null()) << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(1), ack(1, "applied")); }, kWait))
      << logs();
  EXPECT_TRUE(any_line_has(agent_log(), {"event=topology-applied", "generation=1"})) << logs();
}

TEST_F(TopologyPush, topology_without_the_gateway_in_use_waits_until_its_primary_answers) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();
  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));
  ASSERT_TRUE(wait_on(1)) << logs();

  // Same primary (down), but gw2, the gateway in use, is no longer listed: applying it now would
  // drop the only working session, so it waits for the primary like a primary change does.
  auto mg = set_parent(0, {2});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;
  ASSERT_TRUE(wait_pending_with_error()) << logs();
  auto s = *status();
  EXPECT_TRUE(on(s, 1)) << logs();
  EXPECT_EQ(s["topology"]["generation"], 0) << logs();
  EXPECT_EQ(s["topology"]["pending"]["generation"], 1) << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(1), ack(1, "pending")); }, kWait))
      << logs();

  ASSERT_NO_FATAL_FAILURE(restart_gateway(0));
  ASSERT_TRUE(wait_generation(1, 0))
      << logs();
  s = *status();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({2})) << logs();
  EXPECT_TRUE(wait_until([&] { return any_line_has(gateway_log(0), ack(1, "applied")); }, kWait))
      << logs();
}

TEST_F(TopologyPush, new_primary_with_the_wrong_certificate_name_stays_pending_and_is_retried) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();

  // A typo: gw3's address with gw1's name. gw3's certificate does not carry that name.
  const std::string wrong = gateway_name(0) + "@" + gw_[2].address;
  auto mg = run_mg(store_, {"set-parent", "--agent", kAgentName, "--primary", wrong,
                            "--failover", addr(0), "--management-group", kGroup});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;

  // Tried again and again (with backoff), never committed, and the agent keeps working on gw1.
  ASSERT_TRUE(wait_until(
      [&] {
        std::istringstream in(agent_log());
        int failed = 0;
        for (std::string line; std::getline(in, line);) {
          failed += line.find("event=topology-handover-failed") != std::string::npos &&
                    line.find("generation=1") != std::string::npos;
        }
        return failed >= 2;
      },
      kWait))
      << logs();
  auto s = *status();
  EXPECT_TRUE(on(s, 0)) << logs();
  EXPECT_EQ(s["topology"]["generation"], 0) << logs();
  ASSERT_TRUE(s["topology"]["pending"].is_object()) << logs();
  EXPECT_EQ(s["topology"]["pending"]["primary"], wrong) << logs();
  EXPECT_EQ(s["topology"]["pending"]["last_error"], "name-mismatch") << logs();
  EXPECT_FALSE(any_line_has(agent_log(), {"event=topology-committed"})) << logs();
  EXPECT_FALSE(fs::exists(state_file("topology.xml"))) << logs();
}

TEST_F(TopologyPush, topology_of_another_management_group_is_rejected_and_not_persisted) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();

  auto mg = set_parent(0, {2, 1}, "OTHER");
  ASSERT_EQ(mg.exit_status, 0) << mg.out;

  ASSERT_TRUE(wait_until([&] { return any_line_has(gateway_log(0), ack(1, "rejected")); }, kWait))
      << logs();
  EXPECT_TRUE(any_line_has(agent_log(), {"event=topology-rejected", "generation=1"})) << logs();
  auto s = *status();
  EXPECT_TRUE(on(s, 0)) << logs();
  EXPECT_EQ(s["topology"]["generation"], 0) << logs();
  EXPECT_EQ(s["topology"]["source"], "bootstrap") << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({1})) << logs();
  EXPECT_TRUE(s["topology"]["pending"].is_null()) << logs();
  EXPECT_FALSE(fs::exists(state_file("topology.xml"))) << logs();
}

TEST_F(TopologyPush, store_rolled_back_to_older_generation_never_takes_the_agent_back) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();
  const fs::path entry = store_ / "agents" / (std::string(kAgentName) + ".xml");
  std::string generation_1;
  for (const auto& step :
       std::vector<std::pair<int, std::vector<std::size_t>>>{{1, {2, 1}}, {2, {1}}}) {
    const int generation = step.first;
    auto mg = set_parent(0, step.second);
    ASSERT_EQ(mg.exit_status, 0) << mg.out;
    ASSERT_TRUE(wait_generation(generation))
        << logs();
    if (generation == 1) generation_1 = read_text_file(entry);
  }

  // Someone restores the store from a backup that holds generation 1 (one rename, as a careful
  // restore does), and set-parent numbers the next one 2 again, with other gateways.
  const std::size_t agent_before = agent_log().size();
  {
    const fs::path restored = store_ / "restored.xml";
    std::ofstream(restored, std::ios::binary) << generation_1;
    fs::rename(restored, entry);
  }
  auto equal = set_parent(0, {2});
  ASSERT_EQ(equal.exit_status, 0) << equal.out;
  ASSERT_NE(equal.out.find("generation 2"), std::string::npos) << equal.out;

  // Restarted, the agent tells generation 2 in its hello and stays on the one it had.
  ASSERT_NO_FATAL_FAILURE(kill_agent());
  const std::size_t gw1_before = gateway_log(0).size();
  const std::size_t restarted = start();
  ASSERT_TRUE(wait_generation(2, 0))
      << logs();
  EXPECT_TRUE(any_line_has(agent_log().substr(restarted),
                           {"event=topology-loaded", "source=persisted", "generation=2"}))
      << logs();
  EXPECT_TRUE(wait_until(
      [&] {
        return any_line_has(gateway_log(0).substr(gw1_before),
                            {"event=agent-connected", std::string("agent=") + kAgentName,
                             "generation=2"});
      },
      kWait))
      << logs();
  EXPECT_EQ(strings((*status())["topology"]["failover"]), addrs({1})) << logs();

  // Only a newer generation reaches it.
  auto newer = set_parent(0, {2, 1});
  ASSERT_EQ(newer.exit_status, 0) << newer.out;
  ASSERT_TRUE(wait_generation(3))
      << logs();
  EXPECT_EQ(strings((*status())["topology"]["failover"]), addrs({2, 1})) << logs();
  const auto since_rollback = agent_log().substr(agent_before);
  EXPECT_FALSE(any_line_has(since_rollback, {"event=topology-applied", "generation=2 "}))
      << logs();
  EXPECT_FALSE(any_line_has(since_rollback, {"event=topology-persisted", "generation=2 "}))
      << logs();
  // Last-known-good is the generation 2 the agent really had (failover gw2 alone).
  const auto lkg = check_topology_file(state_file("topology.lkg.xml"));
  ASSERT_TRUE(lkg.file) << lkg.problem;
  EXPECT_EQ(lkg.file->generation, 2u);
  EXPECT_EQ(lkg.file->failover, addrs({1}));
}

TEST_F(TopologyPush, agent_moved_to_another_management_group_starts_from_its_bootstrap_list) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();
  auto mg = set_parent(0, {2, 1});
  ASSERT_EQ(mg.exit_status, 0) << mg.out;
  ASSERT_TRUE(wait_generation(1))
      << logs();

  // Reconfigured into group NEW: the persisted topology of TEST is not this agent's any more.
  ASSERT_NO_FATAL_FAILURE(kill_agent());
  {
    AgentSetup setup;
    setup.name = kAgentName;
    setup.management_group = "NEW";
    for (const std::size_t i : {0, 1}) setup.gateways.emplace_back(gw_[i].address, gw_[i].name);
    config_ = write_agent_config(dir_, setup);
  }
  const std::size_t gw1_before = gateway_log(0).size();
  const std::size_t restarted = start();
  ASSERT_TRUE(wait_on(0)) << logs();
  const auto log = agent_log().substr(restarted);
  EXPECT_TRUE(any_line_has(log, {"event=topology-skipped"})) << logs();
  EXPECT_TRUE(any_line_has(log, {"event=topology-loaded", "source=bootstrap", "generation=0"}))
      << logs();
  // The gateway still holds TEST's generation 1 for it: pushed after the hello, and refused.
  EXPECT_TRUE(wait_until(
      [&] { return any_line_has(gateway_log(0).substr(gw1_before), ack(1, "rejected")); },
      kWait))
      << logs();
  auto s = *status();
  EXPECT_EQ(s["management_group"], "NEW") << logs();
  EXPECT_EQ(s["topology"]["generation"], 0) << logs();
  EXPECT_EQ(s["topology"]["source"], "bootstrap") << logs();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({1})) << logs();
  // What was stored stays as it was: refusing a push never overwrites a file.
  const auto kept = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(kept.file) << kept.problem;
  EXPECT_EQ(kept.file->generation, 1u);
  EXPECT_EQ(kept.file->management_group, kGroup);
}

TEST_F(TopologyPush, corrupt_topology_falls_back_to_last_known_good_then_newest_is_pushed_again) {
  configure({0, 1});
  start();
  ASSERT_TRUE(wait_on(0)) << logs();

  // Two generations: the second keeps the first as last-known-good.
  for (const auto& step :
       std::vector<std::pair<int, std::vector<std::size_t>>>{{1, {2, 1}}, {2, {1}}}) {
    const int generation = step.first;
    auto mg = set_parent(0, step.second);
    ASSERT_EQ(mg.exit_status, 0) << mg.out;
    ASSERT_TRUE(wait_generation(generation))
        << logs();
  }
  EXPECT_EQ((*status())["topology"]["last_known_good"], 1) << logs();
  const auto lkg = check_topology_file(state_file("topology.lkg.xml"));
  ASSERT_TRUE(lkg.file) << lkg.problem;
  EXPECT_EQ(lkg.file->generation, 1u);
  EXPECT_EQ(lkg.file->failover, addrs({2, 1}));
  const auto current = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(current.file) << current.problem;
  EXPECT_EQ(current.file->generation, 2u);

  // The disk breaks topology.xml while the agent is down: it starts from last-known-good and
  // says why, and the gateway, hearing generation 1 in the hello, pushes generation 2 again.
  ASSERT_NO_FATAL_FAILURE(kill_agent());
  {
    const std::string text = read_text_file(state_file("topology.xml"));
    std::ofstream(state_file("topology.xml"), std::ios::binary | std::ios::trunc)
        << text.substr(0, text.size() / 2);
  }
  const std::size_t gw1_before = gateway_log(0).size();
  const std::size_t restarted = start();
  ASSERT_TRUE(wait_generation(2, 0))
      << logs();
  const auto log = agent_log().substr(restarted);
  EXPECT_TRUE(any_line_has(log, {"event=topology-skipped"})) << logs();
  EXPECT_TRUE(any_line_has(log, {"event=topology-loaded", "source=last-known-good",
                                 "generation=1"}))
      << logs();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto gw1 = gateway_log(0).substr(gw1_before);
        return any_line_has(gw1, {"event=agent-connected", std::string("agent=") + kAgentName,
                                  "generation=1"}) &&
               any_line_has(gw1, {"event=topology-pushed", "generation=2", "reason=hello"}) &&
               any_line_has(gw1, ack(2, "applied"));
      },
      kWait))
      << logs();
  auto s = *status();
  EXPECT_EQ(strings(s["topology"]["failover"]), addrs({1})) << logs();
  const auto repaired = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(repaired.file) << repaired.problem;
  EXPECT_EQ(repaired.file->generation, 2u);
  EXPECT_EQ(repaired.file->failover, addrs({1}));
  // The broken file never becomes last-known-good: that stays the valid generation 1.
  const auto kept = check_topology_file(state_file("topology.lkg.xml"));
  ASSERT_TRUE(kept.file) << kept.problem;
  EXPECT_EQ(kept.file->generation, 1u);
}

}  // namespace
}  // namespace gatelink::test
