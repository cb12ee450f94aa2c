#include "link/admission.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>

namespace gatelink::link {

AdmissionDecision decide_admission(const codec::Message& frame,
                                   std::chrono::milliseconds max_retry_after) {
  if (std::holds_alternative<codec::Admit>(frame)) {
    return {.kind = AdmissionDecision::Kind::handshake};
  }
  if (const auto* goodbye = std::get_if<codec::Goodbye>(&frame)) {
    // Unauthenticated: honour "not now", but never for longer than our own bound.
    const auto bound = static_cast<std::uint32_t>(std::clamp<std::chrono::milliseconds::rep>(
        max_retry_after.count(), 0, std::numeric_limits<std::uint32_t>::max()));
    AdmissionDecision decision{.kind = AdmissionDecision::Kind::goodbye, .goodbye = *goodbye};
    decision.goodbye.retry_after_ms = std::min(decision.goodbye.retry_after_ms, bound);
    return decision;
  }
  return {.kind = AdmissionDecision::Kind::refused,
          .detail = "expected admit or goodbye, got " +
                    std::string(codec::to_string(codec::type_of(frame)))};
}

}  // namespace gatelink::link
