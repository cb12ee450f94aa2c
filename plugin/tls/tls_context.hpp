#pragma once
// The TLS contexts of gatelink's mutual-TLS links, each built by one function: TLS 1.2 at least
// (1.3 preferred), the configured CA as the only trust anchor, an optional CRL, and a peer that
// must present a certificate for the right purpose. Renewed files: build a new context and swap
// it in; a context is never changed once built.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/result.hpp"

namespace gatelink::tls {

/// The PEM files one end of a link uses (the agent configuration's `<tls>` element).
struct Files {
  std::string ca;    ///< the CA certificate(s): the only trust anchors
  std::string cert;  ///< own certificate, optionally followed by its intermediates
  std::string key;   ///< own private key, unencrypted, refused if group or others may access it
  std::string crl;   ///< CRL(s) of the CA; empty: no revocation check
};

using ContextPtr = std::shared_ptr<boost::asio::ssl::context>;

/// The agent's side: presents `files.cert`; accepts only a gateway with a serverAuth certificate
/// from the CA. Call prepare_client_stream() on each stream before its handshake.
Result<ContextPtr> make_client_context(const Files& files);

/// The gateway's side: presents `files.cert`; requires a clientAuth certificate from the CA.
Result<ContextPtr> make_server_context(const Files& files);

}  // namespace gatelink::tls
