#pragma once
// One agent-side session to one gateway: connect, TLS handshake, hello/welcome, then a reader,
// a writer draining a queue and a heartbeat loop on one strand. It reports what happens; the
// failover machine decides what to do about it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "codec/message.hpp"
#include "link/frame_io.hpp"
#include "topology/gateway_address.hpp"

namespace gatelink::link {

using Millis = std::chrono::milliseconds;

class GatewaySession : public std::enable_shared_from_this<GatewaySession> {
 public:
  struct Options {
    GatewayAddress address;
    std::string agent_name;
    std::string management_group;
    std::uint64_t topology_generation = 0;  ///< sent in the hello
    Millis resolve_timeout{3000};           ///< name lookup (an IP literal needs none)
    Millis connect_timeout{3000};           ///< TCP connect, over all addresses of the name
    Millis handshake_timeout{3000};         ///< TLS handshake + hello/welcome
    Millis heartbeat_interval{1000};
    /// A heartbeat not answered within this is a miss (at most one interval).
    Millis heartbeat_answer_deadline{200};
    /// Bound on the retry-after of a plaintext (unauthenticated) busy answer.
    Millis max_unauthenticated_retry_after{30000};
    std::size_t max_frame = codec::kDefaultMaxFrame;
  };

  /// How a session ended, as the machine needs to know it.
  struct Ending {
    std::string reason;  ///< short key: `connect-refused`, `expired`; a goodbye: the gateway's own
    bool goodbye = false;             ///< the gateway said goodbye (drain, busy)
    std::optional<Millis> retry_after;
  };

  /// Called on the session's strand. on_closed is not called after the owner's own close().
  struct Handlers {
    std::function<void(const codec::Welcome&)> on_connected;
    std::function<void(std::chrono::microseconds rtt)> on_heartbeat_answered;
    std::function<void()> on_heartbeat_missed;
    std::function<void(const codec::Message&)> on_message;  ///< pushes and other payloads
    std::function<void(const Ending&)> on_closed;
  };

  static std::shared_ptr<GatewaySession> create(asio::io_context& io,
                                                std::shared_ptr<asio::ssl::context> tls,
                                                Options options, Handlers handlers);

  /// Starts connecting. Call once.
  void start();
  /// Queues a message for the gateway; thread-safe (posts to the strand).
  void send(codec::Message message);
  /// Says goodbye (best effort) and closes. Idempotent; no on_closed afterwards.
  void close(std::string reason);

  const GatewayAddress& address() const { return options_.address; }

 private:
  enum class Phase { idle, connecting, handshaking, greeting, up, closed };

  GatewaySession(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, Options options,
                 Handlers handlers);

  asio::awaitable<void> establish();
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> heartbeat_loop();
  void handle(const codec::Message& message);
  void arm_deadline(Millis after, std::string reason);
  void fail(Ending ending);
  void shut_down();

  asio::strand<asio::io_context::executor_type> strand_;
  std::shared_ptr<asio::ssl::context> tls_;  ///< kept alive for the stream's lifetime
  TlsStream stream_;
  Options options_;
  Handlers handlers_;
  Phase phase_ = Phase::idle;
  FrameWriter writer_;
  asio::steady_timer deadline_;   ///< connect/handshake deadline
  asio::steady_timer heartbeat_;  ///< heartbeat pacing
  std::string deadline_reason_;   ///< set when the deadline fired, explains the failed step
  std::uint64_t next_sequence_ = 1;
  std::uint64_t answered_sequence_ = 0;
};

}  // namespace gatelink::link
