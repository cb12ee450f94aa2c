#pragma once
// The persisted topology as an XML document (schema: config/topology.xsd): the topology the
// management group pushed, with when and from which gateway the agent received it.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "topology/topology.hpp"

namespace gatelink {

/// Documents larger than this are refused before parsing.
inline constexpr std::size_t kMaxTopologyDocumentBytes = std::size_t{64} * 1024;

/// The document version this build writes and reads; other versions are refused.
inline constexpr unsigned kTopologyDocumentVersion = 1;

/// A topology as the agent keeps it on disk.
struct PersistedTopology {
  Topology topology;
  std::string received_from;  ///< gateway it came from (GatewayAddress form); empty: bootstrap
  std::chrono::system_clock::time_point received_at;  ///< stored to the millisecond
  /// The document the topology was read from, with its signature; empty bytes: a version-1
  /// file (written before signed topologies), which carries none.
  IssuedDocument issued;

  friend bool operator==(const PersistedTopology&, const PersistedTopology&) = default;
};

/// What the management group issues for one agent and signs as these exact bytes: the document
/// gatelink-mg writes, gateways relay and the agent checks (DESIGN "Topology", signed topology).
struct IssuedTopology {
  std::string agent;  ///< the agent it is for; any other agent refuses it
  Topology topology;  ///< epoch and generation included
  std::chrono::system_clock::time_point issued_at;  ///< to the millisecond

  friend bool operator==(const IssuedTopology&, const IssuedTopology&) = default;
};

/// The version of the issued document: `<topology version="2" agent=... epoch=...>`.
inline constexpr unsigned kIssuedTopologyVersion = 2;
/// Issued documents larger than this are refused before parsing (topology.hpp).
inline constexpr std::size_t kMaxIssuedTopologyBytes = kMaxIssuedDocumentBytes;
/// Agent names in documents: as the gateway's store and certificates bound them.
inline constexpr std::size_t kMaxAgentNameLength = 255;

/// The issued document for `issued`; refused when the topology is invalid or when the document
/// would not read back to the same values.
Result<std::string> render_issued_topology(const IssuedTopology& issued);

/// Parses an issued document as strictly as the persisted one ("SOURCE:LINE: problem").
Result<IssuedTopology> parse_issued_topology(std::string_view text, std::string_view source_name);

/// The document for `persisted`: `<topology version="1" ...><primary .../><failover .../>...`.
/// received-at is cut to the millisecond; received-from and server-name only when set.
std::string render_topology_xml(const PersistedTopology& persisted);

/// Parses a document strictly: unknown or missing elements and attributes, bad numbers, times
/// and addresses, a version other than 1, an invalid topology (validate_topology) and more
/// than kMaxTopologyDocumentBytes are refused as "SOURCE:LINE: problem".
Result<PersistedTopology> parse_topology_xml(std::string_view text, std::string_view source_name);

}  // namespace gatelink
