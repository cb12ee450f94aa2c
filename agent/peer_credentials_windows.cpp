// Peer credentials of named pipes on Windows: the client's token read while impersonating it
// (at identification level, which is all gatelinkctl grants), the server's process token where
// it can be read, and the pipe's owner. SIDs travel as strings (`S-1-5-18`) into the pure
// decisions of peer_credentials_windows.hpp.

#include <windows.h>
// windows.h first: the headers below need its types.
#include <aclapi.h>
#include <sddl.h>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "common/win32.hpp"
#include "peer_credentials.hpp"

namespace gatelink {
namespace {

struct HandleCloser {
  void operator()(HANDLE handle) const noexcept {
    if (handle != nullptr && handle != INVALID_HANDLE_VALUE) ::CloseHandle(handle);
  }
};
using UniqueHandle = std::unique_ptr<void, HandleCloser>;

using win32::LocalFreer;

using win32::widen;

std::string narrow(const std::wstring& wide) {
  if (wide.empty()) return {};
  const int size = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()),
                                         nullptr, 0, nullptr, nullptr);
  std::string text(static_cast<std::size_t>(size > 0 ? size : 0), '\0');
  if (size > 0) {
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), text.data(), size,
                          nullptr, nullptr);
  }
  return text;
}

std::optional<std::string> sid_string(PSID sid) {
  LPWSTR text = nullptr;
  if (::ConvertSidToStringSidW(sid, &text) == 0) return std::nullopt;
  const std::unique_ptr<void, LocalFreer> owned(text);
  return narrow(text);
}

/// The user SID of `token` as a string.
Result<std::string> token_user(HANDLE token) {
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size);
  if (size == 0 || ::GetTokenInformation(token, TokenUser, buffer.data(), size, &size) == 0) {
    return Error{"cannot read the token's user: " + win32::error_text(::GetLastError())};
  }
  const auto* user = reinterpret_cast<const TOKEN_USER*>(buffer.data());
  auto text = sid_string(user->User.Sid);
  if (!text) return Error{"cannot convert the token's user SID"};
  return *text;
}

/// Whether `sid` is enabled in the impersonation token `token` (deny-only SIDs do not count:
/// a non-elevated administrator is not an administrator here).
bool is_member(HANDLE token, PSID sid) {
  BOOL member = FALSE;
  return ::CheckTokenMembership(token, sid, &member) != 0 && member != FALSE;
}

bool is_member(HANDLE token, const std::string& string_sid) {
  PSID sid = nullptr;
  if (::ConvertStringSidToSidW(widen(string_sid).c_str(), &sid) == 0) return false;
  const std::unique_ptr<void, LocalFreer> owned(sid);
  return is_member(token, sid);
}

bool is_administrator(HANDLE token) {
  std::vector<unsigned char> sid(SECURITY_MAX_SID_SIZE);
  DWORD size = static_cast<DWORD>(sid.size());
  if (::CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, sid.data(), &size) == 0) {
    return false;
  }
  return is_member(token, sid.data());
}

/// The user of this process's token.
std::string own_user_sid() {
  HANDLE raw = nullptr;
  if (::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw) == 0) return {};
  const UniqueHandle token(raw);
  auto user = token_user(raw);
  return user ? *user : std::string();
}

/// Impersonates the pipe's client for as long as it lives. Failing to revert would leave this
/// thread acting as the client: there is no safe way on from there.
class Impersonation {
 public:
  explicit Impersonation(HANDLE pipe) : active_(::ImpersonateNamedPipeClient(pipe) != 0) {}
  Impersonation(const Impersonation&) = delete;
  Impersonation& operator=(const Impersonation&) = delete;
  ~Impersonation() {
    if (active_ && ::RevertToSelf() == 0) std::terminate();
  }
  bool active() const { return active_; }

 private:
  bool active_;
};

}  // namespace

Result<PeerCredentials> read_pipe_client_credentials(void* pipe,
                                                     const std::optional<std::string>& group_sid) {
  PeerCredentials peer;
  ULONG pid = 0;
  if (::GetNamedPipeClientProcessId(pipe, &pid) == 0) {
    return Error{"cannot read the client's process id: " + win32::error_text(::GetLastError())};
  }
  peer.pid = pid;
  HANDLE raw = nullptr;
  {
    const Impersonation as_client(pipe);
    if (!as_client.active()) {
      return Error{"cannot impersonate the client: " + win32::error_text(::GetLastError())};
    }
    // OpenAsSelf: the token is opened with the agent's rights, not the client's.
    if (::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY, TRUE, &raw) == 0) {
      return Error{"cannot open the client's token: " + win32::error_text(::GetLastError())};
    }
  }
  const UniqueHandle token(raw);
  auto user = token_user(raw);
  if (!user) return user.error();
  peer.user_sid = *user;
  peer.user_name = account_name(peer.user_sid);
  peer.administrator = is_administrator(raw);
  peer.status_group_member = group_sid && is_member(raw, *group_sid);
  return peer;
}

Result<PeerCredentials> read_pipe_server_credentials(void* pipe, std::string& pipe_owner) {
  PeerCredentials server;
  ULONG pid = 0;
  if (::GetNamedPipeServerProcessId(pipe, &pid) == 0) {
    return Error{"cannot read the server's process id: " + win32::error_text(::GetLastError())};
  }
  server.pid = pid;
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  const DWORD rc = ::GetSecurityInfo(pipe, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, &owner,
                                     nullptr, nullptr, nullptr, &descriptor);
  if (rc != ERROR_SUCCESS) return Error{"cannot read the pipe's owner: " + win32::error_text(rc)};
  const std::unique_ptr<void, LocalFreer> owned(descriptor);
  auto owner_text = sid_string(owner);
  if (!owner_text) return Error{"cannot convert the pipe owner's SID"};
  pipe_owner = *owner_text;
  // A non-administrator may not open a LocalSystem process's token: then the owner decides.
  if (const UniqueHandle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
      process) {
    HANDLE raw = nullptr;
    if (::OpenProcessToken(process.get(), TOKEN_QUERY, &raw) != 0) {
      const UniqueHandle token(raw);
      if (auto user = token_user(raw)) server.user_sid = *user;
    }
  }
  server.user_name = account_name(server.user_sid.empty() ? pipe_owner : server.user_sid);
  return server;
}

StatusAccessPolicy StatusAccessPolicy::of_this_process() {
  StatusAccessPolicy policy{.agent_user_sid = own_user_sid(), .status_group_sid = std::nullopt};
  if (auto group = find_account(kStatusGroupName); group && group->group) {
    policy.status_group_sid = group->sid;
  }
  return policy;
}

bool StatusAccessPolicy::allows(const PeerCredentials& peer) const {
  if (peer.user_sid == kLocalSystemSid || peer.administrator) return true;
  if (!peer.user_sid.empty() && peer.user_sid == agent_user_sid) return true;
  return status_group_sid.has_value() && peer.status_group_member;
}

Result<ServerTrustPolicy> ServerTrustPolicy::for_agent_user(const std::string& agent_user_name,
                                                            bool required) {
  ServerTrustPolicy policy{.invoking_user_sid = own_user_sid(),
                           .agent_user_sid = std::nullopt,
                           .agent_user_name = agent_user_name};
  // A group is never an account a server runs as: group gatelink is not user gatelink.
  if (auto account = find_account(agent_user_name); account && !account->group) {
    policy.agent_user_sid = account->sid;
  }
  if (!policy.agent_user_sid && required) {
    return Error{"no such account " + agent_user_name + " (--agent-user)"};
  }
  return policy;
}

bool ServerTrustPolicy::trusts_account(const std::string& sid) const {
  if (sid.empty()) return false;
  return sid == kLocalSystemSid || sid == invoking_user_sid || sid == agent_user_sid;
}

std::optional<AccountSid> find_account(const std::string& name) {
  const std::wstring wide = widen(name);
  DWORD sid_size = 0;
  DWORD domain_size = 0;
  SID_NAME_USE use{};
  ::LookupAccountNameW(nullptr, wide.c_str(), nullptr, &sid_size, nullptr, &domain_size, &use);
  if (sid_size == 0) return std::nullopt;
  std::vector<unsigned char> sid(sid_size);
  std::wstring domain(domain_size, L'\0');
  if (::LookupAccountNameW(nullptr, wide.c_str(), sid.data(), &sid_size, domain.data(),
                           &domain_size, &use) == 0) {
    return std::nullopt;
  }
  auto text = sid_string(sid.data());
  if (!text) return std::nullopt;
  return AccountSid{.sid = *text, .group = use == SidTypeGroup || use == SidTypeAlias};
}

std::string account_name(const std::string& sid_text) {
  PSID sid = nullptr;
  if (sid_text.empty() || ::ConvertStringSidToSidW(widen(sid_text).c_str(), &sid) == 0) {
    return sid_text;
  }
  const std::unique_ptr<void, LocalFreer> owned(sid);
  DWORD name_size = 0;
  DWORD domain_size = 0;
  SID_NAME_USE use{};
  ::LookupAccountSidW(nullptr, sid, nullptr, &name_size, nullptr, &domain_size, &use);
  if (name_size == 0) return sid_text;
  std::wstring name(name_size, L'\0');
  std::wstring domain(domain_size, L'\0');
  if (::LookupAccountSidW(nullptr, sid, name.data(), &name_size, domain.data(), &domain_size,
                          &use) == 0) {
    return sid_text;
  }
  name.resize(name_size);
  domain.resize(domain_size);
  return domain.empty() ? narrow(name) : narrow(domain) + "\\" + narrow(name);
}

}  // namespace gatelink
