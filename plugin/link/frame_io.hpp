#pragma once
// Reading and writing protocol frames on a TLS stream, shared by the agent's gateway sessions
// and the reference gateway's agent sessions: one framing implementation for both sides.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include "codec/codec.hpp"
#include "common/reason.hpp"
#include "link/buffer_budget.hpp"
#include "link/frame_read.hpp"

namespace gatelink::link {

using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

// read_message (frame_read.hpp) as the programs use it: on the TLS stream, and on the plain
// socket for the admission frame that precedes TLS.
extern template asio::awaitable<ReadOutcome> read_message(TlsStream&, std::size_t,
                                                          BufferBudget*);
extern template asio::awaitable<ReadOutcome> read_message(tcp::socket&, std::size_t,
                                                          BufferBudget*);

/// Serialises writes on one stream: callers push encoded frames, one loop drains them, so two
/// writes never interleave. Used from the stream's executor only. The queue is bounded in frames
/// and in bytes, so a peer that stops reading holds at most that much of our memory.
class FrameWriter {
 public:
  /// Room for two frames of the largest default size.
  static constexpr std::size_t kDefaultMaxQueuedBytes =
      2 * (codec::kHeaderSize + codec::kDefaultMaxFrame);

  explicit FrameWriter(const asio::any_io_executor& executor,
                       std::size_t max_queued_bytes = kDefaultMaxQueuedBytes);

  /// Queues one message; returns false when the queue is over one of its bounds (slow peer),
  /// or after stop().
  bool push(const codec::Message& message);
  /// Drains the queue until stop(); returns the error that ended it (none after stop()).
  asio::awaitable<boost::system::error_code> run(TlsStream& stream);
  /// Wakes run() so that it returns once the queue is empty. Idempotent.
  void stop();
  /// Number of frames waiting.
  std::size_t pending() const { return queue_.size(); }
  /// Bytes of the frames waiting.
  std::size_t pending_bytes() const { return queued_bytes_; }

 private:
  static constexpr std::size_t kMaxQueuedFrames = 1024;
  std::deque<codec::Bytes> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t max_queued_bytes_;
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
