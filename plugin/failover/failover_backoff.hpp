#pragma once
// The delays that spread a fleet out in time: exponential backoff with full jitter after a failed
// pass, and the jittered stay-away after a goodbye with a retry-after. Pure functions of a draw.

#include <chrono>

#include "failover/failover_machine.hpp"

namespace gatelink::failover {

/// min(cap, base·2^attempt): the upper bound of the backoff after `attempt` failed passes.
Duration backoff_ceiling(const Settings& settings, unsigned attempt);

/// Full jitter: `unit` (a draw in [0, 1]) times the ceiling, so a fleet spreads uniformly.
Duration backoff_delay(const Settings& settings, unsigned attempt, double unit);

/// `unit` (a draw in [0, 1]) times `window`: when one of many agents does something that all of
/// them would otherwise do in the same instant.
Duration spread(Duration window, double unit);

/// How long to stay away from a gateway whose goodbye asked for `retry_after`:
/// retry_after·(1 + unit/2), rounded up, so the agents it sent away do not return together; but
/// never longer than settings.max_stay_away, whatever the gateway asked (when it asks for that
/// much or more, the agents spread over the last quarter of max_stay_away instead).
Duration jittered_retry_after(const Settings& settings, Duration retry_after, double unit);

}  // namespace gatelink::failover
