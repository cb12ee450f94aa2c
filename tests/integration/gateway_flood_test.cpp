// Unauthenticated and greedy peers against the real gateway (DESIGN "Who may reach what"): a
// flood of idle or trickling TCP clients from 127.0.0.2 never keeps a real agent on 127.0.0.1
// out, memory follows bytes received and not what headers announce, and out of descriptors the
// accept loop backs off instead of spinning. Bounds are on counters (bytes, CPU ticks, log
// lines), never on how fast something happened; the figures are printed for docs/BENCHMARKS.md.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "codec/message.hpp"
#include "fixtures/tcp_flood.hpp"
#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

// The test and the gateway are built alike: a sanitizer build of one is one of the other.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitized = true;  ///< with UBSan (GATELINK_SANITIZE=address)
#else
constexpr bool kAddressSanitized = false;
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

constexpr std::uint32_t kMiB = 1u << 20;
constexpr const char* kFloodSource = "127.0.0.2";
constexpr std::uint8_t kAdmitType = 11;
constexpr std::uint8_t kHelloType = 1;

/// A frame header (magic, version 1, type, body length) and nothing of the body.
std::vector<std::uint8_t> frame_header(std::uint8_t type, std::uint32_t body_size) {
  return {'G',
          'L',
          codec::kProtocolVersion,
          type,
          static_cast<std::uint8_t>(body_size >> 24),
          static_cast<std::uint8_t>(body_size >> 16),
          static_cast<std::uint8_t>(body_size >> 8),
          static_cast<std::uint8_t>(body_size)};
}

/// Whether the peer has closed `fd` (EOF or reset), waiting at most `deadline`.
bool closed_by_peer(int fd, std::chrono::milliseconds deadline) {
  return wait_until(
      [&] {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return false;
        std::array<char, 256> scratch{};
        const auto n = ::recv(fd, scratch.data(), scratch.size(), MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
      },
      deadline);
}

/// Reads exactly `n` bytes from a blocking socket; false on EOF or error.
bool read_exactly(int fd, std::uint8_t* out, std::size_t n) {
  while (n > 0) {
    const auto got = ::recv(fd, out, n, 0);
    if (got <= 0) return false;
    out += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

/// Whether every established connection on the gateway's side of `port` has nothing left in its
/// receive queue: the gateway has read everything sent to it (/proc/net/tcp, in hex).
bool gateway_read_everything(std::uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string slot, local, remote, state, queues;
    f >> slot >> local >> remote >> state >> queues;
    if (local.size() < 5 || local.substr(local.size() - 5) != wanted || state != "01") continue;
    if (std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16) != 0) return false;
  }
  return true;
}

std::size_t count_lines(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

bool connected(const fs::path& socket) {
  auto s = agent_status(socket);
  return s && (*s)["state"] == "connected";
}

/// A peer that holds the test PKI's agent certificate and speaks just enough of the protocol:
/// the plaintext admission, then TLS. What it sends afterwards is up to the test.
class TlsPeer {
 public:
  explicit TlsPeer(std::uint16_t port) {
    const auto pki = test_pki();
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_ ||
        SSL_CTX_use_certificate_chain_file(ctx_.get(), pki.file("agent.pem").c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_.get(), pki.file("agent.key").c_str(), SSL_FILETYPE_PEM) !=
            1) {
      return;
    }
    fd_ = connect_from("127.0.0.1", port, true);
    if (fd_ < 0) return;
    std::array<std::uint8_t, 8> header{};
    if (!read_exactly(fd_, header.data(), header.size()) || header[3] != kAdmitType) return;
    const std::uint32_t body = (std::uint32_t{header[4]} << 24) | (std::uint32_t{header[5]} << 16) |
                               (std::uint32_t{header[6]} << 8) | header[7];
    std::vector<std::uint8_t> skip(body);
    if (!read_exactly(fd_, skip.data(), skip.size())) return;
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    up_ = SSL_connect(ssl_.get()) == 1;
  }
  ~TlsPeer() {
    ssl_.reset();
    if (fd_ >= 0) ::close(fd_);
  }
  TlsPeer(const TlsPeer&) = delete;
  TlsPeer& operator=(const TlsPeer&) = delete;

  bool up() const { return up_; }
  /// Sends all of `bytes`; false once the gateway has dropped the session.
  bool send(const std::vector<std::uint8_t>& bytes) {
    return up_ && SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size())) ==
                      static_cast<int>(bytes.size());
  }

 private:
  struct FreeCtx {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  struct FreeSsl {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  std::unique_ptr<SSL_CTX, FreeCtx> ctx_;
  std::unique_ptr<SSL, FreeSsl> ssl_;
  int fd_ = -1;
  bool up_ = false;
};

class GatewayFlood : public ::testing::Test {
 protected:
  // A peer the gateway drops while we write to it must not kill the test with SIGPIPE.
  void SetUp() override { ::signal(SIGPIPE, SIG_IGN); }

  /// Starts a real agent whose only gateway is `gw`; returns its status socket.
  fs::path start_real_agent(const GatewayProcess& gw) {
    AgentSetup setup;
    setup.gateways = {{gw.address, "gw1.example.test"}};
    agent_ = start_agent(dir_, write_agent_config(dir_, setup));
    return dir_ / "agent.sock";
  }

  /// The gateway, a flood of `kind` from 127.0.0.2, then the real agent: it must get connected
  /// while the flood still runs.
  void real_agent_connects_under(TcpFlood::Kind kind) {
    // Every slot the flood gets it holds for the whole test (20 s deadline), so without a share
    // per address it would hold all 32 and the agent would only ever hear busy. The default
    // share is 32/16 = 2.
    auto gw = start_gateway(dir_, "gw1.example.test", "gw1", 0,
                            {"--max-handshakes", "32", "--handshake-timeout-ms", "20000"});
    TcpFlood flood({.port = gw.port, .kind = kind, .source = kFloodSource});
    // The agent comes once the flood has tried for more slots than there are, and been refused.
    ASSERT_TRUE(wait_until(
        [&] {
          return flood.opened() >= 48 &&
                 any_line_has(gw.process->log(),
                              {"event=agent-refused", std::string("peer=") + kFloodSource});
        },
        5s))
        << gw.process->log();

    const auto started = std::chrono::steady_clock::now();
    const auto socket = start_real_agent(gw);
    ASSERT_TRUE(wait_until([&] { return connected(socket); }, 8s))
        << agent_->log() << gw.process->log();
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(flood.running()) << "the agent connected only after the flood had stopped";
    flood.stop();
    EXPECT_TRUE(any_line_has(gw.process->log(), {"event=agent-refused", "limit=address"}))
        << gw.process->log();
    std::cout << "[ figures  ] agent connected "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
              << " ms after it started, under " << flood.opened()
              << " flood connections from 127.0.0.2\n";
  }

  TempDir dir_;
  std::unique_ptr<Process> agent_;
};

TEST_F(GatewayFlood, real_agent_connects_while_idle_connections_flood_from_another_address) {
  real_agent_connects_under(TcpFlood::Kind::idle);
}

TEST_F(GatewayFlood, real_agent_connects_while_trickling_connections_flood_from_another_address) {
  real_agent_connects_under(TcpFlood::Kind::trickle);
}

TEST_F(GatewayFlood, an_idle_connection_is_closed_at_the_handshake_deadline) {
  auto gw = start_gateway(dir_, "gw1.example.test", "gw1");  // the default deadline
  const int fd = connect_from(kFloodSource, gw.port, true);
  ASSERT_GE(fd, 0);
  std::array<std::uint8_t, 8> admit{};
  ASSERT_TRUE(read_exactly(fd, admit.data(), admit.size()));
  EXPECT_EQ(admit[3], kAdmitType);
  EXPECT_TRUE(closed_by_peer(fd, 20s)) << "an idle client kept its handshake slot";
  ::close(fd);
}

TEST_F(GatewayFlood, announced_megabyte_frames_do_not_raise_the_gateways_memory) {
  if (kSanitized) {
    GTEST_SKIP() << "RSS means nothing under ASan or TSan (quarantine, shadow memory)";
  }
  constexpr std::size_t kPeers = 200;
  // Every peer keeps its slot while we measure: none is refused and none times out.
  auto gw = start_gateway(dir_, "gw1.example.test", "gw1", 0,
                          {"--max-handshakes", "1000", "--max-handshakes-per-address", "1000",
                           "--handshake-timeout-ms", "60000"});
  const auto pid = gw.process->pid();
  const auto baseline_kib = proc_status_kib(pid, "VmHWM");

  // Plain TCP peers announcing 1 MiB frames before any TLS: refused by the handshake at once.
  std::vector<int> plain;
  const auto header = frame_header(kHelloType, kMiB);
  for (std::size_t i = 0; i < kPeers; ++i) {
    const int fd = connect_from(kFloodSource, gw.port, true);
    ASSERT_GE(fd, 0);
    ::send(fd, header.data(), header.size(), MSG_NOSIGNAL);
    plain.push_back(fd);
  }
  for (const int fd : plain) {
    EXPECT_TRUE(closed_by_peer(fd, 20s));
    ::close(fd);
  }

  // Authenticated peers (the agent's certificate) whose hello announces 1 MiB, 10 bytes of it
  // sent: the gateway reads the header and the bytes, and waits for the rest.
  std::vector<std::unique_ptr<TlsPeer>> peers;
  auto announcement = header;
  announcement.insert(announcement.end(), 10, 'x');
  for (std::size_t i = 0; i < kPeers; ++i) {
    auto peer = std::make_unique<TlsPeer>(gw.port);
    ASSERT_TRUE(peer->up()) << "TLS peer " << i << "\n" << gw.process->log();
    ASSERT_TRUE(peer->send(announcement));
    peers.push_back(std::move(peer));
  }
  ASSERT_TRUE(wait_until([&] { return gateway_read_everything(gw.port); }, 20s));
  ASSERT_TRUE(gw.process->running()) << gw.process->log();

  const auto peak_kib = proc_status_kib(pid, "VmHWM");
  const std::size_t announced_kib = kPeers * kMiB / 1024;
  std::cout << "[ figures  ] gateway peak RSS " << baseline_kib / 1024 << " MiB at start, "
            << peak_kib / 1024 << " MiB with " << kPeers << " sessions announcing "
            << announced_kib / 1024 << " MiB in all\n";
  // TLS state costs the sessions some memory each; announced bodies must cost nothing.
  EXPECT_LT(peak_kib - baseline_kib, announced_kib / 4);
}

TEST_F(GatewayFlood, a_session_growing_past_the_buffer_budget_is_dropped_and_agents_connect) {
  constexpr std::size_t kGreedy = 12;
  auto gw = start_gateway(dir_, "gw1.example.test", "gw1", 0,
                          {"--max-buffered-mib", "1", "--handshake-timeout-ms", "60000"});
  // Each sends 200 KiB of a hello announced at 1 MiB: four of them fill the 1 MiB budget.
  auto frame = frame_header(kHelloType, kMiB);
  frame.insert(frame.end(), 200 * 1024, 'x');
  std::vector<std::unique_ptr<TlsPeer>> greedy;
  for (std::size_t i = 0; i < kGreedy; ++i) {
    auto peer = std::make_unique<TlsPeer>(gw.port);
    ASSERT_TRUE(peer->up()) << gw.process->log();
    peer->send(frame);  // fails once the gateway has dropped this peer
    greedy.push_back(std::move(peer));
  }
  ASSERT_TRUE(wait_until(
      [&] {
        return any_line_has(gw.process->log(), {"event=agent-dropped", "reason=buffer-budget"});
      },
      20s))
      << gw.process->log();
  EXPECT_TRUE(gw.process->running());

  // The budget is still full of the greedy peers' frames; an agent's small frames still pass.
  const auto socket = start_real_agent(gw);
  EXPECT_TRUE(wait_until([&] { return connected(socket); }, 10s))
      << agent_->log() << gw.process->log();
}

TEST_F(GatewayFlood, out_of_descriptors_the_gateway_backs_off_and_logs_once_a_second) {
  if (kAddressSanitized) {
    // UBSan's vptr check opens a pipe to probe memory; out of descriptors it reports a false
    // "invalid vptr" and aborts the gateway.
    GTEST_SKIP() << "sanitizer runtimes need descriptors of their own";
  }
  const fs::path prlimit = "/usr/bin/prlimit";
  if (!fs::exists(prlimit)) GTEST_SKIP() << "needs prlimit (util-linux)";
  constexpr std::size_t kConnections = 150;
  // Soft 48, hard 64: the gateway raises the soft limit itself. Held slots (60 s, no share)
  // keep the descriptors taken: busy answers would give them back at once.
  auto gw = start_gateway(dir_, "gw1.example.test", "gw1", 0,
                          {"--max-handshakes", "1000", "--max-handshakes-per-address", "1000",
                           "--handshake-timeout-ms", "60000"},
                          "127.0.0.1", {prlimit.string(), "--nofile=48:64", "--"});
  EXPECT_TRUE(any_line_has(gw.process->log(), {"event=capacity", "open_files=64", "max_agents="}))
      << gw.process->log();

  std::vector<int> flood;
  for (std::size_t i = 0; i < kConnections; ++i) {
    const int fd = connect_from(kFloodSource, gw.port, true);  // the listen backlog takes it
    ASSERT_GE(fd, 0);
    flood.push_back(fd);
  }
  ASSERT_TRUE(wait_until(
      [&] { return gw.process->log().find("event=accept-failed") != std::string::npos; }, 10s))
      << gw.process->log();

  // Watch the gateway while it stays out of descriptors, for as long as three more lines take
  // at one a second: a gateway that spins or logs every failure shows it in the counters.
  const std::string accept_failed = "event=accept-failed";
  const auto lines_before = count_lines(gw.process->log(), accept_failed);
  const auto ticks_before = proc_cpu_ticks(gw.process->pid());
  const auto watch_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until(
      [&] { return count_lines(gw.process->log(), accept_failed) >= lines_before + 3; }, 20s))
      << gw.process->log().substr(0, 4000);
  const auto watched = std::chrono::steady_clock::now() - watch_start;
  const auto ticks = proc_cpu_ticks(gw.process->pid()) - ticks_before;
  const auto log = gw.process->log();
  const auto lines = count_lines(log, accept_failed) - lines_before;

  const double seconds = std::chrono::duration<double>(watched).count();
  const auto ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::cout << "[ figures  ] out of descriptors for " << seconds << " s: " << lines
            << " accept-failed lines, " << ticks << " CPU ticks ("
            << 100.0 * static_cast<double>(ticks) / (seconds * ticks_per_second)
            << " % of a core)\n";
  EXPECT_LE(static_cast<double>(lines), seconds + 2) << log.substr(0, 4000);
  // At most a tenth of a core (plus a few ticks of rounding): a spinning loop takes all of one.
  EXPECT_LE(static_cast<double>(ticks), 0.1 * seconds * ticks_per_second + 5);
  // A line stands for every failure since the one before.
  // (No <regex>: GCC 12 warns falsely inside it under ASan.)
  std::size_t most = 0;
  const std::string key = "errors=";
  for (auto at = log.find(key); at != std::string::npos; at = log.find(key, at + key.size())) {
    std::size_t value = 0;
    for (std::size_t i = at + key.size(); i < log.size() && log[i] >= '0' && log[i] <= '9'; ++i) {
      value = value * 10 + static_cast<std::size_t>(log[i] - '0');
    }
    most = std::max(most, value);
  }
  EXPECT_GT(most, 1u) << log.substr(0, 4000);

  // When the flood goes, the gateway accepts again and a real agent connects.
  for (const int fd : flood) ::close(fd);
  const auto socket = start_real_agent(gw);
  EXPECT_TRUE(wait_until([&] { return connected(socket); }, 20s))
      << agent_->log() << gw.process->log().substr(0, 4000);
}

}  // namespace
}  // namespace gatelink::test
