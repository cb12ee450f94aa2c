// The topology model and the checks every topology passes before the agent acts on it.

#include "topology/topology.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>

namespace gatelink {
namespace {

/// Same bound as the agent configuration puts on a management group name.
constexpr std::size_t kMaxManagementGroup = 255;

/// Which entry of the topology, as messages name it: "primary" or "failover[i]".
std::string entry_name(std::size_t index) {
  return index == 0 ? "primary" : "failover[" + std::to_string(index - 1) + "]";
}

/// host:port with the host in lowercase: DNS names compare without case, and IPv6 hosts are
/// already canonical after parsing.
std::string dedup_key(const GatewayAddress& address) {
  std::string key = address.endpoint();
  std::transform(key.begin(), key.end(), key.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return key;
}

/// An address is well-formed when its command-line form parses back to the same fields; this
/// re-checks addresses that did not come through the parser (pushed, loaded, built in code).
std::optional<std::string> address_problem(const GatewayAddress& address) {
  if (address.host.empty()) return "host is empty";
  const auto reparsed = parse_gateway_address(address.to_string());
  if (!reparsed) return reparsed.error().message;
  if (*reparsed == address) return std::nullopt;
  if (reparsed->server_name != address.server_name || reparsed->port != address.port) {
    return "host \"" + address.host + "\" is not a host name or IP address";
  }
  return "host \"" + address.host + "\" is not in canonical form (\"" + reparsed->host + "\")";
}

}  // namespace

std::string_view to_string(TopologyOutcome outcome) {
  switch (outcome) {
    case TopologyOutcome::applied:
      return "applied";
    case TopologyOutcome::pending:
      return "pending";
    case TopologyOutcome::ignored:
      return "ignored";
    case TopologyOutcome::rejected:
      return "rejected";
  }
  return "unknown";
}

std::string to_string(TopologyVersion version) {
  return "epoch " + std::to_string(version.epoch) + " generation " +
         std::to_string(version.generation);
}

std::optional<Error> check_issuable(TopologyVersion version) {
  constexpr auto kReserved = std::numeric_limits<std::uint64_t>::max();
  if (version.generation == 0) return Error{"generation 0 is reserved for the bootstrap list"};
  if (version.generation == kReserved) {
    return Error{"generation " + std::to_string(kReserved) +
                 " is reserved: nothing could ever follow it (start a new epoch)"};
  }
  if (version.epoch == kReserved) {
    return Error{"epoch " + std::to_string(kReserved) +
                 " is reserved: nothing could ever follow it"};
  }
  return std::nullopt;
}

std::vector<GatewayAddress> Topology::ordered() const {
  std::vector<GatewayAddress> all;
  all.reserve(failover.size() + 1);
  all.push_back(primary);
  all.insert(all.end(), failover.begin(), failover.end());
  return all;
}

std::optional<Error> validate_management_group(std::string_view group) {
  if (group.empty()) return Error{"management group is empty"};
  if (group.size() > kMaxManagementGroup) {
    return Error{"management group is longer than " + std::to_string(kMaxManagementGroup) +
                 " characters"};
  }
  if (!std::all_of(group.begin(), group.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    return Error{"management group contains a space or a non-printable character"};
  }
  return std::nullopt;
}

std::optional<Error> validate_topology(const Topology& topology) {
  if (topology.failover.size() + 1 > kMaxGateways) {
    return Error{"too many gateways: " + std::to_string(topology.failover.size() + 1) +
                 " (at most " + std::to_string(kMaxGateways) + ")"};
  }
  if (auto problem = validate_management_group(topology.management_group)) return problem;
  if (topology.primary.host.empty()) return Error{"no primary gateway"};

  const auto gateways = topology.ordered();
  std::vector<std::string> keys;
  keys.reserve(gateways.size());
  for (std::size_t i = 0; i < gateways.size(); ++i) {
    if (auto problem = address_problem(gateways[i])) {
      return Error{entry_name(i) + ": " + *problem};
    }
    auto key = dedup_key(gateways[i]);
    const auto earlier = std::find(keys.begin(), keys.end(), key);
    if (earlier != keys.end()) {
      const auto j = static_cast<std::size_t>(earlier - keys.begin());
      return Error{entry_name(i) + ": duplicate of " + entry_name(j) + " " +
                   gateways[j].endpoint()};
    }
    keys.push_back(std::move(key));
  }
  return std::nullopt;
}

}  // namespace gatelink
