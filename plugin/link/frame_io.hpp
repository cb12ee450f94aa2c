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
#include <type_traits>

#include "codec/codec.hpp"
#include "common/reason.hpp"
#include "link/buffer_budget.hpp"

namespace gatelink::link {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

/// One frame read from the stream: a message, a transport error, or a protocol error.
struct ReadOutcome {
  /// Transport failure (eof, reset, cancelled), or ReadErrc::over_budget.
  boost::system::error_code ec;
  std::optional<codec::Message> message;
  std::string protocol_error;          ///< non-empty when the bytes were not a valid frame
};

/// Reads exactly one frame; a header announcing more than `max_body` bytes is refused before
/// any of the body is read. The body's buffer grows as its bytes arrive (kReadChunk first, then
/// doubling, never past the announced length), so memory follows what the peer sent, never
/// what it announced. With a `budget`, every allocation is counted in it, and growth past the
/// first chunk is taken from it first: when the budget cannot give it, the read ends with
/// ReadErrc::over_budget. The first chunk is never refused, so a budget that large frames have
/// used up never stops small ones (heartbeats). Stream: the TLS stream, or the
/// plain socket for the admission frame that precedes TLS.
template <class Stream>
asio::awaitable<ReadOutcome> read_message(Stream& stream, std::size_t max_body,
                                          BufferBudget* budget = nullptr);
extern template asio::awaitable<ReadOutcome> read_message(TlsStream&, std::size_t,
                                                          BufferBudget*);
extern template asio::awaitable<ReadOutcome> read_message(tcp::socket&, std::size_t,
                                                          BufferBudget*);

/// First allocation for a frame's body: a few KiB, whatever the header announced.
inline constexpr std::size_t kReadChunk = 4096;

/// Why read_message gave up on a frame that was not at fault by itself.
enum class ReadErrc {
  over_budget = 1,  ///< the shared buffer budget could not hold the next chunk
};
boost::system::error_code make_error_code(ReadErrc e);

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

template <>
struct boost::system::is_error_code_enum<gatelink::link::ReadErrc> : std::true_type {};
