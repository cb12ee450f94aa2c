// The settle wait of a file watch: the burst rule and the timer that runs it.

#include "tls/settle_timer.hpp"

#include <algorithm>
#include <utility>

namespace gatelink::tls {

SettleTimer::Clock::time_point SettleTimer::Burst::change(Clock::time_point now) {
  if (!started_) started_ = now;
  return std::min(now + settle_, *started_ + settle_ * kMaxSettleFactor);
}

SettleTimer::SettleTimer(const boost::asio::any_io_executor& executor,
                         std::chrono::milliseconds settle, std::function<void()> on_settled)
    : timer_(executor), burst_(settle), on_settled_(std::move(on_settled)) {}

SettleTimer::~SettleTimer() { close(); }

void SettleTimer::change() {
  timer_.expires_at(burst_.change(Clock::now()));
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    burst_.reported();
    on_settled_();
  });
}

void SettleTimer::close() {
  *alive_ = false;
  timer_.cancel();
}

}  // namespace gatelink::tls
