#pragma once
// What identifies one version of a file, so that a renewed certificate, key or CRL is noticed
// however it was written: modification and status-change times (a chmod or an ACL change moves
// only the latter), mode, size and file id (a rename over it changes the id). One implementation
// per platform: file_stamp_posix.cpp (stat), file_stamp_windows.cpp (the file's handle).

#include <cstdint>
#include <optional>
#include <string>

namespace gatelink::tls {

struct FileStamp {
  std::int64_t mtime = 0;   ///< in the platform's own units
  std::int64_t ctime = 0;   ///< status change (POSIX ctime; Windows' ChangeTime)
  std::uintmax_t mode = 0;  ///< the mode bits, or the file attributes on Windows
  std::uintmax_t size = 0;
  std::uintmax_t inode = 0;  ///< the inode, or the file index on Windows
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

/// The stamp of `path` as it is now (a link is followed); nullopt when it cannot be looked at.
std::optional<FileStamp> stamp_file(const std::string& path);

}  // namespace gatelink::tls
