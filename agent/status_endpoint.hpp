#pragma once
// The agent's local status endpoint: on-site staff (gatelinkctl) ask, the agent answers with one
// JSON status document. The protocol: the client sends the line `status\n`, the endpoint answers
// the document followed by `\n` and closes; any other request gets `{"error": "..."}` and `\n`.
// A Unix socket on Linux (status_endpoint_unix.cpp), a named pipe on Windows
// (status_endpoint_windows.cpp, status_pipe_name.hpp); the clients of both are served alike
// (status_sessions.hpp, status_protocol.hpp).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gatelink {

/// The one request the endpoint understands.
inline constexpr char kStatusRequestLine[] = "status\n";
/// A client has this long from connecting to having sent its request line; then it is dropped.
/// gatelinkctl sends its line at once, so only idle or broken clients ever meet it.
inline constexpr std::chrono::milliseconds kStatusRequestDeadline{2000};
/// A client has this long from connecting to having read its answer; then it is dropped.
inline constexpr std::chrono::milliseconds kStatusClientDeadline{4000};
/// Clients connected at once. They cost a descriptor and a few hundred bytes each, never a
/// turn: every client is read as soon as it connects. At the limit the oldest client that has
/// not sent its request yet (else the oldest one) is dropped for the newcomer, so idle or
/// garbage clients can never keep a real request out or make it wait.
inline constexpr std::size_t kMaxStatusClients = 256;

/// Serves one JSON status document per request on the host-local endpoint. Destroying it closes
/// it; destroy it before its io_context.
class StatusEndpoint {
 public:
  virtual ~StatusEndpoint() = default;
  /// Stops serving, drops clients being served and removes the endpoint; idempotent.
  /// Call it (and the destructor) on the io_context's thread, or while it is not running.
  virtual void close() = 0;
};

/// Returns the status document as JSON text; called on the io_context thread per request.
using StatusProvider = std::function<std::string()>;

/// What --check-config says about the endpoint's place, read-only (it creates nothing).
struct EndpointPlaceCheck {
  std::vector<std::string> notes;     ///< what a start would do (`would create it (mode 0750)`)
  std::vector<std::string> problems;  ///< why a start would fail
};
/// The socket's folder held to the state folder's rules (Linux), the pipe's name (Windows).
EndpointPlaceCheck check_status_endpoint_place(const std::string& path);

/// Opens the endpoint at `path` and serves it on `io`. Fails when another agent already answers
/// there, when the folder of `path` is one that others may write to (it is created mode 0750 when
/// missing), or when the path cannot be made into an endpoint readable by root and group
/// gatelink. Only root, the agent's own user and the members of group gatelink get an answer
/// (the peer's credentials, SO_PEERCRED); others get an error line and a log line. On Windows
/// `path` names the pipe (status_pipe_name.hpp), and LocalSystem, Administrators, the agent's
/// account and group gatelink stand for root, the agent's user and the group.
Result<std::unique_ptr<StatusEndpoint>> open_status_endpoint(boost::asio::io_context& io,
                                                             const std::string& path,
                                                             StatusProvider provider);

}  // namespace gatelink
