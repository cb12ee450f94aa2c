#include "link/frame_io.hpp"

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
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
}

template <class Stream>
asio::awaitable<ReadOutcome> read_message(Stream& stream, std::size_t max_body) {
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
  std::vector<std::uint8_t> body(parsed->body_size);
  if (!body.empty()) {
    auto [body_ec, body_n] = co_await asio::async_read(stream, asio::buffer(body), kUseTuple);
    if (body_ec) {
      out.ec = body_ec;
      co_return out;
    }
  }
  auto message = codec::decode_body(parsed->type, std::span<const std::uint8_t>(body));
  if (!message) {
    out.protocol_error = message.error().message;
    co_return out;
  }
  out.message = std::move(*message);
  co_return out;
}

template asio::awaitable<ReadOutcome> read_message(TlsStream&, std::size_t);
template asio::awaitable<ReadOutcome> read_message(tcp::socket&, std::size_t);

FrameWriter::FrameWriter(const asio::any_io_executor& executor) : wake_(executor) {
  wake_.expires_at(asio::steady_timer::time_point::max());
}

bool FrameWriter::push(const codec::Message& message) {
  if (stopping_ || queue_.size() >= kMaxQueuedFrames) return false;
  queue_.push_back(codec::encode(message));
  wake_.cancel_one();
  return true;
}

asio::awaitable<boost::system::error_code> FrameWriter::run(TlsStream& stream) {
  for (;;) {
    while (!queue_.empty()) {
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(queue_.front()), kUseTuple);
      if (ec) co_return ec;
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
  return {Reason::io_error, ec.message()};
}

std::string error_key(const boost::system::error_code& ec) {
  auto failure = describe_error(ec);
  return failure.reason == Reason::io_error ? failure.detail
                                            : std::string(to_string(failure.reason));
}

}  // namespace gatelink::link
