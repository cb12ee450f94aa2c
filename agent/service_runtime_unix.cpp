// The agent's runtime on Linux: signals and systemd (sd_notify, the watchdog), standard error
// for the log (a terminal, or the journal under systemd).

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <optional>

#include "service_runtime.hpp"
#include "systemd_watchdog.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;

/// STOPPING=1 once, whether a signal or the end of the loop says it first.
class StoppingNotice {
 public:
  void send() {
    if (!sent_.exchange(true)) sd_notify(0, "STOPPING=1");
  }

 private:
  std::atomic<bool> sent_{false};
};

/// SIGTERM and SIGINT stop, SIGHUP reloads, while it lives.
class SignalWatch final : public ServiceRuntime::Watch {
 public:
  SignalWatch(asio::io_context& io, ServiceRuntime::Requests requests, StoppingNotice& stopping)
      : requests_(std::move(requests)),
        stopping_(stopping),
        stop_signals_(io, SIGTERM, SIGINT),
        reload_signals_(io, SIGHUP) {
    stop_signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("event=signal signal={} action=stop", signal);
      stopping_.send();
      requests_.stop();
    });
    // SIGHUP: renewed certificate files now (they are also picked up on their own); go on.
    wait_reload();
  }
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  void wait_reload() {
    reload_signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("event=signal signal={} action=reload", signal);
      requests_.reload();
      wait_reload();
    });
  }

  const ServiceRuntime::Requests requests_;
  StoppingNotice& stopping_;
  asio::signal_set stop_signals_;
  asio::signal_set reload_signals_;
};

class SystemdRuntime final : public ServiceRuntime {
 public:
  void add_options(CLI::App& /*app*/) override {}

  int run(const Body& body) override { return body(*this); }

  std::shared_ptr<spdlog::sinks::sink> log_sink() override {
    return std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }

  void early_error(const std::string& message) override {
    std::fprintf(stderr, "gatelink-agent: %s\n", message.c_str());
  }

  std::unique_ptr<Watch> watch(asio::io_context& io, Requests requests) override {
    return std::make_unique<SignalWatch>(io, std::move(requests), stopping_);
  }

  void ready(Probe alive) override {
    watchdog_.emplace(std::move(alive));
    sd_notify(0, "READY=1");
  }

  void stopping() override {
    watchdog_.reset();
    stopping_.send();
  }

 private:
  StoppingNotice stopping_;
  std::optional<SystemdWatchdog> watchdog_;
};

}  // namespace

std::unique_ptr<ServiceRuntime> make_service_runtime() {
  return std::make_unique<SystemdRuntime>();
}

}  // namespace gatelink
