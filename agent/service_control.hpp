#pragma once
// The Windows service control manager's side of the agent, as pure decisions: which control
// asks the agent for what, and what SetServiceStatus reports in each phase of a run
// (START_PENDING with checkpoints and wait hints, RUNNING, STOP_PENDING, STOPPED with an exit
// code). The numbers are the Win32 ones (winsvc.h; service_runtime_windows.cpp checks them
// against the SDK), so the rules are tested on Linux too.

#include <chrono>
#include <cstdint>

namespace gatelink {

/// Win32 values this file speaks in (winsvc.h, winerror.h).
namespace scm {
inline constexpr std::uint32_t kControlStop = 1;
inline constexpr std::uint32_t kControlInterrogate = 4;
inline constexpr std::uint32_t kControlShutdown = 5;
inline constexpr std::uint32_t kControlParamChange = 6;
inline constexpr std::uint32_t kControlPreshutdown = 0x0F;

inline constexpr std::uint32_t kStateStopped = 1;
inline constexpr std::uint32_t kStateStartPending = 2;
inline constexpr std::uint32_t kStateStopPending = 3;
inline constexpr std::uint32_t kStateRunning = 4;

inline constexpr std::uint32_t kAcceptStop = 0x01;
inline constexpr std::uint32_t kAcceptShutdown = 0x04;
inline constexpr std::uint32_t kAcceptParamChange = 0x08;
inline constexpr std::uint32_t kAcceptPreshutdown = 0x100;

inline constexpr std::uint32_t kNoError = 0;
inline constexpr std::uint32_t kErrorServiceSpecific = 1066;
inline constexpr std::uint32_t kErrorCallNotImplemented = 120;
}  // namespace scm

/// What a control asks of the agent.
enum class ServiceRequest {
  stop,         ///< STOP, PRESHUTDOWN, SHUTDOWN: stop cleanly (goodbye to the gateway, close)
  reload,       ///< PARAMCHANGE: reload the certificate files now, as SIGHUP does on Linux
  interrogate,  ///< INTERROGATE: report the current status again
  unsupported,  ///< anything else: ERROR_CALL_NOT_IMPLEMENTED
};
ServiceRequest service_request_for(std::uint32_t control);

/// The phases of a service's run, in order.
enum class ServicePhase { start_pending, running, stop_pending, stopped };

/// How long the SCM is told to wait for the next report while starting (opening the endpoint,
/// the state folder, the status pipe) and while stopping (goodbye to the gateway and closing).
/// Each report raises the checkpoint, so a slow step is never taken for a hung one.
inline constexpr std::chrono::milliseconds kStartWaitHint{10'000};
inline constexpr std::chrono::milliseconds kStopWaitHint{15'000};

/// The fields of SERVICE_STATUS that change (type is SERVICE_WIN32_OWN_PROCESS throughout).
struct ServiceStatusReport {
  std::uint32_t current_state = scm::kStateStopped;
  std::uint32_t controls_accepted = 0;
  std::uint32_t win32_exit_code = scm::kNoError;
  std::uint32_t service_specific_exit_code = 0;
  std::uint32_t checkpoint = 0;
  std::uint32_t wait_hint_ms = 0;
};

/// The report for `phase`: `checkpoint` counts the pending reports of that phase (from 1);
/// `exit_code` is the agent's exit status in `stopped` (non-zero: ERROR_SERVICE_SPECIFIC_ERROR
/// with the status as the service-specific code, which `sc query` shows).
ServiceStatusReport service_status_for(ServicePhase phase, std::uint32_t checkpoint = 0,
                                       int exit_code = 0);

}  // namespace gatelink
