#include "link/liveness.hpp"

#include <algorithm>

namespace gatelink::link {

namespace {

/// The agent configuration's own range (config_schema.cpp) for what a gateway may ask.
constexpr std::chrono::milliseconds kMinInterval{50};
constexpr std::chrono::milliseconds kMaxInterval{600000};
constexpr unsigned kMinMisses = 2;
constexpr unsigned kMaxMisses = 100;

}  // namespace

Liveness agree(std::uint32_t proposed_interval_ms, std::uint32_t proposed_misses,
               const LivenessBounds& bounds) {
  const auto interval = std::clamp(std::chrono::milliseconds(proposed_interval_ms),
                                   bounds.min_interval, std::max(bounds.min_interval,
                                                                 bounds.max_interval));
  const unsigned misses = std::clamp(static_cast<unsigned>(proposed_misses), bounds.min_misses,
                                     std::max(bounds.min_misses, bounds.max_misses));
  return Liveness{interval, misses};
}

bool acceptable(const Liveness& agreed) {
  return agreed.interval >= kMinInterval && agreed.interval <= kMaxInterval &&
         agreed.misses >= kMinMisses && agreed.misses <= kMaxMisses;
}

}  // namespace gatelink::link
