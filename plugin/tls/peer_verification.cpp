#include "tls/peer_verification.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "tls/openssl_support.hpp"
#include "common/escape.hpp"

namespace gatelink::tls {
namespace {

// --- the peer label, a caller-owned string the SSL object's ex_data points to ------------------

int label_index() {
  // No new/dup/free callbacks: libcrypto would call them for every SSL object of the process,
  // after a host dlclose()d this library too.
  static const int index =
      CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The label, else the name or address a client expects, else "unknown".
std::string peer_of(SSL* ssl) {
  if (ssl == nullptr) {
    return "unknown";
  }
  if (const auto* label = static_cast<const std::string*>(SSL_get_ex_data(ssl, label_index()))) {
    return *label;
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (const char* host = X509_VERIFY_PARAM_get0_host(param, 0)) {
    return host;
  }
  // Without an IP set, OpenSSL 3 queues "passed a null parameter": keep it out of the error the
  // handshake reports.
  ERR_set_mark();
  char* ip = X509_VERIFY_PARAM_get1_ip_asc(param);
  ERR_pop_to_mark();
  if (ip != nullptr) {
    std::string text = ip;
    OPENSSL_free(ip);
    return text;
  }
  return "unknown";
}

// --- the verify callback -------------------------------------------------------------------

std::string subject_of(const X509* cert) {
  return cert != nullptr ? detail::rfc2253(X509_get_subject_name(cert)) : "";
}

SSL* ssl_of(X509_STORE_CTX* store) {
  return static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
}

// OpenSSL accepts a leaf without any extendedKeyUsage for every purpose; gatelink wants the
// role's usage written in the certificate.
bool leaf_names_role_usage(X509_STORE_CTX* store, SSL* ssl) {
  X509* leaf = X509_STORE_CTX_get_current_cert(store);
  if (leaf == nullptr || ssl == nullptr) {
    return true;  // not a TLS peer verification: nothing to add
  }
  const uint32_t wanted = SSL_is_server(ssl) != 0 ? XKU_SSL_CLIENT : XKU_SSL_SERVER;
  return (X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) != 0 &&
         (X509_get_extended_key_usage(leaf) & wanted) != 0;
}

void log_rejection(X509_STORE_CTX* store, SSL* ssl) {
  const int error = X509_STORE_CTX_get_error(store);
  // The subject is the peer's to choose: data, escaped.
  spdlog::warn("event=certificate-rejected peer={} reason={} subject={} depth={} detail=\"{}\"",
               escaped(peer_of(ssl)), rejection_reason(error),
               escaped(subject_of(X509_STORE_CTX_get_current_cert(store))),
               X509_STORE_CTX_get_error_depth(store), X509_verify_cert_error_string(error));
}

// Returns OpenSSL's verdict unchanged, or turns a success into a failure; never the reverse.
int judge_peer(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) {
    if (X509_STORE_CTX_get_error_depth(store) != 0 || leaf_names_role_usage(store, ssl_of(store))) {
      return 1;
    }
    X509_STORE_CTX_set_error(store, X509_V_ERR_INVALID_PURPOSE);
  }
  return 0;
}

// The handshake's verify callback: judge_peer(), and a log line for a rejection.
int verify_peer(int preverify_ok, X509_STORE_CTX* store) {
  if (judge_peer(preverify_ok, store) == 1) return 1;
  log_rejection(store, ssl_of(store));
  return 0;
}

using StoreContextPtr =
    std::unique_ptr<X509_STORE_CTX, detail::Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

// Alerts by which the other end tells that it refused our certificate.
bool is_certificate_alert(int reason) {
  switch (reason) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string rejection_reason(long x509_verify_result) {
  switch (x509_verify_result) {
    case X509_V_OK:
      return "";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "not-yet-valid";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "name-mismatch";
    case X509_V_ERR_INVALID_PURPOSE:
      return "wrong-purpose";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "untrusted";
    case X509_V_ERR_CERT_REVOKED:
      return "revoked";
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
      return "crl-missing";
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return "crl-expired";
    case X509_V_ERR_CRL_NOT_YET_VALID:
      return "crl-not-yet-valid";
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
      return "crl-invalid";
    default:
      return "verify-error-" + std::to_string(x509_verify_result);
  }
}

std::string handshake_rejection_reason(const SSL* ssl, unsigned long openssl_error) {
  if (ssl != nullptr) {
    if (const long result = SSL_get_verify_result(ssl); result != X509_V_OK) {
      return rejection_reason(result);
    }
  }
  if (openssl_error == 0 || ERR_GET_LIB(openssl_error) != ERR_LIB_SSL) {
    return "";
  }
  const int reason = ERR_GET_REASON(openssl_error);
  if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    return "no-certificate";
  }
  return is_certificate_alert(reason) ? "refused-by-peer" : "";
}

bool set_peer_label(SSL* ssl, const std::string& label) {
  return SSL_set_ex_data(ssl, label_index(), const_cast<std::string*>(&label)) == 1;
}

void require_verified_peer(SSL_CTX* ctx) {
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_peer);
}

bool session_peer_still_passes(SSL* ssl, SSL_SESSION* session) {
  X509* peer = session != nullptr ? SSL_SESSION_get0_peer(session) : nullptr;
  if (ssl == nullptr || peer == nullptr) return false;
  // As OpenSSL verifies a handshake's chain: the context's store (trust anchors, CRL flags), the
  // stream's parameters (purpose, depth, the expected name), gatelink's callback.
  StoreContextPtr store{X509_STORE_CTX_new()};
  if (!store ||
      X509_STORE_CTX_init(store.get(), SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), peer,
                          nullptr) != 1 ||
      X509_STORE_CTX_set_default(store.get(),
                                 SSL_is_server(ssl) != 0 ? "ssl_client" : "ssl_server") != 1 ||
      X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(store.get()), SSL_get0_param(ssl)) != 1 ||
      X509_STORE_CTX_set_ex_data(store.get(), SSL_get_ex_data_X509_STORE_CTX_idx(), ssl) != 1) {
    ERR_clear_error();
    return false;
  }
  X509_STORE_CTX_set_verify_cb(store.get(), judge_peer);
  if (X509_verify_cert(store.get()) == 1) return true;
  ERR_clear_error();
  const int error = X509_STORE_CTX_get_error(store.get());
  // The subject is the peer's to choose: data, escaped.
  spdlog::info("event=resumption-refused peer={} reason={} subject={} detail=\"{}\"",
               escaped(peer_of(ssl)), rejection_reason(error), escaped(subject_of(peer)),
               X509_verify_cert_error_string(error));
  return false;
}

}  // namespace gatelink::tls
