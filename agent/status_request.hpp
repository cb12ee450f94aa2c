#pragma once
// How the status endpoint reads a client's request, for the Unix socket and the named pipe
// alike (status_sessions.hpp) and for the status request fuzz target, which reads from memory:
// up to and including the first `\n`, at most kMaxStatusRequest bytes, and how that read ended.
// What is then answered is decide_reply's (status_protocol.hpp). Asio inside, no sockets.

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/system/error_code.hpp>
#include <string>
#include <utility>

#include "status/status_snapshot.hpp"
#include "status_protocol.hpp"

namespace gatelink {

/// Reads the request line from `stream` into `request`; completes with the error code and the
/// length of the line with its `\n` (bytes after it may have arrived in the same read).
template <class Stream, class Token>
auto async_read_status_request(Stream& stream, std::string& request, Token&& token) {
  return boost::asio::async_read_until(stream,
                                       boost::asio::dynamic_buffer(request, kMaxStatusRequest),
                                       '\n', std::forward<Token>(token));
}

/// How reading the request ended, from the read's error code.
inline RequestRead classify_request_read(const boost::system::error_code& ec) {
  namespace error = boost::asio::error;
  if (!ec) return RequestRead::line;
  if (ec == error::not_found) return RequestRead::too_long;
  // A pipe's client that closes its end is a broken pipe to the reader, not an end of file.
  if (ec == error::eof || ec == error::broken_pipe) return RequestRead::ended;
  return RequestRead::failed;
}

}  // namespace gatelink
