#pragma once
// How a peer's certificate is judged during the handshake and, when it is refused, why: short,
// stable reason words (`expired`, `name-mismatch`, ...) for logs, status and tests. The verify
// callback only ever turns success into failure, never the reverse.

#include <openssl/ssl.h>
#include <openssl/types.h>

#include <string>
#include <string_view>

namespace gatelink::tls {

/// The reason word for an X509_V_ERR_* code: expired, not-yet-valid, name-mismatch,
/// wrong-purpose, untrusted, revoked, crl-missing, crl-expired, crl-not-yet-valid, crl-invalid,
/// or `verify-error-<n>`; empty for X509_V_OK.
std::string rejection_reason(long x509_verify_result);

/// Why the handshake on `ssl` failed over a certificate: its verify result if that failed, else
/// from the handshake's OpenSSL error (ERR_get_error(), or an Asio ssl error_code's value)
/// `no-certificate` (the peer sent none) or `refused-by-peer` (the peer refused ours; in TLS 1.3
/// a client learns this on its first read). Empty when certificates were not the cause.
std::string handshake_rejection_reason(const SSL* ssl, unsigned long openssl_error);

/// Names the peer in rejection logs (e.g. the agent's remote endpoint, on a gateway). Without a
/// label a client logs the name it expects. `ssl` keeps a pointer only: the caller keeps `label`
/// for as long as `ssl` handshakes (libcrypto gets no callback into this library, which a host
/// may dlclose() while libcrypto stays). False when OpenSSL cannot keep it.
bool set_peer_label(SSL* ssl, const std::string& label);
bool set_peer_label(SSL* ssl, std::string&& label) = delete;  ///< would dangle

/// Makes `ctx` require a peer certificate and judge it with gatelink's verify callback, which
/// also requires the leaf to carry the extended key usage of its role (serverAuth for a server,
/// clientAuth for a client) and logs one line per rejection. Used by the context builders.
void require_verified_peer(SSL_CTX* ctx);

/// Whether the peer certificate a session to be resumed holds still passes the checks of a full
/// handshake on `ssl`, made now: it chains to the trust anchors of the context in use, is within
/// its dates, is not revoked by the CRL loaded now, carries its role's usage and, for a client,
/// names the server `ssl` expects (prepare_client_stream). Resumption skips all of them; both
/// ends call this before they resume. A refusal is logged (`event=resumption-refused`), and a
/// full handshake follows, which refuses the certificate for good or takes a renewed one.
/// Intermediates are not kept in a session: a peer issued by an intermediate that the CA file
/// does not hold is not resumed (a full handshake, nothing worse).
bool session_peer_still_passes(SSL* ssl, SSL_SESSION* session);

}  // namespace gatelink::tls
