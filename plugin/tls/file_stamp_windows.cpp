// Windows: the file's basic information (its ChangeTime moves on an ACL change too) and its
// file index, through a handle that follows links and leaves the file free to be replaced.
#include <windows.h>

#include "common/win32.hpp"
#include "tls/file_stamp.hpp"

namespace gatelink::tls {

std::optional<FileStamp> stamp_file(const std::string& path) {
  win32::Handle file(::CreateFileW(win32::widen(path).c_str(), FILE_READ_ATTRIBUTES,
                                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                   OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (!file.valid()) return std::nullopt;
  FILE_BASIC_INFO basic{};
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandleEx(file.get(), FileBasicInfo, &basic, sizeof basic) ||
      !::GetFileInformationByHandle(file.get(), &info)) {
    return std::nullopt;
  }
  return FileStamp{
      .mtime = basic.LastWriteTime.QuadPart,
      .ctime = basic.ChangeTime.QuadPart,
      .mode = info.dwFileAttributes,
      .size = (static_cast<std::uintmax_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow,
      .inode = (static_cast<std::uintmax_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow};
}

}  // namespace gatelink::tls
