#pragma once
// Windows only: what other local users may do to a file or folder, read from its DACL and owner.
// The Windows counterparts of the mode-and-owner rules that folder_safety_posix.cpp and
// key_permissions_posix.cpp apply (after ssh): "group and others" are the broad accounts below.
// Links against advapi32.

// windows.h comes before the headers that build on it.
// clang-format off
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
// clang-format on

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/win32.hpp"

namespace gatelink::win32 {

/// A SID in a buffer of its own.
using Sid = std::vector<BYTE>;

inline Sid well_known_sid(WELL_KNOWN_SID_TYPE type) {
  Sid sid(SECURITY_MAX_SID_SIZE);
  DWORD size = static_cast<DWORD>(sid.size());
  if (!::CreateWellKnownSid(type, nullptr, sid.data(), &size)) return {};
  sid.resize(size);
  return sid;
}

/// The account this process runs as (empty when the token cannot be read).
inline Sid current_user_sid() {
  HANDLE raw = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw)) return {};
  Handle token(raw);
  DWORD size = 0;
  ::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
  std::vector<BYTE> buffer(size);
  if (size == 0 || !::GetTokenInformation(token.get(), TokenUser, buffer.data(), size, &size)) {
    return {};
  }
  const auto* user = reinterpret_cast<const TOKEN_USER*>(buffer.data());
  const DWORD length = ::GetLengthSid(user->User.Sid);
  const auto* bytes = static_cast<const BYTE*>(user->User.Sid);
  return Sid(bytes, bytes + length);
}

/// "S-1-5-32-545", for messages.
inline std::string sid_text(PSID sid) {
  wchar_t* text = nullptr;
  if (sid == nullptr || !::ConvertSidToStringSidW(sid, &text)) return "an unknown account";
  std::string out = narrow(text);
  ::LocalFree(text);
  return out;
}

inline bool same_sid(PSID a, const Sid& b) {
  return !b.empty() && ::EqualSid(a, const_cast<BYTE*>(b.data())) != FALSE;
}

/// An account that stands for other local users, with its name for messages.
struct BroadAccount {
  Sid sid;
  const char* name;
};

/// Everyone, Authenticated Users and the local Users group: what "group and others" are on Linux.
inline const std::array<BroadAccount, 3>& broad_accounts() {
  static const std::array<BroadAccount, 3> accounts = {
      BroadAccount{well_known_sid(WinWorldSid), "Everyone"},
      BroadAccount{well_known_sid(WinAuthenticatedUserSid), "Authenticated Users"},
      BroadAccount{well_known_sid(WinBuiltinUsersSid), "Users"}};
  return accounts;
}

/// Whether `owner` may be trusted as the owner of what the agent keeps (an owner can always
/// rewrite the DACL): SYSTEM, Administrators, TrustedInstaller (C:\ and C:\Windows), or the
/// agent's own account. The Windows counterpart of "root or the agent's user".
inline bool trusted_owner(PSID owner) {
  static const Sid system = well_known_sid(WinLocalSystemSid);
  static const Sid admins = well_known_sid(WinBuiltinAdministratorsSid);
  static const Sid me = current_user_sid();
  static const Sid installer = [] {
    PSID sid = nullptr;
    if (!::ConvertStringSidToSidW(L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
                                  &sid)) {
      return Sid();
    }
    const auto* bytes = static_cast<const BYTE*>(sid);
    Sid copy(bytes, bytes + ::GetLengthSid(sid));
    ::LocalFree(sid);
    return copy;
  }();
  return owner != nullptr && (same_sid(owner, system) || same_sid(owner, admins) ||
                              same_sid(owner, me) || same_sid(owner, installer));
}

/// What the DACL and owner of a file or folder say about other users.
struct AccessFacts {
  /// The owner is not one trusted_owner() accepts: its SID as text.
  std::optional<std::string> untrusted_owner;
  /// A broad account that an allow entry grants one of the asked rights to (or "Everyone"
  /// when there is no DACL at all, which lets everyone do everything).
  std::optional<std::string> broad_grant;
};

/// Reads the owner and DACL of `path` (a link is followed) and looks for allow entries that
/// give a broad account any of `rights`. Inherit-only entries are skipped: they apply to what
/// is created inside a folder, not to the folder.
inline Result<AccessFacts> inspect_access(const std::wstring& path, ACCESS_MASK rights) {
  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  const DWORD status = ::GetNamedSecurityInfoW(
      path.c_str(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
      nullptr, &dacl, nullptr, &descriptor);
  if (status != ERROR_SUCCESS) {
    return Error{"cannot read the access control list of " + narrow(path) + ": " +
                 error_text(status)};
  }
  AccessFacts facts;
  if (!trusted_owner(owner)) facts.untrusted_owner = sid_text(owner);
  if (dacl == nullptr) {
    facts.broad_grant = "Everyone (the folder or file has no access control list)";
  } else {
    for (DWORD i = 0; i < dacl->AceCount && !facts.broad_grant; ++i) {
      void* entry = nullptr;
      if (!::GetAce(dacl, i, &entry)) continue;
      const auto* header = static_cast<const ACE_HEADER*>(entry);
      if (header->AceType != ACCESS_ALLOWED_ACE_TYPE || (header->AceFlags & INHERIT_ONLY_ACE)) {
        continue;
      }
      const auto* allowed = static_cast<const ACCESS_ALLOWED_ACE*>(entry);
      if ((allowed->Mask & rights) == 0) continue;
      PSID who = const_cast<DWORD*>(&allowed->SidStart);
      for (const auto& account : broad_accounts()) {
        if (same_sid(who, account.sid)) facts.broad_grant = account.name;
      }
    }
  }
  ::LocalFree(descriptor);
  return facts;
}

}  // namespace gatelink::win32
