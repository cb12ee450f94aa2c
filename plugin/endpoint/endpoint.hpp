#pragma once
// libgatelink's C++ API: the endpoint a host embeds. Open it with a configuration, start it,
// ask it for its status, stop it. Everything that talks to gateways runs on the endpoint's own
// thread; these calls are safe from any thread.

#include <memory>
#include <string_view>

#include "common/result.hpp"
#include "config/agent_config.hpp"
#include "status/status_snapshot.hpp"

namespace gatelink {

class Endpoint {
 public:
  /// Checks the configuration's certificates and key (permissions included) and prepares TLS;
  /// connects to nothing yet.
  static Result<std::unique_ptr<Endpoint>> open(AgentConfig config);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  /// Starts the endpoint's thread and the first connection attempt. Call once.
  void start();
  /// Closes every session (saying goodbye) and joins the thread. Idempotent.
  void stop();
  /// A consistent snapshot of the endpoint's state.
  StatusSnapshot status() const;

 private:
  struct Impl;
  explicit Endpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The library's version, e.g. "0.1.0".
std::string_view version();

}  // namespace gatelink
