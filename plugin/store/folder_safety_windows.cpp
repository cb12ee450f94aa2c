// Folder safety on Windows: the owner and DACL of the folder and of every folder above it, the
// counterpart of folder_safety_posix.cpp's owners and modes. "Group or others may write" is an
// allow entry for Everyone, Authenticated Users or Users with a right to change the folder;
// above the checked folder, adding entries of their own is allowed (C:\ProgramData lets Users
// create folders, as /tmp does with its sticky bit) but removing or renaming ours is not.

#include <windows.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "common/win32.hpp"
#include "common/win32_acl.hpp"
#include "store/folder_safety.hpp"

namespace gatelink {
namespace {

namespace fs = std::filesystem;
using win32::narrow;
using win32::widen;

/// What a folder is to the one being checked.
enum class Place { itself, above };

/// Rights that let someone replace what is in a folder, or make the folder theirs.
constexpr ACCESS_MASK kTakeOver =
    FILE_DELETE_CHILD | WRITE_DAC | WRITE_OWNER | DELETE | GENERIC_ALL;
/// ... and, in the folder itself, add entries to it.
constexpr ACCESS_MASK kWriteItself =
    kTakeOver | FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY | GENERIC_WRITE;

/// The folder's path with every link resolved ("C:\ProgramData\gatelink"), as canonical() does
/// on Linux: the final path of a handle to it.
Result<fs::path> real_path(const std::string& dir) {
  win32::Handle folder(::CreateFileW(widen(dir).c_str(), FILE_READ_ATTRIBUTES,
                                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                     nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (!folder.valid()) {
    return Error{"cannot resolve " + dir + ": " + win32::error_text(::GetLastError())};
  }
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    const DWORD n =
        ::GetFinalPathNameByHandleW(folder.get(), path.data(), static_cast<DWORD>(path.size()), 0);
    if (n == 0) return Error{"cannot resolve " + dir + ": " + win32::error_text(::GetLastError())};
    if (n < path.size()) {
      path.resize(n);
      break;
    }
    path.resize(n);  // n is the size needed, the terminator included
  }
  // \\?\C:\x → C:\x; \\?\UNC\server\share → \\server\share.
  if (path.rfind(L"\\\\?\\UNC\\", 0) == 0) {
    path = L"\\\\" + path.substr(8);
  } else if (path.rfind(L"\\\\?\\", 0) == 0) {
    path = path.substr(4);
  }
  return fs::path(path);
}

/// Ok when `folder` may be trusted in its place: a trusted owner, and no broad account with
/// rights to change it.
Status check_one(const fs::path& folder, Place place) {
  const std::string name = narrow(folder.native());
  auto facts =
      win32::inspect_access(folder.native(), place == Place::itself ? kWriteItself : kTakeOver);
  if (!facts) return facts.error();
  const std::string where = place == Place::itself ? name : "the folder above it, " + name + ",";
  if (facts->untrusted_owner) {
    return Error{where + " is owned by " + *facts->untrusted_owner +
                 ", neither SYSTEM, Administrators nor the agent's account; refusing it: that "
                 "account could replace what the agent keeps there"};
  }
  if (facts->broad_grant) {
    return Error{where + " lets " + *facts->broad_grant +
                 " change it; refusing it (remove that entry: icacls \"" + name +
                 "\" /inheritance:r, then grant only SYSTEM, Administrators and the agent)"};
  }
  return Ok{};
}

/// Checks every folder from the root (the drive) down to `real`, `real` as `last`.
Status check_chain(const fs::path& real, Place last) {
  fs::path walked;
  for (auto part = real.begin(); part != real.end(); ++part) {
    walked /= *part;
    if (walked == real.root_name()) continue;  // "C:" alone is the current folder of drive C
    const bool is_last = std::next(part) == real.end();
    if (Status one = check_one(walked, is_last ? last : Place::above); !one) return one;
  }
  return Ok{};
}

}  // namespace

Status check_folder_safety(const std::string& dir) {
  if (!folder_exists(dir)) return Error{dir + " exists and is not a folder"};
  auto real = real_path(dir);
  if (!real) return real.error();
  return check_chain(*real, Place::itself);
}

Status check_parents_safety(const std::string& dir) {
  fs::path parent = fs::absolute(fs::path(widen(dir))).lexically_normal();
  if (!parent.has_filename()) parent = parent.parent_path();  // "a/b/" names the folder "a/b"
  std::error_code ec;
  while (parent.has_relative_path() && !fs::exists(parent, ec)) parent = parent.parent_path();
  auto real = real_path(narrow(parent.native()));
  if (!real) return real.error();
  return check_chain(*real, Place::above);
}

bool folder_exists(const std::string& dir) {
  const DWORD attributes = ::GetFileAttributesW(widen(dir).c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY);
}

}  // namespace gatelink
