// Peer credentials of Unix sockets on Linux: SO_PEERCRED (pid, uid, gid as of connect() or
// listen()) and SO_PEERGROUPS (Linux 4.13: the supplementary groups likewise), with the group
// database as the fallback for older kernels.

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

#include "peer_credentials.hpp"

namespace gatelink {
namespace {

/// The group and user databases' buffers grow up to this before a lookup gives up.
constexpr std::size_t kMaxLookupBuffer = std::size_t{1} << 20;
/// Supplementary groups of one peer, at most (Linux's NGROUPS_MAX is 65536).
constexpr std::size_t kMaxPeerGroups = 65536;

std::size_t initial_buffer(int name) {
  const long hint = ::sysconf(name);
  return hint > 0 ? static_cast<std::size_t>(hint) : 4096;
}

/// Calls `lookup(buffer, size, &found)` (a getpwuid_r-like function) with a growing buffer.
template <class Entry, class Lookup>
std::optional<Entry> look_up(int size_hint, std::vector<char>& buffer, Lookup lookup) {
  buffer.resize(initial_buffer(size_hint));
  for (;;) {
    Entry entry{};
    Entry* found = nullptr;
    const int rc = lookup(&entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < kMaxLookupBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return entry;
  }
}

std::optional<std::string> name_of_user(uid_t uid) {
  std::vector<char> buffer;
  const auto entry = look_up<passwd>(_SC_GETPW_R_SIZE_MAX, buffer,
                                     [uid](passwd* e, char* b, std::size_t n, passwd** f) {
                                       return ::getpwuid_r(uid, e, b, n, f);
                                     });
  if (!entry) return std::nullopt;
  return std::string(entry->pw_name);
}

std::optional<uid_t> find_user(const std::string& name) {
  std::vector<char> buffer;
  const auto entry = look_up<passwd>(_SC_GETPW_R_SIZE_MAX, buffer,
                                     [&name](passwd* e, char* b, std::size_t n, passwd** f) {
                                       return ::getpwnam_r(name.c_str(), e, b, n, f);
                                     });
  if (!entry) return std::nullopt;
  return entry->pw_uid;
}

/// The supplementary groups the kernel recorded for the peer; nullopt where it cannot say.
std::optional<std::vector<gid_t>> kernel_groups(int fd) {
  std::vector<gid_t> groups(64);
  for (;;) {
    socklen_t length = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) == 0) {
      groups.resize(length / sizeof(gid_t));
      return groups;
    }
    if (errno != ERANGE || groups.size() >= kMaxPeerGroups) return std::nullopt;
    groups.resize(std::min<std::size_t>(length / sizeof(gid_t) + 1, kMaxPeerGroups));
  }
}

/// The supplementary groups of user `uid` from the group database.
std::vector<gid_t> database_groups(uid_t uid, gid_t gid) {
  const std::optional<std::string> name = name_of_user(uid);
  if (!name) return {};
  std::vector<gid_t> groups(64);
  for (;;) {
    int count = static_cast<int>(groups.size());
    if (::getgrouplist(name->c_str(), gid, groups.data(), &count) >= 0) {
      groups.resize(static_cast<std::size_t>(count));
      return groups;
    }
    if (static_cast<std::size_t>(count) <= groups.size() ||
        static_cast<std::size_t>(count) > kMaxPeerGroups) {
      return {};
    }
    groups.resize(static_cast<std::size_t>(count));
  }
}

}  // namespace

Result<PeerCredentials> read_peer_credentials(int fd, bool with_groups) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return Error{"cannot read the peer's credentials: " + std::generic_category().message(errno)};
  }
  PeerCredentials peer{.pid = credentials.pid, .uid = credentials.uid, .gid = credentials.gid};
  if (with_groups) {
    if (auto groups = kernel_groups(fd)) {
      peer.groups = std::move(*groups);
    } else {
      peer.groups = database_groups(peer.uid, peer.gid);
    }
  }
  return peer;
}

StatusAccessPolicy StatusAccessPolicy::of_this_process() {
  return StatusAccessPolicy{.agent_user = ::geteuid(),
                            .status_group = find_group(kStatusGroupName)};
}

bool StatusAccessPolicy::allows(const PeerCredentials& peer) const {
  if (peer.uid == 0 || peer.uid == agent_user) return true;
  if (!status_group) return false;
  return peer.gid == *status_group ||
         std::find(peer.groups.begin(), peer.groups.end(), *status_group) != peer.groups.end();
}

Result<ServerTrustPolicy> ServerTrustPolicy::for_agent_user(const std::string& agent_user_name,
                                                            bool required) {
  ServerTrustPolicy policy{.invoking_user = ::getuid(),
                           .agent_user = find_user(agent_user_name),
                           .agent_user_name = agent_user_name};
  if (!policy.agent_user && required) {
    return Error{"no such user " + agent_user_name + " (--agent-user)"};
  }
  return policy;
}

bool ServerTrustPolicy::trusts(const PeerCredentials& server) const {
  return server.uid == 0 || server.uid == invoking_user || server.uid == agent_user;
}

std::string user_name(uid_t uid) {
  return name_of_user(uid).value_or("uid " + std::to_string(uid));
}

std::optional<gid_t> find_group(const std::string& name) {
  std::vector<char> buffer;
  const auto entry = look_up<group>(_SC_GETGR_R_SIZE_MAX, buffer,
                                    [&name](group* e, char* b, std::size_t n, group** f) {
                                      return ::getgrnam_r(name.c_str(), e, b, n, f);
                                    });
  if (!entry) return std::nullopt;
  return entry->gr_gid;
}

}  // namespace gatelink
