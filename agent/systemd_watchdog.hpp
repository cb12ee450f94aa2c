#pragma once
// The systemd watchdog, fed honestly: WATCHDOG=1 goes out at half the interval systemd asked
// for (WATCHDOG_USEC), and only after the endpoint's thread answered a probe, so a stuck
// endpoint gets the agent restarted. It logs once when it stops feeding, and why.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace gatelink {

class SystemdWatchdog {
 public:
  /// Whether the endpoint's thread answers within `bound`.
  using Probe = std::function<bool(std::chrono::milliseconds bound)>;
  /// Starts feeding on a thread of its own when systemd asked for a watchdog; else idle.
  explicit SystemdWatchdog(Probe probe);
  /// Stops feeding and joins the thread.
  ~SystemdWatchdog();
  SystemdWatchdog(const SystemdWatchdog&) = delete;
  SystemdWatchdog& operator=(const SystemdWatchdog&) = delete;

 private:
  void feed(std::chrono::microseconds interval);

  Probe probe_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  ///< set once by the destructor
  std::thread thread_;
};

}  // namespace gatelink
