// Which service control asks the agent for what, and the status reported per phase.

#include "service_control.hpp"

namespace gatelink {

ServiceRequest service_request_for(std::uint32_t control) {
  switch (control) {
    case scm::kControlStop:
    case scm::kControlPreshutdown:
    case scm::kControlShutdown:
      return ServiceRequest::stop;
    case scm::kControlParamChange:
      return ServiceRequest::reload;
    case scm::kControlInterrogate:
      return ServiceRequest::interrogate;
    default:
      return ServiceRequest::unsupported;
  }
}

ServiceStatusReport service_status_for(ServicePhase phase, std::uint32_t checkpoint,
                                       int exit_code) {
  ServiceStatusReport report;
  switch (phase) {
    case ServicePhase::start_pending:
      // No controls while starting: a stop then would race the start; the SCM waits instead.
      report.current_state = scm::kStateStartPending;
      report.checkpoint = checkpoint;
      report.wait_hint_ms = static_cast<std::uint32_t>(kStartWaitHint.count());
      break;
    case ServicePhase::running:
      // PRESHUTDOWN rather than SHUTDOWN alone: the agent gets time to say goodbye before the
      // machine goes down; SHUTDOWN is accepted as well for systems that skip PRESHUTDOWN.
      report.current_state = scm::kStateRunning;
      report.controls_accepted = scm::kAcceptStop | scm::kAcceptPreshutdown | scm::kAcceptShutdown |
                                 scm::kAcceptParamChange;
      break;
    case ServicePhase::stop_pending:
      report.current_state = scm::kStateStopPending;
      report.checkpoint = checkpoint;
      report.wait_hint_ms = static_cast<std::uint32_t>(kStopWaitHint.count());
      break;
    case ServicePhase::stopped:
      report.current_state = scm::kStateStopped;
      if (exit_code != 0) {
        report.win32_exit_code = scm::kErrorServiceSpecific;
        report.service_specific_exit_code = static_cast<std::uint32_t>(exit_code);
      }
      break;
  }
  return report;
}

}  // namespace gatelink
