#include "link/deadline.hpp"

#include <utility>

namespace gatelink::link {

Deadline::Deadline(const boost::asio::any_io_executor& executor) : timer_(executor) {}

void Deadline::arm(std::chrono::milliseconds after, Reason reason,
                   std::function<void()> on_expiry) {
  const std::uint64_t generation = ++generation_;
  expired_.reset();
  timer_.expires_after(after);
  timer_.async_wait([this, generation, reason, on_expiry = std::move(on_expiry)](
                        const boost::system::error_code& ec) {
    // on_expiry holds the owner, so `this` is alive; a stale or cancelled wait does nothing.
    if (ec || generation != generation_) return;
    expired_ = reason;
    if (on_expiry) on_expiry();
  });
}

void Deadline::disarm() {
  ++generation_;
  expired_.reset();
  timer_.cancel();
}

}  // namespace gatelink::link
