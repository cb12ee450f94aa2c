#pragma once
// Refuses private key files that other users may access, as ssh does ("UNPROTECTED PRIVATE KEY
// FILE"). One implementation per platform: the file mode on POSIX, the ACL on Windows.

#include <string>

#include "common/result.hpp"

namespace gatelink::tls {

/// Ok when `path` (a symbolic link is followed) is a regular file on which neither group nor
/// others have any permission; otherwise an error saying what to fix.
Status check_private_key_permissions(const std::string& path);

}  // namespace gatelink::tls
