// The client side of the local status protocol, what both platforms share.

#include "status_client.hpp"

namespace gatelink {

Result<std::string> request_status(const std::string& path, std::chrono::milliseconds timeout) {
  auto trust = ServerTrustPolicy::for_agent_user(kAgentUserName, /*required=*/false);
  if (!trust) return trust.error();
  return request_status(path, timeout, *trust);
}

}  // namespace gatelink
