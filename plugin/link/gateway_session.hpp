#pragma once
// One agent-side session to one gateway: resolve, connect, admission, TLS handshake and
// hello/welcome, each step with its own deadline; then a reader, a writer draining a queue, a
// heartbeat loop and a liveness watch on one strand. It reports what happens; the failover
// machine decides what to do about it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "codec/message.hpp"
#include "common/reason.hpp"
#include "common/timings.hpp"
#include "link/deadline.hpp"
#include "link/frame_io.hpp"
#include "link/liveness.hpp"
#include "resolve/resolver.hpp"
#include "tls/session_tickets.hpp"
#include "topology/gateway_address.hpp"

namespace gatelink::link {

class GatewaySession : public std::enable_shared_from_this<GatewaySession> {
 public:
  struct Options {
    GatewayAddress address;
    std::string agent_name;
    std::string management_group;
    TopologyVersion topology_version;  ///< what the agent holds, sent in the hello
    /// The step deadlines, and the heartbeat interval and misses proposed in the hello.
    Timings timings;
    /// Bound on the retry-after of a plaintext (unauthenticated) busy answer.
    Millis max_unauthenticated_retry_after{30000};
    std::size_t max_frame = codec::kDefaultMaxFrame;
    /// The endpoint's tickets: the one kept for this gateway is offered, the new ones kept.
    /// Null: every handshake is a full one.
    std::shared_ptr<tls::SessionTickets> tickets;
  };

  /// How a session ended, as the machine needs to know it.
  struct Ending {
    Reason reason = Reason::internal_error;
    /// What the reason alone does not say: the certificate problem (`expired`), a goodbye's
    /// reason key (`shutdown`, `busy`), a transport error's text. Peer data: log it escaped.
    std::string detail;
    std::optional<Millis> retry_after;  ///< a goodbye's, when it asked for one

    bool goodbye() const { return reason == Reason::goodbye; }
    /// The short key the machine records: the certificate word for a refused certificate, the
    /// reason's name otherwise.
    std::string key() const;
  };

  /// Called on the session's strand. on_closed is not called after the owner's own close().
  struct Handlers {
    /// Welcomed; `agreed` is what both ends hold the session to.
    std::function<void(const codec::Welcome&, const Liveness& agreed)> on_connected;
    std::function<void(std::chrono::microseconds rtt)> on_heartbeat_answered;
    /// Nothing has arrived for about `missed` heartbeat intervals (1, 2, ...; the report for
    /// `misses` comes exactly at the silence limit, the ones before half an interval late, and
    /// before the first answer one round trip later still, so that neither the normal gap
    /// between two answers nor a distant gateway's first round trip is a miss).
    std::function<void(unsigned missed)> on_silence;
    std::function<void(const codec::Message&)> on_message;  ///< pushes and other payloads
    std::function<void(const Ending&)> on_closed;
  };

  static std::shared_ptr<GatewaySession> create(const asio::any_io_executor& executor,
                                                std::shared_ptr<asio::ssl::context> tls,
                                                Options options, Handlers handlers);

  /// Starts connecting. Call once.
  void start();
  /// Queues a message for the gateway; thread-safe (posts to the strand).
  void send(codec::Message message);
  /// Says goodbye (best effort) and closes. Idempotent; no on_closed afterwards.
  void close(std::string reason);
  /// From now on (or from the welcome, if it has not come yet) heartbeats every `interval` and
  /// judges silence by it, when that is shorter than the agreed interval: a promoted warm
  /// standby leaves its quiet pace. The gateway's idle cut holds to the agreed, longer interval.
  /// Thread-safe (posts to the strand).
  void heartbeat_every(Millis interval);

  const GatewayAddress& address() const { return options_.address; }
  /// Whether the handshake resumed a session (a ticket) instead of a full one; false before.
  bool resumed() const { return resumed_; }

 private:
  enum class Phase { idle, resolving, connecting, handshaking, greeting, up, closed };
  using SteadyClock = std::chrono::steady_clock;

  GatewaySession(const asio::any_io_executor& executor, std::shared_ptr<asio::ssl::context> tls,
                 Options options, Handlers handlers);

  asio::awaitable<void> establish();
  asio::awaitable<std::optional<resolve::Endpoints>> resolve();
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> heartbeat_loop();
  asio::awaitable<void> liveness_loop();
  /// Arms the deadline of the next step; expiry closes the socket so the step fails.
  void step(Phase phase, Millis deadline, Reason reason);
  /// The reason a step failed with: its deadline's if that passed, else `otherwise`.
  Reason step_failure(Reason otherwise) const;
  void received();
  void handle(const codec::Message& message);
  void answered(const codec::HeartbeatAck& ack);
  SteadyClock::time_point silence_check(unsigned missed) const;
  void fail(Ending ending);
  void shut_down();

  asio::strand<asio::any_io_executor> strand_;
  std::shared_ptr<asio::ssl::context> tls_;  ///< kept alive for the stream's lifetime
  std::shared_ptr<void> ticket_slot_;  ///< SessionTickets::attach()'s, also outlives the stream
  TlsStream stream_;
  asio::cancellation_signal cancel_resolve_;  ///< ends a lookup under way when the session closes
  Options options_;
  Handlers handlers_;
  Phase phase_ = Phase::idle;
  bool resumed_ = false;
  std::optional<Millis> pace_;  ///< heartbeat_every()'s interval, once asked for
  FrameWriter writer_;
  Deadline deadline_;             ///< the current step's
  asio::steady_timer heartbeat_;  ///< heartbeat pacing
  asio::steady_timer liveness_;   ///< silence checks
  Liveness agreed_;               ///< from the welcome
  SteadyClock::time_point last_received_{};  ///< any frame counts
  unsigned silence_reported_ = 0;            ///< misses reported since the last frame
  SteadyClock::duration welcome_round_trip_{};  ///< hello sent → welcome received
  bool answered_any_ = false;                   ///< a heartbeat has been answered
  /// Heartbeats sent and not answered yet: (sequence, sent at). An answer must echo one of
  /// them exactly; the round-trip time comes from our own clock.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> outstanding_;  ///< sent_at in µs
  std::uint64_t next_sequence_ = 1;
};

}  // namespace gatelink::link
