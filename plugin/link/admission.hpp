#pragma once
// The agent's decision on the gateway's admission frame, the one plaintext frame it reads right
// after TCP connect and before the TLS handshake (docs/PROTOCOL.md "Session"): an admit means
// go on with the handshake; a goodbye (a gateway at its limit of handshakes says `busy`) ends
// the attempt, its retry-after held to the agent's own bound, since nothing in this frame is
// authenticated. Pure: the frame in, the decision out (read with read_message, frame_read.hpp).

#include <chrono>
#include <cstddef>
#include <string>

#include "codec/message.hpp"

namespace gatelink::link {

/// The admission frame is an admit or a goodbye: a few hundred bytes at most. A header that
/// announces more is refused before its body is read.
inline constexpr std::size_t kMaxAdmissionFrame = 512;

struct AdmissionDecision {
  enum class Kind {
    handshake,  ///< admitted: the TLS handshake follows
    goodbye,    ///< not now: the attempt ends as `goodbye` says
    refused,    ///< not an admission frame: a protocol error, `detail` says which
  };
  Kind kind = Kind::refused;
  codec::Goodbye goodbye;  ///< for `goodbye`: as sent, its retry-after cut to the bound
  std::string detail;      ///< for `refused`
};

/// What to do with the admission frame `frame`. `max_retry_after` bounds the retry-after that
/// the agent honours from an unauthenticated peer.
AdmissionDecision decide_admission(const codec::Message& frame,
                                   std::chrono::milliseconds max_retry_after);

}  // namespace gatelink::link
