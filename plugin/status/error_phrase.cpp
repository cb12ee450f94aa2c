#include "status/error_phrase.hpp"

#include <array>
#include <utility>

#include "common/escape.hpp"
#include "common/reason.hpp"

namespace gatelink {
namespace {

using Phrase = std::pair<std::string_view, std::string_view>;

/// Keys whose detail says what the phrase cannot (the TLS library's words, the transport's
/// error, what broke the protocol): with a detail, this phrase and the detail replace the one
/// that sends the technician to the log.
constexpr auto kDetailedPhrases = std::to_array<Phrase>({
    {"handshake-failed", "failed the TLS handshake"},
    {"io-error", "connection failed"},
    {"protocol-error", "broke the protocol"},
    {"gateway-error", "answered with an error"},
    {"internal-error", "failed on an internal error"},
    {"tls-setup", "TLS could not be set up"},
});

/// Every Reason key, as the machine records it for a gateway. Keys the machine never records
/// for a gateway (its own decisions) still get a phrase: status shows what it is given.
constexpr auto kReasonPhrases = std::to_array<Phrase>({
    {"resolve-failed", "name does not resolve (check DNS or /etc/hosts)"},
    {"resolve-timeout", "name lookup timed out (DNS server not answering)"},
    {"connect-refused", "refused the connection (nothing listens there)"},
    {"connect-timeout", "did not accept the connection in time (down or firewalled)"},
    {"unreachable", "is unreachable (no route to it)"},
    {"handshake-timeout", "did not complete the TLS handshake in time"},
    {"handshake-failed", "failed the TLS handshake (see the agent's log)"},
    {"certificate", "refused in the TLS handshake over a certificate"},
    {"welcome-timeout", "did not answer the hello in time"},
    {"tls-setup", "TLS could not be set up (out of memory?)"},
    {"closed-by-peer", "closed the connection"},
    {"connection-reset", "reset the connection"},
    {"broken-pipe", "broke the connection"},
    {"timed-out", "connection timed out in the kernel (network lost)"},
    {"io-error", "connection failed (I/O error, see the agent's log)"},
    {"heartbeat-timeout", "went silent (heartbeats unanswered)"},
    {"protocol-error", "broke the protocol (see the agent's log)"},
    {"gateway-error", "answered with an error"},
    {"goodbye", "said goodbye"},
    {"send-queue-full", "stopped reading what the agent sends"},
    {"internal-error", "failed on an internal error (see the agent's log)"},
    {"cancelled", "attempt cancelled"},
    {"probe-heartbeat-missed", "went silent during a failback probe"},
    {"probe-timeout", "did not answer a failback probe in time"},
    {"heartbeat-missed", "went silent before its stable window was over"},
    {"superseded", "closed by the agent (no longer needed)"},
    {"failback", "left by the agent for an earlier gateway"},
    {"stop", "closed: the agent stopped"},
    {"topology-change", "left by the agent for a new topology"},
    {"not-in-topology", "closed: not in the new topology"},
    {"welcome", "welcomed the agent"},
    {"stable-window", "stayed up for the whole stable window"},
    {"backoff-over", "tried again after the backoff"},
    {"all-gateways-excluded", "every gateway asked the agent to stay away"},
    {"primary-unchanged", "topology applied at once (same primary)"},
    {"on-new-primary", "topology applied at once (already on its primary)"},
    {"flap", "lost soon after the agent failed back to it (a flap)"},
    {"promoted", "an open session to it (a warm standby or a probe) took over"},
    {"idle-timeout", "cut the agent off for silence"},
    {"drain-timeout", "could not say goodbye in time"},
    {"name-mismatch", "refused in the TLS handshake: its certificate does not name it"},
    {"unsupported-version", "speaks another protocol version"},
    {"buffer-budget", "dropped the session (buffer budget)"},
});

/// A refused certificate's word (tls::rejection_reason, tls::handshake_rejection_reason).
constexpr auto kCertificatePhrases = std::to_array<Phrase>({
    {"expired", "refused in the TLS handshake: its certificate has expired"},
    {"not-yet-valid", "refused in the TLS handshake: its certificate is not valid yet (clocks?)"},
    {"wrong-purpose", "refused in the TLS handshake: its certificate is not for a TLS server"},
    {"untrusted", "refused in the TLS handshake: its certificate is not from our CA"},
    {"revoked", "refused in the TLS handshake: its certificate is revoked"},
    {"crl-missing", "not checked: our CRL file has no CRL of its CA"},
    {"crl-expired", "not checked: our CRL is out of date (next update passed)"},
    {"crl-not-yet-valid", "not checked: our CRL is not valid yet (clocks?)"},
    {"crl-invalid", "not checked: our CRL is invalid"},
    {"no-certificate", "sent no certificate"},
    {"refused-by-peer", "refused our certificate (expired, revoked or another CA?)"},
});

/// A goodbye's key, which the gateway chose (the reference gateway's ones).
constexpr auto kGoodbyePhrases = std::to_array<Phrase>({
    {"shutdown", "is shutting down (said goodbye)"},
    {"drain", "is draining its agents (said goodbye)"},
    {"busy", "is busy (said goodbye; the agent tries again later)"},
});

template <std::size_t N>
std::string_view find(const std::array<Phrase, N>& table, std::string_view key) {
  for (const auto& [name, phrase] : table) {
    if (name == key) return phrase;
  }
  return {};
}

constexpr std::string_view kVerifyError = "verify-error-";
constexpr std::string_view kGoodbyePrefix = "goodbye:";

}  // namespace

std::string error_phrase(std::string_view key, std::string_view detail) {
  if (!detail.empty()) {
    if (auto phrase = find(kDetailedPhrases, key); !phrase.empty()) {
      return std::string(phrase) + ": " + printable(detail);
    }
  }
  if (auto phrase = find(kReasonPhrases, key); !phrase.empty()) return std::string(phrase);
  if (auto phrase = find(kCertificatePhrases, key); !phrase.empty()) return std::string(phrase);
  if (key.starts_with(kGoodbyePrefix)) {
    const std::string_view said = key.substr(kGoodbyePrefix.size());
    if (auto phrase = find(kGoodbyePhrases, said); !phrase.empty()) return std::string(phrase);
    return "said goodbye: " + printable(said);
  }
  if (key.starts_with(kVerifyError)) {
    return "refused in the TLS handshake: its certificate failed verification (OpenSSL error " +
           printable(key.substr(kVerifyError.size())) + ")";
  }
  return printable(key);
}

}  // namespace gatelink
