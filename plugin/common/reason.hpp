#pragma once
// Why a connection attempt or a session ended: one small enum with one to_string, so that logs,
// status and tests share stable keys (`connect-timeout`, `heartbeat-timeout`, ...). Pure.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatelink {

enum class Reason : std::uint8_t {
  // The steps of a connection attempt, each with its own deadline.
  resolve_failed,     ///< the name has no address (or the lookup failed)
  resolve_timeout,    ///< the lookup passed its deadline
  connect_refused,    ///< nothing listens there
  connect_timeout,    ///< no address of the name answered within the connect deadline
  unreachable,        ///< no route to the host or network
  handshake_timeout,  ///< admission and TLS handshake passed their deadline
  handshake_failed,   ///< TLS failed for another reason than a certificate
  certificate,        ///< a certificate was refused (the detail says why: `expired`, ...)
  welcome_timeout,    ///< the gateway did not answer the hello in time
  tls_setup,          ///< the TLS stream could not be prepared (out of memory)
  // A session that was up.
  closed_by_peer,
  connection_reset,
  broken_pipe,
  timed_out,          ///< the kernel gave up (keepalive or TCP_USER_TIMEOUT)
  io_error,           ///< any other transport error (the detail holds its message)
  heartbeat_timeout,  ///< nothing arrived for interval × misses
  protocol_error,     ///< the peer broke the protocol (the detail says how)
  gateway_error,      ///< the gateway sent an error message
  goodbye,            ///< the gateway said goodbye (the detail holds its reason key)
  send_queue_full,    ///< the peer does not read what we send
  internal_error,     ///< an unexpected exception, caught and logged
  cancelled,          ///< closed by its owner
  // The failover machine's own decisions.
  probe_heartbeat_missed,  ///< a failback probe broke inside its stable window
  probe_timeout,           ///< a failback probe never answered
  heartbeat_missed,        ///< the handover to a new primary broke inside its stable window
  superseded,              ///< a session no longer needed (a newer decision replaced it)
  failback,                ///< the old session, closed once the failback took over
  stop,                    ///< the endpoint stops
  topology_change,         ///< the old session, closed once a new topology committed
  not_in_topology,         ///< a session to a gateway the new topology dropped
  welcome,                 ///< an active session was welcomed
  stable_window,           ///< a probe or handover stayed healthy for the whole window
  backoff_over,            ///< the backoff ended: a new pass starts
  all_gateways_excluded,   ///< every gateway asked the agent to stay away
  primary_unchanged,       ///< a pushed topology applied at once: same primary
  on_new_primary,          ///< a pushed topology applied at once: already on its primary
  flap,                    ///< lost the gateway soon after failing back to it
  promoted,                ///< an open session (a warm standby, a welcomed probe) took over
  // The gateway's side.
  idle_timeout,         ///< nothing heard from the agent for the agreed silence
  drain_timeout,        ///< a goodbye could not be written in time
  name_mismatch,        ///< the hello's name is not one the client certificate carries
  unsupported_version,  ///< the hello speaks another protocol version
  buffer_budget,        ///< a frame in flight would pass the gateway's budget of buffered bytes
};

inline constexpr auto kReasonNames = std::to_array<std::string_view>({"resolve-failed",
                                                                      "resolve-timeout",
                                                                      "connect-refused",
                                                                      "connect-timeout",
                                                                      "unreachable",
                                                                      "handshake-timeout",
                                                                      "handshake-failed",
                                                                      "certificate",
                                                                      "welcome-timeout",
                                                                      "tls-setup",
                                                                      "closed-by-peer",
                                                                      "connection-reset",
                                                                      "broken-pipe",
                                                                      "timed-out",
                                                                      "io-error",
                                                                      "heartbeat-timeout",
                                                                      "protocol-error",
                                                                      "gateway-error",
                                                                      "goodbye",
                                                                      "send-queue-full",
                                                                      "internal-error",
                                                                      "cancelled",
                                                                      "probe-heartbeat-missed",
                                                                      "probe-timeout",
                                                                      "heartbeat-missed",
                                                                      "superseded",
                                                                      "failback",
                                                                      "stop",
                                                                      "topology-change",
                                                                      "not-in-topology",
                                                                      "welcome",
                                                                      "stable-window",
                                                                      "backoff-over",
                                                                      "all-gateways-excluded",
                                                                      "primary-unchanged",
                                                                      "on-new-primary",
                                                                      "flap",
                                                                      "promoted",
                                                                      "idle-timeout",
                                                                      "drain-timeout",
                                                                      "name-mismatch",
                                                                      "unsupported-version",
                                                                      "buffer-budget"});
static_assert(kReasonNames.size() == static_cast<std::size_t>(Reason::buffer_budget) + 1);

constexpr std::string_view to_string(Reason reason) {
  const auto index = static_cast<std::size_t>(reason);
  return index < kReasonNames.size() ? kReasonNames[index] : std::string_view("unknown");
}

/// The key as a string, for the records that also hold keys from elsewhere (a refused
/// certificate's word, a goodbye's key).
inline std::string key(Reason reason) { return std::string(to_string(reason)); }

/// What a gateway's goodbye with reason key `peer_key` is recorded as: `goodbye:shutdown`.
inline std::string goodbye_key(std::string_view peer_key) {
  return std::string(to_string(Reason::goodbye)) + ":" + std::string(peer_key);
}

}  // namespace gatelink
