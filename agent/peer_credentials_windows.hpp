#pragma once
// Who is at the other end of a local status named pipe on Windows, and whom each end believes
// (DESIGN "Local status", "Who may reach what"). The agent answers LocalSystem, its own account,
// elevated Administrators and the members of the local group gatelink; gatelinkctl believes
// only a server that runs as LocalSystem, as the invoking user or as the agent's account. The
// decisions are pure; reading tokens is in peer_credentials_windows.cpp. Included through
// peer_credentials.hpp; no <windows.h> here (accounts are string SIDs, `S-1-5-18`).

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace gatelink {

/// The local group whose members may ask the agent for its status (the on-site staff).
inline constexpr char kStatusGroupName[] = "gatelink";
/// The account name gatelinkctl looks up to believe besides LocalSystem; where no such user
/// exists (the packaged service runs as LocalSystem) only LocalSystem and the invoking user are
/// believed. A group of that name is never taken for it.
inline constexpr char kAgentUserName[] = "gatelink";
/// LocalSystem, the account the packaged service runs as.
inline constexpr char kLocalSystemSid[] = "S-1-5-18";

/// The process at the other end of a connected pipe, as its token says.
struct PeerCredentials {
  std::uint32_t pid = 0;
  std::string user_sid;              ///< the token's user, `S-1-5-21-...`
  std::string user_name;             ///< `DOMAIN\name`, for messages (may be empty)
  bool administrator = false;        ///< Administrators enabled in the token (elevated)
  bool status_group_member = false;  ///< group gatelink enabled in the token
};

/// Reads the credentials of the client of the connected server end `pipe` (a HANDLE): its pid
/// (GetNamedPipeClientProcessId) and its token, read while impersonating it. The client must
/// have sent data first (ImpersonateNamedPipeClient refuses before).
Result<PeerCredentials> read_pipe_client_credentials(void* pipe,
                                                     const std::optional<std::string>& group_sid);

/// Reads the credentials of the server of the connected client end `pipe`: its pid
/// (GetNamedPipeServerProcessId), the user of its process token where this process may read it,
/// and in `pipe_owner` the owner of the pipe object (which a server can set only to an account
/// it runs as: it holds even where the token cannot be read).
Result<PeerCredentials> read_pipe_server_credentials(void* pipe, std::string& pipe_owner);

/// Who may ask the agent: LocalSystem, the agent's own account, elevated Administrators and the
/// members of the status group.
struct StatusAccessPolicy {
  std::string agent_user_sid;
  std::optional<std::string> status_group_sid;  ///< nullopt where group gatelink does not exist

  /// The policy of this process: its token's user, and group gatelink if it exists.
  static StatusAccessPolicy of_this_process();
  bool allows(const PeerCredentials& peer) const;
};

/// Which servers gatelinkctl believes: LocalSystem, the invoking user, and the agent's account.
struct ServerTrustPolicy {
  std::string invoking_user_sid;
  std::optional<std::string> agent_user_sid;  ///< nullopt where that account does not exist
  std::string agent_user_name;                ///< for messages

  /// The policy for `agent_user_name` (`NAME`, `DOMAIN\NAME`, `NT SERVICE\NAME`) as seen by this
  /// process. An unknown name is an error when `required` (a name the operator gave), else it
  /// only drops that account from the trusted ones.
  static Result<ServerTrustPolicy> for_agent_user(const std::string& agent_user_name,
                                                  bool required);
  /// Whether an account (a token's user, or the pipe's owner) is one to believe.
  bool trusts_account(const std::string& sid) const;
};

/// The string SID of local account or group `name` and whether it is a group (LookupAccountNameW);
/// nullopt when there is no such account.
struct AccountSid {
  std::string sid;
  bool group = false;
};
std::optional<AccountSid> find_account(const std::string& name);

/// `DOMAIN\name` of string SID `sid`, or the SID itself when it has no name.
std::string account_name(const std::string& sid);

}  // namespace gatelink
