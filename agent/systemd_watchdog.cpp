// The systemd watchdog, fed only while the endpoint's thread answers.

#include "systemd_watchdog.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>
#include <spdlog/spdlog.h>

namespace gatelink {

namespace {

/// WATCHDOG=1 goes out this many times per interval systemd allows (sd_watchdog_enabled(3)
/// recommends half the interval).
constexpr int kFeedsPerInterval = 2;
/// A probe may take this share of the interval: answered and fed well before systemd's limit.
constexpr int kProbeShareOfInterval = 4;
/// The shortest probe bound, for very short intervals.
constexpr std::chrono::milliseconds kMinProbeBound{1};

}  // namespace

SystemdWatchdog::SystemdWatchdog(Probe probe) : probe_(std::move(probe)) {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  thread_ = std::thread([this, usec] { feed(std::chrono::microseconds(usec)); });
}

SystemdWatchdog::~SystemdWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SystemdWatchdog::feed(std::chrono::microseconds interval) {
  const auto period = interval / kFeedsPerInterval;
  const auto bound = std::max(
      std::chrono::duration_cast<std::chrono::milliseconds>(interval / kProbeShareOfInterval),
      kMinProbeBound);
  spdlog::info("event=watchdog-enabled interval_ms={} probe_timeout_ms={}",
               std::chrono::duration_cast<std::chrono::milliseconds>(interval).count(),
               bound.count());
  bool feeding = true;  // what the last round did: a change is logged once
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    if (probe_(bound)) {
      sd_notify(0, "WATCHDOG=1");
      if (!feeding) spdlog::info("event=watchdog-feeding reason=endpoint-answers");
      feeding = true;
    } else if (feeding) {
      spdlog::error(
          "event=watchdog-starved reason=endpoint-unresponsive probe_timeout_ms={} "
          "action=systemd-restarts-the-agent",
          bound.count());
      feeding = false;
    }
    next += period;
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

}  // namespace gatelink
