// Durable writes on Windows, the counterpart of durable_file_posix.cpp: a temporary file in the
// same folder, FlushFileBuffers before the rename (the data is on disk before the name points at
// it), MoveFileExW with MOVEFILE_REPLACE_EXISTING (atomic on NTFS: the name holds the old or the
// new file) and MOVEFILE_WRITE_THROUGH (returns only once the rename is on disk). Paths are UTF-8
// in gatelink and wide here.

#include <windows.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/win32.hpp"
#include "common/win32_acl.hpp"
#include "common/path_join.hpp"
#include "store/durable_file.hpp"

namespace gatelink {
namespace {

namespace fs = std::filesystem;
using win32::Handle;
using win32::widen;

Error win32_error(const std::string& what, const std::string& path, DWORD error) {
  return Error{"cannot " + what + " " + path + ": " + win32::error_text(error)};
}

/// Attempts at a fresh temporary name before giving up (another writer took each one).
constexpr int kTempAttempts = 16;
/// Largest single WriteFile/ReadFile: the API counts in DWORDs.
constexpr std::size_t kMaxChunk = 1u << 30;

/// Six random letters and digits, as mkstemp's XXXXXX.
std::string random_suffix() {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937 generator{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
  std::string suffix(6, '\0');
  for (auto& c : suffix) c = kAlphabet[pick(generator)];
  return suffix;
}

DWORD write_all(HANDLE file, std::string_view contents) {
  while (!contents.empty()) {
    const auto chunk = static_cast<DWORD>(std::min(contents.size(), kMaxChunk));
    DWORD written = 0;
    if (!::WriteFile(file, contents.data(), chunk, &written, nullptr)) return ::GetLastError();
    contents.remove_prefix(written);
  }
  return 0;
}

/// Writes the temporary file and renames it over `target`; `temp` names it for cleanup.
Status write_and_rename(std::string& temp, const std::string& target, std::string_view contents) {
  Handle file;
  for (int attempt = 0; attempt < kTempAttempts && !file.valid(); ++attempt) {
    temp = target + ".tmp." + random_suffix();
    // CREATE_NEW: never an existing file; no sharing while it is written. The file inherits the
    // folder's DACL (the state folder's admits the agent's account, SYSTEM and Administrators).
    file = Handle(::CreateFileW(widen(temp).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                                FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!file.valid() && ::GetLastError() != ERROR_FILE_EXISTS) break;
  }
  if (!file.valid()) {
    const DWORD error = ::GetLastError();
    temp.clear();  // nothing was created
    return win32_error("create a temporary file for", target, error);
  }
  if (const DWORD error = write_all(file.get(), contents)) return win32_error("write", temp, error);
  if (!::FlushFileBuffers(file.get())) return win32_error("flush", temp, ::GetLastError());
  if (const DWORD error = file.close()) return win32_error("close", temp, error);
  if (!::MoveFileExW(widen(temp).c_str(), widen(target).c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return win32_error("rename " + temp + " to", target, ::GetLastError());
  }
  temp.clear();  // renamed: nothing left to clean up
  return Ok{};
}

/// What kind of thing is at `path` when it is not a regular file; nullopt for a regular file or
/// nothing at all. Links (symbolic links, junctions: reparse points) are never followed.
std::optional<std::string> irregular_kind(const std::string& path) {
  const std::wstring wide = widen(path);
  // Device namespaces (\\.\COM1, \\.\pipe\x) and the reserved device names: never files.
  if (wide.rfind(L"\\\\.\\", 0) == 0 || wide.rfind(L"//./", 0) == 0) return "a device";
  const DWORD attributes = ::GetFileAttributesW(wide.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) return std::nullopt;
  if (attributes & FILE_ATTRIBUTE_REPARSE_POINT) return "a symbolic link";
  if (attributes & FILE_ATTRIBUTE_DIRECTORY) return "a folder";
  if (attributes & FILE_ATTRIBUTE_DEVICE) return "a device";
  return std::nullopt;
}

}  // namespace

// `mode` has no counterpart here: the file inherits the folder's DACL (write_and_rename).
Status write_file_atomically(const std::string& dir, const std::string& name,
                             std::string_view contents, unsigned /*mode*/) {
  const auto target = join_path(dir, name);
  std::string temp;
  auto written = write_and_rename(temp, target, contents);
  if (!written) {
    if (!temp.empty()) ::DeleteFileW(widen(temp).c_str());
    return written;
  }
  return sync_directory(dir);
}

std::optional<std::string> irregular_file(const std::string& path) {
  auto kind = irregular_kind(path);
  if (!kind) return std::nullopt;
  return path + ": " + *kind + ", not a regular file";
}

Result<std::string> read_regular_file(const std::string& path, std::size_t max_bytes) {
  // Looked at first, never opened: opening a pipe or a device may block or act on it.
  if (auto problem = irregular_file(path)) return Error{*problem + "; not reading it"};
  Handle file(::CreateFileW(widen(path).c_str(), GENERIC_READ,
                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                            OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!file.valid()) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
      return Error{path + ": not found"};
    }
    return Error{path + ": cannot open: " + win32::error_text(error)};
  }
  BY_HANDLE_FILE_INFORMATION info{};
  if (::GetFileType(file.get()) != FILE_TYPE_DISK ||
      !::GetFileInformationByHandle(file.get(), &info) ||
      (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT))) {
    return Error{path + ": not a regular file; not reading it"};  // replaced meanwhile
  }
  std::string text(max_bytes, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const auto chunk = static_cast<DWORD>(std::min(text.size() - size, kMaxChunk));
    DWORD n = 0;
    if (!::ReadFile(file.get(), text.data() + size, chunk, &n, nullptr)) {
      return Error{path + ": cannot read: " + win32::error_text(::GetLastError())};
    }
    if (n == 0) break;
    size += n;
  }
  text.resize(size);
  return text;
}

Status sync_directory(const std::string& dir) {
  // NTFS journals the folder's entries, and MOVEFILE_WRITE_THROUGH has already waited for the
  // rename; flushing the folder's handle asks for the rest where the file system supports it.
  // File systems and accounts that cannot (access denied, not supported) are not an error.
  Handle folder(::CreateFileW(widen(dir).c_str(), GENERIC_READ | GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (!folder.valid()) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_ACCESS_DENIED) return Ok{};
    return win32_error("open the folder", dir, error);
  }
  if (!::FlushFileBuffers(folder.get())) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_ACCESS_DENIED || error == ERROR_INVALID_FUNCTION ||
        error == ERROR_NOT_SUPPORTED || error == ERROR_INVALID_PARAMETER) {
      return Ok{};
    }
    return win32_error("flush the folder", dir, error);
  }
  return Ok{};
}

namespace {

/// The security descriptor of a private folder (mode 0700 or 0750 on Linux): SYSTEM,
/// Administrators and the agent's own account, nothing inherited from above (ProgramData lets
/// Users create files in new folders). What is made inside inherits the same entries.
std::wstring private_folder_sddl() {
  std::wstring sddl = L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
  if (auto me = win32::current_user_sid(); !me.empty()) {
    sddl += L"(A;OICI;FA;;;" + widen(win32::sid_text(me.data())) + L")";
  }
  return sddl;
}

/// CreateDirectoryW; for a private mode (nothing for others) with private_folder_sddl().
DWORD make_folder(const fs::path& dir, unsigned mode) {
  SECURITY_ATTRIBUTES attributes{};
  attributes.nLength = sizeof attributes;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if ((mode & 07) == 0) {
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(
            private_folder_sddl().c_str(), SDDL_REVISION_1, &descriptor, nullptr)) {
      return ::GetLastError();
    }
    attributes.lpSecurityDescriptor = descriptor;
  }
  const BOOL made = ::CreateDirectoryW(dir.c_str(), descriptor != nullptr ? &attributes : nullptr);
  const DWORD error = made ? 0 : ::GetLastError();
  if (descriptor != nullptr) ::LocalFree(descriptor);
  return error;
}

constexpr unsigned kParentMode = 0755;  ///< folders made above the one asked for: inherited DACL

}  // namespace

Status create_folder(const std::string& dir, unsigned mode) {
  fs::path path(widen(dir));
  if (!path.has_filename()) path = path.parent_path();  // "a/b/" names the folder "a/b"
  // The missing folders, outermost first; the existing ones above are not touched.
  std::vector<fs::path> missing;
  for (fs::path at = path; !at.empty(); at = at.parent_path()) {
    const DWORD attributes = ::GetFileAttributesW(at.c_str());
    if (attributes != INVALID_FILE_ATTRIBUTES) {
      if (attributes & FILE_ATTRIBUTE_DIRECTORY) break;
      return Error{"cannot use " + win32::narrow(at.native()) + ": it exists and is not a folder"};
    }
    const DWORD error = ::GetLastError();
    if (error != ERROR_FILE_NOT_FOUND && error != ERROR_PATH_NOT_FOUND) {
      return win32_error("look at", win32::narrow(at.native()), error);
    }
    missing.push_back(at);
    if (at == at.parent_path()) break;
  }
  for (std::size_t i = missing.size(); i-- > 0;) {
    const unsigned wanted = i == 0 ? mode : kParentMode;
    if (const DWORD error = make_folder(missing[i], wanted);
        error != 0 && error != ERROR_ALREADY_EXISTS) {
      return win32_error("create the folder", win32::narrow(missing[i].native()), error);
    }
  }
  const DWORD attributes = ::GetFileAttributesW(path.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    return win32_error("create the folder", dir, ::GetLastError());
  }
  if (!(attributes & FILE_ATTRIBUTE_DIRECTORY)) {
    return Error{"cannot use " + dir + ": it exists and is not a folder"};
  }
  return Ok{};
}

std::string_view private_folder_access() {
  return "SYSTEM, Administrators and the agent's account only";
}

}  // namespace gatelink
