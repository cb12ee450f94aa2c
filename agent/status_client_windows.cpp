// The client side of the local status protocol over a Windows named pipe, with one overall
// deadline. It opens the pipe at identification level only (SECURITY_IDENTIFICATION): the agent
// may learn who asks but can never act as the person who ran gatelinkctl. Before it sends
// anything it checks who serves the pipe: the pipe's owner (which a server can set only to an
// account it runs as) and, where this process may read it, the server process's token
// (GetNamedPipeServerProcessId); both must be LocalSystem, the invoking user or the agent's
// account.

// Asio first: it includes winsock2.h, which must come before windows.h.
#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <chrono>
#include <string>

#include "common/win32.hpp"
#include "status_client.hpp"
#include "status_endpoint.hpp"
#include "status_exchange.hpp"
#include "status_pipe_name.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;
using Pipe = asio::windows::stream_handle;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;

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
  return StatusExchange<Pipe>(pipe).run(io, deadline, timeout);
}

}  // namespace gatelink
