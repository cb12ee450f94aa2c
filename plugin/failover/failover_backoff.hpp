#pragma once
// The delays that spread a fleet out in time: exponential backoff with full jitter after a failed
// pass, and the jittered stay-away after a goodbye with a retry-after. Pure functions of a draw.

#include <chrono>

#include "failover/failover_machine.hpp"

namespace gatelink::failover {

/// The longest stay-away a goodbye can impose: a wrong or hostile gateway must not strand agents.
inline constexpr Duration kMaxRetryAfter = std::chrono::hours(24);

/// min(cap, base·2^attempt): the upper bound of the backoff after `attempt` failed passes.
Duration backoff_ceiling(const Settings& settings, unsigned attempt);

/// Full jitter: `unit` (a draw in [0, 1]) times the ceiling, so a fleet spreads uniformly.
Duration backoff_delay(const Settings& settings, unsigned attempt, double unit);

/// retry_after·(1 + unit/2), rounded up: never earlier than the gateway asked, at most 1.5×.
Duration jittered_retry_after(Duration retry_after, double unit);

}  // namespace gatelink::failover
