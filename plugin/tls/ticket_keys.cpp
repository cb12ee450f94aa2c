#include "tls/ticket_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "tls/key_permissions.hpp"
#include "tls/openssl_support.hpp"
#include "tls/peer_verification.hpp"

namespace gatelink::tls {
namespace {

/// A key line: name, HMAC key and AES key, two hex digits a byte.
constexpr std::size_t kKeyBytes =
    sizeof(TicketKey::name) + sizeof(TicketKey::hmac) + sizeof(TicketKey::aes);
constexpr std::size_t kKeyDigits = 2 * kKeyBytes;
/// More than any file of kMaxTicketKeys keys with a few comments needs.
constexpr std::size_t kMaxFileBytes = 16 * 1024;
constexpr char kFileHeader[] =
    "# gatelink session ticket keys (gatelink-mg ticket-keys): the first issues tickets, the\n"
    "# others are still accepted. Secret: every gateway of the management group, owner-only.\n";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trimmed(std::string_view line) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!line.empty() && blank(line.front())) line.remove_prefix(1);
  while (!line.empty() && blank(line.back())) line.remove_suffix(1);
  return line;
}

/// The key of one line of exactly kKeyDigits hex digits, or nullopt.
std::optional<TicketKey> key_of_line(std::string_view line) {
  if (line.size() != kKeyDigits) return std::nullopt;
  std::array<std::uint8_t, kKeyBytes> bytes{};
  for (std::size_t i = 0; i < kKeyBytes; ++i) {
    const int high = hex_digit(line[2 * i]);
    const int low = hex_digit(line[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  TicketKey key;
  const std::uint8_t* next = bytes.data();
  std::memcpy(key.name.data(), next, key.name.size());
  next += key.name.size();
  std::memcpy(key.hmac.data(), next, key.hmac.size());
  next += key.hmac.size();
  std::memcpy(key.aes.data(), next, key.aes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

// --- the keys of a server context: its ex_data points to the caller's ring --------------------

int ring_index() {
  // No callbacks: libcrypto would call them after a host dlclose()d this library.
  static const int index =
      CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

const std::vector<TicketKey>* ring_of(SSL* ssl) {
  const auto* ring =
      static_cast<const TicketKeyRing*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ring_index()));
  return ring != nullptr ? &ring->keys() : nullptr;
}

bool use_mac_key(EVP_MAC_CTX* mac, const TicketKey& key) {
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_MAC_PARAM_KEY, const_cast<std::uint8_t*>(key.hmac.data()), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

/// OpenSSL's ticket key callback: seal with the first key; open with the key the ticket names
/// (1), asking for a renewal when that is not the first (2); 0 for a key not in the file (a full
/// handshake); -1 on failure.
int ticket_key_callback(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                        EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc) {
  const std::vector<TicketKey>* ring = ring_of(ssl);
  if (ring == nullptr || ring->empty()) return -1;
  if (enc == 1) {
    const TicketKey& key = ring->front();
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1) return -1;
    std::memcpy(key_name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1 ||
        !use_mac_key(mac, key)) {
      return -1;
    }
    return 1;
  }
  const auto found = std::find_if(ring->begin(), ring->end(), [key_name](const TicketKey& key) {
    return std::memcmp(key.name.data(), key_name, key.name.size()) == 0;
  });
  if (found == ring->end()) return 0;
  if (!use_mac_key(mac, *found) ||
      EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, found->aes.data(), iv) != 1) {
    return -1;
  }
  return found == ring->begin() ? 1 : 2;
}

/// After a ticket opened: resume only if the agent's certificate it holds passes now.
SSL_TICKET_RETURN check_ticket(SSL* ssl, SSL_SESSION* session, const unsigned char* /*name*/,
                               size_t /*name_length*/, SSL_TICKET_STATUS status, void* /*arg*/) {
  switch (status) {
    case SSL_TICKET_SUCCESS:
    case SSL_TICKET_SUCCESS_RENEW:
      break;
    case SSL_TICKET_FATAL_ERR_MALLOC:
    case SSL_TICKET_FATAL_ERR_OTHER:
      return SSL_TICKET_RETURN_ABORT;
    default:  // none, empty, or a key not in the file: a full handshake and a new ticket
      return SSL_TICKET_RETURN_IGNORE_RENEW;
  }
  if (!session_peer_still_passes(ssl, session)) return SSL_TICKET_RETURN_IGNORE_RENEW;
  // Always a new ticket: the agent uses each once, and its next reconnect resumes too.
  return SSL_TICKET_RETURN_USE_RENEW;
}

}  // namespace

Result<TicketKey> generate_ticket_key() {
  TicketKey key;
  if (RAND_bytes(key.name.data(), static_cast<int>(key.name.size())) != 1 ||
      RAND_bytes(key.hmac.data(), static_cast<int>(key.hmac.size())) != 1 ||
      RAND_bytes(key.aes.data(), static_cast<int>(key.aes.size())) != 1) {
    return Error{"no random bytes for a ticket key: " + detail::take_openssl_error()};
  }
  return key;
}

Result<std::vector<TicketKey>> parse_ticket_keys(std::string_view text, std::string_view source) {
  const auto problem = [source](std::size_t line, const std::string& what) {
    return Error{std::string(source) + (line > 0 ? ":" + std::to_string(line) : "") + ": " + what};
  };
  if (text.find('\0') != std::string_view::npos) return problem(0, "holds a NUL byte");
  std::vector<TicketKey> keys;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const auto end = text.find('\n');
    const std::string_view line = trimmed(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;
    auto key = key_of_line(line);
    if (!key) {
      return problem(number, "not a ticket key (" + std::to_string(kKeyDigits) +
                                 " hex digits: name, HMAC key, AES key)");
    }
    if (std::any_of(keys.begin(), keys.end(),
                    [&key](const TicketKey& k) { return k.name == key->name; })) {
      return problem(number, "a key name seen before in the file");
    }
    if (keys.size() == kMaxTicketKeys) {
      return problem(number, "more than " + std::to_string(kMaxTicketKeys) + " keys");
    }
    keys.push_back(*key);
  }
  if (keys.empty()) return problem(0, "holds no ticket key");
  return keys;
}

std::string format_ticket_keys(const std::vector<TicketKey>& keys) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = kFileHeader;
  for (const TicketKey& key : keys) {
    const auto append = [&text](const std::uint8_t* data, std::size_t size) {
      for (std::size_t i = 0; i < size; ++i) {
        text += kDigits[data[i] >> 4];
        text += kDigits[data[i] & 0xf];
      }
    };
    append(key.name.data(), key.name.size());
    append(key.hmac.data(), key.hmac.size());
    append(key.aes.data(), key.aes.size());
    text += '\n';
  }
  return text;
}

Result<std::vector<TicketKey>> read_ticket_keys(const std::string& path) {
  if (auto permitted = check_private_key_permissions(path); !permitted) return permitted.error();
  auto bio = detail::open_pem_file("ticket key file", path);
  if (!bio) return bio.error();
  std::string text(kMaxFileBytes + 1, '\0');
  std::size_t size = 0;
  for (int got = 0; size < text.size(); size += static_cast<std::size_t>(got)) {
    got = BIO_read(bio->get(), text.data() + size, static_cast<int>(text.size() - size));
    if (got <= 0) break;
  }
  if (size > kMaxFileBytes) {
    return detail::file_problem("ticket key file", path,
                                "is over " + std::to_string(kMaxFileBytes) + " bytes");
  }
  text.resize(size);
  auto keys = parse_ticket_keys(text, "ticket key file " + path);
  OPENSSL_cleanse(text.data(), text.size());
  return keys;
}

TicketKeyRing::~TicketKeyRing() { OPENSSL_cleanse(keys_.data(), keys_.size() * sizeof(TicketKey)); }

Status issue_tickets(SSL_CTX* ctx, const TicketKeyRing& ring) {
  if (ring.keys().empty()) return Error{"no ticket key"};
  if (SSL_CTX_set_ex_data(ctx, ring_index(), const_cast<TicketKeyRing*>(&ring)) != 1) {
    return Error{"cannot keep the ticket keys: " + detail::take_openssl_error()};
  }
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_timeout(ctx, std::chrono::seconds(kTicketLifetime).count());
  if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_callback) != 1 ||
      SSL_CTX_set_session_ticket_cb(ctx, nullptr, check_ticket, nullptr) != 1) {
    return Error{"cannot set the ticket callbacks: " + detail::take_openssl_error()};
  }
  return Ok{};
}

}  // namespace gatelink::tls
