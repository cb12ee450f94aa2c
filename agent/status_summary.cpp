#include "status_summary.hpp"

#include <vector>

#include "common/escape.hpp"

namespace gatelink {
namespace {

using namespace status_document;

/// One gateway of the document's ordered list.
struct Gateway {
  std::string address;
  std::optional<std::string> last_error;  ///< the key as sent (error_phrase() escapes it)
  std::optional<std::string> phrase;      ///< what it means, with its detail
};

std::vector<Gateway> gateways_of(const Json& doc) {
  std::vector<Gateway> out;
  const Json* gateways = member(&doc, "gateways");
  if (gateways != nullptr && gateways->is_array()) {
    for (const Json& gateway : *gateways) {
      out.push_back({text(&gateway, "address"), raw_string_of(&gateway, "last_error"),
                     last_error_phrase(&gateway)});
    }
  }
  return out;
}

/// Failover gateways in the topology in use: the list's length, else the rows past the primary.
std::optional<std::size_t> failover_count(const Json& doc, const std::vector<Gateway>& gateways) {
  if (const Json* failover = member(member(&doc, "topology"), "failover");
      failover != nullptr && failover->is_array()) {
    return failover->size();
  }
  if (!gateways.empty()) return gateways.size() - 1;
  return std::nullopt;
}

/// `primary gw1.example.test`, `failover 1 of 2 gw2.example.test`.
std::string where(std::size_t position, std::optional<std::size_t> of, const std::string& label) {
  if (position == 0) return "primary " + label;
  std::string out = "failover " + std::to_string(position);
  if (of) out += " of " + std::to_string(*of);
  return out + " " + label;
}

/// ` for 3m12s`: how long the state has lasted (the full time is in `since` of the JSON).
std::string since_text(const Json& doc, WallTime now) {
  const std::optional<WallTime> since = time_of(member(&doc, "since"));
  if (!since) return "";
  return " for " + format_span(std::chrono::duration_cast<std::chrono::seconds>(now - *since));
}

void add_clause(std::string& out, const std::string& clause) {
  if (clause.empty()) return;
  out += (out.empty() ? "" : "; ") + clause;
}

/// `primary gw1.example.test: refused the connection ...` for the gateway at `position`.
std::string failed_gateway(const std::vector<Gateway>& gateways, std::size_t position,
                           std::optional<std::size_t> of, StatusSummary& summary) {
  if (position >= gateways.size()) return "";
  const Gateway& gateway = gateways[position];
  const std::string name = where(position, position == 0 ? std::nullopt : of,
                                 gateway_label(gateway.address));
  if (!gateway.last_error) return name + " failed (no reason recorded)";
  if (!summary.reason) {
    summary.reason = printable(*gateway.last_error);
    summary.reason_gateway = gateway.address;
  }
  return name + ": " + *gateway.phrase;
}

/// The failovers before `position` that failed too, counted (their reasons are in the rows).
std::string earlier_failovers(std::size_t position) {
  if (position <= 1) return "";
  return position == 2 ? "failover 1 failed too"
                       : "failovers 1 to " + std::to_string(position - 1) + " failed too";
}

/// A pending topology: what it waits for.
std::string pending_text(const Json& doc, WallTime now) {
  const Json* pending = member(member(&doc, "topology"), "pending");
  if (pending == nullptr) return "";
  std::string out = "new topology (generation " + text(pending, "generation") +
                    ") waits for its primary " + gateway_label(text(pending, "primary"));
  if (const auto phrase = last_error_phrase(pending)) {
    out += ": " + *phrase;
  } else {
    out += " to stay up for the stable window";
  }
  if (const auto since = time_of(member(pending, "since"))) {
    out += " (since " + format_span(std::chrono::duration_cast<std::chrono::seconds>(
                            now - *since)) + ")";
  }
  return out;
}

/// Flap damping in force: the window a failback waits for now.
std::string damped_text(const Json& doc) {
  const Json* failback = member(&doc, "failback");
  const Json* damped = member(failback, "damped");
  if (damped == nullptr || !damped->is_boolean() || !damped->get<bool>()) return "";
  const auto window = count_of(failback, "stable_window_ms");
  const auto configured = count_of(failback, "configured_window_ms");
  if (!window || !configured) return "failback window damped after a flap";
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  return "failback needs " +
         format_span(std::chrono::duration_cast<seconds>(milliseconds(*window))) +
         " stable after a flap (configured " +
         format_span(std::chrono::duration_cast<seconds>(milliseconds(*configured))) + ")";
}

/// Which gateway a document says is in use or being tried, from `object[position]`.
std::optional<std::size_t> position_of(const Json* object) {
  const auto position = count_of(object, "position");
  if (!position) return std::nullopt;
  return static_cast<std::size_t>(*position);
}

void connected(const Json& doc, WallTime now, const std::vector<Gateway>& gateways,
               StatusSummary& summary) {
  summary.connected = true;
  const std::string address = text(&doc, "gateway");
  const std::size_t position = summary.position.value_or(0);
  summary.headline =
      "connected to " + where(position, summary.of, gateway_label(address)) + since_text(doc, now);
  if (position == 0) {
    add_clause(summary.why, pending_text(doc, now));
    add_clause(summary.why, damped_text(doc));
    if (summary.why.empty()) summary.why = "on its primary gateway; nothing to do";
    return;
  }
  add_clause(summary.why, failed_gateway(gateways, 0, summary.of, summary));
  add_clause(summary.why, earlier_failovers(position));
  if (const auto probe = time_of(member(&doc, "next_probe"))) {
    add_clause(summary.why, "next failback probe " + due_in(*probe, now));
  } else {
    add_clause(summary.why, "failback probe under way");
  }
  add_clause(summary.why, damped_text(doc));
  add_clause(summary.why, pending_text(doc, now));
}

void connecting(const Json& doc, WallTime now, const std::vector<Gateway>& gateways,
                StatusSummary& summary) {
  const Json* attempt = member(&doc, "attempt");
  summary.position = position_of(attempt);
  summary.headline = "NOT connected: connecting";
  if (summary.position) {
    summary.headline += " to " + where(*summary.position, summary.of,
                                       gateway_label(text(attempt, "gateway")));
  }
  summary.headline += since_text(doc, now);
  const std::size_t position = summary.position.value_or(0);
  if (position > 0) {
    // Every gateway before the one tried failed: the primary's reason, and the one just before.
    add_clause(summary.why, failed_gateway(gateways, 0, summary.of, summary));
    if (position > 1) add_clause(summary.why, failed_gateway(gateways, position - 1, summary.of, summary));
  } else if (!gateways.empty() && gateways[0].last_error) {
    add_clause(summary.why, failed_gateway(gateways, 0, summary.of, summary) + " (last attempt)");
  } else {
    summary.why = "first attempt to the primary gateway";
  }
  add_clause(summary.why, pending_text(doc, now));
}

void backoff(const Json& doc, WallTime now, const std::vector<Gateway>& gateways,
             StatusSummary& summary) {
  const std::size_t count = gateways.empty() ? summary.of.value_or(0) + 1 : gateways.size();
  summary.headline = count == 1 ? "NOT connected: the only gateway failed"
                                : "NOT connected: all " + std::to_string(count) +
                                      " gateways failed";
  if (const auto retry = time_of(member(&doc, "next_retry"))) {
    summary.headline += ", next attempt " + due_in(*retry, now);
  }
  add_clause(summary.why, failed_gateway(gateways, 0, summary.of, summary));
  if (gateways.size() > 1) {
    add_clause(summary.why, failed_gateway(gateways, gateways.size() - 1, summary.of, summary));
  }
  add_clause(summary.why, pending_text(doc, now));
}

}  // namespace

StatusSummary summarize_status(const Json& document, WallTime now) {
  StatusSummary summary;
  const std::vector<Gateway> gateways = gateways_of(document);
  summary.of = failover_count(document, gateways);
  const std::optional<std::string> state = string_of(&document, "state");
  if (state == "connected") {
    summary.position = position_of(&document);
    connected(document, now, gateways, summary);
  } else if (state == "connecting") {
    connecting(document, now, gateways, summary);
  } else if (state == "backoff") {
    backoff(document, now, gateways, summary);
  } else if (state == "stopped") {
    summary.headline = "NOT connected: the agent is stopping";
  } else {
    summary.headline = "NOT connected: state " + text(&document, "state");
  }
  return summary;
}

Json summary_json(const StatusSummary& summary) {
  const auto or_null = [](const auto& value) { return value ? Json(*value) : Json(nullptr); };
  Json out = Json::object();
  out["connected"] = summary.connected;
  out["text"] = summary.headline;
  out["why"] = summary.why.empty() ? Json(nullptr) : Json(summary.why);
  out["reason"] = or_null(summary.reason);
  out["reason_gateway"] = or_null(summary.reason_gateway);
  out["position"] = or_null(summary.position);
  out["of"] = or_null(summary.of);
  return out;
}

}  // namespace gatelink
