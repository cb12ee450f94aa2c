// Windows: WSAEventSelect ties the socket's network events to an event object of ours, which an
// object_handle waits for on the strand; WSAEnumNetworkEvents says what happened and resets it.
// FD_READ is signalled again after each read that leaves data, FD_WRITE after a send that would
// have blocked, so an event c-ares does not want at the moment is dropped without loss.
#include <winsock2.h>

#include <boost/asio/windows/object_handle.hpp>

#include "common/win32.hpp"
#include "resolve/socket_watch.hpp"

namespace gatelink::resolve {
namespace {

namespace asio = boost::asio;

constexpr long kEvents = FD_READ | FD_WRITE | FD_CONNECT | FD_CLOSE;

class WindowsSocketWatch final : public SocketWatch,
                                 public std::enable_shared_from_this<WindowsSocketWatch> {
 public:
  /// Takes `event` (already selected for `socket`) over.
  WindowsSocketWatch(const Strand& strand, ares_socket_t socket, HANDLE event)
      : socket_(socket), event_(strand, event) {}
  ~WindowsSocketWatch() override { stop(); }
  WindowsSocketWatch(const WindowsSocketWatch&) = delete;
  WindowsSocketWatch& operator=(const WindowsSocketWatch&) = delete;

  void wait(bool read, bool write, const Ready& ready) override {
    if (stopped_) return;
    want_read_ = read;
    want_write_ = write;
    if (waiting_ || (!read && !write)) return;
    waiting_ = true;
    event_.async_wait([self = shared_from_this(), ready](boost::system::error_code ec) {
      self->waiting_ = false;
      if (ec || self->stopped_) return;
      self->deliver(ready);
    });
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    ::WSAEventSelect(socket_, nullptr, 0);  // the socket is c-ares' again
    boost::system::error_code ignored;
    event_.close(ignored);  // ends a pending wait (aborted)
  }

 private:
  void deliver(const Ready& ready) {
    WSANETWORKEVENTS happened{};
    if (::WSAEnumNetworkEvents(socket_, event_.native_handle(), &happened) != 0) {
      // Let c-ares find the error itself on the socket.
      happened.lNetworkEvents = FD_READ | FD_WRITE;
    }
    // An error on connect or close is for c-ares to read: it counts as ready.
    const bool readable = (happened.lNetworkEvents & (FD_READ | FD_CLOSE)) != 0;
    const bool writable = (happened.lNetworkEvents & (FD_WRITE | FD_CONNECT)) != 0;
    const bool wanted_read = want_read_, wanted_write = want_write_;
    bool delivered = false;
    if (readable && wanted_read) {
      delivered = true;
      ready(true);
    }
    if (writable && wanted_write && !stopped_) {
      delivered = true;
      ready(false);
    }
    // Nothing that was wanted: keep waiting for it.
    if (!delivered && !stopped_) wait(want_read_, want_write_, ready);
  }

  ares_socket_t socket_;
  asio::windows::object_handle event_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool waiting_ = false;  ///< a wait on the event is pending
  bool stopped_ = false;
};

}  // namespace

Result<std::shared_ptr<SocketWatch>> SocketWatch::open(const Strand& strand, ares_socket_t socket) {
  HANDLE event = ::WSACreateEvent();
  if (event == WSA_INVALID_EVENT) {
    return Error{"cannot watch a resolver socket: " + win32::error_text(::WSAGetLastError())};
  }
  if (::WSAEventSelect(socket, event, kEvents) != 0) {
    const int error = ::WSAGetLastError();
    ::WSACloseEvent(event);
    return Error{"cannot watch a resolver socket: " + win32::error_text(static_cast<DWORD>(error))};
  }
  try {
    return std::shared_ptr<SocketWatch>(
        std::make_shared<WindowsSocketWatch>(strand, socket, event));
  } catch (...) {
    ::WSAEventSelect(socket, nullptr, 0);
    ::WSACloseEvent(event);
    throw;
  }
}

}  // namespace gatelink::resolve
