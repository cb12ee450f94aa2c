#pragma once
// The endpoint (internal C++ API): open it with a configuration, start it, ask it for its
// status, stop it. Everything that talks to gateways runs on the endpoint's thread: a thread of
// its own, or a lane of an EndpointRuntime that many endpoints share; these calls are safe from
// any thread. Hosts reach it through the C ABI of libgatelink
// (gatelink/gatelink.h, wrapped for C++ by gatelink/gatelink.hpp); the agent's configuration
// check and the tests link it directly.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "config/agent_config.hpp"
#include "endpoint/endpoint_runtime.hpp"
#include "failover/failover_machine.hpp"
#include "status/status_snapshot.hpp"

namespace gatelink {

/// A move between gateways or a topology change, as the host is told of it.
struct StateChange {
  failover::Report::Kind kind;
  std::string_view event;               ///< as the log's event= names it, e.g. "failover"
  std::optional<std::string> gateway;   ///< moved to or in use
  std::optional<std::string> from;      ///< left
  std::optional<std::size_t> position;  ///< of `gateway`: 0 primary, n failover n
  std::size_t gateway_count = 0;        ///< in the topology in use
  std::uint64_t generation = 0;         ///< in use, or the one a topology event is about
  std::string reason;                   ///< reason key; peer text escaped
};
/// Called on the endpoint's thread, in order.
using StateHandler = std::function<void(const StateChange&)>;

class Endpoint {
 public:
  /// Checks the configuration's certificates and key (permissions included) and prepares TLS;
  /// connects to nothing yet. The endpoint runs on a lane of `runtime` (each endpoint on the
  /// next); without one, on a thread of its own.
  static Result<std::unique_ptr<Endpoint>> open(AgentConfig config,
                                                std::shared_ptr<EndpointRuntime> runtime = {});
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  /// Starts the endpoint's thread (its runtime's lanes) and the first connection attempt.
  /// Call once.
  void start();
  /// Closes every session (saying goodbye) and waits until nothing of the endpoint is left on
  /// its thread. Idempotent. Not from an endpoint's thread (see on_endpoint_thread).
  void stop();
  /// A consistent snapshot of the endpoint's state (taken at once on the endpoint's thread).
  StatusSnapshot status() const;
  /// Rebuilds the TLS material from the configured files now (SIGHUP), even if they seem
  /// unchanged; refused files are logged and shown in status, the material in use stays.
  /// Renewed files are also taken up on their own. False when the endpoint is not running.
  bool reload();
  /// Whether the endpoint's thread runs a probe posted to it within `bound`; false when it
  /// does not or the thread is not running.
  bool alive(std::chrono::milliseconds bound) const;
  /// Replaces the state handler; once this returns the previous one is not running. Not from
  /// the endpoint's own thread.
  void set_state_handler(StateHandler handler);

  /// Whether the calling thread is the thread of some endpoint (where handlers run): a lane.
  static bool on_endpoint_thread();

 private:
  struct Impl;
  explicit Endpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The library's version, e.g. "0.1.0".
std::string_view version();

}  // namespace gatelink
