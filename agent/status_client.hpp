#pragma once
// The client side of the local status protocol (see status_endpoint.hpp): what gatelinkctl and
// the tests use to ask a running agent for its status.

#include <chrono>
#include <string>

#include "common/result.hpp"

namespace gatelink {

/// Sends `status\n` to the endpoint at `path` and returns the answer line without its `\n`
/// (at most kMaxStatusResponse bytes). Blocks for at most `timeout`; the error says why no answer
/// came (no endpoint, refused, permission, timeout, too long, cut short).
Result<std::string> request_status(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace gatelink
