// POSIX: stat(2), times to the nanosecond.
#include <sys/stat.h>

#include "tls/file_stamp.hpp"

namespace gatelink::tls {

namespace {

std::int64_t nanoseconds(const timespec& at) {
  return static_cast<std::int64_t>(at.tv_sec) * 1'000'000'000 + at.tv_nsec;
}

}  // namespace

std::optional<FileStamp> stamp_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{.mtime = nanoseconds(st.st_mtim),
                   .ctime = nanoseconds(st.st_ctim),
                   .mode = static_cast<std::uintmax_t>(st.st_mode),
                   .size = static_cast<std::uintmax_t>(st.st_size),
                   .inode = static_cast<std::uintmax_t>(st.st_ino)};
}

}  // namespace gatelink::tls
