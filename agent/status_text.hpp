#pragma once
// The human-readable form of the agent's status document, as `gatelinkctl status` prints it.
// Works on the parsed JSON, not on a StatusSnapshot: gatelinkctl may talk to an agent of another
// version, so every field may be missing, null or of an unexpected type.

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "status/status_snapshot.hpp"

namespace gatelink {

/// Renders what `document` holds, `—` for what it lacks; never throws on its content.
/// `now` turns times into ages ("3m12s") and due times ("in 4s").
std::string render_status_text(const nlohmann::ordered_json& document, WallTime now);

/// Formats a span as its two largest units: `45s`, `3m12s`, `2h05m`, `3d04h`.
std::string format_span(std::chrono::seconds span);

}  // namespace gatelink
