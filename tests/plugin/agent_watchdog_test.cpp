// gatelink-agent feeds the systemd watchdog it was given (NOTIFY_SOCKET, WATCHDOG_USEC) while
// its endpoint's thread answers: the messages are read from a datagram socket the test binds,
// as systemd does. (A stuck endpoint thread answering 0: plugin_callbacks_test.cpp.)

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

/// The datagram socket systemd listens on for sd_notify messages.
class NotifySocket {
 public:
  explicit NotifySocket(fs::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    bound_ = fd_ >= 0 &&
             ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  bool bound() const { return bound_; }
  const fs::path& path() const { return path_; }
  /// The next message within `deadline`, or "" when none came.
  std::string next(std::chrono::milliseconds deadline) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(deadline.count())) != 1) return "";
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
  }

 private:
  fs::path path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(AgentWatchdog, agent_feeds_the_systemd_watchdog_while_its_endpoint_answers) {
  constexpr unsigned kWatchdogUsec = 400'000;  // fed every 200 ms
  constexpr int kFeedsWanted = 3;
  TempDir dir;
  auto gw = start_gateway(dir, "gw1.example.test", "gw1");
  const auto config =
      write_agent_config(dir, AgentSetup{.gateways = {{gw.address, "gw1.example.test"}}});
  NotifySocket notify(dir / "notify.sock");
  ASSERT_TRUE(notify.bound()) << std::strerror(errno);
  Process agent({"/usr/bin/env", "NOTIFY_SOCKET=" + notify.path().string(),
                 "WATCHDOG_USEC=" + std::to_string(kWatchdogUsec),
                 (bin_dir() / "gatelink-agent").string(), "--config", config.string()},
                dir / "agent.log");
  bool ready = false;
  int feeds = 0;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until && !(ready && feeds >= kFeedsWanted)) {
    const auto message = notify.next(1s);
    if (message.find("READY=1") != std::string::npos) ready = true;
    if (message.find("WATCHDOG=1") != std::string::npos) ++feeds;
  }
  EXPECT_TRUE(ready) << agent.log();
  EXPECT_GE(feeds, kFeedsWanted) << agent.log();
  EXPECT_TRUE(any_line_has(agent.log(), {"event=watchdog-enabled", "interval_ms=400"}))
      << agent.log();
  EXPECT_FALSE(any_line_has(agent.log(), {"event=watchdog-starved"})) << agent.log();
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0) << agent.log();
}

}  // namespace
}  // namespace gatelink::test
