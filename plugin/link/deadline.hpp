#pragma once
// The deadline of one step of a connection (resolve, connect, handshake, welcome, idle, drain),
// shared by the agent's and the gateway's sessions, like Icinga's RAII Timeout. When it passes,
// it records the step's reason and fails the step itself (the owner's callback closes the
// socket, so the pending operation completes with an error); a late completion of a timer that
// was re-armed or disarmed meanwhile does nothing, so no reason leaks into a later step.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "common/reason.hpp"

namespace gatelink::link {

class Deadline {
 public:
  explicit Deadline(const boost::asio::any_io_executor& executor);

  /// Starts the deadline of the next step: after `after`, unless disarmed or re-armed first,
  /// expired() becomes `reason` and `on_expiry` runs (on the executor). The callback keeps its
  /// owner alive (capture a shared_ptr); it must fail the step, typically by closing the socket.
  void arm(std::chrono::milliseconds after, Reason reason, std::function<void()> on_expiry);
  /// The step completed in time.
  void disarm();
  /// The reason of the step whose deadline passed; nullopt while the current one holds.
  std::optional<Reason> expired() const { return expired_; }

 private:
  boost::asio::steady_timer timer_;
  std::uint64_t generation_ = 0;  ///< bumped by every arm/disarm: older completions are stale
  std::optional<Reason> expired_;
};

}  // namespace gatelink::link
