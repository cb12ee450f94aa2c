#pragma once
// What both ends of a session agree on in hello/welcome and what follows from it: the heartbeat
// interval and misses (the gateway bounds the agent's proposal), the silence that kills a
// session, and the kernel's own keepalive and TCP_USER_TIMEOUT set from the same values, so the
// kernel never keeps a dead session alive for minutes.

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>

namespace gatelink::link {

/// The heartbeat settings of one session.
struct Liveness {
  std::chrono::milliseconds interval{1000};
  unsigned misses = 3;
  /// Nothing received for this long: the session is dead.
  std::chrono::milliseconds silence_limit() const { return interval * misses; }
  friend bool operator==(const Liveness&, const Liveness&) = default;
};

/// The gateway's bounds on what it holds agents to.
struct LivenessBounds {
  std::chrono::milliseconds min_interval{100};
  std::chrono::milliseconds max_interval{60000};
  unsigned min_misses = 2;
  unsigned max_misses = 10;
};

/// What the gateway answers to a proposal: each value clamped into the bounds.
Liveness agree(std::uint32_t proposed_interval_ms, std::uint32_t proposed_misses,
               const LivenessBounds& bounds);

/// Whether an agreed value that a gateway answered is one the agent can hold (the same range
/// the agent's configuration allows); anything else is a protocol error.
bool acceptable(const Liveness& agreed);

/// SO_KEEPALIVE with the first probe after one interval of idleness, one probe per interval,
/// `misses` probes; TCP_USER_TIMEOUT of interval × misses. Best effort: an error is returned,
/// the session goes on with the kernel's defaults. One implementation per platform:
/// liveness_posix.cpp, liveness_windows.cpp (SIO_KEEPALIVE_VALS, TCP_KEEPCNT, TCP_MAXRT).
boost::system::error_code apply_to_socket(boost::asio::ip::tcp::socket& socket,
                                          const Liveness& liveness);

}  // namespace gatelink::link
