#pragma once
// What an agent believes of an issued topology document, whether a gateway pushed it or it was
// read back from the state folder (DESIGN "Topology", signed topology): with keys pinned, the
// management group's signature over the exact bytes, checked before anything is parsed; then
// the document itself, that it is this agent's and of its management group, and that its
// version can be followed. Pure: the caller passes the time in.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "signature/key_ring.hpp"
#include "store/topology_document.hpp"

namespace gatelink {

/// Whom an agent takes topologies from.
struct TopologyTrust {
  std::string agent;             ///< its own name: a document for any other agent is refused
  std::string management_group;  ///< its group: a document of any other is refused
  signature::KeyRing keys;       ///< pinned keys; none: signatures are not checked
};

/// Epochs are the Unix time (seconds) at which gatelink-mg began them. Without a pinned key
/// nothing proves an epoch, so one further ahead of the agent's clock than this is refused:
/// an unsigned push cannot jump so far ahead that the management group never catches up.
inline constexpr std::chrono::seconds kMaxUnsignedEpochLead = std::chrono::hours(24);

/// Why a document is not believed; each has a stable key for logs and acknowledgements.
enum class TopologyRefusal : std::uint8_t {
  unsigned_document,       ///< `unsigned`: keys are pinned and it carries no signature
  bad_signature,           ///< `bad-signature`: no pinned key made this signature of these bytes
  malformed,               ///< `malformed`: not an issued document (the message says where)
  other_agent,             ///< `other-agent`: issued for another agent
  other_management_group,  ///< `other-management-group`
  reserved_version,        ///< `reserved-version`: a version nothing could follow (check_issuable)
  future_epoch,            ///< `future-epoch`: unsigned and too far ahead of this agent's clock
  header_mismatch,         ///< `header-mismatch`: the push names another version than its document
};
std::string_view to_string(TopologyRefusal refusal);

struct TopologyRefused {
  TopologyRefusal reason;
  std::string message;  ///< for people: what was wrong, in words
};

/// An issued document that passed every check.
struct TrustedTopology {
  IssuedTopology issued;
  std::string signed_by;  ///< fingerprint of the pinned key that verified it; empty: none pinned
};

/// Checks `document` and `signature` against `trust`, in this order, believing nothing of the
/// document before the signature holds: signature (when keys are pinned), document
/// (parse_issued_topology, `source` names it), agent, management group, version. `now` is the
/// agent's wall clock, for unsigned epochs.
Result<TrustedTopology, TopologyRefused> check_issued(std::string_view document,
                                                      std::span<const std::uint8_t> signature,
                                                      const TopologyTrust& trust,
                                                      std::chrono::system_clock::time_point now,
                                                      std::string_view source);

}  // namespace gatelink
