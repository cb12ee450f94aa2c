#pragma once
// The agent's persisted topology in its state folder: topology.xml (the current one) and
// topology.lkg.xml (the one before it, last-known-good), written so that a crash at any moment
// leaves a complete, valid file and never loses the newest saved one (DESIGN "Topology: push,
// change, persistence"). Files only: the caller passes times in and does the logging.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/durable_file.hpp"
#include "store/state_folder_lock.hpp"
#include "store/topology_document.hpp"

namespace gatelink {

/// The current topology's file name in the state folder.
inline constexpr std::string_view kTopologyFileName = "topology.xml";
/// The previous topology's file name: what load() falls back to.
inline constexpr std::string_view kLastKnownGoodFileName = "topology.lkg.xml";

/// The persisted topology of one agent. One writer per folder, held by a lock on the folder for
/// the store's lifetime; not thread-safe. Move-only (the lock moves with it).
class TopologyStore {
 public:
  /// What inspect() found: what open() would do, without doing any of it.
  struct Inspection;

  /// What load() found, and why it had to skip the current file if it did.
  struct Loaded {
    PersistedTopology value;
    enum class Source { current, last_known_good } source = Source::current;
    std::vector<std::string> problems;  ///< why the current or lkg file was skipped
    /// topology.lkg.xml when it is valid, whichever file `value` came from (status shows it).
    std::optional<PersistedTopology> last_known_good;
  };

  /// Opens the store over `dir`: creates it (mode 0700) if missing, refuses it when other users
  /// could write to it (folder_safety.hpp), takes its lock (refused, naming the holder, while
  /// another store holds it) and removes the temporary files a crash left behind (see
  /// removed_temp_files()). `files` must outlive the store.
  static Result<TopologyStore> open(std::string dir,
                                    DurableFiles& files = platform_durable_files());

  /// Looks at `dir` as open() would, changing nothing: creates, removes and locks nothing. The
  /// inspection's store loads like an opened one; its save() refuses.
  static Inspection inspect(std::string dir);

  /// Whether a file that parsed may be used: empty when it may, else why not (its signature,
  /// its agent, its management group: startup_topology.hpp). May amend what it accepts (the
  /// key that verified it).
  using Acceptance = std::function<std::optional<Error>(PersistedTopology&)>;

  /// topology.xml if it is valid (and accepted), else topology.lkg.xml; when neither is, an
  /// Error that says why each was skipped (missing, unreadable, invalid, not accepted) and the
  /// caller uses its bootstrap list.
  Result<Loaded> load(const Acceptance& accept = {}) const;

  /// Makes `persisted` the current topology and the previous current one last-known-good.
  /// Refuses an invalid topology, and a version (epoch, generation) lower than or equal to the
  /// one load() returns (the store never goes back) when that one is of the same management
  /// group; saving that same topology again is Ok and writes nothing. With an issued document
  /// the file is a <stored-topology> that keeps its bytes and signature (stored_topology.hpp).
  /// On error the files hold what they held before, or `persisted` already. A name of the store
  /// that holds something other than a regular file (a FIFO, a link, a folder) is never replaced.
  Status save(const PersistedTopology& persisted);

  /// The state folder.
  const std::string& dir() const { return dir_; }
  /// Paths of the stale temporary files open() removed, for the caller to log.
  const std::vector<std::string>& removed_temp_files() const { return removed_; }

 private:
  TopologyStore(std::string dir, DurableFiles& files, std::vector<std::string> removed,
                std::unique_ptr<StateFolderLock> lock)
      : dir_(std::move(dir)),
        files_(&files),
        removed_(std::move(removed)),
        lock_(std::move(lock)) {}

  std::string dir_;
  DurableFiles* files_;
  std::vector<std::string> removed_;
  std::unique_ptr<StateFolderLock> lock_;  ///< null: an inspection's store, which never writes
};

struct TopologyStore::Inspection {
  TopologyStore store;         ///< read-only: loads, never saves
  bool folder_exists = false;  ///< false: open() would create it
  /// Why open() would refuse the folder (others may write to it, it is no folder, ...).
  std::optional<std::string> refused;
  /// The agent that holds the folder now: open() would fail, and temporary files are its own.
  std::optional<LockHolder> holder;
  /// The stale temporary files open() would remove (none while an agent holds the folder).
  std::vector<std::string> stale_temp_files;
};

}  // namespace gatelink
