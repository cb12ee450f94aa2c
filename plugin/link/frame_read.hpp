#pragma once
// Reading one protocol frame from an Asio stream: the TLS stream of a session, or the plain
// socket for the admission frame that precedes TLS. A template over the stream, so that the
// fuzz targets read from memory exactly as sessions read from sockets (frame_io.hpp holds the
// instantiations the programs use). No TLS and no sockets in here.

#include <algorithm>
#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "codec/codec.hpp"
#include "common/asio_tokens.hpp"
#include "link/buffer_budget.hpp"

namespace gatelink::link {

namespace asio = boost::asio;

/// One frame read from the stream: a message, a transport error, or a protocol error.
struct ReadOutcome {
  /// Transport failure (eof, reset, cancelled), or ReadErrc::over_budget.
  boost::system::error_code ec;
  std::optional<codec::Message> message;
  std::string protocol_error;  ///< non-empty when the bytes were not a valid frame
};

/// First allocation for a frame's body: a few KiB, whatever the header announced.
inline constexpr std::size_t kReadChunk = 4096;

/// Why read_message gave up on a frame that was not at fault by itself.
enum class ReadErrc {
  over_budget = 1,  ///< the shared buffer budget could not hold the next chunk
};
boost::system::error_code make_error_code(ReadErrc e);

}  // namespace gatelink::link

template <>
struct boost::system::is_error_code_enum<gatelink::link::ReadErrc> : std::true_type {};

namespace gatelink::link {

namespace detail {
/// Next size of a body buffer that is full after `received` bytes of `announced`: the first
/// chunk, then double, never past the announced length. Doubling keeps the copies linear and
/// the buffer within twice what arrived.
inline std::size_t grown_size(std::size_t received, std::size_t announced) {
  return std::min(announced, std::max(received + kReadChunk, 2 * received));
}
}  // namespace detail

/// Reads exactly one frame, and not a byte past it (what follows may be TLS); a header
/// announcing more than `max_body` bytes is refused before any of the body is read. The body's
/// buffer grows as its bytes arrive (kReadChunk first, then doubling, never past the announced
/// length), so memory follows what the peer sent, never what it announced. With a `budget`,
/// every allocation is counted in it, and growth past the first chunk is taken from it first:
/// when the budget cannot give it, the read ends with ReadErrc::over_budget. The first chunk is
/// never refused, so a budget that large frames have used up never stops small ones
/// (heartbeats).
template <class Stream>
asio::awaitable<ReadOutcome> read_message(Stream& stream, std::size_t max_body,
                                          BufferBudget* budget = nullptr) {
  ReadOutcome out;
  std::array<std::uint8_t, codec::kHeaderSize> header{};
  auto [ec, n] = co_await asio::async_read(stream, asio::buffer(header), kUseTuple);
  if (ec) {
    out.ec = ec;
    co_return out;
  }
  auto parsed = codec::decode_header(std::span<const std::uint8_t>(header), max_body);
  if (!parsed) {
    out.protocol_error = parsed.error().message;
    co_return out;
  }
  // Never allocate what the header announces: only room for what is arriving.
  const std::size_t announced = parsed->body_size;
  BudgetLease lease(budget);
  std::vector<std::uint8_t> body;
  std::size_t received = 0;
  while (received < announced) {
    if (received == body.size()) {
      const std::size_t size = detail::grown_size(received, announced);
      if (body.empty()) {
        // The first chunk is every reader's due: refusing it would drop agents that send
        // heartbeats because others announced large frames. Only growth past it is refused.
        lease.grow_anyway(size);
      } else if (!lease.grow(size - body.size())) {
        out.ec = ReadErrc::over_budget;
        co_return out;
      }
      body.reserve(size);  // exactly this much: resize() alone may double the capacity
      body.resize(size);
    }
    auto [body_ec, got] = co_await stream.async_read_some(
        asio::buffer(body.data() + received, body.size() - received), kUseTuple);
    if (body_ec) {
      out.ec = body_ec;
      co_return out;
    }
    received += got;
  }
  auto message = codec::decode_body(parsed->type, std::span<const std::uint8_t>(body));
  if (!message) {
    out.protocol_error = message.error().message;
    co_return out;
  }
  out.message = std::move(*message);
  co_return out;
}

}  // namespace gatelink::link
