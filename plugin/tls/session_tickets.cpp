#include "tls/session_tickets.hpp"

#include <atomic>
#include <ctime>
#include <utility>

#include "tls/peer_verification.hpp"

namespace gatelink::tls {
namespace {

// --- the number of a client context, in its ex_data ---------------------------------------------

int context_number_index() {
  static const int index =
      CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::uint64_t context_number(SSL_CTX* ctx) {
  return reinterpret_cast<std::uintptr_t>(SSL_CTX_get_ex_data(ctx, context_number_index()));
}

// --- which SessionTickets a stream's tickets go to, in the SSL's ex_data ------------------------

struct Attachment {
  std::weak_ptr<SessionTickets> tickets;  ///< an endpoint gone by then keeps nothing
  std::string gateway;
};

// No free or dup callback: libcrypto outlives a dlclose()d libgatelink and would call into
// unmapped code. The caller owns the attachment (attach()'s slot) for as long as the SSL lives.
int attachment_index() {
  static const int index =
      CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

/// The context's new-session callback. It keeps a copy: the stream's own session is marked
/// not resumable when the stream ends without a TLS shutdown, which is how a session to a
/// gateway that died ends. Returns 0: OpenSSL keeps its reference.
int remember(SSL* ssl, SSL_SESSION* session) {
  const auto* attachment = static_cast<const Attachment*>(SSL_get_ex_data(ssl, attachment_index()));
  if (attachment == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
  const auto tickets = attachment->tickets.lock();
  if (!tickets) return 0;
  if (SSL_SESSION* copy = SSL_SESSION_dup(session)) {
    tickets->keep(attachment->gateway, context_number(SSL_get_SSL_CTX(ssl)), copy);
  }
  return 0;
}

/// The lifetime the gateway gave the ticket (TLS 1.3), else the session's timeout, in seconds.
long lifetime_of(const SSL_SESSION* session) {
  const unsigned long hint = SSL_SESSION_get_ticket_lifetime_hint(session);
  return hint != 0 ? static_cast<long>(hint) : SSL_SESSION_get_timeout(session);
}

/// Seconds until the ticket's lifetime ends (0 or less: it has).
long seconds_left(const SSL_SESSION* session) {
  return SSL_SESSION_get_time(session) + lifetime_of(session) -
         static_cast<long>(std::time(nullptr));
}

bool still_fresh(const SSL_SESSION* session) { return seconds_left(session) > 0; }

}  // namespace

std::shared_ptr<SessionTickets> SessionTickets::create() {
  return std::shared_ptr<SessionTickets>(new SessionTickets());
}

bool SessionTickets::attach(SSL* ssl, const std::string& gateway, std::shared_ptr<void>& slot) {
  auto attachment = std::make_shared<Attachment>(Attachment{weak_from_this(), gateway});
  if (SSL_set_ex_data(ssl, attachment_index(), attachment.get()) != 1) return false;
  slot = attachment;

  Kept kept;
  {
    std::lock_guard lock(mutex_);
    const auto found = kept_.find(gateway);
    if (found == kept_.end()) return false;
    kept = std::move(found->second);
    kept_.erase(found);  // used once, whatever happens next
  }
  if (kept.context != context_number(SSL_get_SSL_CTX(ssl)) || !still_fresh(kept.session.get()) ||
      !session_peer_still_passes(ssl, kept.session.get())) {
    return false;
  }
  return SSL_set_session(ssl, kept.session.get()) == 1;
}

bool SessionTickets::holds(const std::string& gateway, SSL_CTX* ctx) const {
  std::lock_guard lock(mutex_);
  const auto found = kept_.find(gateway);
  return found != kept_.end() && found->second.context == context_number(ctx) &&
         seconds_left(found->second.session.get()) > lifetime_of(found->second.session.get()) / 2;
}

std::size_t SessionTickets::size() const {
  std::lock_guard lock(mutex_);
  return kept_.size();
}

void SessionTickets::keep(const std::string& gateway, std::uint64_t context, SSL_SESSION* session) {
  std::shared_ptr<SSL_SESSION> owned(session, SSL_SESSION_free);
  std::lock_guard lock(mutex_);
  kept_.insert_or_assign(
      gateway, Kept{.session = std::move(owned), .context = context, .order = ++next_order_});
  if (kept_.size() <= kMaxGateways) return;
  auto oldest = kept_.begin();
  for (auto it = kept_.begin(); it != kept_.end(); ++it) {
    if (it->second.order < oldest->second.order) oldest = it;
  }
  kept_.erase(oldest);
}

void keep_client_sessions(SSL_CTX* ctx) {
  static std::atomic<std::uintptr_t> next_number{0};
  SSL_CTX_set_ex_data(ctx, context_number_index(), reinterpret_cast<void*>(++next_number));
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, remember);
}

}  // namespace gatelink::tls
