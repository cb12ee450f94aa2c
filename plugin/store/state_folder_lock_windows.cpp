// The state folder's lock on Windows: LockFileEx on one byte of `agent.lock`, far past the pid
// text. Windows byte-range locks are mandatory (a locked range cannot be read through another
// handle), so the lock covers a byte nobody reads and the pid at the start stays readable. The
// lock belongs to the handle: two stores in one process conflict as two processes do, and the
// system releases it when the handle closes or the process dies, TerminateProcess included.
// The file is never removed, as on POSIX.

#include <windows.h>

#include <charconv>
#include <string>

#include "common/win32.hpp"
#include "store/state_folder_lock.hpp"

namespace gatelink {
namespace {

using win32::Handle;

/// The pid text is at most this long (a 64-bit number and a newline).
constexpr DWORD kMaxPidText = 24;
/// The locked byte: beyond any pid text (locking past the end of a file is allowed).
constexpr DWORD kLockOffsetHigh = 1;  // 4 GiB

Error os_error(const std::string& what, const std::string& path, DWORD error) {
  return Error{"cannot " + what + " " + path + ": " + win32::error_text(error)};
}

/// Opens the lock file without following a link, and makes sure it is a regular file on disk.
/// Others may open it to read the pid (FILE_SHARE_READ | FILE_SHARE_WRITE), not delete it.
Result<HANDLE> open_lock_file(const std::string& path, DWORD access, DWORD disposition) {
  Handle file(::CreateFileW(win32::widen(path).c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE,
                            nullptr, disposition,
                            FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!file.valid()) return os_error("open", path, ::GetLastError());
  BY_HANDLE_FILE_INFORMATION info{};
  if (::GetFileType(file.get()) != FILE_TYPE_DISK ||
      !::GetFileInformationByHandle(file.get(), &info) ||
      (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT))) {
    return Error{path + " is not a regular file; refusing to use it as the lock"};
  }
  return file.release();
}

/// The pid the holder wrote, if it has.
std::optional<long> read_pid(HANDLE file) {
  char text[kMaxPidText] = {};
  OVERLAPPED at{};  // offset 0
  DWORD n = 0;
  if (!::ReadFile(file, text, sizeof text, &n, &at) || n == 0) return std::nullopt;
  long pid = 0;
  const auto [end, ec] = std::from_chars(text, text + n, pid);
  if (ec != std::errc() || pid <= 0) return std::nullopt;
  return pid;
}

/// Takes (or tries) the lock byte without waiting.
BOOL lock_byte(HANDLE file, DWORD flags) {
  OVERLAPPED at{};
  at.OffsetHigh = kLockOffsetHigh;
  return ::LockFileEx(file, flags | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &at);
}

class WindowsStateFolderLock final : public StateFolderLock {
 public:
  explicit WindowsStateFolderLock(HANDLE file) : file_(file) {}
  ~WindowsStateFolderLock() override = default;  // closing the handle releases the lock

 private:
  Handle file_;
};

}  // namespace

Result<std::unique_ptr<StateFolderLock>> lock_state_folder(const std::string& dir) {
  const std::string path = state_lock_path(dir);
  auto opened = open_lock_file(path, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS);
  if (!opened) return opened.error();
  Handle file(*opened);
  if (!lock_byte(file.get(), LOCKFILE_EXCLUSIVE_LOCK)) {
    const DWORD error = ::GetLastError();
    if (error != ERROR_LOCK_VIOLATION && error != ERROR_IO_PENDING) {
      return os_error("lock", path, error);
    }
    const LockHolder holder{read_pid(file.get())};
    return Error{"another agent holds the state folder " + dir + " (" + to_string(holder) +
                 ", lock " + path + "); one agent per state folder"};
  }
  const std::string pid = std::to_string(::GetCurrentProcessId()) + "\n";
  OVERLAPPED at{};  // offset 0
  DWORD written = 0;
  if (!::SetEndOfFile(file.get())) return os_error("truncate", path, ::GetLastError());
  if (!::WriteFile(file.get(), pid.data(), static_cast<DWORD>(pid.size()), &written, &at) ||
      written != pid.size()) {
    return os_error("write the pid into", path, ::GetLastError());
  }
  return std::unique_ptr<StateFolderLock>(std::make_unique<WindowsStateFolderLock>(file.release()));
}

Result<std::optional<LockHolder>> find_state_folder_holder(const std::string& dir) {
  const std::string path = state_lock_path(dir);
  const DWORD attributes = ::GetFileAttributesW(win32::widen(path).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
      return std::optional<LockHolder>();
    }
    return os_error("inspect", path, error);
  }
  auto opened = open_lock_file(path, GENERIC_READ, OPEN_EXISTING);
  if (!opened) return opened.error();
  Handle file(*opened);
  // Windows cannot ask who holds a range without trying it: a shared try of the byte fails
  // while an agent holds it, and is given back at once otherwise. An agent starting in that
  // instant is told the folder is held (with the pid the file holds) and may be started again.
  if (lock_byte(file.get(), 0)) {
    OVERLAPPED at{};
    at.OffsetHigh = kLockOffsetHigh;
    ::UnlockFileEx(file.get(), 0, 1, 0, &at);
    return std::optional<LockHolder>();
  }
  const DWORD error = ::GetLastError();
  if (error != ERROR_LOCK_VIOLATION && error != ERROR_IO_PENDING) {
    return os_error("test the lock on", path, error);
  }
  return std::optional<LockHolder>(LockHolder{read_pid(file.get())});
}

}  // namespace gatelink
