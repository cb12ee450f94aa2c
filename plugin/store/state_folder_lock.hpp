#pragma once
// One agent per state folder (DESIGN "Topology": one agent per state folder): the agent holds a
// lock on a file in its state folder for as long as it runs, and a second agent, or a read-only
// check, can tell which process holds it. One implementation per platform:
// state_folder_lock_posix.cpp (an open-file-description lock, released when the holder's
// descriptor closes or the process dies, kill -9 included); state_folder_lock_windows.cpp (LockFileEx).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/path_join.hpp"
#include "common/result.hpp"

namespace gatelink {

/// The lock file's name in the state folder; it holds the holder's process id as text.
inline constexpr std::string_view kStateLockFileName = "agent.lock";

/// The lock file of state folder `dir`.
inline std::string state_lock_path(const std::string& dir) {
  return join_path(dir, kStateLockFileName);
}

/// A held lock on a state folder; destroying it releases the lock (the file stays).
class StateFolderLock {
 public:
  virtual ~StateFolderLock() = default;
};

/// The process that holds a state folder's lock.
struct LockHolder {
  std::optional<long> pid;  ///< as the holder wrote it; nullopt while it has not yet
};

/// Takes the lock on `dir` (an existing, safe folder), creating the lock file (mode 0600) when
/// missing. Fails when another process (or another store in this one) holds it, naming it.
Result<std::unique_ptr<StateFolderLock>> lock_state_folder(const std::string& dir);

/// Who holds the lock on `dir`, without taking it and without creating anything: nullopt when
/// nobody does (no lock file, or nobody holds it).
Result<std::optional<LockHolder>> find_state_folder_holder(const std::string& dir);

/// "pid 1234" or "a process that has not written its pid yet", for messages.
inline std::string to_string(const LockHolder& holder) {
  return holder.pid ? "pid " + std::to_string(*holder.pid)
                    : std::string("a process that has not written its pid yet");
}

}  // namespace gatelink
