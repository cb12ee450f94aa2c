// gatelinkctl: what on-site staff run on the host to ask the agent how it is doing, and to check
// the agent's certificate files without the agent.
//   gatelinkctl [--socket PATH] [--timeout MS] status [--json]
//   gatelinkctl [--socket PATH] [--timeout MS] topology [--json]
//   gatelinkctl cert check [--config FILE]
//   gatelinkctl bootstrap-config --out FILE --agent NAME ... (installers; bootstrap_command.hpp)
// Exit status (docs/OPERATIONS.md, "Exit codes"): 0 connected (status), answered (topology),
// usable (cert check) or written (bootstrap-config); 1 not usable (cert check) or a bad value
// (bootstrap-config); 2 no agent answers; 3 running but not connected (status); 64 usage;
// 70 internal error.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bootstrap_command.hpp"
#include "cert_check.hpp"
#include "common/escape.hpp"
#include "config/agent_config.hpp"
#include "status_client.hpp"
#include "status_summary.hpp"
#include "status_text.hpp"
#include "config/platform_defaults.hpp"

namespace {

using Json = nlohmann::ordered_json;

constexpr char kSocketEnvironment[] = "GATELINK_SOCKET";
/// Longer than the agent's own per-client deadline, so that its answer wins the race.
constexpr int kDefaultTimeoutMs = 5000;
/// A misspelt command this close to a real one (edits) gets a suggestion.
constexpr std::size_t kSuggestionDistance = 2;

constexpr int kExitOk = 0;          ///< connected, answered, usable
constexpr int kExitNotUsable = 1;   ///< cert check: the files would not work
constexpr int kExitNoAgent = 2;
constexpr int kExitNotConnected = 3;
constexpr int kExitUsage = 64;      ///< EX_USAGE: kept apart from the statuses scripts test for
constexpr int kExitInternal = 70;   ///< EX_SOFTWARE: a bug in gatelinkctl itself

constexpr char kFooter[] =
    "Exit status: 0 connected (status), answered (topology), usable (cert check) or\n"
    "written (bootstrap-config); 1 not usable (cert check) or a bad value (bootstrap-config);\n"
    "2 no agent answers; 3 running but not connected;\n"
    "64 usage error; 70 internal error. All programs: docs/OPERATIONS.md, \"Exit codes\".";

int no_agent(const std::string& socket_path, const std::string& why) {
  std::cerr << "gatelinkctl: no agent answers on " << gatelink::printable(socket_path) << ": "
            << gatelink::printable(why) << '\n';
  return kExitNoAgent;
}

/// The agent's status document, or the exit code that says why there is none.
struct Answer {
  std::optional<Json> document;
  int exit_code = kExitOk;
};

Answer ask_agent(const std::string& socket_path, std::chrono::milliseconds timeout,
                 const gatelink::ServerTrustPolicy& trust) {
  gatelink::Result<std::string> answer = gatelink::request_status(socket_path, timeout, trust);
  if (!answer) return {std::nullopt, no_agent(socket_path, answer.error().message)};

  Json document = Json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return {std::nullopt, no_agent(socket_path, "the answer is not a JSON status object")};
  }
  if (document.contains("error") && !document.contains("state")) {
    const Json& error = document["error"];
    return {std::nullopt,
            no_agent(socket_path, "the agent refused the request: " +
                                      (error.is_string() ? error.get<std::string>() : error.dump()))};
  }
  return {std::move(document), kExitOk};
}

/// ensure_ascii: a bidi override or a C1 control from a peer reaches the terminal as \uXXXX.
void print_json(const Json& value) {
  std::cout << value.dump(2, ' ', true, Json::error_handler_t::replace) << '\n';
}

int status(const std::string& socket_path, std::chrono::milliseconds timeout,
           const gatelink::ServerTrustPolicy& trust, bool as_json) {
  Answer answer = ask_agent(socket_path, timeout, trust);
  if (!answer.document) return answer.exit_code;
  const Json& document = *answer.document;
  const auto now = std::chrono::system_clock::now();
  const gatelink::StatusSummary summary = gatelink::summarize_status(document, now);
  if (as_json) {
    // The agent's document with gatelinkctl's reading of it first.
    Json out = Json::object();
    out["summary"] = gatelink::summary_json(summary);
    for (const auto& [key, value] : document.items()) {
      if (key != "summary") out[key] = value;
    }
    print_json(out);
  } else {
    std::cout << gatelink::render_status_text(document, now);
  }
  std::cout.flush();
  return summary.connected ? kExitOk : kExitNotConnected;
}

int topology(const std::string& socket_path, std::chrono::milliseconds timeout,
             const gatelink::ServerTrustPolicy& trust, bool as_json) {
  Answer answer = ask_agent(socket_path, timeout, trust);
  if (!answer.document) return answer.exit_code;
  if (as_json) {
    print_json(gatelink::topology_json(*answer.document));
  } else {
    std::cout << gatelink::render_topology_text(*answer.document, std::chrono::system_clock::now());
  }
  std::cout.flush();
  return kExitOk;
}

int cert_check(const std::string& config_path) {
  auto config = gatelink::load_agent_config(config_path);
  if (!config) {
    std::cout << "PROBLEM      " << gatelink::printable(config.error().message) << '\n'
              << "NOT usable: the configuration does not load\n";
    return kExitNotUsable;
  }
  const gatelink::CertCheck check =
      gatelink::check_agent_certificate(*config, std::chrono::system_clock::now());
  std::cout << gatelink::render_cert_check(check);
  std::cout.flush();
  return check.usable() ? kExitOk : kExitNotUsable;
}

/// Edits (insert, delete, replace, swap of neighbours) between `a` and `b`.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

/// `unknown command 'stauts' (did you mean 'status'?)` for the first word no command took.
int unknown_command(const CLI::App& app, const std::string& prefix, const std::string& word) {
  if (word.starts_with('-')) {
    std::cerr << "gatelinkctl: unknown option '" << gatelink::printable(word)
              << "'; see gatelinkctl --help\n";
    return kExitUsage;
  }
  std::string message = "gatelinkctl: unknown command '" + gatelink::printable(prefix + word) + "'";
  std::optional<std::string> best;
  std::size_t best_distance = kSuggestionDistance + 1;
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
    const std::size_t distance = edit_distance(word, command->get_name());
    if (distance < best_distance) {
      best = command->get_name();
      best_distance = distance;
    }
  }
  if (best) message += " (did you mean '" + prefix + *best + "'?)";
  std::cerr << message << "; see gatelinkctl --help\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"Asks the gatelink agent running on this host how it is doing, and checks its "
                 "certificate files.",
                 "gatelinkctl"};
    app.set_version_flag("--version", std::string("gatelinkctl ") + GATELINK_VERSION);
    std::string socket_path = gatelink::default_status_endpoint();
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
    app.require_subcommand(0, 1);
    app.footer(kFooter);

    CLI::App* status_command = app.add_subcommand(
        "status", "connected or not, through which gateway and why (exit 0 connected, 3 not)");
    bool status_json = false;
    status_command->add_flag("--json", status_json,
                             "print the agent's status as one JSON object, with a summary");

    CLI::App* topology_command = app.add_subcommand(
        "topology", "the topology in use, the pending one and the last known good");
    bool topology_json = false;
    topology_command->add_flag("--json", topology_json, "print them as one JSON object");

    CLI::App* cert_command =
        app.add_subcommand("cert", "the agent's certificate files (works without the agent)");
    cert_command->require_subcommand(0, 1);
    CLI::App* check_command = cert_command->add_subcommand(
        "check", "whether certificate, key, CA and CRL are usable (exit 0 usable, 1 not)");
    std::string config_path = gatelink::kDefaultConfigFile;
    check_command->add_option("--config", config_path, "the agent configuration")
        ->capture_default_str();
    const gatelink::BootstrapCommand bootstrap_command(app);
    // Words no command takes are kept, so that the error names them (see unknown_command).
    app.allow_extras();
    cert_command->allow_extras();

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
      std::cerr << "gatelinkctl: " << gatelink::printable(e.what()) << "; see gatelinkctl --help\n";
      return kExitUsage;
    }
    if (cert_command->parsed()) {
      if (!check_command->parsed()) {
        if (!cert_command->remaining().empty()) {
          return unknown_command(*cert_command, "cert ", cert_command->remaining().front());
        }
        std::cerr << "gatelinkctl: cert needs a command: cert check [--config FILE]\n";
        return kExitUsage;
      }
      return cert_check(config_path);
    }
    if (bootstrap_command.parsed()) return bootstrap_command.run();
    if (!app.remaining().empty()) return unknown_command(app, "", app.remaining().front());
    const std::chrono::milliseconds timeout(timeout_ms);
    auto trust =
        gatelink::ServerTrustPolicy::for_agent_user(agent_user, agent_user_option->count() > 0);
    if (!trust) return no_agent(socket_path, trust.error().message);
    if (status_command->parsed()) return status(socket_path, timeout, *trust, status_json);
    if (topology_command->parsed()) return topology(socket_path, timeout, *trust, topology_json);
    std::cerr << "gatelinkctl: a command is required (status, topology or cert check); see "
                 "gatelinkctl --help\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "gatelinkctl: internal error: " << e.what() << '\n';
    return kExitInternal;
  }
}
