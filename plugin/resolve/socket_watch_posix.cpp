// POSIX: the socket as a posix::stream_descriptor that only waits (wait_read, wait_write) and is
// released, never closed.
#include <boost/asio/posix/stream_descriptor.hpp>

#include "resolve/socket_watch.hpp"

namespace gatelink::resolve {
namespace {

namespace asio = boost::asio;

class PosixSocketWatch final : public SocketWatch,
                               public std::enable_shared_from_this<PosixSocketWatch> {
 public:
  explicit PosixSocketWatch(const Strand& strand) : descriptor_(strand) {}
  ~PosixSocketWatch() override { stop(); }
  PosixSocketWatch(const PosixSocketWatch&) = delete;
  PosixSocketWatch& operator=(const PosixSocketWatch&) = delete;

  boost::system::error_code assign(ares_socket_t socket) {
    boost::system::error_code ec;
    descriptor_.assign(socket, ec);
    return ec;
  }

  void wait(bool read, bool write, const Ready& ready) override {
    using Wait = asio::posix::descriptor_base::wait_type;
    if (stopped_) return;
    if (read && !reading_) {
      reading_ = true;
      descriptor_.async_wait(Wait::wait_read,
                             [self = shared_from_this(), ready](boost::system::error_code ec) {
                               self->reading_ = false;
                               if (!ec && !self->stopped_) ready(true);
                             });
    }
    if (write && !writing_) {
      writing_ = true;
      descriptor_.async_wait(Wait::wait_write,
                             [self = shared_from_this(), ready](boost::system::error_code ec) {
                               self->writing_ = false;
                               if (!ec && !self->stopped_) ready(false);
                             });
    }
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    descriptor_.release();  // pending waits end (aborted); the socket stays open
  }

 private:
  asio::posix::stream_descriptor descriptor_;
  bool reading_ = false;  ///< a wait for readability is pending
  bool writing_ = false;
  bool stopped_ = false;
};

}  // namespace

Result<std::shared_ptr<SocketWatch>> SocketWatch::open(const Strand& strand, ares_socket_t socket) {
  auto watch = std::make_shared<PosixSocketWatch>(strand);
  if (auto ec = watch->assign(socket)) {
    return Error{"cannot watch a resolver socket: " + ec.message()};
  }
  return std::shared_ptr<SocketWatch>(std::move(watch));
}

}  // namespace gatelink::resolve
