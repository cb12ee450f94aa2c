#include "busy_retry.hpp"

#include <algorithm>
#include <cmath>

namespace gatelink::gateway {

namespace {

std::int64_t step_of(BusyRetry::Clock::time_point t) {
  return std::chrono::duration_cast<BusyRetry::Millis>(t.time_since_epoch()) / BusyRetry::kStep;
}

}  // namespace

void BusyRetry::advance(Clock::time_point now) {
  const std::int64_t now_step = step_of(now);
  if (step_ < 0) {
    step_ = now_step;
    return;
  }
  // Every step from the one after step_ up to now_step starts empty (all of them after a long
  // quiet); a clock that went back leaves the window as it is.
  const std::int64_t gap = std::min<std::int64_t>(now_step - step_, kSteps);
  for (std::int64_t i = 1; i <= gap; ++i) {
    counts_[static_cast<std::size_t>((step_ + i) % static_cast<std::int64_t>(kSteps))] = 0;
  }
  step_ = std::max(step_, now_step);
}

void BusyRetry::finished(Clock::time_point now) {
  advance(now);
  ++counts_[static_cast<std::size_t>(step_ % static_cast<std::int64_t>(kSteps))];
}

double BusyRetry::per_second(Clock::time_point now) {
  advance(now);
  std::uint64_t total = 0;
  for (const auto n : counts_) total += n;
  const double window_s = std::chrono::duration<double>(kStep * kSteps).count();
  return static_cast<double>(total) / window_s;
}

BusyRetry::Millis BusyRetry::retry_after(std::size_t ahead, Clock::time_point now) {
  const double rate = per_second(now);
  if (rate <= 0) return std::min(std::chrono::duration_cast<Millis>(kStep * kSteps), cap_);
  const double ms = std::ceil(static_cast<double>(ahead) / rate * 1000.0);
  if (ms >= static_cast<double>(cap_.count())) return cap_;
  return std::clamp(Millis(static_cast<Millis::rep>(ms)), floor_, cap_);
}

}  // namespace gatelink::gateway
