// gatelink-agent: hosts the endpoint plugin as a daemon — configuration, logging, the local
// status endpoint, and the platform's supervisor (service_runtime.hpp: signals and systemd
// readiness and watchdog on Linux, the service control manager or a console on Windows). The
// endpoint runs in libgatelink.so (gatelink.dll), driven through its C ABI like any host's
// (gatelink/gatelink.hpp).

#include <spdlog/spdlog.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>

#include "common/escape.hpp"
#include "endpoint/endpoint.hpp"
#include "gatelink/gatelink.hpp"
#include "service_runtime.hpp"
#include "signature/key_ring.hpp"
#include "status_endpoint.hpp"
#include "store/durable_file.hpp"
#include "store/startup_topology.hpp"
#include "tls/certificate_info.hpp"
#include "tls/reloading_context.hpp"

namespace {

namespace asio = boost::asio;

constexpr int kExitUsage = 64;  ///< EX_USAGE, as gatelinkctl's (docs/OPERATIONS.md "Exit codes")

struct Options {
  std::string config;
  bool check_config = false;
  bool config_reference = false;
  std::string log_level = "info";
};

void setup_logging(gatelink::ServiceRuntime& runtime, const std::string& name,
                   const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>("agent", runtime.log_sink());
  spdlog::register_logger(logger);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l agent=" + name + " %v",
                      spdlog::pattern_time_type::utc);
  // Every line reaches its sink at once: a Windows service's log is a file that someone tails
  // while the agent fails over (one line per event, so this costs little).
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  // The library's lines below this level are not even made. GATELINK_LOG_* follow spdlog's
  // order trace … critical.
  gatelink_set_log_level(static_cast<int>(spdlog::get_level()));
}

/// The library's log lines, in the agent's log (the agent owns logging).
gatelink::embedded::LogHandler library_log() {
  return gatelink::embedded::LogHandler([logger = spdlog::default_logger()](
                                            int level, std::string_view line) {
    logger->log(static_cast<spdlog::level::level_enum>(level), "{}", line);
  });
}

/// --check-config: everything a start would check, read-only. Uses the modules directly and never
/// opens the endpoint: it creates, removes and locks nothing, so it is safe beside a running
/// agent (which may be saving a topology that very moment), and says what a start would do.
int check_config(const gatelink::AgentConfig& config) {
  using gatelink::printable;
  int problems = 0;
  const auto problem = [&problems](const std::string& message) {
    std::fprintf(stderr, "gatelink-agent: %s\n", printable(message).c_str());
    ++problems;
  };
  std::printf("configuration %s read\n", printable(config.source).c_str());
  std::printf("agent %s, management group %s\n", printable(config.name).c_str(),
              printable(config.management_group).c_str());
  std::printf("bootstrap gateways: %zu (primary %s)\n", config.bootstrap.ordered().size(),
              printable(config.bootstrap.primary.to_string()).c_str());

  // Certificates and key as a start builds them (the key file's permissions included).
  const gatelink::tls::Files files{
      .ca = config.tls.ca, .cert = config.tls.cert, .key = config.tls.key, .crl = config.tls.crl};
  auto context =
      gatelink::tls::ReloadingContext::create(files, &gatelink::tls::make_client_context);
  if (!context) problem(context.error().message);
  if (auto cert = gatelink::tls::read_certificate_info(config.tls.cert); !cert) {
    problem(cert.error().message);
  } else {
    const auto days_left = std::chrono::duration_cast<std::chrono::days>(
                               cert->not_after - std::chrono::system_clock::now())
                               .count();
    std::printf("certificate %s, %lld days left\n", printable(cert->subject).c_str(),
                static_cast<long long>(days_left));
    if (days_left < 0) problem("the agent certificate has expired");
  }

  // The management group's keys: a start refuses a key file it cannot use.
  if (config.management_group_keys.empty()) {
    std::printf(
        "topology signatures: not checked (no <management-group-keys>): any gateway with "
        "a valid certificate may change this agent's topology\n");
  }
  std::vector<gatelink::signature::PublicKey> keys;
  for (const auto& file : config.management_group_keys) {
    if (auto key = gatelink::signature::PublicKey::load(file); !key) {
      problem("<management-group-keys>: " + key.error().message);
    } else {
      std::printf("management-group key %s: %s\n", printable(file).c_str(),
                  key->fingerprint().c_str());
      keys.push_back(std::move(*key));
    }
  }

  // The state folder, looked at as the store would open it.
  const std::string state = printable(config.state_dir);
  auto found = gatelink::TopologyStore::inspect(config.state_dir);
  if (found.refused) {
    problem("state folder " + config.state_dir + ": " + *found.refused +
            " (the agent would refuse to start)");
  } else if (!found.folder_exists) {
    const std::string access(gatelink::private_folder_access());
    std::printf("state folder %s: would create it (%s)\n", state.c_str(), access.c_str());
  } else if (found.holder) {
    std::printf("state folder %s: an agent, %s, holds it (another agent would refuse to start)\n",
                state.c_str(), gatelink::to_string(*found.holder).c_str());
  } else if (!found.stale_temp_files.empty()) {
    std::printf("state folder %s: would remove %zu stale temporary files\n", state.c_str(),
                found.stale_temp_files.size());
  } else {
    std::printf("state folder %s: usable\n", state.c_str());
  }
  // What the agent would start with: the persisted topology beats the bootstrap list.
  // Checked as the agent would at start: a key that does not load is a problem above, and
  // checking with the others alone could only refuse more.
  const gatelink::TopologyTrust trust{.agent = config.name,
                                      .management_group = config.management_group,
                                      .keys = gatelink::signature::KeyRing(std::move(keys))};
  const auto chosen = gatelink::choose_startup_topology(found.store, config.bootstrap, trust,
                                                        std::chrono::system_clock::now());
  for (const auto& skipped : chosen.fallbacks) {
    std::printf("topology skipped: %s\n", printable(skipped).c_str());
  }
  std::printf("topology in use: epoch %llu generation %llu (%s), primary %s, %zu failover\n",
              static_cast<unsigned long long>(chosen.topology.epoch),
              static_cast<unsigned long long>(chosen.topology.generation),
              std::string(gatelink::to_string(chosen.origin)).c_str(),
              printable(chosen.topology.primary.to_string()).c_str(),
              chosen.topology.failover.size());

  // The status endpoint's place (a socket's folder, held to the same rules; a pipe's name).
  const auto place = gatelink::check_status_endpoint_place(config.status_socket);
  for (const auto& note : place.notes) std::printf("%s\n", printable(note).c_str());
  for (const auto& refused : place.problems) problem(refused);
  if (problems != 0) {
    std::printf("configuration %s: %d problem(s); the agent would not start\n",
                printable(config.source).c_str(), problems);
    return 1;
  }
  std::printf("configuration %s is valid\n", printable(config.source).c_str());
  return 0;
}

/// Runs the endpoint through libgatelink's C ABI, as any host does, until the platform's
/// supervisor asks it to stop.
int run(const gatelink::AgentConfig& config, gatelink::ServiceRuntime& runtime) {
  const auto log = library_log();
  std::optional<gatelink::embedded::Endpoint> endpoint;
  try {
    endpoint.emplace(config.source);
  } catch (const gatelink::embedded::Error& e) {
    spdlog::error("event=start-failed error=\"{}\"", e.what());
    return 1;
  }

  asio::io_context io(1);
  auto status = gatelink::open_status_endpoint(io, config.status_socket,
                                               [&endpoint] { return endpoint->status_json(); });
  if (!status) {
    spdlog::error("event=start-failed error=\"status endpoint: {}\"", status.error().message);
    return 1;
  }

  const auto watch = runtime.watch(
      io, {.stop = [&io] { io.stop(); }, .reload = [&endpoint] { endpoint->reload(); }});

  endpoint->start();
  spdlog::info("event=started version={} config={} status_socket={}", gatelink_version(),
               config.source, config.status_socket);
  runtime.ready([&endpoint](std::chrono::milliseconds bound) { return endpoint->alive(bound); });
  io.run();

  runtime.stopping();  // the watchdog stops first: a stopping endpoint is not a stuck one
  (*status)->close();
  endpoint->stop();
  spdlog::info("event=stopped");
  return 0;
}

/// Everything after the command line, run the way the platform runs the agent.
int agent(const Options& o, gatelink::ServiceRuntime& runtime) {
  auto config = gatelink::load_agent_config(o.config);
  if (!config) {
    runtime.early_error(config.error().message);
    return 1;
  }
  setup_logging(runtime, config->name, o.log_level);
  if (o.check_config) return check_config(*config);
  try {
    return run(*config, runtime);
  } catch (const std::exception& e) {
    spdlog::critical("event=crashed error=\"{}\"", e.what());
    return 1;
  }
}

/// One malloc arena for the whole agent. glibc gives each thread that allocates an arena of its
/// own (64 MiB reserved, and whatever it touched resident for good); the agent's few threads
/// (this one, the endpoint's, the watchdog's) allocate little and seldom, so sharing one costs
/// no contention worth having and saves what the others would hold (docs/BENCHMARKS.md "Agent
/// at rest"). Before any thread exists: an arena is never given back.
void share_one_malloc_arena() {
#if defined(M_ARENA_MAX)
  mallopt(M_ARENA_MAX, 1);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  share_one_malloc_arena();
  Options o;
  const auto runtime = gatelink::make_service_runtime();
  CLI::App app{"gatelink-agent: keeps this host connected to its management group's gateways."};
  app.set_version_flag("--version", std::string("gatelink-agent ") +
                                        std::string(gatelink::version()));
  auto* config_option = app.add_option("--config", o.config, "agent configuration file (XML)");
  auto* reference = app.add_flag("--config-reference", o.config_reference,
                                 "print the configuration reference (Markdown) and exit");
  config_option->excludes(reference);
  app.add_flag("--check-config", o.check_config,
               "validate the configuration, certificates and key, then exit (0 valid, 1 not)");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  runtime->add_options(app);
  app.footer(
      "Exit status: 0 stopped on SIGTERM/SIGINT, or --check-config: valid; 1 could not start\n"
      "(configuration, certificates, key, state folder, status socket) or crashed, or\n"
      "--check-config: invalid; 64 usage error. All programs: docs/OPERATIONS.md, \"Exit codes\".");
  try {
    app.parse(argc, argv);
    if (!o.config_reference && o.config.empty()) throw CLI::RequiredError("--config");
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    // One usage code, apart from 1 (could not start), whatever CLI11 calls the mistake.
    std::fprintf(stderr, "gatelink-agent: %s; see gatelink-agent --help\n",
                 gatelink::printable(e.what()).c_str());
    return kExitUsage;
  }
  if (o.config_reference) {
    std::fputs(gatelink::config_reference_markdown().c_str(), stdout);
    return 0;
  }

  return runtime->run([&o](gatelink::ServiceRuntime& r) { return agent(o, r); });
}
