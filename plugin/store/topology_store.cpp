// The topology store: two files, each only ever replaced by one atomic rename.
//
// Crash safety. save(N) while topology.xml holds C (valid) runs two durable writes, each a
// temporary file that is written, fsynced, renamed over its name, and then the folder fsynced:
//   1. C's bytes -> topology.lkg.xml    2. N -> topology.xml
// write_file_atomically() returns only after the folder sync, so write 1 is on disk before
// write 2 starts. A power cut or kill -9 at any instant therefore leaves one of:
//   - before 1 renames:   xml = C, lkg = the older one (or none), maybe a stale temp  -> load C
//   - between 1 and 2:    xml = C, lkg = C, maybe a stale temp                        -> load C
//   - after 2 renames:    xml = N, lkg = C  (if the folder sync did not happen yet, a rename is
//                         still all-or-nothing: xml = C or N)                         -> C or N
// topology.xml, once it exists, is never removed nor written in place, only replaced by one
// rename, so it always holds a complete file; lkg is only written with a copy of a topology.xml
// that parsed. N counts as saved once save() returns Ok (after the last folder sync), and
// nothing replaces it afterwards except a newer save. Temporary files a crash leaves are
// removed by the next open(). A copy rather than a hard link makes topology.lkg.xml: links are
// missing on some file systems, and the file is small (at most 64 KiB).
//
// If topology.xml is missing or does not parse, it is not copied: lkg keeps the last good one
// and only topology.xml is written.

#include "store/topology_store.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "common/path_join.hpp"
#include "store/folder_safety.hpp"
#include "store/stored_topology.hpp"
#include "xml/strict_xml.hpp"

namespace gatelink {
namespace {

/// One file of the store as read: its bytes and what they parse to.
struct StoredFile {
  std::string bytes;
  Result<PersistedTopology> parsed;
};

bool is_temp_name(std::string_view name) {
  for (const auto file : {kTopologyFileName, kLastKnownGoodFileName}) {
    const auto prefix = std::string(file) + ".tmp.";
    if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

/// Reads at most kMaxTopologyDocumentBytes of `path`, a regular file (see read_regular_file()).
Result<std::string> read_bounded(const std::string& path) {
  auto text = read_regular_file(path, kMaxTopologyDocumentBytes + 1);
  // One byte more than allowed tells a file at the limit from a larger one.
  if (text && text->size() > kMaxTopologyDocumentBytes) {
    return xml::too_large(path, kMaxTopologyDocumentBytes);
  }
  return text;
}

/// The temporary files of the store's own names in `dir` that a crash left (regular files only:
/// anything else there is not one of ours and is left alone).
Result<std::vector<std::string>> stale_temp_files(const std::string& dir) {
  std::vector<std::string> stale;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!is_temp_name(it->path().filename().string())) continue;
    const auto status = it->symlink_status(ec);
    if (ec) break;
    if (std::filesystem::is_regular_file(status)) stale.push_back(it->path().string());
  }
  if (ec) return Error{"cannot list the state folder " + dir + ": " + ec.message()};
  return stale;
}

/// One file of the store; with `accept`, a file that parses but is not accepted counts as
/// unusable, with the reason.
StoredFile read_stored(const std::string& dir, std::string_view name,
                       const TopologyStore::Acceptance& accept = {}) {
  const auto path = join_path(dir, name);
  auto bytes = read_bounded(path);
  if (!bytes) return {{}, bytes.error()};
  auto parsed = parse_persisted_topology(*bytes, path);
  if (parsed && accept) {
    if (auto refused = accept(*parsed))
      return {std::move(*bytes), Error{path + ": " + refused->message}};
  }
  return {std::move(*bytes), std::move(parsed)};
}

}  // namespace

Result<TopologyStore> TopologyStore::open(std::string dir, DurableFiles& files) {
  if (dir.empty()) return Error{"the state folder is not set"};
  if (auto created = create_private_directory(dir); !created) return created.error();
  if (Status safe = check_folder_safety(dir); !safe) return safe.error();
  auto lock = lock_state_folder(dir);
  if (!lock) return lock.error();

  auto stale = stale_temp_files(dir);
  if (!stale) return stale.error();
  // Removed after listing: unlinking while readdir() runs may skip or repeat entries.
  std::vector<std::string> removed;
  for (const auto& path : *stale) {
    std::error_code ec;
    if (!std::filesystem::remove(path, ec) && ec) {
      // Removing and creating files need the same right on the folder: saving would fail too.
      return Error{"cannot remove the stale temporary file " + path + ": " + ec.message()};
    }
    removed.push_back(path);
  }
  return TopologyStore(std::move(dir), files, std::move(removed), std::move(*lock));
}

TopologyStore::Inspection TopologyStore::inspect(std::string dir) {
  Inspection found{.store = TopologyStore(dir, platform_durable_files(), {}, nullptr)};
  std::error_code ec;
  if (dir.empty()) {
    found.refused = "the state folder is not set";
    return found;
  }
  found.folder_exists = std::filesystem::exists(dir, ec);
  Status safe = found.folder_exists ? check_folder_safety(dir) : check_parents_safety(dir);
  if (!safe) found.refused = safe.error().message;
  if (!found.folder_exists || found.refused) return found;

  auto holder = find_state_folder_holder(dir);
  if (!holder) {
    found.refused = holder.error().message;
    return found;
  }
  found.holder = *holder;
  if (found.holder) return found;  // its temporary files are in flight, not stale
  auto stale = stale_temp_files(dir);
  if (!stale) {
    found.refused = stale.error().message;
    return found;
  }
  found.stale_temp_files = std::move(*stale);
  return found;
}

Result<TopologyStore::Loaded> TopologyStore::load(const Acceptance& accept) const {
  auto current = read_stored(dir_, kTopologyFileName, accept);
  auto lkg = read_stored(dir_, kLastKnownGoodFileName, accept);
  std::optional<PersistedTopology> last_known_good;
  if (lkg.parsed) last_known_good = lkg.parsed.value();
  if (current.parsed) {
    return Loaded{std::move(current.parsed).value(), Loaded::Source::current, {},
                  std::move(last_known_good)};
  }
  if (lkg.parsed) {
    return Loaded{std::move(lkg.parsed).value(), Loaded::Source::last_known_good,
                  {current.parsed.error().message}, std::move(last_known_good)};
  }
  return Error{"no usable persisted topology in " + dir_ + ": " + current.parsed.error().message +
               "; " + lkg.parsed.error().message};
}

Status TopologyStore::save(const PersistedTopology& persisted) {
  const auto generation = to_string(version_of(persisted.topology));
  if (!lock_) {
    return Error{"refusing to save topology " + generation + ": the store of " + dir_ +
                 " was only inspected, not opened"};
  }
  for (const auto name : {kTopologyFileName, kLastKnownGoodFileName}) {
    if (auto problem = irregular_file(join_path(dir_, name))) {
      return Error{"refusing to save topology " + generation + ": " + *problem +
                   "; not replacing it (move it away)"};
    }
  }
  if (auto problem = validate_topology(persisted.topology)) {
    return Error{"refusing to save topology " + generation + ": " + problem->message};
  }
  auto rendered = render_persisted_topology(persisted);
  if (!rendered) {
    return Error{"refusing to save topology " + generation + ": " + rendered.error().message};
  }
  const std::string& text = *rendered;
  // A file this agent cannot read back would be skipped at the next start: check it first.
  if (auto reread = parse_persisted_topology(text, generation); !reread) {
    return Error{"refusing to save a topology that would not read back: " + reread.error().message};
  } else if (!(reread->topology == persisted.topology)) {
    return Error{"refusing to save topology " + generation +
                 ": its document does not hold that topology"};
  }

  // The newest topology on disk, as load() would return it.
  auto current = read_stored(dir_, kTopologyFileName);
  std::optional<StoredFile> lkg;
  const PersistedTopology* newest = nullptr;
  if (current.parsed) {
    newest = &current.parsed.value();
  } else {
    lkg = read_stored(dir_, kLastKnownGoodFileName);
    if (lkg->parsed) newest = &lkg->parsed.value();
  }
  // Versions count within one management group: an agent moved to another group starts over
  // at that group's numbers, and the old group's file is no longer its topology.
  if (newest && newest->topology.management_group != persisted.topology.management_group) {
    newest = nullptr;
  }
  if (newest) {
    const auto& stored = newest->topology;
    if (stored == persisted.topology) {
      if (current.parsed) return Ok{};  // already the current one: nothing to write
      // Only in lkg: rewrite topology.xml below, lkg stays as it is.
    } else if (version_of(persisted.topology) <= version_of(stored)) {
      return Error{"refusing to save topology " + generation + ": " +
                   to_string(version_of(stored)) +
                   (version_of(persisted.topology) == version_of(stored)
                        ? " is already persisted with other gateways"
                        : " is already persisted and the store never goes back")};
    }
  }

  if (current.parsed) {
    if (auto kept =
            files_->write_file_atomically(dir_, std::string(kLastKnownGoodFileName), current.bytes);
        !kept) {
      return Error{"cannot keep the previous topology as last-known-good: " + kept.error().message};
    }
  }
  if (auto written = files_->write_file_atomically(dir_, std::string(kTopologyFileName), text);
      !written) {
    return Error{"cannot save topology " + generation + ": " + written.error().message};
  }
  return Ok{};
}

}  // namespace gatelink
