// The client side of the local status protocol over a Unix socket, with one overall deadline
// (status_exchange.hpp). The Windows build has status_client_windows.cpp (a named pipe) in its
// place.

#include <sys/un.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "common/asio_tokens.hpp"
#include "config/platform_defaults.hpp"
#include "status_client.hpp"
#include "status_exchange.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;
using LocalStream = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;
namespace errc = boost::system::errc;

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

/// Why connecting failed, as gatelinkctl says it.
Error connect_failure(const ErrorCode& ec) {
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
}

/// Connects and checks who serves the socket: nullopt when the request may go.
asio::awaitable<std::optional<Error>> connect_and_check(LocalStream::socket& socket,
                                                        LocalStream::endpoint endpoint,
                                                        const ServerTrustPolicy& trust) {
  auto [connect_ec] = co_await socket.async_connect(endpoint, kUseTuple);
  if (connect_ec) co_return connect_failure(connect_ec);
  if (std::string untrusted = check_server(socket, trust); !untrusted.empty()) {
    co_return Error{std::move(untrusted)};
  }
  co_return std::nullopt;
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
  return StatusExchange<LocalStream::socket>(socket).run(
      io, connect_and_check(socket, LocalStream::endpoint(path), trust),
      std::chrono::steady_clock::now() + timeout, timeout);
}

}  // namespace gatelink
