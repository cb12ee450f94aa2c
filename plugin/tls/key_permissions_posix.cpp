// POSIX: the file mode decides, as for ssh's private keys.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "tls/key_permissions.hpp"

namespace gatelink::tls {

Status check_private_key_permissions(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Error{"key file " + path + ": " + std::generic_category().message(errno)};
  }
  if (!S_ISREG(info.st_mode)) {
    return Error{"key file " + path + ": not a regular file"};
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return Error{"UNPROTECTED PRIVATE KEY FILE: " + path + " has mode " + mode +
                 "; group and others must have no access to it (chmod 600 " + path + ")"};
  }
  return Ok{};
}

}  // namespace gatelink::tls
