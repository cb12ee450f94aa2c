// Windows: keepalive through SIO_KEEPALIVE_VALS (idle time and interval in milliseconds, finer
// than Linux's seconds), TCP_KEEPCNT for the number of probes (Windows 10 1703 and later; fixed
// at 10 before), and TCP_MAXRT in place of TCP_USER_TIMEOUT: how long unacknowledged data is
// retransmitted before the connection is dropped, in whole seconds.
// winsock2.h comes before the headers that build on it.
// clang-format off
#include <winsock2.h>
#include <mstcpip.h>
#include <ws2tcpip.h>
// clang-format on

#include <algorithm>

#include "link/liveness.hpp"

namespace gatelink::link {
namespace {

// IPPROTO_TCP options that Debian's mingw-w64 headers do not name yet; the values are the
// Windows SDK's (ws2ipdef.h).
constexpr int kTcpMaxRt = 5;     ///< TCP_MAXRT
constexpr int kTcpKeepCnt = 16;  ///< TCP_KEEPCNT

boost::system::error_code last_error() {
  return {::WSAGetLastError(), boost::system::system_category()};
}

boost::system::error_code set(SOCKET socket, int level, int name, DWORD value) {
  if (::setsockopt(socket, level, name, reinterpret_cast<const char*>(&value), sizeof value) != 0) {
    return last_error();
  }
  return {};
}

}  // namespace

boost::system::error_code apply_to_socket(boost::asio::ip::tcp::socket& socket,
                                          const Liveness& liveness) {
  const SOCKET handle = socket.native_handle();
  const auto interval_ms = static_cast<ULONG>(
      std::clamp<std::chrono::milliseconds::rep>(liveness.interval.count(), 1, 0x7fffffff));
  tcp_keepalive values{};
  values.onoff = 1;
  values.keepalivetime = interval_ms;
  values.keepaliveinterval = interval_ms;
  DWORD returned = 0;
  if (::WSAIoctl(handle, SIO_KEEPALIVE_VALS, &values, sizeof values, nullptr, 0, &returned, nullptr,
                 nullptr) != 0) {
    return last_error();
  }
  if (auto ec = set(handle, IPPROTO_TCP, kTcpKeepCnt, liveness.misses)) return ec;
  // Whole seconds, rounded up: never shorter than the silence that kills the session anyway.
  const auto max_rt = static_cast<DWORD>(std::clamp<std::chrono::milliseconds::rep>(
      (liveness.silence_limit().count() + 999) / 1000, 1, 0xffff));
  return set(handle, IPPROTO_TCP, kTcpMaxRt, max_rt);
}

}  // namespace gatelink::link
