// The state folder's lock on POSIX: an OFD lock (fcntl F_OFD_SETLK, Linux 3.15) on the whole of
// `agent.lock`. Unlike classic POSIX record locks it belongs to the open file description, so
// two stores in one process conflict as two processes do, and no other close() of the file in
// the process drops it. OFD locks report no owner (l_pid is -1), so the holder writes its pid
// into the file once it holds the lock. The file is never removed: removing a lock file races
// with the next agent opening it.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <system_error>

#include "store/posix_descriptor.hpp"
#include "store/state_folder_lock.hpp"

namespace gatelink {
namespace {

/// The pid text is at most this long (a 64-bit number and a newline).
constexpr std::size_t kMaxPidText = 24;

Error os_error(const std::string& what, const std::string& path, int error_number) {
  return Error{"cannot " + what + " " + path + ": " +
               std::generic_category().message(error_number)};
}

/// Opens the lock file without following a link or blocking on a FIFO, and makes sure it is a
/// regular file (nothing else is ever locked or written).
Result<int> open_lock_file(const std::string& path, int flags) {
  Descriptor fd(::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    if (errno == ELOOP) return Error{path + " is a symbolic link; refusing to use it as the lock"};
    return os_error("open", path, errno);
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return os_error("inspect", path, errno);
  if (!S_ISREG(info.st_mode)) {
    return Error{path + " is not a regular file; refusing to use it as the lock"};
  }
  return fd.release();
}

/// The pid the holder wrote, if it has.
std::optional<long> read_pid(int fd) {
  char text[kMaxPidText] = {};
  const ssize_t n = ::pread(fd, text, sizeof text, 0);
  if (n <= 0) return std::nullopt;
  long pid = 0;
  const auto [end, ec] = std::from_chars(text, text + n, pid);
  if (ec != std::errc() || pid <= 0) return std::nullopt;
  return pid;
}

flock whole_file(short type) {
  flock range{};
  range.l_type = type;
  range.l_whence = SEEK_SET;
  range.l_start = 0;
  range.l_len = 0;  // to the end, however long
  return range;
}

class PosixStateFolderLock final : public StateFolderLock {
 public:
  explicit PosixStateFolderLock(int fd) : fd_(fd) {}
  ~PosixStateFolderLock() override { ::close(fd_); }  // releases the OFD lock
  PosixStateFolderLock(const PosixStateFolderLock&) = delete;
  PosixStateFolderLock& operator=(const PosixStateFolderLock&) = delete;

 private:
  int fd_;
};

}  // namespace

Result<std::unique_ptr<StateFolderLock>> lock_state_folder(const std::string& dir) {
  const std::string path = state_lock_path(dir);
  auto opened = open_lock_file(path, O_RDWR | O_CREAT);
  if (!opened) return opened.error();
  Descriptor fd(*opened);
  flock range = whole_file(F_WRLCK);
  if (::fcntl(fd.get(), F_OFD_SETLK, &range) != 0) {
    if (errno != EAGAIN && errno != EACCES) return os_error("lock", path, errno);
    const LockHolder holder{read_pid(fd.get())};
    return Error{"another agent holds the state folder " + dir + " (" + to_string(holder) +
                 ", lock " + path + "); one agent per state folder"};
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0) return os_error("truncate", path, errno);
  if (::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return os_error("write the pid into", path, errno);
  }
  return std::unique_ptr<StateFolderLock>(std::make_unique<PosixStateFolderLock>(fd.release()));
}

Result<std::optional<LockHolder>> find_state_folder_holder(const std::string& dir) {
  const std::string path = state_lock_path(dir);
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return std::optional<LockHolder>();
    return os_error("inspect", path, errno);
  }
  auto opened = open_lock_file(path, O_RDONLY);
  if (!opened) return opened.error();
  Descriptor fd(*opened);
  flock range = whole_file(F_WRLCK);
  if (::fcntl(fd.get(), F_OFD_GETLK, &range) != 0) return os_error("test the lock on", path, errno);
  if (range.l_type == F_UNLCK) return std::optional<LockHolder>();
  return std::optional<LockHolder>(LockHolder{read_pid(fd.get())});
}

}  // namespace gatelink
