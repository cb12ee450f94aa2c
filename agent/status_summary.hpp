#pragma once
// The answer to "is this host monitored, through which gateway, and if not, why?" from the
// agent's status document: what `gatelinkctl status` prints first, and `summary` in its --json.
// Pure: the document and "now" in; never throws on the document's content.

#include <cstddef>
#include <optional>
#include <string>

#include "status_document.hpp"

namespace gatelink {

struct StatusSummary {
  bool connected = false;
  /// `connected to failover 1 of 2 gw2.example.test since 16:15:16Z (3m12s)`.
  std::string headline;
  /// Why it is where it is: `primary gw1.example.test: refused the connection (nothing listens
  /// there); next failback probe in 12s`.
  std::string why;
  std::optional<std::string> reason;          ///< the last_error key that explains it
  std::optional<std::string> reason_gateway;  ///< the address of the gateway it belongs to
  std::optional<std::size_t> position;  ///< in use or being tried: 0 primary, n failover n
  std::optional<std::size_t> of;        ///< failover gateways in the topology in use
};

StatusSummary summarize_status(const status_document::Json& document, WallTime now);

/// The summary as the `summary` object of `gatelinkctl status --json`.
status_document::Json summary_json(const StatusSummary& summary);

}  // namespace gatelink
