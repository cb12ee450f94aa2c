#pragma once
// The retry-after of a busy answer: how long this gateway needs, at the pace it has finished
// handshakes lately, to get through the connections ahead of the one it turns away (those in
// their handshake and those waiting for a slot). The agents told busy then come back about when
// there is room for them, instead of all after one fixed wait during which the gateway has run
// out of work and stands idle (docs/OPERATIONS.md "Unauthenticated peers"). Never shorter than
// `floor` (an agent told busy must not be back at once) nor longer than `cap` (the gateway's
// --busy-retry-after-ms). While the pace is unknown (no handshake finished in the window: a
// gateway a herd has just reached, or one whose slots are all stuck) it is the window itself,
// so those turned away come back once there is a pace to go by. Pure: time passed in.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace gatelink::gateway {

class BusyRetry {
 public:
  using Clock = std::chrono::steady_clock;
  using Millis = std::chrono::milliseconds;

  /// The pace is counted over the last 2 s, in 100 ms steps.
  static constexpr Millis kStep{100};
  static constexpr std::size_t kSteps = 20;

  BusyRetry(Millis floor, Millis cap) : floor_(std::min(floor, cap)), cap_(cap) {}

  /// A handshake slot was given back at `now` (the agent got through, or gave up, either way
  /// the next one may go).
  void finished(Clock::time_point now);

  /// The retry-after for a connection turned away at `now` with `ahead` connections before it.
  Millis retry_after(std::size_t ahead, Clock::time_point now);

  /// Handshakes finished a second over the last 2 s (0: none).
  double per_second(Clock::time_point now);

 private:
  /// Moves the window on to `now`, emptying the steps it leaves behind.
  void advance(Clock::time_point now);

  Millis floor_;
  Millis cap_;
  std::array<std::uint32_t, kSteps> counts_{};
  std::int64_t step_ = -1;  ///< the step counts_[step_ % kSteps] is for; -1: none yet
};

}  // namespace gatelink::gateway
