#pragma once
// A file descriptor closed on every path out, for the store's POSIX files (internal header).

#include <unistd.h>

#include <cerrno>

namespace gatelink {

/// Owns one descriptor; close() errors matter only where checked explicitly.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;

  int get() const { return fd_; }
  /// Closes now and reports the error close() gives (NFS reports write errors only here).
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result == 0 ? 0 : errno;
  }
  /// Gives the descriptor up to the caller, who closes it.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace gatelink
