#include "log_throttle.hpp"

namespace gatelink::gateway {

std::optional<std::uint64_t> LogThrottle::event(Clock::time_point now) {
  ++unlogged_;
  if (last_line_ && now - *last_line_ < period_) return std::nullopt;
  last_line_ = now;
  const auto count = unlogged_;
  unlogged_ = 0;
  return count;
}

}  // namespace gatelink::gateway
