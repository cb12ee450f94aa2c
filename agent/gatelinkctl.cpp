// gatelinkctl: what on-site staff run to ask the agent on this host how it is doing.
//   gatelinkctl [--socket PATH] status [--json]
// Exit status: 0 connected to a gateway, 3 running but not connected, 2 no agent answers.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "status_client.hpp"
#include "status_text.hpp"

namespace {

using Json = nlohmann::ordered_json;

constexpr char kDefaultSocket[] = "/run/gatelink/agent.sock";
constexpr char kSocketEnvironment[] = "GATELINK_SOCKET";
/// Longer than the agent's own per-client deadline, so that its answer wins the race.
constexpr int kDefaultTimeoutMs = 5000;

constexpr int kExitConnected = 0;
constexpr int kExitFailure = 1;  ///< a bug in gatelinkctl itself
constexpr int kExitNoAgent = 2;
constexpr int kExitNotConnected = 3;
constexpr int kExitUsage = 64;  ///< EX_USAGE: kept apart from the statuses scripts test for

int no_agent(const std::string& socket_path, const std::string& why) {
  std::cerr << "gatelinkctl: no agent answers on " << socket_path << ": " << why << '\n';
  return kExitNoAgent;
}

int status(const std::string& socket_path, std::chrono::milliseconds timeout, bool as_json,
           const gatelink::ServerTrustPolicy& trust) {
  gatelink::Result<std::string> answer = gatelink::request_status(socket_path, timeout, trust);
  if (!answer) return no_agent(socket_path, answer.error().message);

  const Json document = Json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return no_agent(socket_path, "the answer is not a JSON status object");
  }
  if (document.contains("error") && !document.contains("state")) {
    const Json& error = document["error"];
    return no_agent(socket_path, "the agent refused the request: " +
                                     (error.is_string() ? error.get<std::string>() : error.dump()));
  }

  if (as_json) {
    // ensure_ascii: a bidi override or a C1 control from a peer reaches the terminal as \uXXXX.
    std::cout << document.dump(2, ' ', true, Json::error_handler_t::replace) << '\n';
  } else {
    std::cout << gatelink::render_status_text(document, std::chrono::system_clock::now());
  }
  std::cout.flush();

  const auto state = document.find("state");
  const bool connected =
      state != document.end() && state->is_string() && state->get<std::string>() == "connected";
  return connected ? kExitConnected : kExitNotConnected;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"Asks the gatelink agent running on this host for its status.", "gatelinkctl"};
    app.set_version_flag("--version", std::string("gatelinkctl ") + GATELINK_VERSION);
    std::string socket_path = kDefaultSocket;
    app.add_option("--socket", socket_path, "the agent's status socket")
        ->envname(kSocketEnvironment)
        ->capture_default_str();
    int timeout_ms = kDefaultTimeoutMs;
    app.add_option("--timeout", timeout_ms, "how long to wait for the answer, in ms")
        ->check(CLI::Range(1, 600'000))
        ->capture_default_str();
    std::string agent_user = gatelink::kAgentUserName;
    CLI::Option* agent_user_option =
        app.add_option("--agent-user", agent_user,
                       "the user the agent runs as: only its, root's or your own answers are "
                       "believed")
            ->envname("GATELINK_AGENT_USER")
            ->capture_default_str();
    app.require_subcommand(1);
    app.footer(
        "Exit status: 0 connected to a gateway, 3 running but not connected, 2 no agent "
        "answers.");

    CLI::App* status_command = app.add_subcommand("status", "show the agent's status");
    bool as_json = false;
    status_command->add_flag("--json", as_json, "print the agent's status as one JSON object");

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int code = app.exit(e);  // prints help, version or the usage error
      return code == 0 ? 0 : kExitUsage;
    }
    auto trust =
        gatelink::ServerTrustPolicy::for_agent_user(agent_user, agent_user_option->count() > 0);
    if (!trust) return no_agent(socket_path, trust.error().message);
    return status(socket_path, std::chrono::milliseconds(timeout_ms), as_json, *trust);
  } catch (const std::exception& e) {
    std::cerr << "gatelinkctl: internal error: " << e.what() << '\n';
    return kExitFailure;
  }
}
