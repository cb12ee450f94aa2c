#pragma once
// The human-readable forms of the agent's status document, as `gatelinkctl status` and
// `gatelinkctl topology` print them: at most 80 columns, the summary first. Work on the parsed
// JSON, not on a StatusSnapshot: gatelinkctl may talk to an agent of another version, so every
// field may be missing, null or of an unexpected type.

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "status/status_snapshot.hpp"

namespace gatelink {

/// Terminal width the text forms keep to; longer lines wrap at a space.
inline constexpr std::size_t kTextColumns = 80;

/// Renders what `document` holds, `—` for what it lacks; never throws on its content.
/// `now` turns times into ages ("3m12s") and due times ("in 4s").
std::string render_status_text(const nlohmann::ordered_json& document, WallTime now);

/// The topologies the agent knows: in use, pending and last-known-good, each with its gateways
/// in order and where and when it was received.
std::string render_topology_text(const nlohmann::ordered_json& document, WallTime now);

/// `gatelinkctl topology --json`: `{"current": ..., "pending": ..., "last_known_good": ...}`.
nlohmann::ordered_json topology_json(const nlohmann::ordered_json& document);

/// Breaks `line` at spaces so that no piece passes `columns` (counted in code points);
/// continuation lines start with `indent` spaces. A word longer than a line stays whole.
std::string wrap(const std::string& line, std::size_t indent, std::size_t columns = kTextColumns);

}  // namespace gatelink
