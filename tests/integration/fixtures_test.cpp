// The test fixtures' own tests: every fault of FaultProxy between loopback sockets, and
// FakeGateway against plain sockets and against the real agent over real TLS. Each check rests on
// evidence (bytes seen, counters, records, status, logs); timing is only ever a lower bound that
// the fault itself guarantees.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "codec/codec.hpp"
#include "fixtures/fake_gateway.hpp"
#include "fixtures/fault_proxy.hpp"
#include "integration/harness.hpp"
#include "integration/issued_push.hpp"

namespace gatelink::test {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using Direction = FaultProxy::Direction;
using Counters = FaultProxy::Counters;

/// Bound of every wait: only reached when something is broken.
constexpr Millis kWait{10'000};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int millis_left(Clock::time_point until) {
  const auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

/// How a stream looks from one end.
enum class End { open, closed, reset };

/// A blocking TCP client on 127.0.0.1 whose every read has a deadline.
class TcpClient {
 public:
  explicit TcpClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    const sockaddr_in address = loopback(port);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~TcpClient() { ::close(fd_); }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

  /// Exactly `n` bytes; nullopt when the stream ends or the deadline passes first.
  std::optional<std::string> read_exact(std::size_t n, Millis deadline = kWait) {
    const auto until = Clock::now() + deadline;
    std::string out;
    while (out.size() < n) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, millis_left(until)) <= 0) return std::nullopt;
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, std::min(sizeof buffer, n - out.size()), 0);
      if (got <= 0) return std::nullopt;
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }

  /// Reads until the peer closes or resets (what came meanwhile goes to `received`);
  /// End::open when the deadline passes first. A zero deadline looks without waiting.
  End read_to_end(Millis deadline, std::string* received = nullptr) {
    const auto until = Clock::now() + deadline;
    for (;;) {
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, millis_left(until)) <= 0) return End::open;
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got == 0) return End::closed;
      if (got < 0) return errno == ECONNRESET ? End::reset : End::closed;
      if (received != nullptr) received->append(buffer, static_cast<std::size_t>(got));
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

/// A TCP echo server on 127.0.0.1:0, a thread per connection, recording what each connection
/// received and how it ended.
class EchoServer {
 public:
  struct Peer {
    std::string received;
    bool ended = false;
    bool reset = false;
  };

  EchoServer() : listen_fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address = loopback(0);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, SOMAXCONN) != 0) {
      throw std::runtime_error("echo server cannot listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~EchoServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    close_all();
    for (auto& t : servers_) t.join();
    ::close(listen_fd_);
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  std::uint16_t port() const { return port_; }

  /// The target closes every connection (FIN).
  void close_all() {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) {
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
  }

  std::vector<Peer> peers() const {
    std::lock_guard lock(mutex_);
    return peers_;
  }

  bool wait(const std::function<bool(const std::vector<Peer>&)>& condition,
            Millis deadline = kWait) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return condition(peers_); });
  }

 private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      const std::size_t index = peers_.size();
      peers_.emplace_back();
      fds_.push_back(fd);
      servers_.emplace_back([this, index, fd] { serve(index, fd); });
    }
  }

  void serve(std::size_t index, int fd) {
    char buffer[4096];
    // A reset is reported once, to whichever call meets it first: the echo or the next read.
    bool reset = false;
    for (;;) {
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got <= 0) {
        std::lock_guard lock(mutex_);
        peers_[index].ended = true;
        peers_[index].reset = reset || (got < 0 && errno == ECONNRESET);
        fds_[index] = -1;
        ::close(fd);
        changed_.notify_all();
        return;
      }
      {
        std::lock_guard lock(mutex_);
        peers_[index].received.append(buffer, static_cast<std::size_t>(got));
        changed_.notify_all();
      }
      if (::send(fd, buffer, static_cast<std::size_t>(got), MSG_NOSIGNAL) < 0 &&
          errno == ECONNRESET) {
        reset = true;
      }
    }
  }

  int listen_fd_;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Peer> peers_;
  std::vector<int> fds_;
  std::vector<std::thread> servers_;
};

/// An echo server behind a fault proxy.
struct Proxied {
  EchoServer echo;
  FaultProxy proxy{echo.port()};
};

TEST(FaultProxy, forwards_bytes_both_ways_and_passes_the_close_on) {
  Proxied p;
  TcpClient client(p.proxy.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("ping through the proxy"));
  EXPECT_EQ(client.read_exact(22), "ping through the proxy");
  // Counted once each write completed, which may be just after the client read the echo.
  EXPECT_TRUE(p.proxy.wait(
      [](const Counters& c) { return c.forwarded_up == 22 && c.forwarded_down == 22; }, kWait));
  EXPECT_EQ(p.proxy.counters().accepted, 1u);
  EXPECT_EQ(p.proxy.counters().open, 1u);

  // The client's close reaches the target, whose close comes back: the connection goes.
  client.shutdown_send();
  EXPECT_EQ(client.read_to_end(kWait), End::closed);
  EXPECT_TRUE(p.proxy.wait_open(0, kWait));
  EXPECT_EQ(p.echo.peers().at(0).received, "ping through the proxy");
}

TEST(FaultProxy, delay_each_way_adds_to_the_round_trip_and_keeps_the_order) {
  constexpr Millis kDelay{100};
  Proxied p;
  p.proxy.set_delay(Direction::both, kDelay);
  TcpClient client(p.proxy.port());
  const auto start = Clock::now();
  ASSERT_TRUE(client.send("x"));
  ASSERT_EQ(client.read_exact(1), "x");
  EXPECT_GE(Clock::now() - start, 2 * kDelay);  // latency, whatever the machine's speed

  // Chunks sent one after the other come back in order.
  for (const char* chunk : {"abc", "def", "ghi"}) ASSERT_TRUE(client.send(chunk));
  EXPECT_EQ(client.read_exact(9), "abcdefghi");
}

TEST(FaultProxy, blackhole_forwards_nothing_and_keeps_the_connection_open) {
  Proxied p;
  TcpClient client(p.proxy.port());
  ASSERT_TRUE(client.send("before"));
  ASSERT_EQ(client.read_exact(6), "before");

  p.proxy.set_blackhole(true);
  ASSERT_TRUE(client.send("lost"));
  // The proxy read it and dropped it: it can never arrive later.
  ASSERT_TRUE(p.proxy.wait([](const Counters& c) { return c.dropped_up == 4; }, kWait));
  EXPECT_EQ(p.echo.peers().at(0).received, "before");
  EXPECT_EQ(client.read_to_end(Millis{0}), End::open);

  // Still the same connection: forwarding again, the next bytes are the first to come back.
  p.proxy.set_blackhole(false);
  ASSERT_TRUE(client.send("after"));
  EXPECT_EQ(client.read_exact(5), "after");
  EXPECT_EQ(p.echo.peers().at(0).received, "beforeafter");
  EXPECT_EQ(p.proxy.counters().accepted, 1u);

  // A target that closes behind a blackhole is not heard of either.
  p.proxy.set_blackhole(true);
  p.echo.close_all();
  ASSERT_TRUE(p.proxy.wait([](const Counters& c) { return c.target_ends == 1; }, kWait));
  EXPECT_EQ(client.read_to_end(Millis{0}), End::open);
  EXPECT_EQ(p.proxy.open(), 1u);
}

TEST(FaultProxy, down_resets_open_and_new_connections_until_up_again) {
  Proxied p;
  TcpClient before(p.proxy.port());
  ASSERT_TRUE(before.send("a"));
  ASSERT_EQ(before.read_exact(1), "a");

  p.proxy.set_down(true);
  EXPECT_EQ(before.read_to_end(kWait), End::reset);
  TcpClient during(p.proxy.port());
  EXPECT_TRUE(during.connected());  // accepted by the kernel, then reset at once
  EXPECT_EQ(during.read_to_end(kWait), End::reset);
  EXPECT_EQ(p.proxy.counters().accepted, 2u);
  EXPECT_EQ(p.echo.peers().size(), 1u);  // the target never saw the second one

  p.proxy.set_down(false);
  TcpClient after(p.proxy.port());
  ASSERT_TRUE(after.send("b"));
  EXPECT_EQ(after.read_exact(1), "b");
}

TEST(FaultProxy, reset_all_resets_both_sides_of_every_connection) {
  Proxied p;
  TcpClient one(p.proxy.port());
  TcpClient two(p.proxy.port());
  for (TcpClient* c : {&one, &two}) {
    ASSERT_TRUE(c->send("x"));
    ASSERT_EQ(c->read_exact(1), "x");
  }
  p.proxy.reset_all();
  EXPECT_EQ(one.read_to_end(kWait), End::reset);
  EXPECT_EQ(two.read_to_end(kWait), End::reset);
  ASSERT_TRUE(p.echo.wait(
      [](const auto& peers) { return peers.size() == 2 && peers[0].ended && peers[1].ended; }));
  for (const auto& peer : p.echo.peers()) EXPECT_TRUE(peer.reset);
  EXPECT_EQ(p.proxy.open(), 0u);
}

TEST(FaultProxy, reset_after_n_bytes_cuts_the_stream_there) {
  Proxied p;
  p.proxy.reset_after(Direction::up, 10);
  TcpClient client(p.proxy.port());
  ASSERT_TRUE(client.send("0123456789abcdefghijklmno"));
  EXPECT_EQ(client.read_to_end(kWait), End::reset);
  ASSERT_TRUE(p.echo.wait([](const auto& peers) { return peers.size() == 1 && peers[0].ended; }));
  EXPECT_EQ(p.echo.peers()[0].received, "0123456789");
  EXPECT_TRUE(p.echo.peers()[0].reset);

  // Each new connection gets its own count, from its start.
  TcpClient next(p.proxy.port());
  ASSERT_TRUE(next.send("ABCDEFGHIJKLMNOPQRSTUVWXY"));
  EXPECT_EQ(next.read_to_end(kWait), End::reset);
  ASSERT_TRUE(p.echo.wait([](const auto& peers) { return peers.size() == 2 && peers[1].ended; }));
  EXPECT_EQ(p.echo.peers()[1].received, "ABCDEFGHIJ");
}

TEST(FaultProxy, trickle_forwards_one_byte_per_period) {
  constexpr Millis kPeriod{20};
  Proxied p;
  p.proxy.set_trickle(Direction::up, kPeriod);
  TcpClient client(p.proxy.port());
  const auto start = Clock::now();
  ASSERT_TRUE(client.send("0123456789"));
  EXPECT_EQ(client.read_exact(10), "0123456789");
  EXPECT_GE(Clock::now() - start, 9 * kPeriod);  // ten bytes, one period between each
}

TEST(FaultProxy, half_open_hides_the_targets_close_from_the_client) {
  Proxied p;
  p.proxy.set_half_open(Direction::down, true);
  TcpClient client(p.proxy.port());
  ASSERT_TRUE(client.send("up"));
  // Up still flows; the echo's answer is read and dropped.
  ASSERT_TRUE(p.proxy.wait([](const Counters& c) { return c.dropped_down == 2; }, kWait));
  EXPECT_EQ(p.echo.peers().at(0).received, "up");

  p.echo.close_all();
  ASSERT_TRUE(p.proxy.wait([](const Counters& c) { return c.target_ends == 1; }, kWait));
  EXPECT_EQ(client.read_to_end(Millis{0}), End::open);  // and never will be told
  EXPECT_TRUE(client.send("still writing"));
  EXPECT_EQ(p.proxy.open(), 1u);

  p.proxy.reset_all();
  EXPECT_EQ(client.read_to_end(kWait), End::reset);
}

TEST(FaultProxy, carries_hundreds_of_connections_with_latency) {
  constexpr std::size_t kClients = 200;
  FakeGateway gateway;
  FaultProxy proxy(gateway.port());
  proxy.set_delay(Direction::down, Millis{20});
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (std::size_t i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TcpClient>(proxy.port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  const auto admit = codec::encode(codec::Admit{});
  const std::string admit_frame(admit.begin(), admit.end());
  for (auto& client : clients) EXPECT_EQ(client->read_exact(admit_frame.size()), admit_frame);
  EXPECT_EQ(proxy.counters().open, kClients);
  EXPECT_TRUE(gateway.wait_connections(kClients, kWait));
}

// --- FakeGateway --------------------------------------------------------------------------

/// Decodes one whole frame from the front of `bytes`.
std::optional<codec::Message> decode_frame(const std::string& bytes) {
  const std::span<const std::uint8_t> all(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                          bytes.size());
  auto header = codec::decode_header(all);
  if (!header || all.size() != codec::kHeaderSize + header->body_size) return std::nullopt;
  auto message = codec::decode_body(header->type, all.subspan(codec::kHeaderSize));
  if (!message) return std::nullopt;
  return *message;
}

TEST(FakeGateway, busy_answers_a_plaintext_goodbye_with_retry_after_and_closes) {
  FakeGateway gateway;
  gateway.set_script({.admission = FakeGateway::Admission::busy, .retry_after_ms = 1500});
  TcpClient client(gateway.port());
  std::string received;
  EXPECT_EQ(client.read_to_end(kWait, &received), End::closed);
  const auto message = decode_frame(received);
  ASSERT_TRUE(message) << received.size();
  EXPECT_EQ(std::get<codec::Goodbye>(*message),
            (codec::Goodbye{.reason = "busy", .retry_after_ms = 1500}));
  ASSERT_TRUE(gateway.wait_closed(0, kWait));
  EXPECT_EQ(gateway.record(0).end, "closed");
  EXPECT_FALSE(gateway.record(0).tls_up);
}

TEST(FakeGateway, silent_admission_says_nothing_and_a_stall_stops_after_the_admit) {
  FakeGateway gateway;
  gateway.script_next({.admission = FakeGateway::Admission::silent});
  gateway.script_next({.handshake = FakeGateway::Handshake::stall});
  // The client speaks, then half-closes: the fake reads to the end and closes, so everything it
  // sent is in front of the end the client reads.
  const auto exchange = [&] {
    TcpClient client(gateway.port());
    EXPECT_TRUE(client.send("not a TLS client hello"));
    client.shutdown_send();
    std::string received;
    EXPECT_EQ(client.read_to_end(kWait, &received), End::closed);
    return received;
  };
  EXPECT_EQ(exchange(), "");
  const auto admit = codec::encode(codec::Admit{});
  EXPECT_EQ(exchange(), std::string(admit.begin(), admit.end()));
  ASSERT_TRUE(gateway.wait_closed(1, kWait));
  for (const auto& record : gateway.records()) {
    EXPECT_FALSE(record.tls_up);
    EXPECT_EQ(record.end, "closed-by-peer");
  }
}

/// One agent (the real gatelink-agent) configured with a single gateway at `address`.
struct AgentOn {
  AgentOn(const std::string& address, unsigned heartbeat_interval_ms) {
    AgentSetup setup;
    setup.gateways = {{address, "gw1.example.test"}};
    setup.heartbeat_interval_ms = heartbeat_interval_ms;
    process = start_agent(dir, write_agent_config(dir, setup));
  }
  std::optional<nlohmann::json> status() const { return agent_status(dir / "agent.sock"); }
  bool wait_status(const std::function<bool(const nlohmann::json&)>& condition) const {
    return wait_until(
        [&] {
          auto s = status();
          return s && condition(*s);
        },
        kWait);
  }
  std::string log() const { return process->log(); }

  TempDir dir;
  std::unique_ptr<Process> process;
};

TEST(FakeGateway, real_agent_connects_with_the_scripted_welcome_and_leaves_when_it_goes_silent) {
  FakeGateway gateway;
  gateway.set_script({.on_hello = [](const codec::Hello&) -> std::optional<codec::Message> {
    return codec::Welcome{.gateway_name = "scripted.example.test",
                          .heartbeat_interval_ms = 200,
                          .heartbeat_misses = 3};
  }});
  AgentOn agent(gateway.address(), 200);

  const auto hello = gateway.wait_hello(kWait);
  ASSERT_TRUE(hello) << agent.log();
  EXPECT_EQ(hello->agent_name, "agent1.example.test");
  EXPECT_EQ(hello->management_group, "TEST");
  ASSERT_TRUE(agent.wait_status([](const nlohmann::json& s) {
    return s["state"] == "connected" && s["gateway_name"] == "scripted.example.test";
  })) << agent.log();
  EXPECT_TRUE(gateway.wait_heartbeats(0, 2, kWait));
  EXPECT_TRUE(gateway.record(0).tls_up);

  // Silence: the agent counts its misses and leaves that session.
  gateway.answer_heartbeats(false);
  ASSERT_TRUE(gateway.wait_closed(0, kWait)) << agent.log();
  EXPECT_TRUE(agent.wait_status([](const nlohmann::json& s) {
    return s["gateways"][0]["last_error"] == "heartbeat-timeout";
  })) << agent.log();
}

TEST(FakeGateway, scripted_answers_and_messages_reach_the_real_agent) {
  FakeGateway gateway;
  // The first hello gets a goodbye instead of a welcome; the next connection is welcomed.
  gateway.script_next({.on_hello = [](const codec::Hello&) -> std::optional<codec::Message> {
    return codec::Goodbye{.reason = "maintenance", .retry_after_ms = 0};
  }});
  AgentOn agent(gateway.address(), 200);
  ASSERT_TRUE(gateway.wait_hello(kWait, 1)) << agent.log();
  ASSERT_TRUE(agent.wait_status([](const nlohmann::json& s) { return s["state"] == "connected"; }))
      << agent.log();
  EXPECT_TRUE(any_line_has(agent.log(), {"event=goodbye", "reason=maintenance"})) << agent.log();

  // A pushed topology (same primary: it applies at once) is acknowledged on that connection.
  const Topology topology{
      .generation = 1,
      .management_group = "TEST",
      .primary = {.host = "127.0.0.1", .port = gateway.port(), .server_name = "gw1.example.test"}};
  ASSERT_TRUE(gateway.send(1, issued_push("agent1.example.test", topology)));
  ASSERT_TRUE(gateway.wait(
      [](const auto& records) {
        for (const auto& r : records[1].received) {
          const auto* ack = std::get_if<codec::TopologyAck>(&r.message);
          if (ack != nullptr && ack->generation == 1) return true;
        }
        return false;
      },
      kWait))
      << agent.log();
  EXPECT_TRUE(
      agent.wait_status([](const nlohmann::json& s) { return s["topology"]["generation"] == 1; }));

  // A malformed frame (unknown type 99) makes the agent drop the session.
  ASSERT_TRUE(gateway.send_raw(1, {'G', 'L', codec::kProtocolVersion, 99, 0, 0, 0, 0}));
  ASSERT_TRUE(gateway.wait_closed(1, kWait)) << agent.log();
  EXPECT_TRUE(any_line_has(agent.log(), {"event=protocol-error"})) << agent.log();
}

TEST(FakeGateway, latency_of_the_proxy_and_late_answers_show_in_the_agents_round_trip) {
  constexpr Millis kProxyDelay{30};
  constexpr Millis kAnswerDelay{40};
  FakeGateway gateway;
  gateway.answer_heartbeats(true, kAnswerDelay);
  FaultProxy proxy(gateway.port());
  proxy.set_delay(Direction::both, kProxyDelay);
  // A 1 s interval: a heartbeat may take 200 ms to be answered before it counts as missed.
  AgentOn agent(proxy.address(), 1000);
  ASSERT_TRUE(agent.wait_status([](const nlohmann::json& s) {
    return s["state"] == "connected" && s["heartbeat"]["last_rtt_ms"].is_number();
  })) << agent.log();
  const double rtt = (*agent.status())["heartbeat"]["last_rtt_ms"].get<double>();
  EXPECT_GE(rtt, static_cast<double>((2 * kProxyDelay + kAnswerDelay).count()));
  EXPECT_EQ(proxy.counters().accepted, 1u);
}

}  // namespace
}  // namespace gatelink::test
