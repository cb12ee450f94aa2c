// A C++ host with its own Boost.Asio, configured differently from the library's (built with
// BOOST_ASIO_DISABLE_EPOLL: the select reactor, other object layouts) and linked -rdynamic so
// that its Asio symbols are exported and would interpose any the library let through. It runs
// its own io_context (a timer and a loopback TCP echo) while the embedded endpoint connects,
// through the C++ wrapper gatelink.hpp.
// usage: asio_host AGENT_CONFIG

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "gatelink/gatelink.hpp"

#ifndef BOOST_ASIO_DISABLE_EPOLL
#error "asio_host must be built with another Asio configuration than the library's"
#endif

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// How often the host's own timer ticks while the endpoint connects.
constexpr std::chrono::milliseconds kTick{5};
/// How long the endpoint may take to connect.
constexpr std::chrono::seconds kConnectWait{30};
/// Host-side work that must have happened alongside: timer ticks and echo round trips.
constexpr int kMinTicks = 10;
constexpr int kMinEchoes = 10;

struct HostWork {
  asio::io_context io;
  asio::steady_timer timer{io};
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::socket server{io};
  tcp::socket client{io};
  char out[4] = {'p', 'i', 'n', 'g'};
  char in[4] = {};
  char echo[4] = {};
  int ticks = 0;
  int echoes = 0;

  void tick() {
    timer.expires_after(kTick);
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      ++ticks;
      tick();
    });
  }
  void serve() {
    asio::async_read(server, asio::buffer(in), [this](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      asio::async_write(server, asio::buffer(in), [this](boost::system::error_code e, std::size_t) {
        if (!e) serve();
      });
    });
  }
  void ping() {
    asio::async_write(client, asio::buffer(out), [this](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      asio::async_read(client, asio::buffer(echo), [this](boost::system::error_code e, std::size_t) {
        if (e) return;
        ++echoes;
        ping();
      });
    });
  }
  void start() {
    acceptor.async_accept(server, [this](boost::system::error_code ec) {
      if (!ec) serve();
    });
    client.async_connect(acceptor.local_endpoint(), [this](boost::system::error_code ec) {
      if (!ec) ping();
    });
    tick();
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s AGENT_CONFIG\n", argv[0]);
    return 2;
  }
  try {
    gatelink::embedded::Endpoint endpoint(argv[1]);
    HostWork work;
    work.start();
    endpoint.start();
    const auto until = std::chrono::steady_clock::now() + kConnectWait;
    bool connected = false;
    while (std::chrono::steady_clock::now() < until &&
           !(connected && work.ticks >= kMinTicks && work.echoes >= kMinEchoes)) {
      work.io.run_for(kTick);
      connected = endpoint.connected();
    }
    const std::string status = endpoint.status_json();
    endpoint.stop();
    std::printf("connected=%d ticks=%d echoes=%d status=%s\n", connected ? 1 : 0, work.ticks,
                work.echoes, status.c_str());
    return connected && work.ticks >= kMinTicks && work.echoes >= kMinEchoes ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_host: %s\n", e.what());
    return 1;
  }
}
