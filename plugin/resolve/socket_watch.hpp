#pragma once
// Readiness of a socket that c-ares owns (it opens, reads, writes and closes it), waited for on
// a strand; the watch never closes the socket. One implementation per platform:
// socket_watch_posix.cpp (posix::stream_descriptor, released, never closed) and
// socket_watch_windows.cpp (WSAEventSelect on an event of its own, waited for with an
// object_handle: Windows' completion port has no readiness wait for a socket it does not own).

#include <ares.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>

#include "common/result.hpp"

namespace gatelink::resolve {

class SocketWatch {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;
  /// Runs on the strand when the socket is readable (true) or writable (false).
  using Ready = std::function<void(bool readable)>;

  /// Starts watching `socket` (nothing is waited for yet); an error when the platform refuses.
  static Result<std::shared_ptr<SocketWatch>> open(const Strand& strand, ares_socket_t socket);

  virtual ~SocketWatch() = default;
  /// Waits for what c-ares wants now (readable, writable or both) where no wait for it is
  /// pending; `ready` runs once for each readiness seen. Nothing runs after stop().
  virtual void wait(bool read, bool write, const Ready& ready) = 0;
  /// Stops watching and leaves the socket to c-ares. Idempotent.
  virtual void stop() = 0;
};

}  // namespace gatelink::resolve
