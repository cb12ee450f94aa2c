// POSIX (Linux): the kernel's keepalive and TCP_USER_TIMEOUT from the agreed liveness.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "link/liveness.hpp"

namespace gatelink::link {
namespace {

boost::system::error_code set(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return {errno, boost::system::system_category()};
  }
  return {};
}

}  // namespace

boost::system::error_code apply_to_socket(boost::asio::ip::tcp::socket& socket,
                                          const Liveness& liveness) {
  const int fd = socket.native_handle();
  // Keepalive counts in whole seconds; one second is the least it can do.
  const auto seconds = static_cast<int>(
      std::max<std::chrono::milliseconds::rep>(1, (liveness.interval.count() + 999) / 1000));
  const auto user_timeout = static_cast<int>(
      std::min<std::chrono::milliseconds::rep>(liveness.silence_limit().count(), 0x7fffffff));
  for (auto ec : {set(fd, SOL_SOCKET, SO_KEEPALIVE, 1), set(fd, IPPROTO_TCP, TCP_KEEPIDLE, seconds),
                  set(fd, IPPROTO_TCP, TCP_KEEPINTVL, seconds),
                  set(fd, IPPROTO_TCP, TCP_KEEPCNT, static_cast<int>(liveness.misses)),
                  set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout)}) {
    if (ec) return ec;
  }
  return {};
}

}  // namespace gatelink::link
