#pragma once
// Shared by the local trust tests: an agent on 127.0.0.1 whose only gateway never answers (it
// starts, serves its status and keeps trying), programs run as user nobody, and a status socket
// served by nobody (the impostor). Every wait has a deadline; nothing sleeps to synchronise.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration/ctl_support.hpp"
#include "integration/harness.hpp"
#include "integration/topology_support.hpp"

namespace gatelink::test {

/// Generous bound for anything an agent does on loopback, on a loaded machine.
inline constexpr std::chrono::milliseconds kLocalWait{10'000};

/// Why a test that needs another user cannot run here; nullopt when it can (root, setpriv).
std::optional<std::string> cannot_switch_users();

/// The command prefix that runs a program as nobody:nogroup with no supplementary groups.
std::vector<std::string> as_nobody();

/// The uid of user nobody.
uid_t nobody_uid();

/// The command prefix that runs a program as nobody:nogroup with `gid` as its only supplementary
/// group.
std::vector<std::string> as_nobody_in_group(gid_t gid);

/// A group `gatelink` for the agent: the host's, or else one that only programs run by
/// `prefix` see (a mount namespace whose /etc/group has it, under a gid no group has here).
struct StatusGroup {
  gid_t gid = 0;
  std::vector<std::string> prefix;  ///< empty when the host has the group
  std::optional<std::string> cannot;  ///< why no such group can be made here
};
StatusGroup status_group(const TempDir& dir);

/// An agent configuration in a fresh folder: bootstrap gateway on a reserved port (refused at
/// once), status socket `dir/agent.sock`, state folder `dir/state`.
class LocalAgent {
 public:
  LocalAgent();

  const TempDir& dir() const { return dir_; }
  const fs::path& config() const { return config_; }
  const fs::path& socket() const { return socket_; }
  /// Moves the status socket to `path` in the configuration.
  void set_socket(const fs::path& path);
  fs::path state() const { return agent_state_dir(dir_); }
  std::string log() const { return read_text_file(dir_ / "agent.log"); }

  /// Starts the agent, run by `prefix` when given; nullptr (with a test failure) when its status
  /// socket does not answer.
  std::unique_ptr<Process> start_serving(const std::vector<std::string>& prefix = {});
  /// gatelinkctl status --json against this agent, as `prefix` (e.g. as_nobody()) runs it.
  ProcessResult ctl(const std::vector<std::string>& prefix = {},
                    const std::vector<std::string>& extra = {}) const;
  /// gatelink-agent --check-config with this configuration.
  ProcessResult check_config() const;

 private:
  TempDir dir_;
  ReservedPort gateway_port_;
  fs::path config_;
  fs::path socket_;
};

/// A status socket bound and served by user nobody in a forked child: every connection gets
/// `document` and a newline once it has sent its request line. The child is killed when this
/// goes.
class ImpostorServer {
 public:
  ImpostorServer(const std::string& path, const std::string& document);
  ~ImpostorServer();
  ImpostorServer(const ImpostorServer&) = delete;
  ImpostorServer& operator=(const ImpostorServer&) = delete;

  /// Whether the child bound and listens (it reports so through a pipe).
  bool listening() const { return listening_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool listening_ = false;
};

}  // namespace gatelink::test
