#pragma once
// The management group's topology store: the folder gatelink-mg writes and gateways deliver
// from. DIR/agents/<agent>.xml holds one agent's topology in the same document the agent keeps
// as its own topology.xml (store/topology_document.hpp); DIR/.lock serialises writers. Pure file
// logic: no sockets, no clocks (the caller passes the time in).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/topology_document.hpp"
#include "store_settings.hpp"

namespace gatelink::gateway {

/// What `gatelink-mg set-parent` asks for: the agent's new primary and failovers.
struct SetParentRequest {
  std::string agent;
  /// Optional where store.xml names the group (then it must be the same); without store.xml,
  /// needed for an agent's first entry.
  std::optional<std::string> management_group;
  GatewayAddress primary;                       ///< empty host: no primary given
  std::vector<GatewayAddress> failover;         ///< in failover order
};

/// A cheap fingerprint of one agent's file, from stat() alone. Every write renames a new inode
/// into place, so a finished write changes it even within one tick of the mtime clock.
struct FileSignature {
  int stat_error = 0;  ///< errno of stat(); ENOENT: nothing stored for the agent
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;

  bool exists() const { return stat_error == 0; }
  friend bool operator==(const FileSignature&, const FileSignature&) = default;
};

/// Empty when `name` may name an agent's file: 1..255 characters of [A-Za-z0-9._-], not starting
/// with '.'. Anything else could leave the folder or hide the file, so it is refused.
std::optional<Error> check_agent_name(std::string_view name);

/// The store over one folder. Readers need no lock: every file is replaced by one rename.
class TopologyRegistry {
 public:
  using Clock = std::chrono::system_clock;

  /// The store in `dir`, which must exist; nothing is touched until a call needs it.
  explicit TopologyRegistry(std::string dir);

  /// Writes DIR/store.xml, under the store's lock: from now on set-parent takes the management
  /// group from it. Refuses, leaving the store as it was: a missing store folder, an invalid
  /// name, a store.xml already there, an agent's topology that is unreadable or belongs to
  /// another management group.
  Result<StoreSettings> init(const StoreSettings& settings);

  /// DIR/store.xml; nullopt for a store made before `gatelink-mg init` existed.
  Result<std::optional<StoreSettings>> settings() const;

  /// Writes the agent's next generation (stored + 1, or 1) with these gateways, under the
  /// store's lock. Refuses, leaving the store byte for byte as it was: a bad agent name, a
  /// missing store folder, an invalid topology (validate_topology), no management group for a
  /// first entry (neither in store.xml nor asked for), a management group other than the
  /// store's or the agent's stored one. Returns what it wrote.
  Result<PersistedTopology> set_parent(const SetParentRequest& request, Clock::time_point now);

  /// The agent's stored topology, nullopt when none is stored; an Error naming the file when it
  /// cannot be read or does not parse (never "none": a corrupt file must be seen).
  Result<std::optional<PersistedTopology>> get(std::string_view agent) const;

  /// stat() of the agent's file; `agent` must pass check_agent_name().
  FileSignature signature(std::string_view agent) const;

  /// Empty when the store folder exists and is a folder; else what is wrong with it.
  std::optional<Error> check_folder() const;
  /// DIR/agents/<agent>.xml.
  std::string path_of(std::string_view agent) const;
  /// The store folder.
  const std::string& dir() const { return dir_; }

 private:
  /// Why init() refuses now; empty when it may write.
  std::optional<Error> check_init(const StoreSettings& settings) const;
  /// The topology set_parent() would write now, or why it refuses.
  Result<PersistedTopology> plan(const SetParentRequest& request, Clock::time_point now) const;
  /// Removes the temporary files a crash during an earlier write for `agent` left behind.
  void remove_stale_temp_files(std::string_view agent) const;

  std::string dir_;
  std::string agents_dir_;
};

}  // namespace gatelink::gateway
