// The real agent against real reference gateways over real TLS on 127.0.0.1.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

bool connected_to(const fs::path& socket, const std::string& address) {
  auto s = agent_status(socket);
  return s && (*s)["state"] == "connected" && (*s)["gateway"].is_string() &&
         (*s)["gateway"].get<std::string>().find(address) != std::string::npos;
}

TEST(AgentGateway, agent_connects_to_primary_and_status_says_so) {
  TempDir dir;
  auto gw1 = start_gateway(dir, "gw1.example.test", "gw1");
  AgentSetup setup;
  setup.gateways = {{gw1.address, "gw1.example.test"}};
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";

  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw1.address); }, 10s)) << agent->log();
  // Heartbeats flow: an RTT is measured.
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = agent_status(socket);
        return s && (*s)["heartbeat"]["last_rtt_ms"].is_number();
      },
      5s));
  auto s = *agent_status(socket);
  EXPECT_EQ(s["agent"], "agent1.example.test");
  EXPECT_EQ(s["management_group"], "TEST");
  EXPECT_EQ(s["role"], "primary");
  EXPECT_EQ(s["heartbeat"]["interval_ms"], 200);
  EXPECT_EQ(s["topology"]["source"], "bootstrap");
  EXPECT_EQ(s["topology"]["generation"], 0);
  EXPECT_TRUE(s["certificate"]["subject"].get<std::string>().find("agent1.example.test") !=
              std::string::npos);
  EXPECT_GT(s["certificate"]["days_left"].get<int>(), 0);
  ASSERT_EQ(s["gateways"].size(), 1u);
  EXPECT_TRUE(s["gateways"][0]["last_seen"].is_string());

  // gatelinkctl's exit status says "connected".
  auto ctl = run_program({(bin_dir() / "gatelinkctl").string(), "--socket", socket.string(),
                          "status"});
  EXPECT_EQ(ctl.exit_status, 0) << ctl.out;
  EXPECT_NE(ctl.out.find("connected"), std::string::npos) << ctl.out;

  // The gateway logged the agent by name.
  EXPECT_TRUE(wait_until(
      [&] {
        return gw1.process->log().find("event=agent-connected agent=agent1.example.test") !=
               std::string::npos;
      },
      5s))
      << gw1.process->log();
}

TEST(AgentGateway, agent_reconnects_when_primary_comes_back) {
  TempDir dir;
  auto gw1 = start_gateway(dir, "gw1.example.test", "gw1");
  const auto port = gw1.port;
  AgentSetup setup;
  setup.gateways = {{gw1.address, "gw1.example.test"}};
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw1.address); }, 10s)) << agent->log();

  gw1.process->signal(SIGKILL);
  gw1.process->wait_exit(5s);
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = agent_status(socket);
        return s && (*s)["state"] != "connected";
      },
      5s));
  auto restarted = start_gateway(dir, "gw1.example.test", "gw1", port);
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, restarted.address); }, 10s))
      << agent->log();
  auto s = *agent_status(socket);
  EXPECT_GE(s["counters"]["reconnects"].get<int>(), 1);
}

/// Lines of `log` that say an agent arrived, resumed or not.
std::size_t arrivals(const std::string& log, bool resumed) {
  return lines_with(log, {"event=agent-connected", resumed ? "resumed=true" : "resumed=false"})
      .size();
}

/// A ticket key file made by `gatelink-mg ticket-keys` in `dir`, as the gateways' options;
/// empty (and a test failure) if it could not be made.
std::vector<std::string> group_ticket_keys(const TempDir& dir) {
  const auto keys = dir / "tickets.keys";
  const auto made =
      run_program({(bin_dir() / "gatelink-mg").string(), "ticket-keys", "--file", keys.string()});
  EXPECT_EQ(made.exit_status, 0) << made.out;
  if (made.exit_status != 0) return {};
  return {"--ticket-keys", keys.string()};
}

TEST(AgentGateway, a_gateway_restarted_with_the_groups_ticket_keys_resumes_the_agent) {
  TempDir dir;
  const std::vector<std::string> with_keys = group_ticket_keys(dir);
  ASSERT_FALSE(with_keys.empty());
  auto gw1 = start_gateway(dir, "gw1.example.test", "gw1", 0, with_keys);
  const auto port = gw1.port;
  AgentSetup setup;
  setup.gateways = {{gw1.address, "gw1.example.test"}};
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw1.address); }, 10s)) << agent->log();
  ASSERT_TRUE(wait_until([&] { return arrivals(gw1.process->log(), false) == 1; }, 5s))
      << gw1.process->log();

  // kill -9: the session ends without a TLS shutdown, and its ticket must still resume.
  gw1.process->signal(SIGKILL);
  gw1.process->wait_exit(5s);
  auto restarted = start_gateway(dir, "gw1.example.test", "gw1", port, with_keys);
  ASSERT_TRUE(wait_until([&] { return arrivals(restarted.process->log(), true) == 1; }, 10s))
      << restarted.process->log() << agent->log();
  // The log file is the same one, appended to: the first arrival only was a full handshake.
  EXPECT_EQ(arrivals(restarted.process->log(), false), 1u) << restarted.process->log();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=handshake-ok", "resumed=true"})) << agent->log();

  // Without the keys (another group's gateway, or none): a full handshake, still connected.
  restarted.process->signal(SIGKILL);
  restarted.process->wait_exit(5s);
  auto keyless = start_gateway(dir, "gw1.example.test", "gw1", port);
  ASSERT_TRUE(wait_until([&] { return arrivals(keyless.process->log(), false) == 2; }, 10s))
      << keyless.process->log() << agent->log();
  EXPECT_TRUE(wait_until([&] { return connected_to(socket, keyless.address); }, 5s));
}

TEST(AgentGateway, a_ticket_fetched_ahead_makes_the_first_failover_resume) {
  TempDir dir;
  const std::vector<std::string> with_keys = group_ticket_keys(dir);
  ASSERT_FALSE(with_keys.empty());
  auto gw1 = start_gateway(dir, "gw1.example.test", "gw1", 0, with_keys);
  auto gw2 = start_gateway(dir, "gw2.example.test", "gw2", 0, with_keys);
  AgentSetup setup;
  setup.gateways = {{gw1.address, "gw1.example.test"}, {gw2.address, "gw2.example.test"}};
  setup.prefetch_within_ms = 200;
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw1.address); }, 10s)) << agent->log();
  // The fetch: one full handshake with gw2, closed once welcomed, that left gw2's ticket.
  ASSERT_TRUE(wait_until(
      [&] {
        return any_line_has(agent->log(), {"event=ticket-fetched", "ticket=true"});
      },
      10s))
      << agent->log();
  ASSERT_TRUE(wait_until([&] { return arrivals(gw2.process->log(), false) == 1; }, 5s))
      << gw2.process->log();
  EXPECT_TRUE(any_line_has(gw2.process->log(), {"agent-goodbye:ticket-fetched"}))
      << gw2.process->log();

  gw1.process->signal(SIGKILL);
  gw1.process->wait_exit(5s);
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw2.address); }, 10s)) << agent->log();
  ASSERT_TRUE(wait_until([&] { return arrivals(gw2.process->log(), true) == 1; }, 5s))
      << gw2.process->log() << agent->log();
  EXPECT_EQ(arrivals(gw2.process->log(), false), 1u) << "the fetch's only";
  EXPECT_TRUE(any_line_has(agent->log(), {"event=handshake-ok", "resumed=true"})) << agent->log();
}

TEST(AgentGateway, a_warm_standby_takes_over_without_a_handshake_when_the_primary_dies) {
  TempDir dir;
  auto gw1 = start_gateway(dir, "gw1.example.test", "gw1");
  auto gw2 = start_gateway(dir, "gw2.example.test", "gw2");
  AgentSetup setup;
  setup.gateways = {{gw1.address, "gw1.example.test"}, {gw2.address, "gw2.example.test"}};
  setup.standby_interval_ms = 1000;
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw1.address); }, 10s)) << agent->log();
  // Status shows the standby on gw2 once it has answered, heartbeating at its own quiet pace.
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = agent_status(socket);
        return s && (*s)["standby"].is_object() && (*s)["standby"]["state"] == "healthy";
      },
      10s))
      << agent->log();
  auto before = *agent_status(socket);
  EXPECT_NE(before["standby"]["gateway"].get<std::string>().find(gw2.address), std::string::npos);
  EXPECT_EQ(before["standby"]["interval_ms"], 1000);
  EXPECT_EQ(before["heartbeat"]["interval_ms"], 200);
  ASSERT_EQ(arrivals(gw2.process->log(), false), 1u) << gw2.process->log();

  gw1.process->signal(SIGKILL);
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw2.address); }, 5s)) << agent->log();
  EXPECT_TRUE(any_line_has(agent->log(), {"event=promoted", "standby=true"})) << agent->log();
  // The line that ends the outage measures it; the first connection had none to measure.
  EXPECT_TRUE(any_line_has(agent->log(), {"event=connected", "role=failover", "outage_ms="}))
      << agent->log();
  EXPECT_FALSE(any_line_has(agent->log(), {"event=connected", "role=primary", "outage_ms="}))
      << agent->log();
  // No second session to gw2: the standby carries the traffic, now at the active pace.
  EXPECT_EQ(arrivals(gw2.process->log(), false), 1u) << gw2.process->log();
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = agent_status(socket);
        return s && (*s)["heartbeat"]["last_rtt_ms"].is_number() && (*s)["standby"].is_null();
      },
      5s))
      << agent->log();
  EXPECT_EQ((*agent_status(socket))["heartbeat"]["interval_ms"], 200);
  // And it stays up beyond the standby's silence limit: heartbeats go out at 200 ms.
  const auto since = (*agent_status(socket))["since"];
  EXPECT_FALSE(wait_until(
      [&] {
        auto s = agent_status(socket);
        return !s || (*s)["state"] != "connected" || (*s)["since"] != since;
      },
      3500ms))
      << agent->log();
}

TEST(AgentGateway, sigterm_drains_gateway_with_goodbye) {
  TempDir dir;
  auto gw1 = start_gateway(dir, "gw1.example.test", "gw1");
  AgentSetup setup;
  setup.gateways = {{gw1.address, "gw1.example.test"}};
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw1.address); }, 10s)) << agent->log();

  gw1.process->signal(SIGTERM);
  // The gateway exits cleanly (status 0) once its agents have their goodbye.
  EXPECT_EQ(gw1.process->wait_exit(5s), std::optional<int>(0)) << gw1.process->log();
  EXPECT_NE(gw1.process->log().find("event=draining agents=1 reason=shutdown"), std::string::npos)
      << gw1.process->log();
  // The agent heard the goodbye rather than a broken connection.
  EXPECT_TRUE(wait_until(
      [&] { return agent->log().find("event=goodbye") != std::string::npos; }, 5s))
      << agent->log();
  EXPECT_NE(agent->log().find("reason=shutdown"), std::string::npos) << agent->log();
}

TEST(AgentGateway, gatelinkctl_exit_status_is_3_when_not_connected_and_2_without_agent) {
  TempDir dir;
  AgentSetup setup;
  setup.gateways = {{"127.0.0.1:1", "gw1.example.test"}};  // nothing listens there
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";
  const auto ctl = (bin_dir() / "gatelinkctl").string();
  ASSERT_TRUE(wait_until(
      [&] { return run_program({ctl, "--socket", socket.string(), "status"}).exit_status == 3; },
      10s))
      << agent->log();
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_exit(5s), std::optional<int>(0)) << agent->log();
  EXPECT_EQ(run_program({ctl, "--socket", socket.string(), "status"}).exit_status, 2);
}

/// A TCP client that connects and then never starts TLS: it holds one handshake slot.
class StuckClient {
 public:
  // CLOEXEC: an agent started later must not inherit the socket and keep it open.
  explicit StuckClient(std::uint16_t port)
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~StuckClient() { ::close(fd_); }
  StuckClient(const StuckClient&) = delete;
  StuckClient& operator=(const StuckClient&) = delete;
  /// Reads the gateway's plaintext admission frame header (8 bytes): proof it was accepted.
  bool admitted() {
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    unsigned char header[8];
    return connected_ && ::recv(fd_, header, sizeof header, MSG_WAITALL) == 8 &&
           header[0] == 'G' && header[1] == 'L' && header[3] == 11;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(AgentGateway, busy_gateway_answers_without_handshake_and_agent_stays_away_for_retry_after) {
  constexpr auto kRetryAfter = 1500ms;
  TempDir dir;
  // gw1 takes one handshake at a time, and a stuck client holds that one; nobody waits for it
  // (the next test lets newcomers wait).
  auto gw1 = start_gateway(
      dir, "gw1.example.test", "gw1", 0,
      {"--max-handshakes", "1", "--handshake-timeout-ms", "20000", "--handshake-queue", "0",
       "--busy-retry-after-ms", std::to_string(kRetryAfter.count())});
  auto gw2 = start_gateway(dir, "gw2.example.test", "gw2");
  auto stuck = std::make_unique<StuckClient>(gw1.port);
  ASSERT_TRUE(stuck->admitted());

  AgentSetup setup;
  setup.gateways = {{gw1.address, "gw1.example.test"}, {gw2.address, "gw2.example.test"}};
  // The agent would probe gw1 every 100 ms and fail back after one healthy probe: only the
  // retry-after keeps it away longer. Its cap (the backoff cap) is above the retry-after.
  setup.probe_interval_ms = 100;
  setup.stable_probes = 1;
  setup.backoff_cap_ms = 5000;
  auto agent = start_agent(dir, write_agent_config(dir, setup));
  const auto socket = dir / "agent.sock";
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw2.address); }, 10s)) << agent->log();
  auto s = *agent_status(socket);
  EXPECT_EQ(s["gateways"][0]["last_error"], "goodbye:busy") << s.dump();
  EXPECT_TRUE(any_line_has(gw1.process->log(), {"event=agent-refused", "reason=busy"}))
      << gw1.process->log();

  // gw1 takes agents again; the agent comes back to it, but not before the retry-after.
  stuck.reset();
  ASSERT_TRUE(wait_until([&] { return connected_to(socket, gw1.address); }, 20s))
      << agent->log() << gw1.process->log();
  // gw1's own log times (one clock) measure how long the agent stayed away: from the last busy
  // answer it gave to the agent's next session there. An agent that ignored the retry-after
  // would be back within a probe interval.
  const auto log = gw1.process->log();
  const auto connected = lines_with(log, {"event=agent-connected", "agent=agent1.example.test"});
  ASSERT_FALSE(connected.empty()) << log;
  const auto back_at = log_line_time(connected.front());
  std::optional<std::chrono::system_clock::time_point> refused_at;
  for (const auto& line : lines_with(log, {"event=agent-refused", "reason=busy"})) {
    const auto at = log_line_time(line);
    if (at && back_at && *at <= *back_at) refused_at = at;
  }
  ASSERT_TRUE(back_at && refused_at) << log;
  const auto stayed_away =
      std::chrono::duration_cast<std::chrono::milliseconds>(*back_at - *refused_at);
  EXPECT_GE(stayed_away.count(), kRetryAfter.count()) << log << agent->log();
}

/// gw1 takes one handshake at a time and lets newcomers wait `wait_ms` for it while a stuck
/// client holds it; gw2 is free. The agent (its handshake deadline above the wait) starts on gw1.
class BusyGateway : public ::testing::Test {
 protected:
  void start(unsigned wait_ms) {
    gw1_ = start_gateway(
        dir_, "gw1.example.test", "gw1", 0,
        {"--max-handshakes", "1", "--handshake-timeout-ms", "20000", "--handshake-queue-wait-ms",
         std::to_string(wait_ms), "--log-level", "debug"});
    gw2_ = start_gateway(dir_, "gw2.example.test", "gw2");
    stuck_ = std::make_unique<StuckClient>(gw1_.port);
    ASSERT_TRUE(stuck_->admitted());
    AgentSetup setup;
    setup.gateways = {{gw1_.address, "gw1.example.test"}, {gw2_.address, "gw2.example.test"}};
    setup.handshake_timeout_ms = 2 * wait_ms + 1000;  // the wait counts against it
    agent_ = start_agent(dir_, write_agent_config(dir_, setup));
  }

  TempDir dir_;
  GatewayProcess gw1_, gw2_;
  std::unique_ptr<StuckClient> stuck_;
  std::unique_ptr<Process> agent_;
  const std::filesystem::path socket_ = dir_ / "agent.sock";
};

TEST_F(BusyGateway, a_newcomer_waits_for_a_busy_gateways_slot_instead_of_moving_on) {
  ASSERT_NO_FATAL_FAILURE(start(4000));
  ASSERT_TRUE(
      wait_until([&] { return any_line_has(gw1_.process->log(), {"event=agent-waiting"}); }, 10s))
      << gw1_.process->log() << agent_->log();
  stuck_.reset();  // the slot frees up: the agent waiting gets it
  ASSERT_TRUE(wait_until([&] { return connected_to(socket_, gw1_.address); }, 10s))
      << agent_->log() << gw1_.process->log();
  EXPECT_FALSE(any_line_has(gw1_.process->log(), {"event=agent-refused"})) << gw1_.process->log();
  EXPECT_FALSE(any_line_has(gw2_.process->log(), {"event=agent-connected"})) << gw2_.process->log();
  EXPECT_EQ((*agent_status(socket_))["counters"]["failovers"], 0) << agent_->log();
}

TEST_F(BusyGateway, a_newcomer_that_waits_out_its_time_is_told_busy) {
  ASSERT_NO_FATAL_FAILURE(start(300));  // the stuck client holds the slot throughout
  ASSERT_TRUE(wait_until([&] { return connected_to(socket_, gw2_.address); }, 10s))
      << agent_->log();
  EXPECT_EQ((*agent_status(socket_))["gateways"][0]["last_error"], "goodbye:busy");
  const auto log = gw1_.process->log();
  EXPECT_TRUE(any_line_has(log, {"event=agent-waiting"})) << log;
  EXPECT_TRUE(any_line_has(log, {"event=agent-refused", "reason=busy", "limit=total"})) << log;
}

}  // namespace
}  // namespace gatelink::test
