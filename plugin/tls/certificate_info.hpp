#pragma once
// What gatelink tells about a certificate: subject, issuer and expiry for status, and the names
// that identify its holder, which the gateway matches against the agent name in the hello; and
// what it tells about a CRL: who issued it and until when it is current.

#include <openssl/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace gatelink::tls {

/// The facts of one certificate.
struct CertificateInfo {
  std::string subject;                              ///< one-line RFC 2253, e.g. `CN=a.example`
  std::string issuer;                               ///< one-line RFC 2253
  std::chrono::system_clock::time_point not_after;  ///< end of validity; max() if beyond 2200
  std::string common_name;                          ///< the subject's last CN; empty if none
  std::vector<std::string> dns_names;               ///< SAN dNSName entries, in order
};

/// The facts of one CRL.
struct CrlInfo {
  std::string issuer;  ///< one-line RFC 2253
  std::chrono::system_clock::time_point last_update;
  /// When the issuer promised the next CRL; past it, a peer check against this CRL fails.
  /// nullopt: the CRL names no next update.
  std::optional<std::chrono::system_clock::time_point> next_update;
};

/// Reads the first certificate of a PEM file.
Result<CertificateInfo> read_certificate_info(const std::string& path);

/// The facts of a parsed certificate, e.g. a peer's.
CertificateInfo certificate_info(const X509* cert);

/// The facts of a parsed CRL.
CrlInfo crl_info(const X509_CRL* crl);

/// The names a certificate identifies its holder by: the CN, then the SAN dNSNames, each once.
std::vector<std::string> certificate_identities(const X509* cert);

/// Whether `name` is one of `identities`, compared as DNS names are (ASCII case-insensitive).
bool identity_matches(const std::vector<std::string>& identities, std::string_view name);

}  // namespace gatelink::tls
