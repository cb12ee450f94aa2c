#pragma once
// Writing a small file so that a power cut or `kill -9` at any moment leaves either the old
// content or the new one under its name, never a torn file. One implementation per platform:
// durable_file_posix.cpp (mkstemp, fsync, rename, fsync of the folder), and on Windows
// FlushFileBuffers and MoveFileEx.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace gatelink {

/// The mode of what write_file_atomically() writes unless told: the owner's alone.
inline constexpr unsigned kPrivateFileMode = 0600;

/// Replaces `dir/name` by `contents`: writes `name.tmp.XXXXXX` in `dir` with exactly `mode`
/// (whatever the umask), flushes it to disk, renames it over `name` and flushes the folder. An
/// error before the rename leaves `name` untouched and removes the temporary file when it can (a
/// crash may leave it behind); when only the folder flush fails, `name` may already hold
/// `contents`. On Windows `mode` is ignored: the file inherits the folder's DACL.
Status write_file_atomically(const std::string& dir, const std::string& name,
                             std::string_view contents, unsigned mode = kPrivateFileMode);

/// Flushes the folder's entries (creations, renames, removals) to disk.
Status sync_directory(const std::string& dir);

/// Creates `dir` if absent with exactly `mode` (0700 for the state folder, 0750 for the status
/// socket's), and the missing folders above it 0755, whatever the umask: a folder the agent made
/// passes check_folder_safety (folder_safety.hpp) at every later start too. Ok when `dir` already
/// exists as a folder, whatever its mode (the caller checks that).
Status create_folder(const std::string& dir, unsigned mode);
inline Status create_private_directory(const std::string& dir) { return create_folder(dir, 0700); }
/// Who may use a folder create_private_directory() makes, in words for people: "mode 0700", or on
/// Windows the accounts of its protected DACL.
std::string_view private_folder_access();

/// The contents of `path` (at most `max_bytes`), when it is a regular file. Anything else is
/// refused without a blocking open or read: a FIFO, a device, a folder, a symbolic link (never
/// followed). Errors read "PATH: not found", "PATH: a FIFO, not a regular file; not reading it",
/// "PATH: cannot open: ..." or "PATH: cannot read: ...".
Result<std::string> read_regular_file(const std::string& path, std::size_t max_bytes);

/// "PATH: a FIFO, not a regular file" when something other than a regular file is at `path`
/// (without following a link); nullopt when a regular file or nothing is there.
std::optional<std::string> irregular_file(const std::string& path);

/// The durable writes the topology store makes, as an interface so that a test can make any
/// of them fail; platform_durable_files() is the real one.
class DurableFiles {
 public:
  virtual ~DurableFiles() = default;
  /// See gatelink::write_file_atomically().
  virtual Status write_file_atomically(const std::string& dir, const std::string& name,
                                       std::string_view contents) = 0;
};

/// The platform's durable writes (the free functions above); stateless, lives forever.
DurableFiles& platform_durable_files();

}  // namespace gatelink
