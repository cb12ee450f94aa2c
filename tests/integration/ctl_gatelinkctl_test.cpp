// gatelinkctl as on-site staff run it: a child process against an in-process status endpoint.

#include <filesystem>
#include <nlohmann/json.hpp>

#include "integration/ctl_support.hpp"
#include "fixtures/test_folders.hpp"
#include "unit/status_samples.hpp"

namespace gatelink::test {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;

constexpr int kExitConnected = 0;
constexpr int kExitNoAgent = 2;
constexpr int kExitNotConnected = 3;
constexpr int kExitUsage = 64;

class GatelinkctlTest : public StatusEndpointTest {
 protected:
  ProcessResult ctl(std::vector<std::string> args, std::vector<std::string> environment = {}) {
    args.insert(args.begin(), (bin_dir() / "gatelinkctl").string());
    ProcessResult result = run_process(args, environment);
    EXPECT_FALSE(result.timed_out) << "gatelinkctl did not finish";
    return result;
  }
  ProcessResult status(bool as_json) {
    std::vector<std::string> args{"--socket", socket_path(), "status"};
    if (as_json) args.emplace_back("--json");
    return ctl(std::move(args));
  }
};

TEST_F(GatelinkctlTest, connected_agent_exits_0_and_json_carries_its_fields) {
  set_snapshot(connected_snapshot(system_clock::now()));
  ASSERT_TRUE(open_endpoint().ok());
  const ProcessResult result = status(/*as_json=*/true);
  ASSERT_EQ(result.exit_code, kExitConnected) << result.err;
  const Json doc = Json::parse(result.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << result.out;
  EXPECT_EQ(doc["agent"], "web01.example.test");
  EXPECT_EQ(doc["management_group"], "EXAMPLE");
  EXPECT_EQ(doc["state"], "connected");
  EXPECT_EQ(doc["gateway"], "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(doc["role"], "primary");
  EXPECT_EQ(doc["heartbeat"]["interval_ms"], 1000);
  EXPECT_DOUBLE_EQ(doc["heartbeat"]["last_rtt_ms"].get<double>(), 0.412);
  EXPECT_EQ(doc["topology"]["failover"], Json::array({"gw2.example.test@127.0.0.1:15802"}));
  EXPECT_TRUE(doc["topology"]["pending"].is_null());
  EXPECT_EQ(doc["gateways"].size(), 2u);
  EXPECT_EQ(doc["certificate"]["days_left"], 365);
  EXPECT_TRUE(result.err.empty()) << result.err;
}

TEST_F(GatelinkctlTest, connected_agent_text_names_gateway_role_and_certificate) {
  set_snapshot(connected_snapshot(system_clock::now()));
  ASSERT_TRUE(open_endpoint().ok());
  const ProcessResult result = status(/*as_json=*/false);
  ASSERT_EQ(result.exit_code, kExitConnected) << result.err;
  EXPECT_NE(result.out.find("agent       web01.example.test  (management group EXAMPLE"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(result.out.rfind("status      connected to primary gw1.example.test for ", 0), 0u)
      << result.out;
  EXPECT_NE(result.out.find("gateway     gw1.example.test@127.0.0.1:15801 (primary)"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("last rtt 0.412 ms"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("last error connect-refused: refused the connection"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("certificate CN=agent1.example.test, expires "), std::string::npos)
      << result.out;
}

TEST_F(GatelinkctlTest, agent_that_is_not_connected_exits_3) {
  ASSERT_TRUE(open_endpoint().ok());
  for (const ConnectionState state : {ConnectionState::connecting, ConnectionState::backoff}) {
    set_snapshot(not_connected_snapshot(system_clock::now(), state));
    for (const bool as_json : {true, false}) {
      const ProcessResult result = status(as_json);
      EXPECT_EQ(result.exit_code, kExitNotConnected)
          << to_string(state) << " json=" << as_json << ": " << result.err;
      EXPECT_NE(result.out.find(std::string(to_string(state))), std::string::npos) << result.out;
    }
  }
}

TEST_F(GatelinkctlTest, missing_socket_exits_2_with_one_line_reason) {
  for (const bool as_json : {true, false}) {
    const ProcessResult result = status(as_json);
    EXPECT_EQ(result.exit_code, kExitNoAgent);
    EXPECT_TRUE(result.out.empty()) << result.out;
    EXPECT_NE(result.err.find(socket_path()), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
  }
}

TEST_F(GatelinkctlTest, stale_socket_without_agent_exits_2) {
  make_folders(std::filesystem::path(socket_path()).parent_path());
  make_stale_socket(socket_path());
  const ProcessResult result = status(/*as_json=*/false);
  EXPECT_EQ(result.exit_code, kExitNoAgent);
  EXPECT_NE(result.err.find("refused"), std::string::npos) << result.err;
}

TEST_F(GatelinkctlTest, agent_that_never_answers_exits_2_after_the_timeout) {
  make_folders(std::filesystem::path(socket_path()).parent_path());
  const SilentListener listener(socket_path());
  const ProcessResult result =
      ctl({"--socket", socket_path(), "--timeout", "200", "status", "--json"});
  EXPECT_EQ(result.exit_code, kExitNoAgent);
  EXPECT_NE(result.err.find("no answer within 200 ms"), std::string::npos) << result.err;
}

TEST_F(GatelinkctlTest, answers_that_are_not_a_status_object_exit_2) {
  ASSERT_TRUE(open_endpoint().ok());
  for (const char* answer : {"not json at all", "[1, 2, 3]", "\"connected\"",
                             R"({"error": "unknown request"})", R"({"state": "connected")"}) {
    set_document(answer);
    for (const bool as_json : {true, false}) {
      const ProcessResult result = status(as_json);
      EXPECT_EQ(result.exit_code, kExitNoAgent) << answer;
      EXPECT_TRUE(result.out.empty()) << answer << ": " << result.out;
      EXPECT_FALSE(result.err.empty()) << answer;
    }
  }
}

TEST_F(GatelinkctlTest, unexpected_but_valid_documents_still_render) {
  ASSERT_TRUE(open_endpoint().ok());
  set_document(R"({"state": "connected", "heartbeat": "fast", "gateways": {"x": 1}})");
  const ProcessResult result = status(/*as_json=*/false);
  EXPECT_EQ(result.exit_code, kExitConnected) << result.err;
  EXPECT_NE(result.out.find("agent       —"), std::string::npos) << result.out;
}

TEST_F(GatelinkctlTest, socket_comes_from_the_environment_when_not_given) {
  set_snapshot(connected_snapshot(system_clock::now()));
  ASSERT_TRUE(open_endpoint().ok());
  const ProcessResult result = ctl({"status"}, {"GATELINK_SOCKET=" + socket_path()});
  EXPECT_EQ(result.exit_code, kExitConnected) << result.err;
  // An explicit --socket wins over the environment.
  const ProcessResult explicit_path =
      ctl({"--socket", socket_path() + ".none", "status"}, {"GATELINK_SOCKET=" + socket_path()});
  EXPECT_EQ(explicit_path.exit_code, kExitNoAgent);
}

/// Passes when no line of `text` is wider than 80 columns (code points).
::testing::AssertionResult fits_80_columns(const std::string& text) {
  std::size_t columns = 0;
  for (const char c : text) {
    if (c == '\n') {
      columns = 0;
    } else if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U && ++columns > 80) {
      return ::testing::AssertionFailure() << "a line passes 80 columns in:\n" << text;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST_F(GatelinkctlTest, on_failover_the_first_two_lines_say_where_and_why) {
  set_snapshot(on_failover_snapshot(system_clock::now()));
  ASSERT_TRUE(open_endpoint().ok());
  const ProcessResult text = status(/*as_json=*/false);
  ASSERT_EQ(text.exit_code, kExitConnected) << text.err;
  EXPECT_EQ(text.out.rfind("status      connected to failover 1 of 2 gw2.example.test for ", 0), 0u)
      << text.out;
  EXPECT_NE(text.out.find("\nwhy         primary gw1.example.test: refused in the TLS handshake: "
                          "its\n            certificate has expired; next failback probe in "),
            std::string::npos)
      << text.out;
  EXPECT_TRUE(fits_80_columns(text.out));

  const ProcessResult json = status(/*as_json=*/true);
  ASSERT_EQ(json.exit_code, kExitConnected) << json.err;
  const Json doc = Json::parse(json.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << json.out;
  EXPECT_EQ(nlohmann::ordered_json::parse(json.out).begin().key(), "summary")
      << "the summary comes first";
  const Json& summary = doc["summary"];
  EXPECT_EQ(summary["connected"], true);
  EXPECT_EQ(summary["text"].get<std::string>().rfind("connected to failover 1 of 2 gw2", 0), 0u);
  EXPECT_EQ(summary["why"].get<std::string>().rfind(
                "primary gw1.example.test: refused in the TLS handshake: its certificate has "
                "expired; next failback probe in ",
                0),
            0u)
      << summary;
  EXPECT_EQ(summary["reason"], "expired");
  EXPECT_EQ(summary["reason_gateway"], "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(summary["position"], 1);
  EXPECT_EQ(summary["of"], 2);
  EXPECT_EQ(doc["position"], 1) << "the agent's own document follows unchanged";
}

TEST_F(GatelinkctlTest, every_state_reads_at_a_glance_and_exits_by_connected) {
  ASSERT_TRUE(open_endpoint().ok());
  const auto now = system_clock::now();
  struct Case {
    const char* name;
    StatusSnapshot snapshot;
    int exit_code;
    std::string headline;
    std::string why;
  };
  StatusSnapshot connecting = three_gateways_not_connected(now, ConnectionState::connecting);
  connecting.attempt = StatusSnapshot::Attempt{"gw2.example.test@127.0.0.1:15802", 1};
  StatusSnapshot backoff = three_gateways_not_connected(now, ConnectionState::backoff);
  backoff.next_retry = now + seconds{30};
  backoff.gateways[2].last_error = "connect-timeout";
  StatusSnapshot pending = connected_snapshot(now);
  pending.topology.pending = PendingTopologyStatus{
      0, 9, "gw9.example.test@127.0.0.1:15809", {}, now - seconds{5}, "connect-refused", ""};
  StatusSnapshot damped = connected_snapshot(now);
  damped.failback = {120000, 30000};
  const std::vector<Case> cases = {
      {"connected on primary", connected_snapshot(now), kExitConnected,
       "connected to primary gw1.example.test for ", "on its primary gateway; nothing to do"},
      {"on failover", on_failover_snapshot(now), kExitConnected,
       "connected to failover 1 of 2 gw2.example.test for ",
       "primary gw1.example.test: refused in the TLS handshake:"},
      {"connecting", connecting, kExitNotConnected,
       "NOT connected: connecting to failover 1 of 2 gw2.example.test for ",
       "primary gw1.example.test: refused in the TLS handshake:"},
      {"backoff", backoff, kExitNotConnected,
       "NOT connected: all 3 gateways failed, next attempt in ",
       "primary gw1.example.test: refused in the TLS handshake: its certificate has expired; "
       "failover 2 of 2 gw3.example.test: did not accept the connection in time"},
      {"topology pending", pending, kExitConnected, "connected to primary gw1.example.test for ",
       "new topology (generation 9) waits for its primary gw9.example.test: refused the "
       "connection"},
      {"flap damped", damped, kExitConnected, "connected to primary gw1.example.test for ",
       "failback needs 2m00s stable after a flap (configured 30s)"},
      {"stopped", not_connected_snapshot(now, ConnectionState::stopped), kExitNotConnected,
       "NOT connected: the agent is stopping", ""},
  };
  for (const Case& c : cases) {
    set_snapshot(c.snapshot);
    const ProcessResult json = status(/*as_json=*/true);
    EXPECT_EQ(json.exit_code, c.exit_code) << c.name << ": " << json.err;
    const Json doc = Json::parse(json.out, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << c.name << ": " << json.out;
    EXPECT_EQ(doc["summary"]["text"].get<std::string>().rfind(c.headline, 0), 0u)
        << c.name << ": " << doc["summary"];
    if (c.why.empty()) {
      EXPECT_TRUE(doc["summary"]["why"].is_null()) << c.name << ": " << doc["summary"];
    } else {
      EXPECT_EQ(doc["summary"]["why"].get<std::string>().rfind(c.why, 0), 0u)
          << c.name << ": " << doc["summary"];
    }
    const ProcessResult text = status(/*as_json=*/false);
    EXPECT_EQ(text.exit_code, c.exit_code) << c.name;
    EXPECT_EQ(text.out.rfind("status      " + c.headline.substr(0, 30), 0), 0u)
        << c.name << ":\n" << text.out;
    EXPECT_TRUE(fits_80_columns(text.out)) << c.name;
  }
}

TEST_F(GatelinkctlTest, topology_shows_in_use_pending_and_last_known_good) {
  StatusSnapshot snapshot = connected_snapshot(system_clock::now());
  snapshot.topology.generation = 7;
  snapshot.topology.source = "pushed";
  snapshot.topology.received_from = "gw1.example.test@127.0.0.1:15801";
  snapshot.topology.received_at = system_clock::now() - minutes{5};
  snapshot.topology.pending = PendingTopologyStatus{
      0, 8, "gw9.example.test@127.0.0.1:15809", {"gw1.example.test@127.0.0.1:15801"},
      system_clock::now(), "connect-refused", "gw1.example.test@127.0.0.1:15801"};
  snapshot.topology.last_known_good = 6;
  snapshot.topology.last_known_good_topology = StoredTopologyStatus{
      0, 6, "gw2.example.test@127.0.0.1:15802", {}, "gw2.example.test@127.0.0.1:15802", std::nullopt};
  set_snapshot(snapshot);
  ASSERT_TRUE(open_endpoint().ok());
  const ProcessResult text = ctl({"--socket", socket_path(), "topology"});
  ASSERT_EQ(text.exit_code, kExitConnected) << text.err;
  for (const char* part :
       {"in use: generation 7 (pushed)\n  received    from gw1.example.test@127.0.0.1:15801 at ",
        "  primary     gw1.example.test@127.0.0.1:15801\n"
        "  failover 1  gw2.example.test@127.0.0.1:15802\n",
        "pending: generation 8, waiting for its primary\n",
        "  primary     gw9.example.test@127.0.0.1:15809\n",
        "  last error  connect-refused: refused the connection",
        "last known good (kept to fall back on): generation 6\n"}) {
    EXPECT_NE(text.out.find(part), std::string::npos) << part << " in:\n" << text.out;
  }
  EXPECT_TRUE(fits_80_columns(text.out));

  const ProcessResult json = ctl({"--socket", socket_path(), "topology", "--json"});
  ASSERT_EQ(json.exit_code, kExitConnected) << json.err;
  const Json doc = Json::parse(json.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << json.out;
  EXPECT_EQ(doc["current"]["generation"], 7);
  EXPECT_EQ(doc["current"]["failover"], Json::array({"gw2.example.test@127.0.0.1:15802"}));
  EXPECT_EQ(doc["pending"]["primary"], "gw9.example.test@127.0.0.1:15809");
  EXPECT_EQ(doc["last_known_good"]["generation"], 6);
  EXPECT_EQ(doc["last_known_good"]["primary"], "gw2.example.test@127.0.0.1:15802");
}

TEST_F(GatelinkctlTest, topology_without_agent_exits_2) {
  const ProcessResult result = ctl({"--socket", socket_path(), "topology", "--json"});
  EXPECT_EQ(result.exit_code, kExitNoAgent);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find(socket_path()), std::string::npos) << result.err;
}

TEST_F(GatelinkctlTest, a_misspelt_command_is_named_with_a_suggestion_and_exits_64) {
  const ProcessResult stauts = ctl({"stauts"});
  EXPECT_EQ(stauts.exit_code, kExitUsage);
  EXPECT_NE(stauts.err.find("unknown command 'stauts' (did you mean 'status'?)"),
            std::string::npos)
      << stauts.err;
  const ProcessResult chek = ctl({"cert", "chek"});
  EXPECT_EQ(chek.exit_code, kExitUsage);
  EXPECT_NE(chek.err.find("unknown command 'cert chek' (did you mean 'cert check'?)"),
            std::string::npos)
      << chek.err;
  const ProcessResult far = ctl({"reboot"});
  EXPECT_EQ(far.exit_code, kExitUsage);
  EXPECT_NE(far.err.find("unknown command 'reboot'"), std::string::npos) << far.err;
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
  // Options are not commands.
  const ProcessResult option = ctl({"--bogus", "status"});
  EXPECT_EQ(option.exit_code, kExitUsage);
  EXPECT_NE(option.err.find("--bogus"), std::string::npos) << option.err;
}

TEST_F(GatelinkctlTest, version_and_help_exit_0_and_usage_errors_exit_64) {
  const ProcessResult version = ctl({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("gatelinkctl "), std::string::npos) << version.out;
  const ProcessResult help = ctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("status"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--socket"), std::string::npos) << help.out;
  for (const char* part : {"topology", "cert", "docs/OPERATIONS.md"}) {
    EXPECT_NE(help.out.find(part), std::string::npos) << part << " in:\n" << help.out;
  }
  EXPECT_EQ(ctl({}).exit_code, kExitUsage);
  EXPECT_EQ(ctl({"status", "--bogus"}).exit_code, kExitUsage);
  EXPECT_EQ(ctl({"restart"}).exit_code, kExitUsage);
}

}  // namespace
}  // namespace gatelink::test
