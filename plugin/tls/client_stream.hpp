#pragma once
// The per-connection half of the client's trust: which name the gateway's certificate must carry.
// Set on each client stream before its handshake, so a certificate naming another server fails
// the handshake itself (name-mismatch) instead of being checked afterwards.

#include <openssl/types.h>

#include <concepts>
#include <string>

#include "common/result.hpp"

namespace gatelink::tls {

/// Sets SNI (DNS names only, never IP literals) and the name the gateway's certificate must carry:
/// a SAN dNSName for a DNS name (never the CN), a SAN iPAddress for an IP literal.
Status prepare_client_stream(SSL* ssl, const std::string& expected_name);

/// The same for an Asio `ssl::stream` (anything whose native_handle() is the SSL*).
template <class Stream>
requires requires(Stream& s) {
  { s.native_handle() } -> std::convertible_to<SSL*>;
}
Status prepare_client_stream(Stream& stream, const std::string& expected_name) {
  return prepare_client_stream(static_cast<SSL*>(stream.native_handle()), expected_name);
}

}  // namespace gatelink::tls
