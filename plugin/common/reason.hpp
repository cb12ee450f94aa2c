#pragma once
// Why a connection attempt or a session ended: one small enum with one to_string, so that logs,
// status and tests share stable keys (`connect-timeout`, `heartbeat-timeout`, ...). Pure.

#include <array>
#include <cstdint>
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
  timed_out,           ///< the kernel gave up (keepalive or TCP_USER_TIMEOUT)
  io_error,            ///< any other transport error (the detail holds its message)
  heartbeat_timeout,   ///< nothing arrived for interval × misses
  protocol_error,      ///< the peer broke the protocol (the detail says how)
  gateway_error,       ///< the gateway sent an error message
  goodbye,             ///< the gateway said goodbye (the detail holds its reason key)
  send_queue_full,     ///< the peer does not read what we send
  internal_error,      ///< an unexpected exception, caught and logged
  cancelled,           ///< closed by its owner
};

inline constexpr std::array<std::string_view, 22> kReasonNames{
    "resolve-failed",  "resolve-timeout",   "connect-refused",  "connect-timeout",
    "unreachable",     "handshake-timeout", "handshake-failed", "certificate",
    "welcome-timeout", "tls-setup",         "closed-by-peer",   "connection-reset",
    "broken-pipe",     "timed-out",         "io-error",         "heartbeat-timeout",
    "protocol-error",  "gateway-error",     "goodbye",          "send-queue-full",
    "internal-error",  "cancelled"};
static_assert(kReasonNames.size() == static_cast<std::size_t>(Reason::cancelled) + 1);

constexpr std::string_view to_string(Reason reason) {
  const auto index = static_cast<std::size_t>(reason);
  return index < kReasonNames.size() ? kReasonNames[index] : std::string_view("unknown");
}

}  // namespace gatelink
