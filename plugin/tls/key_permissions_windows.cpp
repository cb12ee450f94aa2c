// Windows: the key file's owner and DACL decide, the counterpart of the file mode on POSIX. A key
// that Everyone, Authenticated Users or Users may read (or whose access they may change) is
// refused, as ssh for Windows refuses one.

#include <windows.h>

#include "common/win32.hpp"
#include "common/win32_acl.hpp"
#include "tls/key_permissions.hpp"

namespace gatelink::tls {
namespace {

/// Any of these for a broad account makes the key theirs to read, or to make readable.
constexpr ACCESS_MASK kAnyUse = FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA | WRITE_DAC |
                                WRITE_OWNER | DELETE | GENERIC_READ | GENERIC_WRITE | GENERIC_ALL;

}  // namespace

Status check_private_key_permissions(const std::string& path) {
  const std::wstring wide = win32::widen(path);
  const DWORD attributes = ::GetFileAttributesW(wide.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    return Error{"key file " + path + ": " + win32::error_text(::GetLastError())};
  }
  if (attributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_DEVICE)) {
    return Error{"key file " + path + ": not a regular file"};
  }
  auto facts = win32::inspect_access(wide, kAnyUse);
  if (!facts) return Error{"key file " + path + ": " + facts.error().message};
  const std::string fix =
      "; only SYSTEM, Administrators and the agent's account may have access "
      "to it (icacls \"" +
      path + "\" /inheritance:r /grant:r SYSTEM:F Administrators:F)";
  if (facts->broad_grant) {
    return Error{"UNPROTECTED PRIVATE KEY FILE: " + path + " is accessible to " +
                 *facts->broad_grant + fix};
  }
  if (facts->untrusted_owner) {
    return Error{"UNPROTECTED PRIVATE KEY FILE: " + path + " is owned by " +
                 *facts->untrusted_owner + fix};
  }
  return Ok{};
}

}  // namespace gatelink::tls
