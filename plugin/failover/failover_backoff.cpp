// Backoff and retry-after jitter. Thousands of agents lose a gateway in the same instant; full
// jitter (AWS Architecture Blog, "Exponential Backoff And Jitter") spreads their next attempts
// uniformly over the whole window instead of bunching them at its end.

#include "failover/failover_backoff.hpp"

#include <algorithm>
#include <cmath>

namespace gatelink::failover {
namespace {

double clamp_unit(double unit) {
  // NaN from a broken generator counts as 0: the shortest wait, never an undefined one.
  return unit >= 0.0 ? std::min(unit, 1.0) : 0.0;
}

}  // namespace

Duration backoff_ceiling(const Settings& settings, unsigned attempt) {
  const Duration cap = std::max(settings.backoff_cap, Duration::zero());
  Duration ceiling = std::clamp(settings.backoff_base, Duration::zero(), cap);
  // Doubling step by step instead of base << attempt: no overflow, whatever the attempt count.
  for (unsigned i = 0; i < attempt && ceiling > Duration::zero() && ceiling < cap; ++i) {
    ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
  }
  return ceiling;
}

Duration spread(Duration window, double unit) {
  return Duration(static_cast<Duration::rep>(
      clamp_unit(unit) * static_cast<double>(std::max(window.count(), Duration::rep{0}))));
}

Duration backoff_delay(const Settings& settings, unsigned attempt, double unit) {
  const Duration ceiling = backoff_ceiling(settings, attempt);
  return Duration(
      static_cast<Duration::rep>(clamp_unit(unit) * static_cast<double>(ceiling.count())));
}

Duration jittered_retry_after(const Settings& settings, Duration retry_after, double unit) {
  // Stretching only upwards: the gateway asked for at least this long (it is draining or at its
  // handshake limit), and the spread keeps the agents it sent away from returning together.
  const Duration cap = std::max(settings.max_stay_away, Duration::zero());
  const double u = clamp_unit(unit);
  if (retry_after >= cap) {
    // Our own bound wins; spread below it rather than bunching every agent at the cap.
    const double early = std::floor(static_cast<double>(cap.count()) * u / 4.0);
    return cap - Duration(static_cast<Duration::rep>(early));
  }
  const Duration asked = std::max(retry_after, Duration::zero());
  const double extra = std::ceil(static_cast<double>(asked.count()) * u / 2.0);
  return std::min(cap, asked + Duration(static_cast<Duration::rep>(extra)));
}

}  // namespace gatelink::failover
