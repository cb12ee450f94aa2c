// gatelinkctl as on-site staff run it: a child process against an in-process status endpoint.

#include <filesystem>
#include <nlohmann/json.hpp>

#include "integration/ctl_support.hpp"
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
  EXPECT_NE(result.out.find("state       connected to gw1.example.test@127.0.0.1:15801 (primary)"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("last rtt 0.412 ms"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("last error: connect-refused"), std::string::npos) << result.out;
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
  std::filesystem::create_directories(std::filesystem::path(socket_path()).parent_path());
  make_stale_socket(socket_path());
  const ProcessResult result = status(/*as_json=*/false);
  EXPECT_EQ(result.exit_code, kExitNoAgent);
  EXPECT_NE(result.err.find("refused"), std::string::npos) << result.err;
}

TEST_F(GatelinkctlTest, agent_that_never_answers_exits_2_after_the_timeout) {
  std::filesystem::create_directories(std::filesystem::path(socket_path()).parent_path());
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

TEST_F(GatelinkctlTest, version_and_help_exit_0_and_usage_errors_exit_64) {
  const ProcessResult version = ctl({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("gatelinkctl "), std::string::npos) << version.out;
  const ProcessResult help = ctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("status"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--socket"), std::string::npos) << help.out;
  EXPECT_EQ(ctl({}).exit_code, kExitUsage);
  EXPECT_EQ(ctl({"status", "--bogus"}).exit_code, kExitUsage);
  EXPECT_EQ(ctl({"restart"}).exit_code, kExitUsage);
}

}  // namespace
}  // namespace gatelink::test
