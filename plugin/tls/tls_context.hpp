#pragma once
// The TLS contexts of gatelink's mutual-TLS links, each built by one function: TLS 1.2 at least
// (1.3 preferred), the configured CA as the only trust anchor, an optional CRL, and a peer that
// must present a certificate for the right purpose. Renewed files: build a new context and swap
// it in; a context is never changed once built.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace gatelink::tls {

/// The PEM files one end of a link uses (the agent configuration's `<tls>` element).
struct Files {
  std::string ca;    ///< the CA certificate(s): the only trust anchors
  std::string cert;  ///< own certificate, optionally followed by its intermediates
  std::string key;   ///< own private key, unencrypted, refused if group or others may access it
  std::string crl;   ///< CRL(s) of the CA; empty: no revocation check
  /// A gateway's session ticket keys (ticket_keys.hpp), shared by its management group; empty:
  /// no tickets, every agent does a full handshake. Unused by the agent's side.
  std::string ticket_keys;
};

using ContextPtr = std::shared_ptr<boost::asio::ssl::context>;

/// Which of the files a context could not be built from was wrong, in a word for logs and
/// status.
enum class MaterialProblem {
  ca_invalid,           ///< the CA file: missing, unreadable, not PEM, or not CA certificates
  crl_invalid,          ///< the CRL file: missing, unreadable, not PEM, or not the CA's
  certificate_invalid,  ///< the certificate file: missing, unreadable or not PEM
  key_invalid,          ///< the key file: missing, unreadable, not PEM or encrypted
  key_exposed,          ///< the key file: group or others may access it
  key_mismatch,         ///< the key is not the certificate's
  ticket_keys_invalid,  ///< the ticket key file: missing, unreadable, exposed or malformed
};
/// `ca-invalid`, `crl-invalid`, `certificate-invalid`, `key-invalid`, `key-exposed`,
/// `key-mismatch`, `ticket-keys-invalid`.
std::string_view to_string(MaterialProblem problem);

/// Why a context could not be built: the file at fault, the problem, and a sentence naming both.
struct MaterialError {
  std::string message;  ///< e.g. "key file /etc/gatelink/agent.key: does not match ..."
  std::string file;     ///< the path of the file at fault
  MaterialProblem problem = MaterialProblem::certificate_invalid;
};
using ContextResult = Result<ContextPtr, MaterialError>;

/// The agent's side: presents `files.cert`; accepts only a gateway with a serverAuth certificate
/// from the CA. Call prepare_client_stream() on each stream before its handshake, then
/// SessionTickets::attach() to resume and keep tickets.
ContextResult make_client_context(const Files& files);

/// The gateway's side: presents `files.cert`; requires a clientAuth certificate from the CA;
/// with `files.ticket_keys`, issues and accepts the group's session tickets.
ContextResult make_server_context(const Files& files);

}  // namespace gatelink::tls
