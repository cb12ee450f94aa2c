// The client side of the local status protocol over a Unix socket, with one overall deadline.
// The Windows build has status_client_windows.cpp (a named pipe) in its place.

#include <sys/un.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <exception>
#include <string_view>

#include "status/status_snapshot.hpp"
#include "status_client.hpp"
#include "status_endpoint.hpp"
#include "common/asio_tokens.hpp"
#include "config/platform_defaults.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;
using LocalStream = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;
namespace errc = boost::system::errc;

/// Where the exchange got to and how it ended.
struct Exchange {
  enum class Step { connect, verify, send, receive } step = Step::connect;
  ErrorCode error;
  std::string untrusted;  ///< why the server is not believed (step verify)
  std::string answer;
  std::size_t line_end = 0;  ///< bytes up to and including the first `\n`
  bool done = false;
  std::exception_ptr failure;
};

/// Why the process serving `socket` is not to be believed; empty when it is.
std::string check_server(LocalStream::socket& socket, const ServerTrustPolicy& trust) {
  Result<PeerCredentials> server = read_peer_credentials(socket.native_handle(), false);
  if (!server) return server.error().message;
  if (trust.trusts(*server)) return {};
  std::string trusted = "root, you (uid " + std::to_string(trust.invoking_user) + ")";
  trusted += trust.agent_user ? " or the agent's user " + trust.agent_user_name + " (uid " +
                                    std::to_string(*trust.agent_user) + ")"
                              : std::string(" (no user ") + trust.agent_user_name + " here)";
  return "the process serving it, pid " + std::to_string(server->pid) + " running as uid " +
         std::to_string(server->uid) + " (" + user_name(server->uid) + "), is not " + trusted +
         "; not believing its answer (see --agent-user)";
}

asio::awaitable<void> exchange(LocalStream::socket& socket, LocalStream::endpoint endpoint,
                               const ServerTrustPolicy& trust, Exchange& out) {
  auto [connect_ec] = co_await socket.async_connect(endpoint, kUseTuple);
  if (connect_ec) {
    out.error = connect_ec;
    co_return;
  }
  out.step = Exchange::Step::verify;
  out.untrusted = check_server(socket, trust);
  if (!out.untrusted.empty()) co_return;
  out.step = Exchange::Step::send;
  auto [send_ec, sent] = co_await asio::async_write(
      socket, asio::buffer(std::string_view(kStatusRequestLine)), kUseTuple);
  if (send_ec) {
    out.error = send_ec;
    co_return;
  }
  out.step = Exchange::Step::receive;
  // Read up to the newline, not to EOF: the agent closes after answering, and a reset that
  // follows a complete line must not spoil it.
  auto [receive_ec, line_end] = co_await asio::async_read_until(
      socket, asio::dynamic_buffer(out.answer, kMaxStatusResponse), '\n', kUseTuple);
  out.error = receive_ec;
  out.line_end = line_end;
}

Error describe_failure(const Exchange& exchange) {
  const ErrorCode& ec = exchange.error;
  switch (exchange.step) {
    case Exchange::Step::connect:
      if (ec == errc::no_such_file_or_directory) {
        return Error{"no status socket there (is the agent running?)"};
      }
      if (ec == errc::connection_refused) {
        return Error{"connection refused (a stale socket: the agent is not running)"};
      }
      if (ec == errc::permission_denied) {
        return Error{"permission denied (root and group gatelink may ask)"};
      }
      return Error{"cannot connect: " + ec.message()};
    case Exchange::Step::verify:
      return Error{exchange.untrusted};
    case Exchange::Step::send:
      return Error{"cannot send the request: " + ec.message()};
    case Exchange::Step::receive:
      if (ec == asio::error::not_found) {
        return Error{"answer longer than " + std::to_string(kMaxStatusResponse) + " bytes"};
      }
      if (ec == asio::error::eof && exchange.answer.empty()) {
        return Error{"the agent closed the connection without answering"};
      }
      if (ec == asio::error::eof) {
        return Error{"answer cut short after " + std::to_string(exchange.answer.size()) + " bytes"};
      }
      return Error{"cannot read the answer: " + ec.message()};
  }
  return Error{ec.message()};
}

}  // namespace

std::string default_status_endpoint() { return kDefaultStatusSocket; }

Result<std::string> request_status(const std::string& path, std::chrono::milliseconds timeout,
                                   const ServerTrustPolicy& trust) {
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (path.empty() || path.size() > kMaxPath) {
    return Error{"not a usable socket path (1 to " + std::to_string(kMaxPath) + " bytes)"};
  }
  asio::io_context io;
  LocalStream::socket socket(io);
  Exchange result;
  asio::co_spawn(io, exchange(socket, LocalStream::endpoint(path), trust, result),
                 [&result](const std::exception_ptr& failure) {
                   result.done = true;
                   result.failure = failure;
                 });
  io.run_for(timeout);
  if (!result.done) {
    // Out of time: abort the pending step and let the coroutine end before its objects go.
    ErrorCode ignored;
    socket.close(ignored);
    io.restart();
    io.run();
    return Error{"no answer within " + std::to_string(timeout.count()) + " ms"};
  }
  if (result.failure) std::rethrow_exception(result.failure);
  if (result.error || !result.untrusted.empty()) return describe_failure(result);
  result.answer.resize(result.line_end - 1);
  return std::move(result.answer);
}

}  // namespace gatelink
