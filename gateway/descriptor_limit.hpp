#pragma once
// The number of open files the gateway may hold, which is what bounds how many agents it can
// keep: one socket each. Raised to the hard limit at start (systemd's LimitNOFILE, or
// `ulimit -Hn`), so an operator sets one number and the gateway uses it.

#include <cstdint>
#include <string>

namespace gatelink::gateway {

struct DescriptorLimit {
  std::uint64_t soft = 0;  ///< in force after the call
  std::uint64_t hard = 0;
  std::string error;  ///< why the soft limit could not be raised; empty when it was
};

/// Raises the soft RLIMIT_NOFILE to the hard one and says what is in force.
DescriptorLimit raise_descriptor_limit();

/// Descriptors kept aside for what is not an agent: the listening socket, the log, the event
/// loop's own, signal handling and reads of the topology store.
inline constexpr std::uint64_t kReservedDescriptors = 16;

/// How many agents `limit` leaves room for.
inline std::uint64_t max_agents(const DescriptorLimit& limit) {
  return limit.soft > kReservedDescriptors ? limit.soft - kReservedDescriptors : 0;
}

}  // namespace gatelink::gateway
