// gatelink-gateway: the reference gateway. Accepts agents over mutual TLS, answers heartbeats,
// delivers topologies from the management group's store, drains with a goodbye on SIGTERM.

#include <systemd/sd-daemon.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "common/timings.hpp"
#include "descriptor_limit.hpp"
#include "gateway_server.hpp"
#include "tls/reloading_context.hpp"
#include "tls/tls_context.hpp"

namespace {

using gatelink::gateway::Millis;

/// A bad command line or option value (docs/OPERATIONS.md, "Exit codes").
constexpr int kExitUsage = 2;

/// The command line; every default is the one its server-side struct declares, so each lives in
/// one place (SessionSettings, link::LivenessBounds, GatewayServer::Limits and ::Store).
struct Options {
  static constexpr unsigned ms(Millis value) { return static_cast<unsigned>(value.count()); }

  std::string name;
  std::string listen;
  std::string cert, key, ca, crl, ticket_keys;
  std::string store;
  unsigned store_poll_ms = ms(gatelink::gateway::GatewayServer::Store{}.poll_period);
  std::string ready_file;
  // Bounds on what agents propose in their hello.
  unsigned min_heartbeat_interval_ms = ms(gatelink::link::LivenessBounds{}.min_interval);
  unsigned max_heartbeat_interval_ms = ms(gatelink::link::LivenessBounds{}.max_interval);
  unsigned min_heartbeat_misses = gatelink::link::LivenessBounds{}.min_misses;
  unsigned max_heartbeat_misses = gatelink::link::LivenessBounds{}.max_misses;
  unsigned handshake_timeout_ms = ms(gatelink::gateway::SessionSettings{}.handshake_timeout);
  unsigned drain_timeout_ms = ms(gatelink::gateway::SessionSettings{}.drain_timeout);
  unsigned max_handshakes =
      static_cast<unsigned>(gatelink::gateway::GatewayServer::Limits{}.max_handshakes);
  unsigned max_handshakes_per_address = static_cast<unsigned>(
      gatelink::gateway::GatewayServer::Limits{}.max_handshakes_per_address);
  unsigned handshake_queue =
      static_cast<unsigned>(gatelink::gateway::GatewayServer::Limits{}.handshake_queue);
  unsigned handshake_queue_wait_ms =
      ms(gatelink::gateway::GatewayServer::Limits{}.handshake_queue_wait);
  unsigned busy_retry_after_ms = ms(gatelink::gateway::GatewayServer::Limits{}.busy_retry_after);
  unsigned max_buffered_mib =
      static_cast<unsigned>(gatelink::gateway::GatewayServer::Limits{}.max_buffered_bytes >> 20);
  std::string log_level = "info";
};

/// `--listen` is an IP literal and a port; port 0 lets the system pick (tests, the demo).
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

gatelink::Result<ListenAddress> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return gatelink::Error{"expected HOST:PORT"};
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) return gatelink::Error{"host must be an IP literal: " + host};
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || err != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return gatelink::Error{"port must be a number in 0..65535: " + port};
  }
  return ListenAddress{host, static_cast<std::uint16_t>(value)};
}

int run(const Options& o) {
  auto listen = parse_listen(o.listen);
  if (!listen) {
    spdlog::error("event=bad-option option=--listen value=\"{}\" error=\"{}\"", o.listen,
                  listen.error().message);
    return kExitUsage;
  }
  if (!o.store.empty() && !std::filesystem::is_directory(o.store)) {
    spdlog::error("event=bad-option option=--store error=\"not a directory: {}\"", o.store);
    return kExitUsage;
  }
  auto context = gatelink::tls::ReloadingContext::create(
      gatelink::tls::Files{
          .ca = o.ca, .cert = o.cert, .key = o.key, .crl = o.crl, .ticket_keys = o.ticket_keys},
      &gatelink::tls::make_server_context);
  if (!context) {
    spdlog::error("event=tls-setup-failed error=\"{}\"", context.error().message);
    return 1;
  }

  gatelink::gateway::SessionSettings settings{
      .gateway_name = o.name,
      .handshake_timeout = Millis(o.handshake_timeout_ms),
      .liveness = {.min_interval = Millis(o.min_heartbeat_interval_ms),
                   .max_interval = Millis(o.max_heartbeat_interval_ms),
                   .min_misses = o.min_heartbeat_misses,
                   .max_misses = o.max_heartbeat_misses},
      .drain_timeout = Millis(o.drain_timeout_ms),
  };

  // One descriptor per agent: use all the hard limit allows, and say what that comes to.
  const auto files = gatelink::gateway::raise_descriptor_limit();
  if (!files.error.empty()) {
    spdlog::warn("event=open-files-limit-not-raised soft={} hard={} error=\"{}\"", files.soft,
                 files.hard, files.error);
  }
  spdlog::info(
      "event=capacity open_files={} max_agents={} max_handshakes={} "
      "max_handshakes_per_address={} handshake_queue={} handshake_queue_wait_ms={} "
      "max_buffered_mib={}",
      files.soft, gatelink::gateway::max_agents(files), o.max_handshakes,
      o.max_handshakes_per_address != 0
          ? o.max_handshakes_per_address
          : gatelink::gateway::HandshakeSlots::default_share(o.max_handshakes),
      o.handshake_queue, o.handshake_queue_wait_ms, o.max_buffered_mib);

  boost::asio::io_context io(1);
  gatelink::gateway::GatewayServer server(
      io, std::move(*context), settings,
      {.max_handshakes = o.max_handshakes,
       .max_handshakes_per_address = o.max_handshakes_per_address,
       // No wait, no queue: either 0 turns the waiting off.
       .handshake_queue = o.handshake_queue_wait_ms == 0 ? 0 : o.handshake_queue,
       .handshake_queue_wait = Millis(o.handshake_queue_wait_ms),
       .busy_retry_after = Millis(o.busy_retry_after_ms),
       .max_buffered_bytes = std::size_t{o.max_buffered_mib} << 20},
      {.dir = o.store, .poll_period = Millis(o.store_poll_ms)});
  auto bound = server.listen(listen->host, listen->port);
  if (!bound) {
    spdlog::error("event=listen-failed error=\"{}\"", bound.error().message);
    return 1;
  }
  const std::string where = bound->address().to_string() + ":" + std::to_string(bound->port());
  server.start();

  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        spdlog::info("event=signal signal={} action=drain", signal);
        sd_notify(0, "STOPPING=1");
        // When the last agent has its goodbye, nothing is left to wait for and run() returns.
        server.drain("shutdown", [&] { signals.cancel(); });
        // A second signal while draining ends at once.
        signals.async_wait([&](const boost::system::error_code& e, int) {
          if (!e) io.stop();
        });
      };
  signals.async_wait(on_signal);

  if (!o.ready_file.empty()) {
    std::ofstream(o.ready_file) << where << "\n";
  }
  spdlog::info("event=listening name={} address={} store={}", o.name, where,
               o.store.empty() ? "-" : o.store);
  sd_notify(0, "READY=1");

  // run() returns once drained: the acceptor is closed and every session has said goodbye.
  io.run();
  spdlog::info("event=stopped name={}", o.name);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"gatelink reference gateway: accepts agents over mutual TLS, answers heartbeats, "
               "delivers topology from the store, drains on SIGTERM."};
  app.set_version_flag("--version", std::string("gatelink-gateway ") + GATELINK_VERSION);
  app.add_option("--name", o.name, "name of this gateway, sent in the welcome")->required();
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (IP literal; port 0 = any)")
      ->required();
  app.add_option("--cert", o.cert, "gateway certificate (PEM, serverAuth)")->required();
  app.add_option("--key", o.key, "gateway private key (PEM, mode 0600)")->required();
  app.add_option("--ca", o.ca, "CA that agents' certificates must chain to")->required();
  app.add_option("--crl", o.crl, "CRL of that CA (optional)");
  app.add_option("--ticket-keys", o.ticket_keys,
                 "session ticket keys the management group's gateways share (gatelink-mg "
                 "ticket-keys, 0600): agents resume instead of a full handshake; re-read when "
                 "rotated (optional: without it, no tickets)");
  app.add_option("--store", o.store,
                 "folder the management group writes topologies to (gatelink-mg --store)");
  // At most a second: an admin who ran gatelink-mg expects the agents to have it at once.
  app.add_option("--store-poll-ms", o.store_poll_ms,
                 "how often the store is checked for changed topologies of connected agents")
      ->check(CLI::Range(10u, 1000u))
      ->capture_default_str();
  // Agents propose their heartbeats in the hello; the welcome answers the proposal clamped into
  // these bounds, and both ends cut a session silent for interval x misses.
  app.add_option("--min-heartbeat-interval-ms", o.min_heartbeat_interval_ms,
                 "shortest heartbeat interval agents are held to")
      ->check(CLI::Range(50u, 600000u))
      ->capture_default_str();
  app.add_option("--max-heartbeat-interval-ms", o.max_heartbeat_interval_ms,
                 "longest heartbeat interval agents are held to")
      ->check(CLI::Range(50u, 600000u))
      ->capture_default_str();
  app.add_option("--min-heartbeat-misses", o.min_heartbeat_misses,
                 "fewest silent intervals before a session is cut")
      ->check(CLI::Range(2u, 100u))
      ->capture_default_str();
  app.add_option("--max-heartbeat-misses", o.max_heartbeat_misses,
                 "most silent intervals before a session is cut")
      ->check(CLI::Range(2u, 100u))
      ->capture_default_str();
  // From the gateway's side an agent's TLS handshake and hello take two round trips: 3 s covers
  // a gateway 1 s away (DESIGN keeps those like local ones) with a second to spare, and an
  // agent waits no longer itself (its handshake-ms is 3000 by default). Every second more is a
  // second longer that an idle or trickling TCP client holds a handshake slot.
  app.add_option("--handshake-timeout-ms", o.handshake_timeout_ms,
                 "deadline of a connection that has not completed its TLS handshake and hello; "
                 "the default is two round trips of an agent 1 s away plus 1 s, and no more "
                 "than agents wait themselves, so idle or slow clients cannot hold a slot long")
      ->check(CLI::Range(10u, 600000u))
      ->capture_default_str();
  app.add_option("--drain-timeout-ms", o.drain_timeout_ms,
                 "how long a goodbye may take to be written on shutdown")
      ->check(CLI::Range(10u, 600000u))
      ->capture_default_str();
  app.add_option("--max-handshakes", o.max_handshakes,
                 "agents in their handshake at once; beyond it new agents are told busy")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--max-handshakes-per-address", o.max_handshakes_per_address,
                 "of those, at most this many from one source address (IPv6: one /64); beyond "
                 "it that source is told busy while others still get slots (0: max-handshakes/16, "
                 "at least 1)")
      ->check(CLI::Range(0u, 1000000u))
      ->capture_default_str();
  app.add_option("--handshake-queue", o.handshake_queue,
                 "new agents that may wait for a handshake slot when all are taken, instead of "
                 "being told busy at once (one address: the same share as of the slots; 0: none "
                 "wait)")
      ->check(CLI::Range(0u, 1000000u))
      ->capture_default_str();
  app.add_option("--handshake-queue-wait-ms", o.handshake_queue_wait_ms,
                 "how long one may wait before it is told busy after all; keep it well within "
                 "the agents' handshake-ms (0: none wait)")
      ->check(CLI::Range(0u, 60000u))
      ->capture_default_str();
  app.add_option("--busy-retry-after-ms", o.busy_retry_after_ms,
                 "longest retry-after of a busy answer; below it, the time the gateway needs "
                 "for those ahead at the pace its handshakes finished in the last 2 s (2 s while "
                 "none did; at least 250 ms; agents jitter it upwards)")
      ->check(CLI::Range(0u, 3600000u))
      ->capture_default_str();
  // Agents' frames are small (a heartbeat is 16 bytes); the budget matters when peers announce
  // big ones, and it keeps the gateway's memory at what it was sent, whatever was announced.
  app.add_option("--max-buffered-mib", o.max_buffered_mib,
                 "MiB that all agents' partly received frames may hold together; a session "
                 "whose next read would pass it is dropped (reason buffer-budget)")
      ->check(CLI::Range(1u, 65536u))
      ->capture_default_str();
  app.add_option("--ready-file", o.ready_file,
                 "write the bound HOST:PORT to this file once listening");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.footer(
      "Exit status: 0 stopped on SIGTERM/SIGINT (drained), 1 could not start (TLS files, port)\n"
      "or crashed, 2 usage error. All programs: docs/OPERATIONS.md, \"Exit codes\".");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::fprintf(stderr, "gatelink-gateway: %s (see --help)\n", e.what());
    return kExitUsage;
  }

  auto logger = spdlog::stderr_color_mt("gateway");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l gateway=" + o.name + " %v",
                      spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  try {
    return run(o);
  } catch (const std::exception& e) {
    spdlog::critical("event=crashed error=\"{}\"", e.what());
    return 1;
  }
}
