#pragma once
// Delivery of the management group's topologies from the store to connected agents: after an
// agent's welcome, and whenever its file in the store changes, without a restart. A poll timer
// stats the file of each distinct connected agent (the registry's signature) and reads only the
// files that changed, so 10,000 connected agents cost 10,000 stat() calls a period and no
// parsing. Runs on the gateway's single io_context thread, like the session table.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent_session.hpp"
#include "topology_registry.hpp"

namespace gatelink::gateway {

class TopologyDelivery {
 public:
  /// Delivers from the store in `store_dir`, polled every `poll_period`.
  TopologyDelivery(asio::io_context& io, std::string store_dir, Millis poll_period);

  /// Starts polling the store.
  void start();
  /// Stops polling, so that the timer no longer keeps a draining gateway running. Idempotent.
  void stop();
  /// A session that got its welcome: offers it the stored topology (reason `hello`), and
  /// watches its agent's file while any session of that agent is connected.
  void attach(AgentSession* session);
  /// A session that ended; its agent's file is no longer watched once no session is left.
  void detach(AgentSession* session);

 private:
  /// One connected agent's file, as last seen.
  struct Watched {
    FileSignature signature;  ///< taken before the read that gave `entry`
    /// null: none stored, or nothing to push from the file (unusable, or legacy)
    std::shared_ptr<const RegistryEntry> entry;
    std::vector<AgentSession*> sessions;  ///< this agent's sessions on this gateway
  };

  void schedule();
  void poll();
  /// Reads and parses the agent's file, whose signature was taken just before (so a write in
  /// between shows as one more change at the next poll, never as a missed one); logs a store
  /// error once per change, a legacy entry (no issued document to push) included.
  void refresh(const std::string& agent, Watched& watched, const FileSignature& signature);
  static void offer(const Watched& watched, const std::string& reason);

  TopologyRegistry registry_;
  Millis poll_period_;
  asio::steady_timer timer_;
  std::unordered_map<std::string, Watched> agents_;
  bool stopped_ = false;
};

}  // namespace gatelink::gateway
