#include "tls/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/context.hpp>

#include "tls/key_permissions.hpp"
#include "tls/openssl_support.hpp"
#include "tls/peer_verification.hpp"
#include "tls/session_tickets.hpp"
#include "tls/ticket_keys.hpp"

namespace gatelink::tls {
namespace {

namespace ssl = boost::asio::ssl;
using detail::KeyPtr;

/// Security level 2: RSA and DH of 2048 bits or more, ECC of 224 bits or more, no SHA-1
/// signatures. Set here rather than inherited from the distribution's openssl.cnf.
constexpr int kSecurityLevel = 2;
/// TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 keeps OpenSSL's defaults.
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";
/// At most this many intermediate CAs between a peer's certificate and the root; more is a
/// misconfiguration or an attack.
constexpr int kMaxChainDepth = 4;
/// Session ID context of the gateway, the same on every gateway: a ticket of the management
/// group's keys resumes on any of them (OpenSSL also wants one set whenever client certificates
/// are verified).
constexpr unsigned char kSessionIdContext[] = "gatelink";

// Protocol versions and options. No resumption unless a side turns it on (a gateway's ticket
// keys, the agent's SessionTickets), and no server-side session cache ever; a resumed session's
// certificate is checked again against the CA and CRL of the context in use
// (session_peer_still_passes), so a rotated CRL applies to the next connection either way.
void set_protocol(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_security_level(ctx, kSecurityLevel);
  SSL_CTX_set_cipher_list(ctx, kTls12Ciphers);
  // A session is idle between heartbeats: give its record buffers back meanwhile (a gateway
  // holds thousands of sessions, an agent one or two).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

// The CA file's certificates become the store's only trust anchors: no system store is loaded.
Status load_trust_anchors(SSL_CTX* ctx, const std::string& path) {
  return detail::add_trust_anchors(SSL_CTX_get_cert_store(ctx), path);
}

// Adds the CRLs and turns on the revocation check of the peer's certificate. A CRL that is
// out of date still loads: every handshake then fails with `crl-expired`, which says what to fix.
Status load_crls(SSL_CTX* ctx, const std::string& path) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  auto loaded = detail::for_each_pem<X509_CRL, X509_CRL_free>(
      "CRL file", path, "CRL", PEM_read_bio_X509_CRL, [store](X509_CRL* crl) -> std::string {
        if (!detail::issued_by_trust_anchor(store, crl)) {
          return "holds a CRL not issued by the configured CA";
        }
        return X509_STORE_add_crl(store, crl) == 1 ? "" : detail::take_openssl_error();
      });
  if (loaded) {
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  return loaded;
}

// The own certificate, then any intermediates that follow it in the same file.
Status load_certificate_chain(SSL_CTX* ctx, const std::string& path) {
  bool leaf = true;
  return detail::for_each_pem<X509, X509_free>(
      "certificate file", path, "certificate", PEM_read_bio_X509,
      [ctx, &leaf](X509* cert) -> std::string {
        const bool added = leaf ? SSL_CTX_use_certificate(ctx, cert) == 1
                                : SSL_CTX_add1_chain_cert(ctx, cert) == 1;
        leaf = false;
        return added ? "" : detail::take_openssl_error();
      });
}

// Never prompts: a daemon has no terminal, and the key's protection is its file mode.
int refuse_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return -1;
}

Result<KeyPtr> read_private_key(const std::string& key_path) {
  auto bio = detail::open_pem_file("key file", key_path);
  if (!bio) {
    return bio.error();
  }
  KeyPtr key{PEM_read_bio_PrivateKey(bio->get(), nullptr, refuse_passphrase, nullptr)};
  if (!key) {
    ERR_clear_error();
    return detail::file_problem(
        "key file", key_path,
        "holds no unencrypted PEM private key (encrypted keys are not supported)");
  }
  return key;
}

Status use_private_key(SSL_CTX* ctx, EVP_PKEY* key, const std::string& key_path,
                       const std::string& cert_path) {
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return detail::file_problem("key file", key_path,
                                "does not match the certificate in " + cert_path);
  }
  return Ok{};
}

/// A failed step's error as a MaterialError about `file`.
MaterialError refused(const Error& error, const std::string& file, MaterialProblem problem) {
  return MaterialError{.message = error.message, .file = file, .problem = problem};
}

ContextResult make_context(ssl::context::method method, int peer_purpose, const Files& files) {
  auto context = std::make_shared<ssl::context>(method);
  SSL_CTX* ctx = context->native_handle();
  set_protocol(ctx);
  if (auto loaded = load_trust_anchors(ctx, files.ca); !loaded) {
    return refused(loaded.error(), files.ca, MaterialProblem::ca_invalid);
  }
  if (!files.crl.empty()) {
    if (auto loaded = load_crls(ctx, files.crl); !loaded) {
      return refused(loaded.error(), files.crl, MaterialProblem::crl_invalid);
    }
  }
  if (auto loaded = load_certificate_chain(ctx, files.cert); !loaded) {
    return refused(loaded.error(), files.cert, MaterialProblem::certificate_invalid);
  }
  if (files.key.empty()) {
    return refused(Error{"key file is not configured"}, files.key, MaterialProblem::key_invalid);
  }
  if (auto permitted = check_private_key_permissions(files.key); !permitted) {
    return refused(permitted.error(), files.key, MaterialProblem::key_exposed);
  }
  auto key = read_private_key(files.key);
  if (!key) {
    return refused(key.error(), files.key, MaterialProblem::key_invalid);
  }
  if (auto used = use_private_key(ctx, key->get(), files.key, files.cert); !used) {
    return refused(used.error(), files.key, MaterialProblem::key_mismatch);
  }
  SSL_CTX_set_purpose(ctx, peer_purpose);
  SSL_CTX_set_verify_depth(ctx, kMaxChainDepth);
  require_verified_peer(ctx);
  return context;
}

}  // namespace

std::string_view to_string(MaterialProblem problem) {
  switch (problem) {
    case MaterialProblem::ca_invalid:
      return "ca-invalid";
    case MaterialProblem::crl_invalid:
      return "crl-invalid";
    case MaterialProblem::certificate_invalid:
      return "certificate-invalid";
    case MaterialProblem::key_invalid:
      return "key-invalid";
    case MaterialProblem::key_exposed:
      return "key-exposed";
    case MaterialProblem::key_mismatch:
      return "key-mismatch";
    case MaterialProblem::ticket_keys_invalid:
      return "ticket-keys-invalid";
  }
  return "invalid";
}

ContextResult make_client_context(const Files& files) {
  auto context = make_context(ssl::context::tls_client, X509_PURPOSE_SSL_SERVER, files);
  if (context) keep_client_sessions((*context)->native_handle());
  return context;
}

ContextResult make_server_context(const Files& files) {
  auto context = make_context(ssl::context::tls_server, X509_PURPOSE_SSL_CLIENT, files);
  if (!context) return context;
  SSL_CTX* ctx = (*context)->native_handle();
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
  if (files.ticket_keys.empty()) return context;
  auto keys = read_ticket_keys(files.ticket_keys);
  if (!keys) return refused(keys.error(), files.ticket_keys, MaterialProblem::ticket_keys_invalid);
  // The context and its ticket keys end together: whoever holds the ContextPtr (every stream made
  // from it does) holds the keys. The ring is declared first, so it ends after the context.
  struct WithTicketKeys {
    WithTicketKeys(std::vector<TicketKey> keys, ssl::context&& made)
        : ring(std::move(keys)), context(std::move(made)) {}
    TicketKeyRing ring;
    ssl::context context;
  };
  auto both = std::make_shared<WithTicketKeys>(std::move(*keys), std::move(**context));
  if (auto issued = issue_tickets(both->context.native_handle(), both->ring); !issued) {
    return refused(issued.error(), files.ticket_keys, MaterialProblem::ticket_keys_invalid);
  }
  return ContextPtr(both, &both->context);
}

}  // namespace gatelink::tls
