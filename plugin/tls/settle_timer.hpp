#pragma once
// The settle wait of a file watch (file_watcher.hpp): changes that come close together (a
// certificate and its key written one after the other) are reported once, after they have
// settled. The rule is pure (SettleTimer::Burst, the time comes in); the timer runs it on an
// executor. Both platforms' watchers use it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace gatelink::tls {

class SettleTimer {
 public:
  using Clock = std::chrono::steady_clock;
  /// The longest wait after the first change of a burst, in multiples of the settle time.
  static constexpr int kMaxSettleFactor = 4;

  /// When a burst of changes is reported: `settle` after its last change, and at the latest
  /// kMaxSettleFactor × `settle` after its first.
  class Burst {
   public:
    explicit Burst(std::chrono::milliseconds settle) : settle_(settle) {}
    /// A change at `now` (the first one starts the burst): when the burst is to be reported.
    Clock::time_point change(Clock::time_point now);
    /// The burst has been reported: the next change starts a new one.
    void reported() { started_.reset(); }

   private:
    std::chrono::milliseconds settle_;
    std::optional<Clock::time_point> started_;  ///< the first change of the burst under way
  };

  /// `on_settled` runs on `executor` when a burst is due (see Burst).
  SettleTimer(const boost::asio::any_io_executor& executor, std::chrono::milliseconds settle,
              std::function<void()> on_settled);
  ~SettleTimer();
  SettleTimer(const SettleTimer&) = delete;
  SettleTimer& operator=(const SettleTimer&) = delete;

  /// A change has come: (re)starts the wait, each change pushing it back up to the burst's limit.
  void change();
  /// Stops waiting for good; `on_settled` does not run afterwards. Idempotent.
  void close();

 private:
  boost::asio::steady_timer timer_;
  Burst burst_;
  std::function<void()> on_settled_;
  /// Shared with the pending wait: false once closed, so a late completion does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gatelink::tls
