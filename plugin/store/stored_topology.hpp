#pragma once
// An issued topology document as it is kept: its exact bytes, the management group's signature
// over them (if any), and, in the agent's state folder, when and from which gateway it came.
// One file format for the management group's store (DIR/agents/<agent>.xml) and the agent's
// topology.xml, so the bytes that were signed are the bytes relayed, kept and checked again:
//
//   <stored-topology version="1" received-at="..." received-from="...">
//     <signature key="SHA256:...">BASE64</signature>
//     <document><![CDATA[<?xml ...?><topology version="2" ...>...</topology>]]></document>
//   </stored-topology>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/topology_document.hpp"

namespace gatelink {

/// The version of the <stored-topology> file this build writes and reads.
inline constexpr unsigned kStoredTopologyVersion = 1;

struct StoredTopology {
  std::string document;                 ///< the issued document's exact bytes
  std::vector<std::uint8_t> signature;  ///< Ed25519 over `document`; empty: unsigned
  /// Fingerprint of the key that verified `signature`; empty when unsigned, or when nothing
  /// verified it (an agent with no key pinned keeps the signature for a later check).
  std::string key;
  /// When the agent received it; absent in the management group's store.
  std::optional<std::chrono::system_clock::time_point> received_at;
  std::string received_from;  ///< gateway it came from (GatewayAddress form); empty: none

  friend bool operator==(const StoredTopology&, const StoredTopology&) = default;
};

/// The file for `stored`. Refused when the document cannot be kept byte for byte in XML (a
/// carriage return, "]]>" or a NUL in it), or a signature comes without its key or the reverse.
Result<std::string> render_stored_topology(const StoredTopology& stored);

/// Parses a <stored-topology> file strictly ("SOURCE:LINE: problem"); the document comes back
/// as the exact bytes that were rendered. Nothing of the document itself is checked here.
Result<StoredTopology> parse_stored_topology(std::string_view text, std::string_view source);

/// Parses a persisted topology file of either format: a <stored-topology> (its document read
/// with parse_issued_topology(); received-at falls back to the document's issued-at), or the
/// version-1 <topology> document that builds before signed topologies wrote. The signature is
/// kept, not checked: startup_topology.hpp checks it against the pinned keys.
Result<PersistedTopology> parse_persisted_topology(std::string_view text, std::string_view source);

/// The file for `persisted`: a <stored-topology> when it carries an issued document, else the
/// version-1 document (tests and tools that persist a topology no management group issued).
Result<std::string> render_persisted_topology(const PersistedTopology& persisted);

}  // namespace gatelink
