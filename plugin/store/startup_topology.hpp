#pragma once
// Which topology the agent starts with: the persisted one if it is valid and of this agent's
// management group, else last-known-good, else the configuration's bootstrap list, with the
// reason for every fallback so that the caller can log it (DESIGN "Topology: push, change,
// persistence").

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/topology_store.hpp"
#include "store/topology_trust.hpp"

namespace gatelink {

struct StartupTopology {
  enum class Origin { persisted, last_known_good, bootstrap };
  Topology topology;
  Origin origin = Origin::bootstrap;
  /// Why the files before the chosen one were skipped; empty when the first choice was taken.
  /// A store with no file yet (first start) is not a problem and leaves this empty.
  std::vector<std::string> fallbacks;
  /// Generation of a valid topology.lkg.xml, for status.
  std::optional<std::uint64_t> last_known_good;
  /// The file `topology` came from, with where and when it was received (status shows it);
  /// nullopt for the bootstrap list.
  std::optional<PersistedTopology> file;
  /// That valid topology.lkg.xml whole, for status.
  std::optional<PersistedTopology> last_known_good_file;
};
/// `persisted`, `last-known-good`, `bootstrap`.
std::string_view to_string(StartupTopology::Origin origin);

/// Empty when a file the store read may be used by the agent `trust` describes: of its
/// management group and, when it carries an issued document, one check_issued() accepts (the
/// verifying key then becomes its signed_by); a version-1 file only while no key is pinned.
std::optional<Error> accept_persisted(PersistedTopology& file, const TopologyTrust& trust,
                                      std::chrono::system_clock::time_point now);

/// Chooses from `store` and `bootstrap` (whose management group is the agent's), every file
/// checked by accept_persisted() at `now`, the agent's wall clock.
StartupTopology choose_startup_topology(const TopologyStore& store, const Topology& bootstrap,
                                        const TopologyTrust& trust,
                                        std::chrono::system_clock::time_point now);

}  // namespace gatelink
