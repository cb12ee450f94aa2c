#include "link/liveness.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace gatelink::link {

namespace {

/// The agent configuration's own range (config_schema.cpp) for what a gateway may ask.
constexpr std::chrono::milliseconds kMinInterval{50};
constexpr std::chrono::milliseconds kMaxInterval{600000};
constexpr unsigned kMinMisses = 2;
constexpr unsigned kMaxMisses = 100;

boost::system::error_code set(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return {errno, boost::system::system_category()};
  }
  return {};
}

}  // namespace

Liveness agree(std::uint32_t proposed_interval_ms, std::uint32_t proposed_misses,
               const LivenessBounds& bounds) {
  const auto interval = std::clamp(std::chrono::milliseconds(proposed_interval_ms),
                                   bounds.min_interval, std::max(bounds.min_interval,
                                                                 bounds.max_interval));
  const unsigned misses = std::clamp(static_cast<unsigned>(proposed_misses), bounds.min_misses,
                                     std::max(bounds.min_misses, bounds.max_misses));
  return Liveness{interval, misses};
}

bool acceptable(const Liveness& agreed) {
  return agreed.interval >= kMinInterval && agreed.interval <= kMaxInterval &&
         agreed.misses >= kMinMisses && agreed.misses <= kMaxMisses;
}

boost::system::error_code apply_to_socket(boost::asio::ip::tcp::socket& socket,
                                          const Liveness& liveness) {
  const int fd = socket.native_handle();
  // Keepalive counts in whole seconds; one second is the least it can do.
  const auto seconds = static_cast<int>(std::max<std::chrono::milliseconds::rep>(
      1, (liveness.interval.count() + 999) / 1000));
  const auto user_timeout = static_cast<int>(std::min<std::chrono::milliseconds::rep>(
      liveness.silence_limit().count(), 0x7fffffff));
  for (auto ec : {set(fd, SOL_SOCKET, SO_KEEPALIVE, 1), set(fd, IPPROTO_TCP, TCP_KEEPIDLE, seconds),
                  set(fd, IPPROTO_TCP, TCP_KEEPINTVL, seconds),
                  set(fd, IPPROTO_TCP, TCP_KEEPCNT, static_cast<int>(liveness.misses)),
                  set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout)}) {
    if (ec) return ec;
  }
  return {};
}

}  // namespace gatelink::link
