#pragma once
// The gateway's side of one agent's session: TLS handshake, hello checked against the client
// certificate, welcome, then heartbeats answered and topologies pushed until the agent leaves,
// goes idle or the gateway drains.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "codec/message.hpp"
#include "link/buffer_budget.hpp"
#include "common/reason.hpp"
#include "link/deadline.hpp"
#include "link/frame_io.hpp"
#include "link/liveness.hpp"

namespace gatelink::gateway {

struct RegistryEntry;

namespace asio = boost::asio;
using Millis = std::chrono::milliseconds;

struct SessionSettings {
  std::string gateway_name;
  /// TLS handshake + hello. Three seconds: two round trips of an agent 1 s away, plus a second;
  /// an unauthenticated peer holds a slot no longer.
  Millis handshake_timeout{3000};
  link::LivenessBounds liveness;   ///< what agents' heartbeat proposals are clamped to
  Millis drain_timeout{2000};      ///< how long a goodbye may take to be written
  std::size_t max_frame = codec::kDefaultMaxFrame;
};

class AgentSession : public std::enable_shared_from_this<AgentSession> {
 public:
  /// Called on the session's strand: once when its handshake phase is over (greeted or not),
  /// once after the welcome (agent_name() is then the hello's), once when it ends.
  struct Hooks {
    std::function<void(AgentSession*)> on_admitted;
    std::function<void(AgentSession*)> on_greeted;
    std::function<void(AgentSession*)> on_ended;
  };

  /// `budget`: the gateway's bound on bytes held by partly received frames, shared by every
  /// session; a read it cannot hold drops the session (reason buffer-budget).
  static std::shared_ptr<AgentSession> create(link::tcp::socket socket,
                                              std::shared_ptr<asio::ssl::context> tls,
                                              const SessionSettings& settings,
                                              std::shared_ptr<link::BufferBudget> budget,
                                              Hooks hooks);
  void start();
  /// Says goodbye with this reason (and retry-after, 0 = none) and closes. Idempotent.
  void say_goodbye(std::string reason, std::uint32_t retry_after_ms);

  /// Pushes the entry's issued document, byte for byte with its signature, unless the agent
  /// holds that (epoch, generation) or a greater one (hello, applied acks) or this session
  /// already pushed it or a greater one; `reason` goes in the log. Posts to the strand.
  void offer_topology(std::shared_ptr<const RegistryEntry> entry, std::string reason);

  const std::string& agent_name() const { return agent_name_; }
  const std::string& peer() const { return peer_; }

 private:
  enum class Phase { handshaking, greeting, up, closing };

  AgentSession(link::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
               const SessionSettings& settings, std::shared_ptr<link::BufferBudget> budget,
               Hooks hooks);
  asio::awaitable<link::ReadOutcome> read_frame();
  void admitted();
  asio::awaitable<void> run();
  asio::awaitable<void> write_loop();
  void watch(Millis after, Reason reason);
  bool accept_hello(const codec::Hello& hello);
  void handle(const codec::Message& message);
  void push_topology(const RegistryEntry& entry, const std::string& reason);
  void topology_acknowledged(const codec::TopologyAck& ack);
  void greeted();
  void end(const std::string& reason);

  std::shared_ptr<asio::ssl::context> tls_;  ///< kept alive for the stream's lifetime
  asio::any_io_executor executor_;  ///< the socket's strand: every loop runs on it
  std::string peer_;                ///< the remote endpoint; the stream's label (outlives it)
  link::TlsStream stream_;
  const SessionSettings& settings_;
  std::shared_ptr<link::BufferBudget> budget_;  ///< shared by every session of the gateway
  Hooks hooks_;
  Phase phase_ = Phase::handshaking;
  link::FrameWriter writer_;
  link::Deadline deadline_;  ///< handshake, idle and drain deadlines
  link::Liveness liveness_;  ///< agreed in the welcome: the idle cut is its silence limit
  std::string agent_name_ = "-";
  TopologyVersion known_version_;   ///< the agent's topology: its hello, raised by "applied"
  TopologyVersion pushed_version_;  ///< newest pushed on this session (maybe pending there)
};

}  // namespace gatelink::gateway
