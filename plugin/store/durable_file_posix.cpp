// Durable writes on POSIX, after Icinga's lib/base/atomic-file.cpp: a temporary file in the same
// folder (so the rename never crosses file systems), fsync of the file before the rename (or a
// crash may leave the new name pointing at empty blocks, as ext4 with delalloc does), rename(2)
// (atomic: the name holds the old or the new inode), fsync of the folder (makes the rename
// itself durable before we report success).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/path_join.hpp"
#include "store/durable_file.hpp"
#include "store/posix_descriptor.hpp"

namespace gatelink {
namespace {

Error errno_error(const std::string& what, const std::string& path, int error) {
  return Error{"cannot " + what + " " + path + ": " + std::generic_category().message(error)};
}

/// What kind of file `mode` is, for messages about one that is not a regular file.
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "an unknown kind of file";
}

/// Writes all of `contents`, across short writes and signals.
int write_all(int fd, std::string_view contents) {
  while (!contents.empty()) {
    const auto written = ::write(fd, contents.data(), contents.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    contents.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

int fsync_retrying(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

/// Writes the temporary file with `mode` and renames it over `target`; `temp` names it for
/// cleanup.
Status write_and_rename(std::string& temp, const std::string& target, std::string_view contents,
                        mode_t mode) {
  Descriptor file(::mkostemp(temp.data(), O_CLOEXEC));
  if (file.get() < 0) {
    const int error = errno;
    temp.clear();  // nothing was created
    return errno_error("create a temporary file for", target, error);
  }
  // mkstemp makes 0600 on glibc and the BSDs (POSIX leaves it open before 2008): the file is
  // private until it gets `mode` here, and fchmod is not bound by the umask.
  if (::fchmod(file.get(), mode) != 0) {
    return errno_error("set the mode of", temp, errno);
  }
  if (const int error = write_all(file.get(), contents)) {
    return errno_error("write", temp, error);
  }
  if (const int error = fsync_retrying(file.get())) return errno_error("flush", temp, error);
  if (const int error = file.close()) return errno_error("close", temp, error);
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    return errno_error("rename " + temp + " to", target, errno);
  }
  temp.clear();  // renamed: nothing left to clean up
  return Ok{};
}

}  // namespace

Status write_file_atomically(const std::string& dir, const std::string& name,
                             std::string_view contents, unsigned mode) {
  const auto target = join_path(dir, name);
  auto temp = target + ".tmp.XXXXXX";
  auto written = write_and_rename(temp, target, contents, static_cast<mode_t>(mode));
  if (!written) {
    if (!temp.empty()) ::unlink(temp.c_str());
    return written;
  }
  return sync_directory(dir);
}

std::optional<std::string> irregular_file(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode)) return std::nullopt;
  return path + ": " + kind_of(info.st_mode) + ", not a regular file";
}

Result<std::string> read_regular_file(const std::string& path, std::size_t max_bytes) {
  // Looked at first, never opened: opening a FIFO blocks, opening a device may act on it.
  if (auto problem = irregular_file(path)) return Error{*problem + "; not reading it"};
  Descriptor file(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0) {
    const std::error_code error(errno, std::generic_category());
    if (error == std::errc::no_such_file_or_directory) return Error{path + ": not found"};
    return Error{path + ": cannot open: " + error.message()};
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) {
    return Error{path + ": cannot inspect: " + std::generic_category().message(errno)};
  }
  if (!S_ISREG(info.st_mode)) {  // replaced between lstat and open
    return Error{path + ": " + kind_of(info.st_mode) + ", not a regular file; not reading it"};
  }
  std::string text(max_bytes, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const ssize_t n = ::read(file.get(), text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{path + ": cannot read: " + std::generic_category().message(errno)};
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  text.resize(size);
  return text;
}

Status sync_directory(const std::string& dir) {
  Descriptor folder(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (folder.get() < 0) return errno_error("open the folder", dir, errno);
  if (const int error = fsync_retrying(folder.get())) {
    return errno_error("flush the folder", dir, error);
  }
  return Ok{};
}

namespace {

constexpr mode_t kParentMode = 0755;  ///< folders made above the one asked for

/// mkdir with exactly `mode`: the umask may only have taken bits away, chmod puts them back.
/// EEXIST is left to the caller (someone may have made it meanwhile).
int make_folder(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0) return errno;
  if (::chmod(dir.c_str(), mode) != 0) return errno;
  return 0;
}

}  // namespace

Status create_folder(const std::string& dir, unsigned mode) {
  std::filesystem::path path(dir);
  if (!path.has_filename()) path = path.parent_path();  // "a/b/" names the folder "a/b"
  // The missing folders, outermost first; the existing ones above are not touched.
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path at = path; !at.empty(); at = at.parent_path()) {
    struct stat info {};
    if (::stat(at.c_str(), &info) == 0) {
      if (S_ISDIR(info.st_mode)) break;
      return Error{"cannot use " + at.string() + ": it exists and is not a folder"};
    }
    if (errno != ENOENT) return errno_error("look at", at.string(), errno);
    missing.push_back(at);
    if (at == at.parent_path()) break;
  }
  for (std::size_t i = missing.size(); i-- > 0;) {
    const mode_t wanted = i == 0 ? static_cast<mode_t>(mode) : kParentMode;
    if (const int error = make_folder(missing[i].string(), wanted); error != 0 && error != EEXIST) {
      return errno_error("create the folder", missing[i].string(), error);
    }
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return errno_error("create the folder", dir, errno);
  if (!S_ISDIR(info.st_mode)) {
    return Error{"cannot use " + dir + ": it exists and is not a folder"};
  }
  return Ok{};
}

std::string_view private_folder_access() { return "mode 0700"; }

}  // namespace gatelink
