// The client side of the local status protocol over a Windows named pipe, with one overall
// deadline. It opens the pipe at identification level only (SECURITY_IDENTIFICATION): the agent
// may learn who asks but can never act as the person who ran gatelinkctl. Before it sends
// anything it checks who serves the pipe: the pipe's owner (which a server can set only to an
// account it runs as) and, where this process may read it, the server process's token
// (GetNamedPipeServerProcessId); both must be LocalSystem, the invoking user or the agent's
// account.

// Asio first: it includes winsock2.h, which must come before windows.h.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <exception>
#include <string_view>

#include "common/asio_tokens.hpp"
#include "common/win32.hpp"
#include "status/status_snapshot.hpp"
#include "status_client.hpp"
#include "status_endpoint.hpp"
#include "status_pipe_name.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;
using Pipe = asio::windows::stream_handle;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;

/// Where the exchange got to and how it ended.
struct Exchange {
  enum class Step { send, receive } step = Step::send;
  ErrorCode error;
  std::string answer;
  std::size_t line_end = 0;  ///< bytes up to and including the first `\n`
  bool done = false;
  std::exception_ptr failure;
};

using win32::widen;

/// Opens the pipe, waiting (within the deadline) while every instance is busy.
Result<HANDLE> open_pipe(const std::string& name, Clock::time_point deadline,
                         std::chrono::milliseconds timeout) {
  const std::wstring wide = widen(name);
  for (;;) {
    HANDLE handle = ::CreateFileW(
        wide.c_str(), GENERIC_READ | FILE_WRITE_DATA, 0, nullptr, OPEN_EXISTING,
        FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr);
    if (handle != INVALID_HANDLE_VALUE) return handle;
    const DWORD error = ::GetLastError();
    switch (error) {
      case ERROR_FILE_NOT_FOUND:
        return Error{"no status pipe there (is the agent running?)"};
      case ERROR_ACCESS_DENIED:
        return Error{
            "permission denied (LocalSystem, elevated Administrators and group gatelink may ask)"};
      case ERROR_PIPE_BUSY: {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 ||
            (::WaitNamedPipeW(wide.c_str(), static_cast<DWORD>(left.count())) == 0 &&
             ::GetLastError() == ERROR_SEM_TIMEOUT)) {
          return Error{"no answer within " + std::to_string(timeout.count()) + " ms"};
        }
        continue;  // an instance is free (or the wait failed otherwise): try again
      }
      default:
        return Error{"cannot connect: " + win32::error_text(error)};
    }
  }
}

/// Why the process serving `pipe` is not to be believed; empty when it is.
std::string check_server(HANDLE pipe, const ServerTrustPolicy& trust) {
  std::string owner;
  Result<PeerCredentials> server = read_pipe_server_credentials(pipe, owner);
  if (!server) return server.error().message;
  const bool owner_trusted = trust.trusts_account(owner);
  const bool token_trusted = server->user_sid.empty() || trust.trusts_account(server->user_sid);
  if (owner_trusted && token_trusted) return {};
  const std::string account = server->user_sid.empty() ? owner : server->user_sid;
  std::string trusted = "LocalSystem, you (" + account_name(trust.invoking_user_sid) + ")";
  trusted += trust.agent_user_sid ? " or the agent's account " + trust.agent_user_name + " (" +
                                        *trust.agent_user_sid + ")"
                                  : std::string(" (no account ") + trust.agent_user_name + " here)";
  return "the process serving it, pid " + std::to_string(server->pid) + " running as " +
         server->user_name + " (" + account + ", pipe owned by " + owner + "), is not " + trusted +
         "; not believing its answer (see --agent-user)";
}

asio::awaitable<void> exchange(Pipe& pipe, Exchange& out) {
  auto [send_ec, sent] = co_await asio::async_write(
      pipe, asio::buffer(std::string_view(kStatusRequestLine)), kUseTuple);
  if (send_ec) {
    out.error = send_ec;
    co_return;
  }
  out.step = Exchange::Step::receive;
  // Read up to the newline, not to the end: the agent closes after answering.
  auto [receive_ec, line_end] = co_await asio::async_read_until(
      pipe, asio::dynamic_buffer(out.answer, kMaxStatusResponse), '\n', kUseTuple);
  out.error = receive_ec;
  out.line_end = line_end;
}

Error describe_failure(const Exchange& exchange) {
  const ErrorCode& ec = exchange.error;
  // The agent's end closed: a pipe reports a broken pipe where a socket reports the end.
  const bool ended = ec == asio::error::eof || ec == asio::error::broken_pipe;
  switch (exchange.step) {
    case Exchange::Step::send:
      return Error{"cannot send the request: " + ec.message()};
    case Exchange::Step::receive:
      if (ec == asio::error::not_found) {
        return Error{"answer longer than " + std::to_string(kMaxStatusResponse) + " bytes"};
      }
      if (ended && exchange.answer.empty()) {
        return Error{"the agent closed the connection without answering"};
      }
      if (ended) {
        return Error{"answer cut short after " + std::to_string(exchange.answer.size()) + " bytes"};
      }
      return Error{"cannot read the answer: " + ec.message()};
  }
  return Error{ec.message()};
}

}  // namespace

std::string default_status_endpoint() { return kDefaultStatusPipe; }

Result<std::string> request_status(const std::string& path, std::chrono::milliseconds timeout,
                                   const ServerTrustPolicy& trust) {
  Result<std::string> name = status_pipe_name(path);
  if (!name) return name.error();
  const auto deadline = Clock::now() + timeout;
  Result<HANDLE> opened = open_pipe(*name, deadline, timeout);
  if (!opened) return opened.error();
  asio::io_context io;
  Pipe pipe(io);
  ErrorCode assigned;
  pipe.assign(*opened, assigned);
  if (assigned) {
    ::CloseHandle(*opened);
    return Error{"cannot use the pipe: " + assigned.message()};
  }
  if (std::string untrusted = check_server(pipe.native_handle(), trust); !untrusted.empty()) {
    return Error{untrusted};
  }
  Exchange result;
  asio::co_spawn(io, exchange(pipe, result), [&result](const std::exception_ptr& failure) {
    result.done = true;
    result.failure = failure;
  });
  io.run_until(deadline);
  if (!result.done) {
    // Out of time: abort the pending step and let the coroutine end before its objects go.
    ErrorCode ignored;
    pipe.close(ignored);
    io.restart();
    io.run();
    return Error{"no answer within " + std::to_string(timeout.count()) + " ms"};
  }
  if (result.failure) std::rethrow_exception(result.failure);
  if (result.error) return describe_failure(result);
  result.answer.resize(result.line_end - 1);
  return std::move(result.answer);
}

}  // namespace gatelink
