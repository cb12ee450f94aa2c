#pragma once
// The client's side of one status request, whatever carries it (a Unix socket, a Windows named
// pipe): the platform's opening step, then the request line and the answer up to its newline
// (at most kMaxStatusResponse bytes), all within one deadline. status_client_unix.cpp and
// status_client_windows.cpp use it, as both endpoints use status_sessions.hpp. Asio inside:
// include it only in client files.

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/asio_tokens.hpp"
#include "common/result.hpp"
#include "status/status_snapshot.hpp"
#include "status_endpoint.hpp"

namespace gatelink {

/// One request and its answer on a `Stream` (a local socket, a Windows stream_handle).
template <class Stream>
class StatusExchange {
 public:
  /// The platform's step before the request (connect, check who serves the stream): nullopt
  /// when the request may go, else the error that request_status returns.
  using Opening = boost::asio::awaitable<std::optional<Error>>;
  using Clock = std::chrono::steady_clock;

  explicit StatusExchange(Stream& stream) : stream_(stream) {}

  /// Runs `opening`, sends the request and reads the answer on `io` (which serves nothing else)
  /// until `deadline`; `timeout` is what the deadline's message names. The answer without its
  /// `\n`, or why none came.
  Result<std::string> run(boost::asio::io_context& io, Opening opening, Clock::time_point deadline,
                          std::chrono::milliseconds timeout) {
    boost::asio::co_spawn(io, exchange(std::move(opening)),
                          [this](const std::exception_ptr& failure) {
                            done_ = true;
                            failure_ = failure;
                          });
    io.run_until(deadline);
    if (!done_) {
      // Out of time: abort the pending step and let the coroutine end before its objects go.
      boost::system::error_code ignored;
      stream_.close(ignored);
      io.restart();
      io.run();
      return Error{"no answer within " + std::to_string(timeout.count()) + " ms"};
    }
    if (failure_) std::rethrow_exception(failure_);
    if (refused_) return std::move(*refused_);
    if (error_) return describe_failure();
    answer_.resize(line_end_ - 1);
    return std::move(answer_);
  }

  /// The same on a stream that is ready for the request as it is.
  Result<std::string> run(boost::asio::io_context& io, Clock::time_point deadline,
                          std::chrono::milliseconds timeout) {
    return run(io, ready(), deadline, timeout);
  }

 private:
  /// Where the exchange got to.
  enum class Step { open, send, receive };

  static Opening ready() { co_return std::nullopt; }

  boost::asio::awaitable<void> exchange(Opening opening) {
    refused_ = co_await std::move(opening);
    if (refused_) co_return;
    step_ = Step::send;
    auto [send_ec, sent] = co_await boost::asio::async_write(
        stream_, boost::asio::buffer(std::string_view(kStatusRequestLine)), kUseTuple);
    if (send_ec) {
      error_ = send_ec;
      co_return;
    }
    step_ = Step::receive;
    // Read up to the newline, not to the end: the agent closes after answering, and a reset
    // that follows a complete line must not spoil it.
    auto [receive_ec, line_end] = co_await boost::asio::async_read_until(
        stream_, boost::asio::dynamic_buffer(answer_, kMaxStatusResponse), '\n', kUseTuple);
    error_ = receive_ec;
    line_end_ = line_end;
  }

  Error describe_failure() const {
    // The agent's end closed: a socket reports the end, a pipe a broken pipe.
    const bool ended =
        error_ == boost::asio::error::eof || error_ == boost::asio::error::broken_pipe;
    switch (step_) {
      case Step::open:
        break;
      case Step::send:
        return Error{"cannot send the request: " + error_.message()};
      case Step::receive:
        if (error_ == boost::asio::error::not_found) {
          return Error{"answer longer than " + std::to_string(kMaxStatusResponse) + " bytes"};
        }
        if (ended && answer_.empty()) {
          return Error{"the agent closed the connection without answering"};
        }
        if (ended) {
          return Error{"answer cut short after " + std::to_string(answer_.size()) + " bytes"};
        }
        return Error{"cannot read the answer: " + error_.message()};
    }
    return Error{error_.message()};
  }

  Stream& stream_;
  Step step_ = Step::open;
  std::optional<Error> refused_;  ///< why the opening step ended the exchange
  boost::system::error_code error_;
  std::string answer_;
  std::size_t line_end_ = 0;  ///< bytes up to and including the first `\n`
  bool done_ = false;
  std::exception_ptr failure_;
};

}  // namespace gatelink
