#pragma once
// The client side of the local status protocol (see status_endpoint.hpp): what gatelinkctl and
// the tests use to ask a running agent for its status.

#include <chrono>
#include <string>

#include "common/result.hpp"
#include "peer_credentials.hpp"

namespace gatelink {

/// Where gatelinkctl asks when not told: `/run/gatelink/agent.sock`; on Windows the pipe
/// `\\.\pipe\gatelink-agent` (status_pipe_name.hpp).
std::string default_status_endpoint();

/// Sends `status\n` to the endpoint at `path` and returns the answer line without its `\n`
/// (at most kMaxStatusResponse bytes). Before it sends anything it checks who serves the socket
/// (SO_PEERCRED; on Windows the pipe's owner and the server process's account): a process that
/// `trust` does not trust is not believed, and the error names its uid and pid (a socket in a
/// folder others may write to may be anyone's). Blocks for at most `timeout`; the error says why no
/// answer came (no endpoint, refused, permission, untrusted server, timeout, too long, cut short).
Result<std::string> request_status(const std::string& path, std::chrono::milliseconds timeout,
                                   const ServerTrustPolicy& trust);

/// The same, trusting root, the invoking user and the `gatelink` user where it exists.
Result<std::string> request_status(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace gatelink
