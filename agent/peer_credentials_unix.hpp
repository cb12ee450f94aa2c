#pragma once
// Who is at the other end of a local status connection, and whom each end believes (DESIGN
// "Local status", "Who may reach what"). The agent lets root, the members of group gatelink and
// its own user ask; gatelinkctl believes only a server that runs as root, as the invoking user
// or as the agent's user. The decisions are pure; reading the credentials is per platform
// (peer_credentials_unix.cpp: SO_PEERCRED and SO_PEERGROUPS). Included through
// peer_credentials.hpp.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace gatelink {

/// The group whose members may ask the agent for its status (the on-site staff).
inline constexpr char kStatusGroupName[] = "gatelink";
/// The system user the packaged agent runs as; gatelinkctl believes it by default.
inline constexpr char kAgentUserName[] = "gatelink";

/// The process at the other end of a connected local socket, as the kernel reports it.
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;              ///< primary group
  std::vector<gid_t> groups;  ///< supplementary groups (may include the primary one)
};

/// Reads the peer's credentials of the connected socket `fd`, supplementary groups included
/// when `with_groups` (SO_PEERGROUPS, else the group database for the peer's user name).
Result<PeerCredentials> read_peer_credentials(int fd, bool with_groups);

/// Who may ask the agent: root, the agent's own user, and the members of the status group.
struct StatusAccessPolicy {
  uid_t agent_user = 0;
  std::optional<gid_t> status_group;  ///< nullopt where group gatelink does not exist

  /// The policy of this process: its effective user, and group gatelink if it exists.
  static StatusAccessPolicy of_this_process();
  bool allows(const PeerCredentials& peer) const;
};

/// Which servers gatelinkctl believes: root, the invoking user, and the agent's user.
struct ServerTrustPolicy {
  uid_t invoking_user = 0;
  std::optional<uid_t> agent_user;  ///< nullopt where that user does not exist
  std::string agent_user_name;      ///< for messages

  /// The policy for `agent_user_name` as seen by this process. An unknown name is an error when
  /// `required` (a name the operator gave), else it only drops that user from the trusted ones.
  static Result<ServerTrustPolicy> for_agent_user(const std::string& agent_user_name,
                                                  bool required);
  bool trusts(const PeerCredentials& server) const;
};

/// The name of user `uid` (or "uid N" when it has none), for log lines and messages.
std::string user_name(uid_t uid);

/// The id of group `name`, nullopt when there is no such group.
std::optional<gid_t> find_group(const std::string& name);

}  // namespace gatelink
