#pragma once
// The session ticket keys the gateways of one management group share, so that an agent resumes
// its TLS session with a gateway after that gateway restarts, and through key rotations, instead
// of a full handshake. One file, owner-only like a private key, that `gatelink-mg ticket-keys`
// writes and rotates and every gateway of the group reads (`gatelink-gateway --ticket-keys`):
//
//   # gatelink session ticket keys: the first issues tickets, the others are still accepted
//   <160 hex digits: key name (16 bytes), HMAC-SHA256 key (32), AES-256-CBC key (32)>
//   ...
//
// A gateway encrypts new tickets with the first key and accepts tickets of any key in the file
// (one of an older key is renewed: the agent gets a ticket of the first key). The file is part
// of the gateway's TLS material: a rotated file is taken up without a restart (ReloadingContext).

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace gatelink::tls {

struct TicketKey {
  std::array<std::uint8_t, 16> name{};  ///< sent in the clear in each ticket: which key sealed it
  std::array<std::uint8_t, 32> hmac{};  ///< authenticates the ticket (HMAC-SHA256)
  std::array<std::uint8_t, 32> aes{};   ///< encrypts the session state (AES-256-CBC)

  bool operator==(const TicketKey&) const = default;
};

/// At most this many keys in a file: the one in use and the ones tickets may still carry.
inline constexpr std::size_t kMaxTicketKeys = 8;
/// How many keys `gatelink-mg ticket-keys --rotate` keeps: the new one and the two before it.
inline constexpr std::size_t kRotatedTicketKeys = 3;
/// How long a ticket may be used after it was issued; gateways send a fresh one on every
/// handshake, so an agent that reconnects within it keeps resuming. Rotate the keys no more
/// often than every lifetime / (kRotatedTicketKeys - 1), or tickets still valid are refused
/// (a full handshake, nothing worse).
inline constexpr std::chrono::hours kTicketLifetime{24};

/// A new key from OpenSSL's random generator.
Result<TicketKey> generate_ticket_key();

/// The keys of a ticket key file's text: strict (one key of exactly 160 hex digits per line,
/// `#` comments and blank lines, 1 to kMaxTicketKeys keys, no key name twice). `source` names the
/// file in errors.
Result<std::vector<TicketKey>> parse_ticket_keys(std::string_view text, std::string_view source);

/// The file's text for `keys`, the first the one that issues tickets.
std::string format_ticket_keys(const std::vector<TicketKey>& keys);

/// Reads and parses the ticket key file `path`, refusing one that group or others may access.
Result<std::vector<TicketKey>> read_ticket_keys(const std::string& path);

/// The keys a server context seals and opens tickets with, wiped from memory when it ends.
class TicketKeyRing {
 public:
  explicit TicketKeyRing(std::vector<TicketKey> keys) : keys_(std::move(keys)) {}
  ~TicketKeyRing();
  TicketKeyRing(const TicketKeyRing&) = delete;
  TicketKeyRing& operator=(const TicketKeyRing&) = delete;

  const std::vector<TicketKey>& keys() const { return keys_; }

 private:
  std::vector<TicketKey> keys_;
};

/// Turns on stateless session tickets for a server context: tickets sealed with the ring's keys
/// (the first issues), accepted only while the certificate they hold still passes the context's
/// checks now (trust anchors, dates, CRL, clientAuth): a revoked or expired agent is sent to a
/// full handshake, which refuses it. `ctx` keeps a pointer only: the caller keeps `ring` for as
/// long as `ctx` handshakes (libcrypto gets no callback into this library, which a host may
/// dlclose() while libcrypto stays).
Status issue_tickets(SSL_CTX* ctx, const TicketKeyRing& ring);
Status issue_tickets(SSL_CTX* ctx, TicketKeyRing&& ring) = delete;  ///< would dangle

}  // namespace gatelink::tls
