#pragma once
// The topology a management group gives an agent: one primary, then failovers in order.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "topology/gateway_address.hpp"

namespace gatelink {

/// Upper bound on primary + failovers; larger topologies are refused.
inline constexpr std::size_t kMaxGateways = 16;

struct Topology {
  /// The management group's epoch: a new one (a store restored from backup, a key rotation)
  /// starts generations again; topologies order by (epoch, generation). 0 for the bootstrap list.
  std::uint64_t epoch = 0;
  std::uint64_t generation = 0;  ///< 0: the bootstrap list from the configuration
  std::string management_group;
  GatewayAddress primary;
  std::vector<GatewayAddress> failover;  ///< in failover order

  /// Primary first, then failovers: the order the agent tries them in.
  std::vector<GatewayAddress> ordered() const;

  friend bool operator==(const Topology&, const Topology&) = default;
};

/// What an agent did with a pushed topology (sent back to the gateway in its acknowledgement).
/// The numbers are the wire format: never renumber.
enum class TopologyOutcome : std::uint8_t {
  applied = 0,   ///< in use (and persisted)
  pending = 1,   ///< waiting for the new primary to answer a heartbeat
  ignored = 2,   ///< generation not newer than the one held
  rejected = 3,  ///< invalid
};
/// `applied`, `pending`, `ignored`, `rejected`; "unknown" for any other value.
std::string_view to_string(TopologyOutcome outcome);

/// Checks a management group's name: 1 to 255 printable ASCII characters, no space.
std::optional<Error> validate_management_group(std::string_view group);

/// Checks a topology before anything else happens to it: a primary, no duplicate gateway
/// (same host:port), at most kMaxGateways, well-formed addresses. Empty optional: valid.
std::optional<Error> validate_topology(const Topology& topology);

}  // namespace gatelink
