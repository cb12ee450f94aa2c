// Failover along the ordered gateway list with the real agent and three real reference gateways
// over real TLS on 127.0.0.1 (DESIGN "Heartbeats and failover", issue 4): kill -9 of the primary
// and of the first failover gateway, a stopped (SIGSTOP) gateway, a restarted primary, a drained
// gateway, every gateway dead, a flapping primary. Every wait is bounded; nothing asserts on how
// long a step took (the benchmark measures that). Each test fails if the behaviour it names is
// taken out of the product: the status fields, log lines and gateway-side goodbyes checked here
// are the ones that behaviour alone produces.

#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

constexpr const char* kAgentName = "agent1.example.test";
/// Generous bound for anything the agent does on loopback; a loaded machine must not fail a test.
constexpr auto kWait = 10s;
/// Bound for a failback, which takes several probe rounds.
constexpr auto kFailbackWait = 20s;

/// How many lines of `log` hold every one of `parts`.
std::size_t count_lines(const std::string& log, const std::vector<std::string>& parts) {
  std::istringstream in(log);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& part : parts) all = all && line.find(part) != std::string::npos;
    if (all) ++n;
  }
  return n;
}

/// Sends SIGCONT when the test ends, whatever way it ends, so that a stopped gateway can be
/// killed and reaped rather than left stopped.
class ContinueAtEnd {
 public:
  explicit ContinueAtEnd(pid_t pid) : pid_(pid) {}
  ~ContinueAtEnd() { ::kill(pid_, SIGCONT); }
  ContinueAtEnd(const ContinueAtEnd&) = delete;
  ContinueAtEnd& operator=(const ContinueAtEnd&) = delete;

 private:
  pid_t pid_;
};

/// Three gateways gw1 (primary), gw2, gw3 (failover, in this order) and one agent.
class Failover : public ::testing::Test {
 protected:
  static constexpr std::size_t kGateways = 3;

  void SetUp() override {
    for (std::size_t i = 0; i < kGateways; ++i) gw_[i] = start_gateway(dir_, name(i), cert(i));
  }

  /// Writes the agent configuration with the three gateways in order and starts the agent.
  void start(AgentSetup setup = {}) {
    setup.gateways.clear();
    for (std::size_t i = 0; i < kGateways; ++i) {
      setup.gateways.emplace_back(gw_[i].address, name(i));
    }
    agent_ = start_agent(dir_, write_agent_config(dir_, setup));
    // How the agent writes each gateway in its log (with the server name): from its own status.
    ASSERT_TRUE(wait_until(
        [&] {
          auto s = status();
          if (!s || (*s)["gateways"].size() != kGateways) return false;
          for (std::size_t i = 0; i < kGateways; ++i) {
            shown_[i] = (*s)["gateways"][i]["address"].get<std::string>();
          }
          return true;
        },
        kWait))
        << logs();
    for (std::size_t i = 0; i < kGateways; ++i) {
      ASSERT_NE(shown_[i].find(gw_[i].address), std::string::npos) << shown_[i];
    }
  }

  /// Gateway `i` as the agent's log lines name it (`from=`, `to=`, `gateway=`).
  const std::string& shown(std::size_t i) const { return shown_[i]; }

  static std::string name(std::size_t i) { return "gw" + std::to_string(i + 1) + ".example.test"; }
  static std::string cert(std::size_t i) { return "gw" + std::to_string(i + 1); }

  std::optional<nlohmann::json> status() const { return agent_status(dir_ / "agent.sock"); }

  /// Connected, and to gateway `i` of the list (address and position agree).
  static bool on_gateway(const nlohmann::json& s, std::size_t i, const std::string& address) {
    return s["state"] == "connected" && s["gateway"].is_string() &&
           s["gateway"].get<std::string>().find(address) != std::string::npos &&
           s["position"].is_number() && s["position"].get<std::size_t>() == i;
  }
  bool connected_to(std::size_t i) const {
    auto s = status();
    return s && on_gateway(*s, i, gw_[i].address);
  }
  bool wait_connected_to(std::size_t i, std::chrono::milliseconds deadline = kWait) const {
    return wait_until([&] { return connected_to(i); }, deadline);
  }

  /// kill -9 of gateway `i`, reaped, so that its port is closed when this returns.
  void kill_gateway(std::size_t i) {
    gw_[i].process->signal(SIGKILL);
    ASSERT_TRUE(gw_[i].process->wait_exit(kWait).has_value()) << logs();
  }

  /// Starts gateway `i` again on the port it had, so the agent's configuration still fits.
  void restart_gateway(std::size_t i) {
    const std::uint16_t port = gw_[i].port;
    gw_[i] = start_gateway(dir_, name(i), cert(i), port);
    ASSERT_EQ(gw_[i].port, port);
  }

  std::string gateway_log(std::size_t i) const { return read_log(dir_ / (name(i) + ".log")); }
  static std::string read_log(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  /// The failback to gw1 was make-before-break, from evidence that no sampling can miss (a poll
  /// of the status can miss a short disconnected window):
  /// - the agent's log (one process, lines in order): the session it promoted to carry the
  ///   traffic had completed its handshake before, so it was the probe and not a new connection
  ///   opened after the old one was closed;
  /// - the gateways' logs: gw1 greeted the session it keeps no later than gw2 heard the agent's
  ///   failback goodbye, and every other session gw1 saw since its restart (from byte
  ///   `gw1_offset` of its log) ended as a finished probe.
  void expect_make_before_break(std::size_t gw1_offset) const {
    const auto agent_log = agent_->log();
    const auto promoted = lines_with(agent_log, {"event=promoted", "gateway=" + shown(0)});
    ASSERT_EQ(promoted.size(), 1u);
    const std::string session = field(promoted[0], "session");
    const auto up = with_field(lines_with(agent_log, {"event=handshake-ok", "gateway=" + shown(0)}),
                               "session", session);
    ASSERT_EQ(up.size(), 1u) << "session " << session;
    EXPECT_LT(agent_log.find(up[0]), agent_log.find(promoted[0])) << "session " << session;

    const std::string agent = std::string("agent=") + kAgentName;
    const auto gw1_log = gateway_log(0).substr(gw1_offset);
    std::vector<std::string> kept;
    for (const auto& line : lines_with(gw1_log, {"event=agent-connected", agent})) {
      const auto ended = with_field(lines_with(gw1_log, {"event=agent-disconnected", agent}),
                                    "peer", field(line, "peer"));
      // A session that ended was a probe that broke before the one that was kept.
      if (ended.empty()) kept.push_back(line);
    }
    ASSERT_EQ(kept.size(), 1u);
    const auto old_closed = lines_with(
        gateway_log(1), {"event=agent-disconnected", agent, "reason=agent-goodbye:failback"});
    ASSERT_EQ(old_closed.size(), 1u);
    const auto new_up_at = log_line_time(kept[0]);
    const auto old_closed_at = log_line_time(old_closed[0]);
    ASSERT_TRUE(new_up_at && old_closed_at);
    EXPECT_TRUE(*new_up_at <= *old_closed_at) << "gw1 greeted it after gw2 lost the old one:\n"
                                              << kept[0] << "\n" << old_closed[0];
  }

  /// The value of `name=` in a log line (up to the next space).
  static std::string field(const std::string& line, const std::string& name) {
    const auto at = line.find(" " + name + "=");
    if (at == std::string::npos) return "";
    const auto begin = at + name.size() + 2;
    return line.substr(begin, line.find(' ', begin) - begin);
  }
  /// The `lines` whose `name=` is exactly `value`.
  static std::vector<std::string> with_field(const std::vector<std::string>& lines,
                                             const std::string& name, const std::string& value) {
    std::vector<std::string> found;
    for (const auto& line : lines) {
      if (field(line, name) == value) found.push_back(line);
    }
    return found;
  }

  /// Everything a failure message needs: the agent's log, each gateway's log, the last status.
  std::string logs() const {
    std::ostringstream out;
    out << "\n--- agent log ---\n" << (agent_ ? agent_->log() : std::string("(not started)"));
    for (std::size_t i = 0; i < kGateways; ++i) {
      out << "\n--- " << name(i) << " log ---\n" << gateway_log(i);
    }
    if (agent_) {
      auto s = status();
      out << "\n--- status ---\n" << (s ? s->dump(2) : std::string("(no answer)")) << "\n";
    }
    return out.str();
  }

  TempDir dir_;
  std::array<GatewayProcess, kGateways> gw_;
  std::unique_ptr<Process> agent_;
  std::array<std::string, kGateways> shown_;
};

TEST_F(Failover, kill_9_of_primary_moves_agent_to_first_failover) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_TRUE(wait_connected_to(0)) << logs();
  {
    auto s = *status();
    EXPECT_EQ(s["role"], "primary");
    EXPECT_EQ(s["counters"]["failovers"], 0);
  }

  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));
  ASSERT_TRUE(wait_connected_to(1)) << logs();
  auto s = *status();
  EXPECT_EQ(s["role"], "failover") << logs();
  EXPECT_EQ(s["position"], 1) << logs();
  EXPECT_EQ(s["counters"]["failovers"], 1) << logs();
  EXPECT_TRUE(s["gateways"][0]["last_error"].is_string()) << logs();
  EXPECT_TRUE(s["gateways"][1]["last_error"].is_null()) << logs();
  EXPECT_TRUE(s["gateways"][2]["last_error"].is_null()) << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failover", "from=" + shown(0), "to=" + shown(1)}))
      << logs();

  // The first failover gateway dies too: on to the second, never back to the dead primary.
  ASSERT_NO_FATAL_FAILURE(kill_gateway(1));
  ASSERT_TRUE(wait_connected_to(2)) << logs();
  s = *status();
  EXPECT_EQ(s["role"], "failover") << logs();
  EXPECT_EQ(s["position"], 2) << logs();
  EXPECT_EQ(s["counters"]["failovers"], 2) << logs();
  EXPECT_TRUE(s["gateways"][0]["last_error"].is_string()) << logs();
  EXPECT_TRUE(s["gateways"][1]["last_error"].is_string()) << logs();
  EXPECT_TRUE(s["gateways"][2]["last_error"].is_null()) << logs();
  EXPECT_TRUE(s["gateways"][2]["last_seen"].is_string()) << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failover", "from=" + shown(1), "to=" + shown(2)}))
      << logs();
}

TEST_F(Failover, stopped_gateway_is_detected_by_missed_heartbeats) {
  AgentSetup setup;
  setup.heartbeat_interval_ms = 200;
  setup.misses = 3;
  ASSERT_NO_FATAL_FAILURE(start(setup));
  ASSERT_TRUE(wait_connected_to(0)) << logs();

  // A stopped process keeps its sockets open: nothing closes, only the heartbeats go unanswered.
  ContinueAtEnd resume(gw_[0].process->pid());
  gw_[0].process->signal(SIGSTOP);
  ASSERT_TRUE(wait_connected_to(1)) << logs();

  auto s = *status();
  EXPECT_GE(s["counters"]["heartbeats_missed"].get<unsigned>(), setup.misses) << logs();
  EXPECT_EQ(s["gateways"][0]["last_error"], "heartbeat-timeout") << logs();
  EXPECT_EQ(s["counters"]["failovers"], 1) << logs();
  EXPECT_EQ(s["role"], "failover") << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=heartbeat-missed", "gateway=" + shown(0)})) << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failover", "from=" + shown(0), "to=" + shown(1),
                                       "reason=heartbeat-timeout"}))
      << logs();
  // The stopped gateway never closed anything: it is still there, just silent.
  EXPECT_TRUE(gw_[0].process->running());
}

TEST_F(Failover, restarted_primary_is_failed_back_to_after_stable_probes) {
  AgentSetup setup;
  setup.probe_interval_ms = 200;
  setup.stable_probes = 2;
  ASSERT_NO_FATAL_FAILURE(start(setup));
  ASSERT_TRUE(wait_connected_to(0)) << logs();

  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));
  ASSERT_TRUE(wait_connected_to(1)) << logs();
  // On a failover gateway the agent keeps probing the way back.
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = status();
        return s && on_gateway(*s, 1, gw_[1].address) && (*s)["next_probe"].is_string();
      },
      kWait))
      << logs();

  const std::size_t gw1_log_before = gateway_log(0).size();
  ASSERT_NO_FATAL_FAILURE(restart_gateway(0));

  ASSERT_TRUE(wait_connected_to(0, kFailbackWait)) << logs();

  auto s = *status();
  EXPECT_EQ(s["role"], "primary") << logs();
  EXPECT_EQ(s["position"], 0) << logs();
  EXPECT_EQ(s["counters"]["failbacks"], 1) << logs();
  EXPECT_EQ(s["counters"]["failovers"], 1) << logs();
  EXPECT_TRUE(s["next_probe"].is_null()) << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failback", "from=" + shown(1), "to=" + shown(0)}))
      << logs();
  // The failback waited for the stable window on a probe that was kept open: the restarted
  // primary's session that carries the traffic now is the probe, not a fresh connect.
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failback", "reason=stable-window"})) << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=promoted", "gateway=" + shown(0)})) << logs();
  // The old session was closed by the agent, with a goodbye saying why, once the new one was up.
  EXPECT_TRUE(wait_until(
      [&] {
        return any_line_has(gateway_log(1),
                        {"event=agent-disconnected", std::string("agent=") + kAgentName,
                         "reason=agent-goodbye:failback"});
      },
      kWait))
      << logs();
  ASSERT_NO_FATAL_FAILURE(expect_make_before_break(gw1_log_before)) << logs();
}

TEST_F(Failover, drained_gateway_moves_agent_on_at_once) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_TRUE(wait_connected_to(0)) << logs();

  gw_[0].process->signal(SIGTERM);
  ASSERT_TRUE(wait_connected_to(1)) << logs();
  EXPECT_EQ(gw_[0].process->wait_exit(kWait), std::optional<int>(0)) << logs();

  // The agent heard the goodbye and acted on it, not on the connection closing after it.
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=goodbye", "gateway=" + shown(0), "reason=shutdown"}))
      << logs();
  auto s = *status();
  EXPECT_EQ(s["gateways"][0]["last_error"], "goodbye:shutdown") << logs();
  EXPECT_EQ(s["counters"]["failovers"], 1) << logs();
  EXPECT_EQ(s["role"], "failover") << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failover", "from=" + shown(0), "to=" + shown(1),
                                       "reason=goodbye:shutdown"}))
      << logs();
  EXPECT_TRUE(any_line_has(gateway_log(0), {"event=draining", "reason=shutdown"})) << logs();
}

TEST_F(Failover, all_gateways_dead_backs_off_then_returns_to_primary) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_TRUE(wait_connected_to(0)) << logs();

  // The failover gateways first, so the agent is still on the primary when that one dies and the
  // only failover the machine counts is the one off a connected gateway.
  ASSERT_NO_FATAL_FAILURE(kill_gateway(2));
  ASSERT_NO_FATAL_FAILURE(kill_gateway(1));
  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));

  ASSERT_TRUE(wait_until(
      [&] {
        auto s = status();
        return s && (*s)["state"] == "backoff" && (*s)["next_retry"].is_string() &&
               (*s)["gateway"].is_null();
      },
      kWait))
      << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=backoff"})) << logs();
  {
    auto s = *status();
    for (std::size_t i = 0; i < kGateways; ++i) {
      EXPECT_TRUE(s["gateways"][i]["last_error"].is_string()) << i << logs();
    }
  }

  ASSERT_NO_FATAL_FAILURE(restart_gateway(0));
  ASSERT_TRUE(wait_connected_to(0)) << logs();
  auto s = *status();
  EXPECT_EQ(s["role"], "primary") << logs();
  EXPECT_TRUE(s["next_retry"].is_null()) << logs();
  EXPECT_GE(s["counters"]["reconnects"].get<unsigned>(), 1u) << logs();
  EXPECT_EQ(s["counters"]["failovers"], 1) << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=reconnect", "gateway=" + shown(0)})) << logs();
}

TEST_F(Failover, flapping_primary_does_not_drag_agent_back) {
  // A 4 s stable window (200 ms × 20): the primary comes back, the agent's probe to it is
  // welcomed and kept, and the primary dies again inside the window.
  AgentSetup setup;
  setup.probe_interval_ms = 200;
  setup.stable_probes = 20;
  ASSERT_NO_FATAL_FAILURE(start(setup));
  ASSERT_TRUE(wait_connected_to(0)) << logs();
  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));
  ASSERT_TRUE(wait_connected_to(1)) << logs();

  const std::vector<std::string> probe_connected = {"event=agent-connected",
                                                    std::string("agent=") + kAgentName};
  // Up: a probe opens and stays (without the stable window, the agent would fail back now).
  std::size_t offset = gateway_log(0).size();
  ASSERT_NO_FATAL_FAILURE(restart_gateway(0));
  ASSERT_TRUE(wait_until(
      [&] { return count_lines(gateway_log(0).substr(offset), probe_connected) >= 1; }, kWait))
      << logs();
  // Down again, inside the stable window.
  ASSERT_NO_FATAL_FAILURE(kill_gateway(0));
  {
    auto s = *status();
    EXPECT_TRUE(on_gateway(s, 1, gw_[1].address)) << logs();
    EXPECT_EQ(s["counters"]["failbacks"], 0) << logs();
  }
  // The kept probe broke: the gateway is dead to the agent, which stays where it is.
  const std::size_t agent_offset = agent_->log().size();
  ASSERT_TRUE(wait_until(
      [&] {
        return any_line_has(agent_->log().substr(agent_offset),
                            {"event=gateway-dead", "gateway=" + shown(0)});
      },
      kWait))
      << logs();
  {
    auto s = *status();
    EXPECT_TRUE(on_gateway(s, 1, gw_[1].address)) << logs();
    EXPECT_EQ(s["counters"]["failbacks"], 0) << logs();
  }

  // Up for good: the agent comes back once a probe has held for a whole new window.
  ASSERT_NO_FATAL_FAILURE(restart_gateway(0));
  ASSERT_TRUE(wait_until([&] { return connected_to(0); }, kFailbackWait)) << logs();
  auto s = *status();
  EXPECT_EQ(s["counters"]["failbacks"], 1) << logs();
  EXPECT_EQ(s["counters"]["failovers"], 1) << logs();
  EXPECT_TRUE(any_line_has(agent_->log(), {"event=failback", "reason=stable-window"})) << logs();
}

}  // namespace
}  // namespace gatelink::test
