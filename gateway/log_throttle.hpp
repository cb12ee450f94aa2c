#pragma once
// At most one log line per period for events a peer can cause at any rate (refused
// connections, accept failures): the first event is logged at once, later ones within the
// period are counted and reported by the next line. Pure: the caller passes the time in.

#include <chrono>
#include <cstdint>
#include <optional>

namespace gatelink::gateway {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(Clock::duration period) : period_(period) {}

  /// Counts one event at `now`. When a line is due, returns how many events it stands for (this
  /// one and those not logged since the last line); otherwise nullopt.
  std::optional<std::uint64_t> event(Clock::time_point now);

 private:
  Clock::duration period_;
  std::optional<Clock::time_point> last_line_;
  std::uint64_t unlogged_ = 0;
};

}  // namespace gatelink::gateway
