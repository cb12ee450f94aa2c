#include "link/frame_io.hpp"
#include "common/asio_tokens.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <span>
#include <vector>

namespace gatelink::link {

namespace {

// Boost's error_category has a non-virtual destructor by design (categories are static objects,
// never deleted through the base), which -Wnon-virtual-dtor flags in every subclass.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ReadErrorCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "gatelink.read"; }
  std::string message(int value) const override {
    switch (static_cast<ReadErrc>(value)) {
      case ReadErrc::over_budget:
        return "buffer budget exhausted";
    }
    return "unknown read error";
  }
};
#pragma GCC diagnostic pop

/// Next size of a body buffer that is full after `received` bytes of `announced`: the first
/// chunk, then double, never past the announced length. Doubling keeps the copies linear and
/// the buffer within twice what arrived.
std::size_t grown_size(std::size_t received, std::size_t announced) {
  return std::min(announced, std::max(received + kReadChunk, 2 * received));
}

}  // namespace

boost::system::error_code make_error_code(ReadErrc e) {
  static const ReadErrorCategory category;
  return {static_cast<int>(e), category};
}

template <class Stream>
asio::awaitable<ReadOutcome> read_message(Stream& stream, std::size_t max_body,
                                          BufferBudget* budget) {
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
      const std::size_t size = grown_size(received, announced);
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

template asio::awaitable<ReadOutcome> read_message(TlsStream&, std::size_t, BufferBudget*);
template asio::awaitable<ReadOutcome> read_message(tcp::socket&, std::size_t, BufferBudget*);

FrameWriter::FrameWriter(const asio::any_io_executor& executor, std::size_t max_queued_bytes)
    : max_queued_bytes_(max_queued_bytes), wake_(executor) {
  wake_.expires_at(asio::steady_timer::time_point::max());
}

bool FrameWriter::push(const codec::Message& message) {
  if (stopping_ || queue_.size() >= kMaxQueuedFrames) return false;
  auto frame = codec::encode(message);
  if (frame.size() > max_queued_bytes_ - queued_bytes_) return false;
  queued_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  wake_.cancel_one();
  return true;
}

asio::awaitable<boost::system::error_code> FrameWriter::run(TlsStream& stream) {
  for (;;) {
    while (!queue_.empty()) {
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(queue_.front()), kUseTuple);
      if (ec) co_return ec;
      queued_bytes_ -= queue_.front().size();
      queue_.pop_front();
    }
    if (stopping_) co_return boost::system::error_code{};
    // The timer never expires by itself: push() and stop() cancel it to wake this loop.
    co_await wake_.async_wait(kUseTuple);
  }
}

void FrameWriter::stop() {
  stopping_ = true;
  wake_.cancel();
}

TransportFailure describe_error(const boost::system::error_code& ec) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return {Reason::closed_by_peer, ""};
  }
  if (ec == asio::error::connection_reset) return {Reason::connection_reset, ""};
  if (ec == asio::error::connection_refused) return {Reason::connect_refused, ""};
  if (ec == asio::error::operation_aborted) return {Reason::cancelled, ""};
  if (ec == asio::error::timed_out) return {Reason::timed_out, ""};
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) {
    return {Reason::unreachable, ""};
  }
  if (ec == asio::error::broken_pipe) return {Reason::broken_pipe, ""};
  if (ec == ReadErrc::over_budget) return {Reason::buffer_budget, ""};
  return {Reason::io_error, ec.message()};
}

std::string error_key(const boost::system::error_code& ec) {
  auto failure = describe_error(ec);
  return failure.reason == Reason::io_error ? failure.detail
                                            : std::string(to_string(failure.reason));
}

}  // namespace gatelink::link
