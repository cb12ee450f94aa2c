// The agent's runtime on Windows. `gatelink-agent --service` is what the service's command line
// says: the service control manager runs the agent (StartServiceCtrlDispatcherW; the agent in
// ServiceMain's thread), STOP, PRESHUTDOWN and SHUTDOWN stop it cleanly, PARAMCHANGE reloads the
// certificate files, and every phase is reported (START_PENDING with wait hints, RUNNING,
// STOP_PENDING, STOPPED with the exit status); the log goes to a rotating file under
// %ProgramData%\gatelink\log. Without --service it runs in the foreground: Ctrl-C, Ctrl-Break
// and closing the console stop it, and the log goes to the console. There is no watchdog: the
// service's recovery actions restart a process that dies.

// Asio first: it includes winsock2.h, which must come before windows.h.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
// windows.h (through Asio) before shlobj.h, which needs its types.
#include <sddl.h>
#include <shlobj.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "peer_credentials.hpp"
#include "pipe_security.hpp"
#include "service_control.hpp"
#include "service_runtime.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;

static_assert(scm::kControlStop == SERVICE_CONTROL_STOP);
static_assert(scm::kControlInterrogate == SERVICE_CONTROL_INTERROGATE);
static_assert(scm::kControlShutdown == SERVICE_CONTROL_SHUTDOWN);
static_assert(scm::kControlParamChange == SERVICE_CONTROL_PARAMCHANGE);
static_assert(scm::kControlPreshutdown == SERVICE_CONTROL_PRESHUTDOWN);
static_assert(scm::kStateStopped == SERVICE_STOPPED);
static_assert(scm::kStateStartPending == SERVICE_START_PENDING);
static_assert(scm::kStateStopPending == SERVICE_STOP_PENDING);
static_assert(scm::kStateRunning == SERVICE_RUNNING);
static_assert(scm::kAcceptStop == SERVICE_ACCEPT_STOP);
static_assert(scm::kAcceptShutdown == SERVICE_ACCEPT_SHUTDOWN);
static_assert(scm::kAcceptParamChange == SERVICE_ACCEPT_PARAMCHANGE);
static_assert(scm::kAcceptPreshutdown == SERVICE_ACCEPT_PRESHUTDOWN);
static_assert(scm::kNoError == NO_ERROR);
static_assert(scm::kErrorServiceSpecific == ERROR_SERVICE_SPECIFIC_ERROR);
static_assert(scm::kErrorCallNotImplemented == ERROR_CALL_NOT_IMPLEMENTED);

/// The service's name as the MSI registers it (ServiceInstall); for an own-process service the
/// dispatcher does not check it, the control handler's registration does.
constexpr wchar_t kServiceName[] = L"gatelink-agent";
/// The log file of the service, under %ProgramData%, and how it rotates.
constexpr char kLogFolder[] = R"(gatelink\log)";
constexpr char kLogFile[] = "agent.log";
constexpr std::size_t kLogFileBytes = std::size_t{10} * 1024 * 1024;
constexpr std::size_t kLogFiles = 5;
/// After the console is closed (or the user logs off) Windows ends the process about 5 s later
/// whatever it does: the agent gets this long to stop cleanly first.
constexpr std::chrono::milliseconds kConsoleCloseGrace{4000};

const char* control_name(DWORD control) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
      return "stop";
    case SERVICE_CONTROL_PRESHUTDOWN:
      return "preshutdown";
    case SERVICE_CONTROL_SHUTDOWN:
      return "shutdown";
    case SERVICE_CONTROL_PARAMCHANGE:
      return "paramchange";
    default:
      return "other";
  }
}

/// %ProgramData% (SHGetKnownFolderPath), or nullopt.
std::optional<std::filesystem::path> program_data() {
  PWSTR path = nullptr;
  if (FAILED(::SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &path))) {
    ::CoTaskMemFree(path);
    return std::nullopt;
  }
  std::filesystem::path result(path);
  ::CoTaskMemFree(path);
  return result;
}

/// Creates `folder` (and what is missing above it under %ProgramData%) with the log folder's
/// protected DACL. A folder that exists is left as it is: the MSI made it, with its own rules.
void make_log_folder(const std::filesystem::path& folder) {
  std::error_code ec;
  if (std::filesystem::is_directory(folder, ec)) return;
  make_log_folder(folder.parent_path());
  const StatusAccessPolicy policy = StatusAccessPolicy::of_this_process();
  Result<std::string> sddl = log_folder_sddl(policy.agent_user_sid, policy.status_group_sid);
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (sddl) {
    const std::wstring wide(sddl->begin(), sddl->end());  // SDDL is ASCII
    ::ConvertStringSecurityDescriptorToSecurityDescriptorW(wide.c_str(), SDDL_REVISION_1,
                                                           &descriptor, nullptr);
  }
  SECURITY_ATTRIBUTES attributes{.nLength = sizeof(SECURITY_ATTRIBUTES),
                                 .lpSecurityDescriptor = descriptor,
                                 .bInheritHandle = FALSE};
  ::CreateDirectoryW(folder.c_str(), descriptor != nullptr ? &attributes : nullptr);
  if (descriptor != nullptr) ::LocalFree(descriptor);
}

class WindowsRuntime;
/// The runtime that ServiceMain and the console handler reach: Win32 calls both without a
/// context argument, so this one pointer is the only way in. Set while run() runs.
std::atomic<WindowsRuntime*> g_runtime{nullptr};

class WindowsRuntime final : public ServiceRuntime {
 public:
  WindowsRuntime() = default;
  WindowsRuntime(const WindowsRuntime&) = delete;
  WindowsRuntime& operator=(const WindowsRuntime&) = delete;

  void add_options(CLI::App& app) override {
    app.add_flag("--service", service_,
                 "run under the Windows service control manager (the service's command line; "
                 "logs to %ProgramData%\\gatelink\\log)");
  }

  int run(const Body& body) override {
    body_ = &body;
    g_runtime = this;
    int exit_code = 1;
    if (!service_) {
      ::SetConsoleCtrlHandler(&WindowsRuntime::console_handler, TRUE);
      exit_code = run_body();
      ::SetConsoleCtrlHandler(&WindowsRuntime::console_handler, FALSE);
    } else {
      std::wstring name(kServiceName);  // the table wants it writable
      SERVICE_TABLE_ENTRYW table[] = {{name.data(), &WindowsRuntime::service_main},
                                      {nullptr, nullptr}};
      if (::StartServiceCtrlDispatcherW(table) == 0) {
        const DWORD error = ::GetLastError();
        early_error(error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
                        ? "--service: not started by the service control manager (run without "
                          "--service in a console)"
                        : "--service: cannot reach the service control manager: " +
                              std::system_category().message(static_cast<int>(error)));
      } else {
        exit_code = service_exit_code_;
      }
    }
    g_runtime = nullptr;
    return exit_code;
  }

  std::shared_ptr<spdlog::sinks::sink> log_sink() override {
    if (!service_) return std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    if (!file_sink_) {
      const std::filesystem::path folder =
          program_data().value_or(std::filesystem::path(R"(C:\ProgramData)")) / kLogFolder;
      make_log_folder(folder);
      // spdlog takes a narrow name here (no SPDLOG_WCHAR_FILENAMES): the ANSI code page's.
      file_sink_ = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          (folder / kLogFile).string(), kLogFileBytes, kLogFiles);
    }
    return file_sink_;
  }

  void early_error(const std::string& message) override {
    std::fprintf(stderr, "gatelink-agent: %s\n", message.c_str());
    if (!service_) return;
    try {
      spdlog::logger logger("agent", log_sink());
      logger.error("event=start-failed error=\"{}\"", message);
      logger.flush();
    } catch (const std::exception&) {  // no log file either: the SCM's exit code says it
    }
  }

  std::unique_ptr<Watch> watch(asio::io_context& io, Requests requests) override {
    std::lock_guard lock(mutex_);
    io_ = &io;
    requests_ = std::move(requests);
    if (stop_asked_) asio::post(io, requests_.stop);
    return std::make_unique<RequestWatch>(*this);
  }

  void ready(Probe /*alive*/) override {
    if (service_) report(ServicePhase::running);
  }

  void stopping() override {
    if (service_) report(ServicePhase::stop_pending);
  }

 private:
  /// Ends the delivery of requests to the io_context when destroyed.
  class RequestWatch final : public Watch {
   public:
    explicit RequestWatch(WindowsRuntime& runtime) : runtime_(runtime) {}
    RequestWatch(const RequestWatch&) = delete;
    RequestWatch& operator=(const RequestWatch&) = delete;
    ~RequestWatch() override {
      std::lock_guard lock(runtime_.mutex_);
      runtime_.io_ = nullptr;
    }

   private:
    WindowsRuntime& runtime_;
  };

  /// From any thread: delivers `request` to the agent's loop (a stop before the loop runs is
  /// kept for it).
  void deliver(ServiceRequest request) {
    std::lock_guard lock(mutex_);
    if (request == ServiceRequest::stop) {
      stop_asked_ = true;
      if (io_ != nullptr) asio::post(*io_, requests_.stop);
    } else if (request == ServiceRequest::reload && io_ != nullptr) {
      asio::post(*io_, requests_.reload);
    }
  }

  int run_body() {
    int exit_code = 1;
    try {
      exit_code = (*body_)(*this);
    } catch (const std::exception& e) {
      early_error(std::string("crashed: ") + e.what());
    }
    {
      std::lock_guard lock(mutex_);
      body_done_ = true;
    }
    body_done_changed_.notify_all();
    return exit_code;
  }

  /// SetServiceStatus for `phase`; pending phases count their checkpoints.
  void report(ServicePhase phase, int exit_code = 0) {
    std::lock_guard lock(mutex_);
    if (status_handle_ == nullptr) return;
    if (phase != phase_) checkpoint_ = 0;
    phase_ = phase;
    const bool pending =
        phase == ServicePhase::start_pending || phase == ServicePhase::stop_pending;
    const ServiceStatusReport r = service_status_for(phase, pending ? ++checkpoint_ : 0, exit_code);
    SERVICE_STATUS status{.dwServiceType = SERVICE_WIN32_OWN_PROCESS,
                          .dwCurrentState = r.current_state,
                          .dwControlsAccepted = r.controls_accepted,
                          .dwWin32ExitCode = r.win32_exit_code,
                          .dwServiceSpecificExitCode = r.service_specific_exit_code,
                          .dwCheckPoint = r.checkpoint,
                          .dwWaitHint = r.wait_hint_ms};
    ::SetServiceStatus(status_handle_, &status);
  }

  static void WINAPI service_main(DWORD /*argc*/, LPWSTR* /*argv*/) {
    WindowsRuntime* self = g_runtime;
    if (self == nullptr) return;
    SERVICE_STATUS_HANDLE handle =
        ::RegisterServiceCtrlHandlerExW(kServiceName, &WindowsRuntime::control_handler, self);
    if (handle == nullptr) {
      self->early_error("--service: cannot register the service control handler: " +
                        std::system_category().message(static_cast<int>(::GetLastError())));
      return;
    }
    {
      std::lock_guard lock(self->mutex_);
      self->status_handle_ = handle;
    }
    self->report(ServicePhase::start_pending);
    self->service_exit_code_ = self->run_body();
    self->report(ServicePhase::stopped, self->service_exit_code_);
  }

  static DWORD WINAPI control_handler(DWORD control, DWORD /*event_type*/, LPVOID /*event_data*/,
                                      LPVOID context) {
    auto* self = static_cast<WindowsRuntime*>(context);
    const ServiceRequest request = service_request_for(control);
    switch (request) {
      case ServiceRequest::stop:
        spdlog::info("event=service-control control={} action=stop", control_name(control));
        self->report(ServicePhase::stop_pending);
        self->deliver(request);
        return NO_ERROR;
      case ServiceRequest::reload:
        spdlog::info("event=service-control control={} action=reload", control_name(control));
        self->deliver(request);
        return NO_ERROR;
      case ServiceRequest::interrogate:
        return NO_ERROR;  // the SCM keeps the last status reported
      case ServiceRequest::unsupported:
        break;
    }
    return ERROR_CALL_NOT_IMPLEMENTED;
  }

  static BOOL WINAPI console_handler(DWORD event) {
    WindowsRuntime* self = g_runtime;
    if (self == nullptr) return FALSE;
    switch (event) {
      case CTRL_C_EVENT:
      case CTRL_BREAK_EVENT:
        spdlog::info("event=console-control control={} action=stop",
                     event == CTRL_C_EVENT ? "ctrl-c" : "ctrl-break");
        self->deliver(ServiceRequest::stop);
        return TRUE;
      case CTRL_CLOSE_EVENT:
      case CTRL_LOGOFF_EVENT:
      case CTRL_SHUTDOWN_EVENT: {
        // Windows ends the process when this returns: stop first, within the grace period.
        spdlog::info("event=console-control control=close action=stop");
        self->deliver(ServiceRequest::stop);
        std::unique_lock lock(self->mutex_);
        self->body_done_changed_.wait_for(lock, kConsoleCloseGrace,
                                          [self] { return self->body_done_; });
        return TRUE;
      }
      default:
        return FALSE;
    }
  }

  bool service_ = false;
  const Body* body_ = nullptr;
  std::shared_ptr<spdlog::sinks::sink> file_sink_;
  int service_exit_code_ = 1;

  std::mutex mutex_;  ///< guards what follows: the SCM's and the console's threads reach it
  asio::io_context* io_ = nullptr;
  Requests requests_;
  bool stop_asked_ = false;
  bool body_done_ = false;
  std::condition_variable body_done_changed_;
  SERVICE_STATUS_HANDLE status_handle_ = nullptr;
  ServicePhase phase_ = ServicePhase::stopped;
  std::uint32_t checkpoint_ = 0;
};

}  // namespace

std::unique_ptr<ServiceRuntime> make_service_runtime() {
  return std::make_unique<WindowsRuntime>();
}

}  // namespace gatelink
