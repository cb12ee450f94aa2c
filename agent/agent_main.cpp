// gatelink-agent: hosts the endpoint plugin as a daemon — configuration, logging, signals,
// systemd readiness and watchdog, and the local status endpoint. The endpoint runs in
// libgatelink.so, driven through its C ABI like any host's (gatelink/gatelink.hpp).

#include <systemd/sd-daemon.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "endpoint/endpoint.hpp"
#include "gatelink/gatelink.hpp"
#include "status_endpoint.hpp"
#include "systemd_watchdog.hpp"

namespace {

namespace asio = boost::asio;

struct Options {
  std::string config;
  bool check_config = false;
  bool config_reference = false;
  std::string log_level = "info";
};

void setup_logging(const std::string& name, const std::string& level) {
  auto logger = spdlog::stderr_color_mt("agent");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l agent=" + name + " %v",
                      spdlog::pattern_time_type::utc);
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

int check_config(const gatelink::AgentConfig& config) {
  auto endpoint = gatelink::Endpoint::open(config);
  if (!endpoint) {
    std::fprintf(stderr, "gatelink-agent: %s\n", endpoint.error().message.c_str());
    return 1;
  }
  const auto status = (*endpoint)->status();
  std::printf("configuration %s is valid\n", config.source.c_str());
  std::printf("agent %s, management group %s\n", config.name.c_str(),
              config.management_group.c_str());
  std::printf("bootstrap gateways: %zu (primary %s)\n", config.bootstrap.ordered().size(),
              config.bootstrap.primary.to_string().c_str());
  // What the agent would start with: the persisted topology beats the bootstrap list.
  std::printf("topology in use: generation %llu (%s), primary %s, %zu failover\n",
              static_cast<unsigned long long>(status.topology.generation),
              status.topology.source.c_str(), status.topology.primary.c_str(),
              status.topology.failover.size());
  std::printf("certificate %s, %lld days left\n", status.certificate.subject.c_str(),
              static_cast<long long>(status.certificate.days_left.value_or(0)));
  if (status.certificate.days_left.value_or(0) < 0) {
    std::fprintf(stderr, "gatelink-agent: the agent certificate has expired\n");
    return 1;
  }
  return 0;
}

/// Runs the endpoint through libgatelink's C ABI, as any host does.
int run(const gatelink::AgentConfig& config) {
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

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("event=signal signal={} action=stop", signal);
    sd_notify(0, "STOPPING=1");
    io.stop();
  });

  // SIGHUP: renewed certificate files now (they are also picked up on their own); go on.
  asio::signal_set reload_signals(io, SIGHUP);
  std::function<void()> wait_reload = [&] {
    reload_signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("event=signal signal={} action=reload", signal);
      endpoint->reload();
      wait_reload();
    });
  };
  wait_reload();

  endpoint->start();
  std::optional<gatelink::SystemdWatchdog> watchdog;
  watchdog.emplace([&endpoint](std::chrono::milliseconds bound) { return endpoint->alive(bound); });
  spdlog::info("event=started version={} config={} status_socket={}", gatelink_version(),
               config.source, config.status_socket);
  sd_notify(0, "READY=1");
  io.run();

  watchdog.reset();  // a stopping endpoint is not a stuck one
  (*status)->close();
  endpoint->stop();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
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
  try {
    app.parse(argc, argv);
    if (!o.config_reference && o.config.empty()) throw CLI::RequiredError("--config");
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (o.config_reference) {
    std::fputs(gatelink::config_reference_markdown().c_str(), stdout);
    return 0;
  }

  auto config = gatelink::load_agent_config(o.config);
  if (!config) {
    std::fprintf(stderr, "gatelink-agent: %s\n", config.error().message.c_str());
    return 1;
  }
  setup_logging(config->name, o.log_level);
  if (o.check_config) return check_config(*config);
  try {
    return run(*config);
  } catch (const std::exception& e) {
    spdlog::critical("event=crashed error=\"{}\"", e.what());
    return 1;
  }
}
