// What hello/welcome agree and what follows from it: the gateway clamps the agent's proposal
// into its bounds, the agent refuses agreed values it cannot hold, and both ends set keepalive
// and TCP_USER_TIMEOUT on the socket from the agreed values.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>

#include "link/liveness.hpp"

namespace gatelink::link {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;

TEST(LinkLiveness, the_gateway_holds_a_proposal_within_its_bounds) {
  const LivenessBounds bounds{.min_interval = 100ms, .max_interval = 60s, .min_misses = 2,
                              .max_misses = 10};
  EXPECT_EQ(agree(1000, 3, bounds), (Liveness{1000ms, 3}));  // within: as proposed
  EXPECT_EQ(agree(50, 3, bounds), (Liveness{100ms, 3}));     // too eager for this gateway
  EXPECT_EQ(agree(600000, 50, bounds), (Liveness{60s, 10}));
  EXPECT_EQ(agree(0, 0, bounds), (Liveness{100ms, 2}));  // an old or broken agent
  EXPECT_EQ(agree(1000, 3, bounds).silence_limit(), 3s);
}

TEST(LinkLiveness, the_agent_refuses_agreed_values_it_cannot_hold) {
  EXPECT_TRUE(acceptable(Liveness{50ms, 2}));
  EXPECT_TRUE(acceptable(Liveness{600s, 100}));
  EXPECT_FALSE(acceptable(Liveness{49ms, 3}));   // would flood the link
  EXPECT_FALSE(acceptable(Liveness{601s, 3}));   // would hide a dead gateway for hours
  EXPECT_FALSE(acceptable(Liveness{1s, 1}));     // one interval of silence is the normal gap
  EXPECT_FALSE(acceptable(Liveness{1s, 101}));
}

int option(tcp::socket& socket, int level, int name) {
  int value = -1;
  socklen_t size = sizeof value;
  EXPECT_EQ(::getsockopt(socket.native_handle(), level, name, &value, &size), 0);
  return value;
}

TEST(LinkLiveness, keepalive_and_user_timeout_follow_the_agreed_values) {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket served = acceptor.accept();

  ASSERT_FALSE(apply_to_socket(client, Liveness{2500ms, 4}));
  EXPECT_EQ(option(client, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(option(client, IPPROTO_TCP, TCP_KEEPIDLE), 3);  // whole seconds, rounded up
  EXPECT_EQ(option(client, IPPROTO_TCP, TCP_KEEPINTVL), 3);
  EXPECT_EQ(option(client, IPPROTO_TCP, TCP_KEEPCNT), 4);
  EXPECT_EQ(option(client, IPPROTO_TCP, TCP_USER_TIMEOUT), 10000);

  // Sub-second intervals still probe every second, the least keepalive can do.
  ASSERT_FALSE(apply_to_socket(served, Liveness{200ms, 3}));
  EXPECT_EQ(option(served, IPPROTO_TCP, TCP_KEEPIDLE), 1);
  EXPECT_EQ(option(served, IPPROTO_TCP, TCP_USER_TIMEOUT), 600);
}

}  // namespace
}  // namespace gatelink::link
