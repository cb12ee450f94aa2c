#include "link/frame_io.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/asio_tokens.hpp"

namespace gatelink::link {

// The stream types the programs read frames from; the template is in frame_read.hpp.
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
