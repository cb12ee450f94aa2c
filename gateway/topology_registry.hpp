#pragma once
// The management group's topology store: the folder gatelink-mg writes and gateways deliver
// from. DIR/agents/<agent>.xml holds one agent's issued topology document, signed when
// store.xml names a key, in the <stored-topology> file the agent keeps as its own topology.xml
// (store/stored_topology.hpp); DIR/store.xml names the group, its epoch and key; DIR/.lock
// serialises writers. Pure file logic: no sockets, no clocks (the caller passes the time in).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/stored_topology.hpp"
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

/// One agent's entry: the issued topology and the file's bytes of it, as gateways push them.
struct RegistryEntry {
  IssuedTopology issued;
  StoredTopology stored;  ///< no received-at or received-from in the store

  /// Written by a gatelink-mg before signed topologies (a version-1 <topology> file): it holds no
  /// issued document, so gateways push nothing from it until set-parent or new-epoch re-issues
  /// it. Its topology is read with epoch 0 and its received-at as issued_at.
  bool legacy() const { return stored.document.empty(); }

  friend bool operator==(const RegistryEntry&, const RegistryEntry&) = default;
};

/// An entry about to be written, and its file's text.
struct IssuedEntry {
  RegistryEntry entry;
  std::string text;
};

/// What `gatelink-mg new-epoch` asks for.
struct NewEpochRequest {
  std::optional<std::uint64_t> epoch;      ///< none: Unix seconds now, past every stored one
  std::optional<std::string> signing_key;  ///< absolute path of the new key; none: keep it
};

/// What new_epoch() did.
struct NewEpochResult {
  StoreSettings settings;           ///< store.xml as written
  std::string signed_by;            ///< fingerprint of the store's key; empty: unsigned
  std::vector<std::string> agents;  ///< the agents issued again, in name order
};

/// The epoch a new one begun at `now` gets: its Unix time in seconds, at least 1.
std::uint64_t epoch_at(std::chrono::system_clock::time_point now);

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
  /// group, epoch and signing key from it. Refuses, leaving the store as it was: a missing store
  /// folder, an invalid name or epoch (check_store_epoch), a signing key that does not load, a
  /// store.xml already there, an agent's entry that is unreadable or belongs to another group.
  /// Entries stay as they are: set-parent and new-epoch issue them again.
  Result<StoreSettings> init(const StoreSettings& settings);

  /// Begins a new epoch, under the store's lock: checks every entry, writes store.xml with the
  /// new epoch (and key), then issues every agent's entry again as (new epoch, generation 1),
  /// same gateways, signed with the store's key. A crash in between leaves store.xml ahead of
  /// some entries, which set-parent and another new-epoch handle. Refuses, leaving the store as
  /// it was: no store.xml, an epoch not greater than the store's and every entry's or not
  /// issuable, a key that does not load, an entry that is unreadable or of another group.
  Result<NewEpochResult> new_epoch(const NewEpochRequest& request, Clock::time_point now);

  /// DIR/store.xml; nullopt for a store made before `gatelink-mg init` existed.
  Result<std::optional<StoreSettings>> settings() const;

  /// Issues the agent's next version with these gateways, under the store's lock: in the
  /// store's epoch (0 without store.xml), the stored generation + 1 when the entry is of that
  /// epoch, else generation 1; signed when store.xml names a key. Refuses, leaving the store
  /// byte for byte as it was: a bad agent name, a missing store folder, an invalid topology
  /// (validate_topology), no management group for a first entry (neither in store.xml nor asked
  /// for), a management group other than the store's or the entry's, an entry of a later epoch
  /// than the store's, a used-up generation space, a signing key that does not load. Returns
  /// what it wrote.
  Result<RegistryEntry> set_parent(const SetParentRequest& request, Clock::time_point now);

  /// The agent's entry, nullopt when none is stored; an Error naming the file when it cannot be
  /// read or parsed, its document is another agent's or its signature is malformed (never
  /// "none": a corrupt file must be seen). Signatures are not verified: gateways hold no keys.
  Result<std::optional<RegistryEntry>> get(std::string_view agent) const;

  /// stat() of the agent's file; `agent` must pass check_agent_name().
  FileSignature signature(std::string_view agent) const;

  /// Empty when the store folder exists and is a folder; else what is wrong with it.
  std::optional<Error> check_folder() const;
  /// DIR/agents/<agent>.xml.
  std::string path_of(std::string_view agent) const;
  /// The store folder.
  const std::string& dir() const { return dir_; }

 private:
  /// Everything new_epoch() would write now, or why it refuses.
  struct EpochPlan {
    NewEpochResult result;
    std::string settings_text;  ///< store.xml
    std::vector<IssuedEntry> issues;
  };

  /// The store.xml init() would write now, or why it refuses.
  Result<std::string> plan_init(const StoreSettings& settings) const;
  /// The entry set_parent() would write now and its file, or why it refuses.
  Result<IssuedEntry> plan(const SetParentRequest& request, Clock::time_point now) const;
  /// What new_epoch() would write now, or why it refuses.
  Result<EpochPlan> plan_epoch(const NewEpochRequest& request, Clock::time_point now) const;
  /// Every stored entry, by agent name in order; the first that cannot be read refuses them all.
  Result<std::vector<RegistryEntry>> entries() const;
  /// Writes `issued` as its agent's file; the lock is held.
  Status write_entry(const IssuedEntry& issued) const;
  /// Removes the temporary files a crash during an earlier write for `agent` left behind.
  void remove_stale_temp_files(std::string_view agent) const;

  std::string dir_;
  std::string agents_dir_;
};

}  // namespace gatelink::gateway
