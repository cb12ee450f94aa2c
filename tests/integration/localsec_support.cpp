#include "integration/localsec_support.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "peer_credentials.hpp"

namespace gatelink::test {
namespace {

constexpr char kSetpriv[] = "setpriv";

/// `name` on PATH, if it is there.
std::optional<fs::path> on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

/// The child's side of ImpostorServer: only system calls (async-signal-safe) after fork.
[[noreturn]] void serve_as_nobody(const sockaddr_un& address, const std::string& line, int ready_fd,
                                  uid_t uid, gid_t gid) {
  if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
      ::setresuid(uid, uid, uid) != 0) {
    ::_exit(2);
  }
  ::umask(0);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 16) != 0) {
    ::_exit(3);
  }
  const char ok = '1';
  if (::write(ready_fd, &ok, 1) != 1) ::_exit(4);
  ::close(ready_fd);
  for (;;) {
    const int client = ::accept(fd, nullptr, nullptr);
    if (client < 0) continue;
    char c = 0;  // the request line first, as the agent reads it
    while (::read(client, &c, 1) == 1 && c != '\n') {
    }
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::send(client, data, left, MSG_NOSIGNAL);  // a client that left: no SIGPIPE
      if (n <= 0) break;
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    ::close(client);
  }
}

}  // namespace

std::optional<std::string> cannot_switch_users() {
  if (::geteuid() != 0) return "needs root to act as user nobody";
  if (!on_path(kSetpriv)) return "needs setpriv (util-linux) to run a program as nobody";
  if (::getpwnam("nobody") == nullptr || ::getgrnam("nogroup") == nullptr) {
    return "needs the user nobody and the group nogroup";
  }
  return std::nullopt;
}

std::vector<std::string> as_nobody() {
  return {on_path(kSetpriv).value_or(kSetpriv).string(), "--reuid=nobody", "--regid=nogroup",
          "--clear-groups"};
}

uid_t nobody_uid() {
  const passwd* entry = ::getpwnam("nobody");
  return entry == nullptr ? static_cast<uid_t>(-1) : entry->pw_uid;
}

std::vector<std::string> as_nobody_in_group(gid_t gid) {
  return {on_path(kSetpriv).value_or(kSetpriv).string(), "--reuid=nobody", "--regid=nogroup",
          "--groups=" + std::to_string(gid)};
}

StatusGroup status_group(const TempDir& dir) {
  if (const group* host = ::getgrnam(kStatusGroupName)) return {.gid = host->gr_gid};
  const std::optional<fs::path> unshare = on_path("unshare");
  if (!unshare) return {.cannot = "needs unshare (util-linux) for a private /etc/group"};
  gid_t gid = 64999;
  while (gid > 60000 && ::getgrgid(gid) != nullptr) --gid;
  const fs::path copy = dir / "group";
  std::ofstream(copy) << read_text_file("/etc/group") << kStatusGroupName << ":x:" << gid << ":\n";
  // The agent resolves the group by name at start; the namespace's /etc/group has it.
  return {.gid = gid,
          .prefix = {unshare->string(), "--mount", "--", "/bin/sh", "-c",
                     "mount --bind \"$0\" /etc/group && exec \"$@\"", copy.string()}};
}

LocalAgent::LocalAgent() {
  AgentSetup setup;
  setup.gateways.emplace_back("127.0.0.1:" + std::to_string(gateway_port_.port()),
                              "gw1.example.test");
  config_ = write_agent_config(dir_, setup);
  socket_ = dir_ / "agent.sock";
}

void LocalAgent::set_socket(const fs::path& path) {
  std::string text = read_text_file(config_);
  const std::string old = "socket=\"" + socket_.string() + "\"";
  const auto at = text.find(old);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, old.size(), "socket=\"" + path.string() + "\"");
  std::ofstream(config_) << text;
  socket_ = path;
}

std::unique_ptr<Process> LocalAgent::start_serving(const std::vector<std::string>& prefix) {
  auto agent = start_agent(dir_, config_, prefix);
  const bool serving = wait_until(
      [&] { return !agent->running() || agent_status(socket()).has_value(); }, kLocalWait);
  if (!serving || !agent->running()) {
    ADD_FAILURE() << "the agent does not serve its status:\n" << log();
    return nullptr;
  }
  return agent;
}

ProcessResult LocalAgent::ctl(const std::vector<std::string>& prefix,
                              const std::vector<std::string>& extra) const {
  std::vector<std::string> argv = prefix;
  argv.push_back((bin_dir() / "gatelinkctl").string());
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"--socket", socket().string(), "status", "--json"});
  return run_process(argv);
}

ProcessResult LocalAgent::check_config() const {
  return run_process(
      {(bin_dir() / "gatelink-agent").string(), "--config", config_.string(), "--check-config"});
}

ImpostorServer::ImpostorServer(const std::string& path, const std::string& document) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  const std::string line = document + "\n";
  const passwd* user = ::getpwnam("nobody");
  const group* nogroup = ::getgrnam("nogroup");
  if (user == nullptr || nogroup == nullptr) return;
  const uid_t uid = user->pw_uid;
  const gid_t gid = nogroup->gr_gid;
  std::array<int, 2> ready{};
  if (::pipe2(ready.data(), O_CLOEXEC) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::close(ready[0]);
    serve_as_nobody(address, line, ready[1], uid, gid);
  }
  ::close(ready[1]);
  if (pid_ > 0) {
    char ok = 0;
    listening_ = ::read(ready[0], &ok, 1) == 1;  // EOF when the child failed
  }
  ::close(ready[0]);
}

ImpostorServer::~ImpostorServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

}  // namespace gatelink::test
