#pragma once
// The reference gateway: accepts agents over mutual TLS on one io_context and keeps their
// sessions, delivering topologies from the management group's store when it has one; on drain
// it stops accepting and says goodbye to every agent. Runs on one thread: the session table is
// touched only from the io_context's single run() loop.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "accept_backoff.hpp"
#include "agent_session.hpp"
#include "busy_retry.hpp"
#include "common/result.hpp"
#include "handshake_slots.hpp"
#include "log_throttle.hpp"
#include "tls/reloading_context.hpp"
#include "topology_delivery.hpp"
#include "waiting_room.hpp"

namespace gatelink::gateway {

class GatewayServer {
 public:
  /// Admission control: beyond `max_handshakes` connections in their handshake at once, new
  /// connections wait (up to `handshake_queue` of them, each up to `handshake_queue_wait`) for
  /// a slot; beyond that, or beyond `max_handshakes_per_address` from one source, they get a
  /// plaintext goodbye `busy` with a retry-after instead of a handshake.
  struct Limits {
    std::size_t max_handshakes = 256;
    std::size_t max_handshakes_per_address = 0;  ///< 0: HandshakeSlots::default_share
    /// Connections that may wait for a handshake slot (0: none wait); one source may hold the
    /// same share of them as of the slots.
    std::size_t handshake_queue = 1024;
    /// How long one may wait: within the agents' handshake deadline (5 s by default), with
    /// room for the handshake itself.
    Millis handshake_queue_wait{1000};
    /// A busy answer's retry-after: the time the gateway needs, at its recent pace, for those
    /// ahead (busy_retry.hpp), within these bounds; 2 s (the pace's window) while it is unknown.
    Millis busy_retry_after{5000};
    Millis busy_retry_after_floor{250};
    Millis refusal_log_period{1000};  ///< at most one agent-refused line per period
    /// After a failed accept (out of descriptors): wait this long, doubling up to the cap.
    Millis accept_backoff_first{10};
    Millis accept_backoff_cap{1000};
    Millis accept_log_period{1000};  ///< at most one accept-failed line per period
    /// Bytes that every session's partly received frames may hold together.
    std::size_t max_buffered_bytes = std::size_t{64} << 20;
  };

  /// The management group's store that topologies are delivered from (gatelink-mg writes it).
  struct Store {
    std::string dir;          ///< empty: no store, nothing is delivered
    Millis poll_period{500};  ///< how soon a change reaches connected agents
  };

  GatewayServer(asio::io_context& io, std::shared_ptr<tls::ReloadingContext> tls,
                SessionSettings settings, Limits limits, const Store& store);

  /// Binds and listens; port 0 picks a free port. Returns the bound endpoint.
  Result<link::tcp::endpoint> listen(const std::string& host, std::uint16_t port);
  /// Starts accepting agents.
  void start();
  /// Stops accepting and says goodbye (with this reason) to every agent; calls on_drained once
  /// the last session has ended. Idempotent.
  void drain(const std::string& reason, std::function<void()> on_drained);
  std::size_t session_count() const { return sessions_.size(); }

 private:
  void accept();
  void accept_failed(const boost::system::error_code& ec);
  void ended(AgentSession* session);
  void admit(link::tcp::socket socket);
  void start_session(link::tcp::socket socket, const SourceKey& source);
  /// Tells those who waited too long that the gateway is busy, gives free slots to the longest
  /// waiting, and sets the timer for the next one to run out of patience.
  void serve_waiting();
  void refuse_busy(link::tcp::socket socket, HandshakeSlots::Verdict verdict,
                   const SourceKey& source);

  asio::io_context& io_;
  std::shared_ptr<tls::ReloadingContext> tls_;  ///< follows renewed certificate files
  SessionSettings settings_;
  Limits limits_;
  HandshakeSlots handshakes_;  ///< connections accepted but not yet through hello/welcome
  WaitingRoom<link::tcp::socket> waiting_;  ///< accepted, waiting for one of those slots
  asio::steady_timer waiting_timer_;        ///< when the longest waiting runs out of patience
  BusyRetry busy_retry_;  ///< the retry-after of a busy answer, from the pace of handshakes
  LogThrottle refusal_log_;
  std::shared_ptr<link::BufferBudget> budget_;  ///< shared by every session
  link::tcp::acceptor acceptor_;
  AcceptBackoff accept_backoff_;
  LogThrottle accept_log_;
  asio::steady_timer accept_timer_;  ///< the wait after a failed accept
  std::unordered_map<AgentSession*, std::shared_ptr<AgentSession>> sessions_;
  std::unique_ptr<TopologyDelivery> delivery_;  ///< null without a store
  bool draining_ = false;
  std::function<void()> on_drained_;
};

}  // namespace gatelink::gateway
