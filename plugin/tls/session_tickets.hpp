#pragma once
// The agent's side of session resumption: the TLS sessions (tickets) it may resume, one per
// gateway. A ticket is offered only to the gateway that issued it (its address and the server
// name the agent expects of it), so the gateway's name was checked on the full handshake that
// led to it and is checked again, with the dates and the CRL in force now, before the ticket is
// offered (session_peer_still_passes). A ticket is used once: the gateway sends a new one on
// every handshake. Tickets of an earlier own certificate (a renewed file, a new context) are
// never offered: the gateway would see the old certificate.

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace gatelink::tls {

class SessionTickets : public std::enable_shared_from_this<SessionTickets> {
 public:
  /// At most this many gateways' tickets; the one kept longest makes room.
  static constexpr std::size_t kMaxGateways = 32;

  static std::shared_ptr<SessionTickets> create();

  /// Before the handshake of a client stream that prepare_client_stream() prepared, with a
  /// context of make_client_context(): offers the ticket kept for `gateway` if it still passes
  /// (and forgets it either way), and keeps the tickets this stream receives for `gateway`.
  /// Returns whether a ticket was offered. `slot` receives what the stream's tickets need: keep
  /// it for as long as `ssl` lives.
  bool attach(SSL* ssl, const std::string& gateway, std::shared_ptr<void>& slot);

  /// Whether a ticket is kept for `gateway` that a stream of the client context `ctx` would offer
  /// and that has more than half of its lifetime left: fetching one now would gain nothing.
  bool holds(const std::string& gateway, SSL_CTX* ctx) const;

  /// How many gateways a ticket is kept for.
  std::size_t size() const;

  /// Called by OpenSSL (the context's new-session callback) with a ticket for `gateway`, got on
  /// a stream of the context numbered `context`; takes the reference.
  void keep(const std::string& gateway, std::uint64_t context, SSL_SESSION* session);

 private:
  SessionTickets() = default;

  struct Kept {
    std::shared_ptr<SSL_SESSION> session;
    std::uint64_t context = 0;  ///< context_number() of the context the session was made on
    std::uint64_t order = 0;    ///< when it was kept: the smallest makes room first
  };

  mutable std::mutex mutex_;
  std::map<std::string, Kept> kept_;
  std::uint64_t next_order_ = 0;
};

/// Lets a client context keep the tickets gateways send (SessionTickets) and numbers it, so
/// tickets from another context are told apart. Called by make_client_context().
void keep_client_sessions(SSL_CTX* ctx);

}  // namespace gatelink::tls
