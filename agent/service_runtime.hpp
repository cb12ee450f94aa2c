#pragma once
// What the platform's supervisor asks of the agent and is told by it: on Linux systemd (READY=1,
// STOPPING=1, the watchdog) and signals (SIGTERM/SIGINT stop, SIGHUP reloads); on Windows the
// service control manager (`--service`: STOP/PRESHUTDOWN stop, PARAMCHANGE reloads, the states
// reported with SetServiceStatus) or a console (Ctrl-C, Ctrl-Break, closing the window stop).
// One implementation per platform: service_runtime_unix.cpp, service_runtime_windows.cpp.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}  // namespace boost::asio
namespace spdlog::sinks {
class sink;
}  // namespace spdlog::sinks
namespace CLI {
class App;
}  // namespace CLI

namespace gatelink {

class ServiceRuntime {
 public:
  /// What the agent does when asked; called on the io_context's thread.
  struct Requests {
    std::function<void()> stop;
    std::function<void()> reload;
  };
  /// Whether the agent's endpoint answers within `bound` (the watchdog's probe).
  using Probe = std::function<bool(std::chrono::milliseconds bound)>;
  /// The agent itself, from configuration to stop; its return is the exit status.
  using Body = std::function<int(ServiceRuntime&)>;

  virtual ~ServiceRuntime() = default;

  /// Adds the platform's command-line flags (Windows: `--service`).
  virtual void add_options(CLI::App& app) = 0;
  /// Runs `body` the way the platform runs the agent (directly, or from the service control
  /// manager's ServiceMain) and returns its exit status.
  virtual int run(const Body& body) = 0;
  /// Where the agent's log goes: standard error (a terminal, the journal), or a rotating file
  /// under %ProgramData%\gatelink\log when run as a Windows service.
  virtual std::shared_ptr<spdlog::sinks::sink> log_sink() = 0;
  /// Tells a person why the agent could not start, before its log exists (a bad configuration):
  /// standard error, or for a service its log file.
  virtual void early_error(const std::string& message) = 0;
  /// Delivery of requests to one io_context; it ends when this is destroyed (destroy it before
  /// the io_context).
  class Watch {
   public:
    virtual ~Watch() = default;
  };
  /// Delivers stop and reload requests on `io` from now on; a stop asked for earlier (while
  /// starting) is delivered at once.
  [[nodiscard]] virtual std::unique_ptr<Watch> watch(boost::asio::io_context& io,
                                                     Requests requests) = 0;
  /// The agent serves: systemd READY=1, SCM RUNNING. `alive` feeds the watchdog where one is
  /// asked for (systemd's WATCHDOG_USEC).
  virtual void ready(Probe alive) = 0;
  /// The agent is going down (its loop has ended): the watchdog stops (a stopping endpoint is
  /// not a stuck one), systemd STOPPING=1, SCM STOP_PENDING.
  virtual void stopping() = 0;
};

/// The runtime of this platform.
std::unique_ptr<ServiceRuntime> make_service_runtime();

}  // namespace gatelink
