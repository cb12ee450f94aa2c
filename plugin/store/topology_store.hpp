#pragma once
// The agent's persisted topology in its state folder: topology.xml (the current one) and
// topology.lkg.xml (the one before it, last-known-good), written so that a crash at any moment
// leaves a complete, valid file and never loses the newest saved one (DESIGN "Topology: push,
// change, persistence"). Files only: the caller passes times in and does the logging.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/durable_file.hpp"
#include "store/topology_document.hpp"

namespace gatelink {

/// The current topology's file name in the state folder.
inline constexpr std::string_view kTopologyFileName = "topology.xml";
/// The previous topology's file name: what load() falls back to.
inline constexpr std::string_view kLastKnownGoodFileName = "topology.lkg.xml";

/// The persisted topology of one agent. One writer per folder; not thread-safe.
class TopologyStore {
 public:
  /// What load() found, and why it had to skip the current file if it did.
  struct Loaded {
    PersistedTopology value;
    enum class Source { current, last_known_good } source = Source::current;
    std::vector<std::string> problems;  ///< why the current or lkg file was skipped
    /// topology.lkg.xml when it is valid, whichever file `value` came from (status shows it).
    std::optional<PersistedTopology> last_known_good;
  };

  /// Opens the store over `dir`: creates it (mode 0700) if missing and removes the temporary
  /// files a crash left behind (see removed_temp_files()). `files` must outlive the store.
  static Result<TopologyStore> open(std::string dir,
                                    DurableFiles& files = platform_durable_files());

  /// topology.xml if it is valid, else topology.lkg.xml; when neither is, an Error that says
  /// why each was skipped (missing, unreadable, invalid) and the caller uses its bootstrap list.
  Result<Loaded> load() const;

  /// Makes `persisted` the current topology and the previous current one last-known-good.
  /// Refuses an invalid topology, and a generation lower than or equal to the one load() returns
  /// (the store never goes back) when that one is of the same management group; saving that
  /// same topology again is Ok and writes nothing.
  /// On error the files hold what they held before, or `persisted` already.
  Status save(const PersistedTopology& persisted);

  /// The state folder.
  const std::string& dir() const { return dir_; }
  /// Paths of the stale temporary files open() removed, for the caller to log.
  const std::vector<std::string>& removed_temp_files() const { return removed_; }

 private:
  TopologyStore(std::string dir, DurableFiles& files, std::vector<std::string> removed)
      : dir_(std::move(dir)), files_(&files), removed_(std::move(removed)) {}

  std::string dir_;
  DurableFiles* files_;
  std::vector<std::string> removed_;
};

}  // namespace gatelink
