#pragma once
// What a gateway's `last_error` key means, in a few words a technician understands: the one
// place that turns the keys the failover machine records (DESIGN "Local status") into phrases.
// The keys are a Reason name (common/reason.hpp: `connect-timeout`, `handshake-failed`, ...),
// a refused certificate's word (tls/peer_verification.hpp: `expired`, `name-mismatch`, ...) or
// a gateway's goodbye, `goodbye:<its key>`. Pure.

#include <string>
#include <string_view>

namespace gatelink {

/// A phrase that follows the gateway's name: `refused the connection (nothing listens there)`,
/// `refused in the TLS handshake: its certificate has expired`. A key this build does not know
/// (a newer agent, or a goodbye's key, which the gateway chose) is shown as it is, printable.
/// With the gateway's `last_error_detail`, a key the phrase alone leaves vague
/// (`handshake-failed`, `protocol-error`, ...) is followed by the detail, printable:
/// `failed the TLS handshake: wrong version number`.
std::string error_phrase(std::string_view key, std::string_view detail = {});

}  // namespace gatelink
