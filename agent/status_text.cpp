#include "status_text.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/escape.hpp"
#include "status_document.hpp"
#include "status_summary.hpp"

namespace gatelink {
namespace {

using namespace status_document;

constexpr std::size_t kLabelWidth = 12;
constexpr std::size_t kRoleWidth = 9;
/// Topology rows: `  failover 10 ` and the like.
constexpr std::size_t kRowLabelWidth = 14;

/// Code points in UTF-8 `text` (what a terminal gives a column each, near enough).
std::size_t columns_of(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

/// `2026-11-25`.
bool is_date(std::string_view word) {
  constexpr std::size_t kDateLength = 10;
  if (word.size() != kDateLength || word[4] != '-' || word[7] != '-') return false;
  return std::all_of(word.begin(), word.end(), [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
}

std::string padded(std::string text, std::size_t width) {
  const std::size_t columns = columns_of(text);
  if (columns < width) text.append(width - columns, ' ');
  return text;
}

void add_line(std::string& out, std::string_view label, const std::string& content) {
  std::string line(label);
  line.append(label.size() < kLabelWidth ? kLabelWidth - label.size() : 1, ' ');
  out += wrap(line + content, kLabelWidth) + '\n';
}

std::string agent_text(const Json& doc) {
  std::string out = text(&doc, "agent") + "  (management group " + text(&doc, "management_group");
  if (const Json* version = member(&doc, "version")) out += ", gatelink " + text(version);
  return out + ")";
}

/// `gw1.example.test@127.0.0.1:15801 (primary) [gw1]`: the session in use, when connected.
std::string gateway_text(const Json& doc) {
  const Json* gateway = member(&doc, "gateway");
  std::string out = text(gateway);
  if (const Json* role = member(&doc, "role")) out += " (" + text(role) + ")";
  // The name the gateway gave itself, where the address does not already say it.
  if (const Json* name = member(&doc, "gateway_name");
      name != nullptr && text(gateway).find(text(name)) == std::string::npos) {
    out += " [" + text(name) + "]";
  }
  return out;
}

/// `backoff since 2026-11-25 16:15:16Z (3m12s), next attempt 2026-11-25 16:18:32Z (in 4s)`.
std::string state_text(const Json& doc, WallTime now) {
  std::string out = text(&doc, "state");
  if (const Json* since = member(&doc, "since")) out += " since " + moment(since, now);
  if (const Json* retry = member(&doc, "next_retry")) out += ", next attempt " + moment(retry, now);
  return out;
}

std::string heartbeat_text(const Json& doc) {
  const Json* heartbeat = member(&doc, "heartbeat");
  std::string rtt = text(heartbeat, "last_rtt_ms");
  if (const Json* value = member(heartbeat, "last_rtt_ms");
      value != nullptr && value->is_number()) {
    std::array<char, 64> digits{};
    std::snprintf(digits.data(), digits.size(), "%.3f ms", value->get<double>());
    rtt = digits.data();
  }
  return "every " + text(heartbeat, "interval_ms") + " ms (dead after " +
         text(heartbeat, "misses") + " silent), last rtt " + rtt + ", missed " +
         text(heartbeat, "missed");
}

/// One row per gateway: role, address, then what is known about it.
struct GatewayRow {
  std::string role;
  std::string address;
  std::string details;
  std::string error;  ///< `connect-refused: refused the connection ...`, or empty
};

std::vector<GatewayRow> gateway_rows(const Json& doc, WallTime now) {
  std::vector<GatewayRow> rows;
  const Json* gateways = member(&doc, "gateways");
  const std::string in_use = text(&doc, "gateway");
  if (gateways != nullptr && gateways->is_array() && !gateways->empty()) {
    for (const Json& gateway : *gateways) {
      GatewayRow row{text(&gateway, "role"), text(&gateway, "address"), {}, {}};
      std::vector<std::string> details;
      if (member(&doc, "gateway") != nullptr && row.address == in_use) details.push_back("in use");
      if (const Json* seen = member(&gateway, "last_seen")) {
        const std::optional<WallTime> time = time_of(seen);
        details.push_back("last seen " + (time ? short_time(*time, now) : text(seen)));
      }
      for (const std::string& detail : details) {
        row.details += (row.details.empty() ? "" : ", ") + detail;
      }
      if (const auto key = raw_string_of(&gateway, "last_error")) {
        row.error = "last error " + printable(*key) + ": " + *last_error_phrase(&gateway);
      } else if (const Json* error = member(&gateway, "last_error")) {
        row.error = "last error " + text(error);
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }
  // No per-gateway rows (an older agent, or none yet): the topology's order alone.
  const Json* topology = member(&doc, "topology");
  if (const Json* primary = member(topology, "primary")) {
    rows.push_back({"primary", text(primary), {}, {}});
  }
  if (const Json* failover = member(topology, "failover"); failover && failover->is_array()) {
    for (const Json& address : *failover) rows.push_back({"failover", text(&address), {}, {}});
  }
  return rows;
}

/// Whether the topology in use is the management group's own: signed by a pinned key, or why not.
std::string signature_summary(const Json* topology) {
  const Json* keys = member(topology, "pinned_keys");
  if (keys == nullptr || !keys->is_number_unsigned() || keys->get<std::uint64_t>() == 0) {
    return "not checked: no management-group key pinned (any gateway may change the topology)";
  }
  if (const Json* by = member(topology, "signed_by")) return "signed by " + text(by);
  return "not signed (" + text(keys) + " key(s) pinned: only a signed push will be applied)";
}

/// "generation 3 of epoch 1764590400", or "generation 3" where the epoch is 0 or unknown.
std::string version_text(const Json* topology) {
  std::string out = "generation " + text(topology, "generation");
  const Json* epoch = member(topology, "epoch");
  if (epoch != nullptr && epoch->is_number_unsigned() && epoch->get<std::uint64_t>() != 0) {
    out += " of epoch " + text(epoch);
  }
  return out;
}

void add_topology(std::string& out, const Json& doc, WallTime now) {
  const Json* topology = member(&doc, "topology");
  std::string summary = version_text(topology) + " (" + text(topology, "source") + ")";
  if (const Json* good = member(topology, "last_known_good")) {
    summary += ", last known good " + text(good);
  }
  add_line(out, "topology", summary);
  add_line(out, "signature", signature_summary(topology));

  const std::vector<GatewayRow> rows = gateway_rows(doc, now);
  std::size_t width = 0;
  for (const GatewayRow& row : rows) width = std::max(width, columns_of(row.address));
  for (const GatewayRow& row : rows) {
    std::string line = "  " + padded(row.role, kRoleWidth) + " " + row.address;
    if (!row.details.empty()) {
      line = padded(std::move(line), 2 + kRoleWidth + 1 + width) + "   " + row.details;
    }
    out += wrap(line, kLabelWidth) + '\n';
    if (!row.error.empty()) out += wrap(std::string(kLabelWidth, ' ') + row.error, kLabelWidth) + '\n';
  }
  if (const Json* probe = member(&doc, "next_probe")) {
    out += "  next failback probe " + moment(probe, now) + '\n';
  }
  if (const Json* standby = member(&doc, "standby")) {
    std::string line = "  warm standby " + text(standby, "gateway") + " (" +
                       text(standby, "state") + ", heartbeat every " +
                       text(standby, "interval_ms") + " ms";
    if (member(standby, "last_rtt_ms") != nullptr)
      line += ", rtt " + text(standby, "last_rtt_ms") + " ms";
    out += wrap(line + ")", kLabelWidth) + '\n';
  }
  if (const Json* failback = member(&doc, "failback")) {
    std::string window = "  failback after " + text(failback, "stable_window_ms") + " ms stable";
    if (const Json* damped = member(failback, "damped");
        damped && damped->is_boolean() && damped->get<bool>()) {
      window += " (damped after a flap; configured " + text(failback, "configured_window_ms") +
                " ms)";
    }
    out += wrap(window, kLabelWidth) + '\n';
  }
}

void add_pending(std::string& out, const Json& doc, WallTime now) {
  const Json* pending = member(member(&doc, "topology"), "pending");
  if (pending == nullptr) {
    add_line(out, "pending", "none");
    return;
  }
  add_line(out, "pending",
           version_text(pending) + ": primary " + text(pending, "primary") + ", failover " +
               list_text(member(pending, "failover")));
  std::string waiting =
      std::string(kLabelWidth, ' ') + "waiting since " + moment(member(pending, "since"), now);
  if (const Json* error = member(pending, "last_error")) waiting += ", last error: " + text(error);
  out += wrap(waiting, kLabelWidth) + '\n';
}

std::string counters_text(const Json& doc) {
  const Json* counters = member(&doc, "counters");
  return "failovers " + text(counters, "failovers") + ", failbacks " + text(counters, "failbacks") +
         ", reconnects " + text(counters, "reconnects") + ", heartbeats missed " +
         text(counters, "heartbeats_missed");
}

/// `CN=agent1, expires 2027-11-25 (365 days)`.
std::string certificate_text(const Json& doc) {
  const Json* certificate = member(&doc, "certificate");
  const Json* not_after = member(certificate, "not_after");
  if (member(certificate, "subject") == nullptr && not_after == nullptr) {
    return std::string(kMissing);  // no certificate loaded (yet)
  }
  std::string out = text(certificate, "subject");
  const std::optional<WallTime> expiry = time_of(not_after);
  out += ", expires " + (expiry ? date_and_time(*expiry).substr(0, 10) : text(not_after));
  if (const Json* days = member(certificate, "days_left"); days && days->is_number_integer()) {
    const auto count = days->get<std::int64_t>();
    out += count >= 0 ? " (" + std::to_string(count) + " days)"
                      : " (expired " + std::to_string(-count) + " days ago)";
  }
  return out;
}

/// One `warning` line per certificate warning and a `renewal` line while renewed files are
/// refused: what a technician must act on before the gateways refuse this agent.
void add_certificate_problems(std::string& out, const Json& doc) {
  const Json* certificate = member(&doc, "certificate");
  if (const Json* warnings = member(certificate, "warnings"); warnings && warnings->is_array()) {
    for (const Json& warning : *warnings) add_line(out, "warning", text(&warning, "message"));
  }
  if (const Json* refused = member(certificate, "reload_error")) {
    add_line(out, "renewal",
             "refused (" + text(refused, "reason") + "): " + text(refused, "message") +
                 "; the previous files stay in use");
  }
}

// ---- topology -------------------------------------------------------------------------------

void add_row(std::string& out, const std::string& label, const std::string& content) {
  out += wrap(padded("  " + label, kRowLabelWidth) + content, kRowLabelWidth) + '\n';
}

/// `received from gw1... at 2026-11-25 16:10:00Z (8m28s)`, when the document says so.
void add_received(std::string& out, const Json* topology, const char* at_key, WallTime now) {
  const Json* from = member(topology, "received_from");
  const Json* at = member(topology, at_key);
  if (from == nullptr && at == nullptr) return;
  std::string line;
  if (from != nullptr) line += "from " + text(from);
  if (at != nullptr) line += (line.empty() ? "" : " ") + std::string("at ") + moment(at, now);
  add_row(out, "received", line);
}

void add_gateways(std::string& out, const Json* topology) {
  add_row(out, "primary", text(topology, "primary"));
  const Json* failover = member(topology, "failover");
  if (failover == nullptr || !failover->is_array()) {
    add_row(out, "failover", text(failover));
    return;
  }
  if (failover->empty()) add_row(out, "failover", "none");
  std::size_t n = 0;
  for (const Json& address : *failover) add_row(out, "failover " + std::to_string(++n), text(&address));
}

}  // namespace

std::string wrap(const std::string& line, std::size_t indent, std::size_t columns) {
  if (columns_of(line) <= columns) return line;
  const std::size_t lead = line.find_first_not_of(' ');
  if (lead == std::string::npos) return line;
  std::string out;
  std::string current = line.substr(0, lead);  // a label's padding belongs to the first piece
  std::string gap;                             // the spaces before the next word, as written
  bool fresh = true;                           // nothing but indentation on `current` yet
  for (std::size_t pos = lead; pos < line.size();) {
    std::size_t end = line.find(' ', pos);
    if (end == std::string::npos) end = line.size();
    // A date keeps its time on the same line: `2026-11-25 16:18:32Z` is one word here.
    if (is_date(std::string_view(line).substr(pos, end - pos)) && end < line.size()) {
      end = line.find(' ', end + 1);
      if (end == std::string::npos) end = line.size();
    }
    const std::string_view word = std::string_view(line).substr(pos, end - pos);
    if (!fresh && columns_of(current) + gap.size() + columns_of(word) > columns) {
      out += current + '\n';
      current.assign(indent, ' ');
      fresh = true;
    }
    if (!fresh) current += gap;
    current += word;
    fresh = false;
    std::size_t next = line.find_first_not_of(' ', end);
    if (next == std::string::npos) next = line.size();
    gap = line.substr(end, next - end);
    pos = next;
  }
  return out + current;
}

std::string render_status_text(const nlohmann::ordered_json& document, WallTime now) {
  const StatusSummary summary = summarize_status(document, now);
  std::string out;
  add_line(out, "status", summary.headline);
  if (!summary.why.empty()) add_line(out, "why", summary.why);
  add_line(out, "agent", agent_text(document));
  add_line(out, "state", state_text(document, now));
  if (member(&document, "gateway") != nullptr) add_line(out, "gateway", gateway_text(document));
  add_line(out, "heartbeat", heartbeat_text(document));
  add_topology(out, document, now);
  add_pending(out, document, now);
  add_line(out, "counters", counters_text(document));
  add_line(out, "certificate", certificate_text(document));
  add_certificate_problems(out, document);
  return out;
}

std::string render_topology_text(const nlohmann::ordered_json& document, WallTime now) {
  const Json* topology = member(&document, "topology");
  std::string out = "in use: " + version_text(topology) + " (" + text(topology, "source") + ")\n";
  add_received(out, topology, "received_at", now);
  add_gateways(out, topology);

  const Json* pending = member(topology, "pending");
  if (pending == nullptr) {
    out += "pending: none\n";
  } else {
    out += "pending: " + version_text(pending) + ", waiting for its primary\n";
    add_received(out, pending, "since", now);
    add_gateways(out, pending);
    if (const auto error = raw_string_of(pending, "last_error")) {
      add_row(out, "last error", printable(*error) + ": " + *last_error_phrase(pending));
    }
  }

  const Json* good = member(topology, "last_known_good_topology");
  if (good != nullptr) {
    out += "last known good (kept to fall back on): " + version_text(good) + "\n";
    add_received(out, good, "received_at", now);
    add_gateways(out, good);
  } else if (const Json* generation = member(topology, "last_known_good")) {
    out += "last known good: generation " + text(generation) + "\n";
  } else {
    out += "last known good: none\n";
  }
  return out;
}

nlohmann::ordered_json topology_json(const nlohmann::ordered_json& document) {
  const Json* topology = member(&document, "topology");
  const auto copy = [](const Json* value) { return value != nullptr ? *value : Json(nullptr); };
  Json current = Json::object();
  for (const char* key : {"epoch", "generation", "source", "primary", "failover", "received_from",
                          "received_at", "signed_by"}) {
    current[key] = copy(member(topology, key));
  }
  Json out = Json::object();
  out["current"] = std::move(current);
  out["pending"] = copy(member(topology, "pending"));
  Json good = copy(member(topology, "last_known_good_topology"));
  if (good.is_null()) {
    if (const Json* generation = member(topology, "last_known_good")) {
      good = Json::object();
      good["generation"] = *generation;
    }
  }
  out["last_known_good"] = std::move(good);
  return out;
}

}  // namespace gatelink
