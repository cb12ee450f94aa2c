#pragma once
// Reading and writing protocol frames on a TLS stream, shared by the agent's gateway sessions
// and the reference gateway's agent sessions: one framing implementation for both sides.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include "codec/codec.hpp"
#include "common/reason.hpp"

namespace gatelink::link {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

/// One frame read from the stream: a message, a transport error, or a protocol error.
struct ReadOutcome {
  boost::system::error_code ec;        ///< transport failure (eof, reset, cancelled)
  std::optional<codec::Message> message;
  std::string protocol_error;          ///< non-empty when the bytes were not a valid frame
};

/// Reads exactly one frame; a header announcing more than `max_body` bytes is refused before
/// any of the body is read. Stream: the TLS stream, or the plain socket for the admission
/// frame that precedes TLS.
template <class Stream>
asio::awaitable<ReadOutcome> read_message(Stream& stream, std::size_t max_body);
extern template asio::awaitable<ReadOutcome> read_message(TlsStream&, std::size_t);
extern template asio::awaitable<ReadOutcome> read_message(tcp::socket&, std::size_t);

/// Serialises writes on one stream: callers push encoded frames, one loop drains them, so two
/// writes never interleave. Used from the stream's executor only.
class FrameWriter {
 public:
  explicit FrameWriter(const asio::any_io_executor& executor);

  /// Queues one message; returns false when the queue is over its bound (slow peer).
  bool push(const codec::Message& message);
  /// Drains the queue until stop(); returns the error that ended it (none after stop()).
  asio::awaitable<boost::system::error_code> run(TlsStream& stream);
  /// Wakes run() so that it returns once the queue is empty. Idempotent.
  void stop();
  /// Number of frames waiting.
  std::size_t pending() const { return queue_.size(); }

 private:
  static constexpr std::size_t kMaxQueuedFrames = 1024;
  std::deque<codec::Bytes> queue_;
  asio::steady_timer wake_;
  bool stopping_ = false;
};

/// A transport error as a reason, with the error's own text when the reason alone is vague.
struct TransportFailure {
  Reason reason;
  std::string detail;
};
TransportFailure describe_error(const boost::system::error_code& ec);
/// Short, stable key for a transport error, for logs and status (`connection-reset`, ...).
std::string error_key(const boost::system::error_code& ec);

}  // namespace gatelink::link
