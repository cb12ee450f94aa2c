#include "status_text.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "common/escape.hpp"
#include "status/status_time.hpp"

namespace gatelink {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kMissing = "—";
constexpr std::size_t kLabelWidth = 12;
constexpr std::size_t kRoleWidth = 9;

/// `object[key]`, or nullptr when `object` is not an object, lacks the key or holds null there.
const Json* member(const Json* object, const char* key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  const auto found = object->find(key);
  if (found == object->end() || found->is_null()) return nullptr;
  return &*found;
}

// Names and errors can come from gateways and certificates: every string goes through
// printable() (common/escape.hpp), so no escape sequence or bidi override reaches a terminal.

/// A value as text: a string as it is, anything else as its JSON, a missing one as `—`.
std::string text(const Json* value) {
  if (value == nullptr) return std::string(kMissing);
  if (value->is_string()) return printable(value->get_ref<const std::string&>());
  return printable(value->dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string text(const Json* object, const char* key) { return text(member(object, key)); }

/// A list as `a, b, c` (`none` when empty); anything else as text().
std::string list_text(const Json* value) {
  if (value == nullptr || !value->is_array()) return text(value);
  if (value->empty()) return "none";
  std::string out;
  for (const Json& item : *value) {
    if (!out.empty()) out += ", ";
    out += text(&item);
  }
  return out;
}

std::optional<WallTime> time_of(const Json* value) {
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return parse_utc_time(value->get_ref<const std::string&>());
}

/// `2026-11-25 16:15:16Z`.
std::string date_and_time(WallTime time) {
  const std::string iso = format_utc_time(time);
  return iso.substr(0, 10) + " " + iso.substr(11, 8) + "Z";
}

/// `16:18:27Z` on the day of `now`, the full date and time on any other.
std::string short_time(WallTime time, WallTime now) {
  const std::string full = date_and_time(time);
  return full.substr(0, 10) == date_and_time(now).substr(0, 10) ? full.substr(11) : full;
}

/// `2026-11-25 16:15:16Z (3m12s)` for the past, `... (in 4s)` for the future; a time that does
/// not parse is shown as sent.
std::string moment(const Json* value, WallTime now) {
  using std::chrono::seconds;
  const std::optional<WallTime> time = time_of(value);
  if (!time) return text(value);
  if (*time <= now) {
    return date_and_time(*time) + " (" +
           format_span(std::chrono::duration_cast<seconds>(now - *time)) + ")";
  }
  return date_and_time(*time) + " (in " + format_span(std::chrono::ceil<seconds>(*time - now)) +
         ")";
}

std::string padded(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

void add_line(std::string& out, std::string_view label, const std::string& content) {
  out += label;
  out.append(label.size() < kLabelWidth ? kLabelWidth - label.size() : 1, ' ');
  out += content;
  out += '\n';
}

std::string agent_text(const Json& doc) {
  std::string out = text(&doc, "agent") + "  (management group " + text(&doc, "management_group");
  if (const Json* version = member(&doc, "version")) out += ", gatelink " + text(version);
  return out + ")";
}

/// `connected to GW (primary) since T (age)`, `backoff since T (age), next attempt T (in 4s)`.
std::string state_text(const Json& doc, WallTime now) {
  std::string out = text(&doc, "state");
  const Json* gateway = member(&doc, "gateway");
  if (gateway != nullptr) out += " to " + text(gateway);
  if (const Json* role = member(&doc, "role")) out += " (" + text(role) + ")";
  // The name the gateway gave itself, where the address does not already say it.
  if (const Json* name = member(&doc, "gateway_name");
      name != nullptr && text(gateway).find(text(name)) == std::string::npos) {
    out += " [" + text(name) + "]";
  }
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
};

std::vector<GatewayRow> gateway_rows(const Json& doc, WallTime now) {
  std::vector<GatewayRow> rows;
  const Json* gateways = member(&doc, "gateways");
  const std::string in_use = text(&doc, "gateway");
  if (gateways != nullptr && gateways->is_array() && !gateways->empty()) {
    for (const Json& gateway : *gateways) {
      GatewayRow row{text(&gateway, "role"), text(&gateway, "address"), {}};
      std::vector<std::string> details;
      if (member(&doc, "gateway") != nullptr && row.address == in_use) details.push_back("in use");
      if (const Json* seen = member(&gateway, "last_seen")) {
        const std::optional<WallTime> time = time_of(seen);
        details.push_back("last seen " + (time ? short_time(*time, now) : text(seen)));
      }
      if (const Json* error = member(&gateway, "last_error")) {
        details.push_back("last error: " + text(error));
      }
      for (const std::string& detail : details) {
        row.details += (row.details.empty() ? "" : ", ") + detail;
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }
  // No per-gateway rows (an older agent, or none yet): the topology's order alone.
  const Json* topology = member(&doc, "topology");
  if (const Json* primary = member(topology, "primary"))
    rows.push_back({"primary", text(primary), {}});
  if (const Json* failover = member(topology, "failover"); failover && failover->is_array()) {
    for (const Json& address : *failover) rows.push_back({"failover", text(&address), {}});
  }
  return rows;
}

void add_topology(std::string& out, const Json& doc, WallTime now) {
  const Json* topology = member(&doc, "topology");
  std::string summary =
      "generation " + text(topology, "generation") + " (" + text(topology, "source") + ")";
  if (const Json* good = member(topology, "last_known_good")) {
    summary += ", last known good " + text(good);
  }
  add_line(out, "topology", summary);

  const std::vector<GatewayRow> rows = gateway_rows(doc, now);
  std::size_t width = 0;
  for (const GatewayRow& row : rows) width = std::max(width, row.address.size());
  for (const GatewayRow& row : rows) {
    std::string line = "  " + padded(row.role, kRoleWidth) + " " + row.address;
    if (!row.details.empty())
      line = padded(std::move(line), 2 + kRoleWidth + 1 + width) + "   " + row.details;
    out += line + '\n';
  }
  if (const Json* probe = member(&doc, "next_probe")) {
    out += "  next failback probe " + moment(probe, now) + '\n';
  }
  if (const Json* failback = member(&doc, "failback")) {
    std::string window = "  failback after " + text(failback, "stable_window_ms") + " ms stable";
    if (const Json* damped = member(failback, "damped"); damped && damped->is_boolean() &&
                                                          damped->get<bool>()) {
      window += " (damped after a flap; configured " + text(failback, "configured_window_ms") +
                " ms)";
    }
    out += window + '\n';
  }
}

void add_pending(std::string& out, const Json& doc, WallTime now) {
  const Json* pending = member(member(&doc, "topology"), "pending");
  if (pending == nullptr) {
    add_line(out, "pending", "none");
    return;
  }
  add_line(out, "pending",
           "generation " + text(pending, "generation") + ": primary " + text(pending, "primary") +
               ", failover " + list_text(member(pending, "failover")));
  std::string waiting =
      std::string(kLabelWidth, ' ') + "waiting since " + moment(member(pending, "since"), now);
  if (const Json* error = member(pending, "last_error")) waiting += ", last error: " + text(error);
  out += waiting + '\n';
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
  out += ", expires " + (expiry ? format_utc_time(*expiry).substr(0, 10) : text(not_after));
  if (const Json* days = member(certificate, "days_left"); days && days->is_number_integer()) {
    const auto count = days->get<std::int64_t>();
    out += count >= 0 ? " (" + std::to_string(count) + " days)"
                      : " (expired " + std::to_string(-count) + " days ago)";
  }
  return out;
}

std::string two_digits(std::int64_t value) {
  return (value < 10 ? "0" : "") + std::to_string(value);
}

}  // namespace

std::string format_span(std::chrono::seconds span) {
  constexpr std::int64_t kMinute = 60;
  constexpr std::int64_t kHour = 60 * kMinute;
  constexpr std::int64_t kDay = 24 * kHour;
  const std::int64_t total = span.count() < 0 ? -span.count() : span.count();
  const std::int64_t days = total / kDay;
  const std::int64_t hours = total % kDay / kHour;
  const std::int64_t minutes = total % kHour / kMinute;
  const std::int64_t seconds = total % kMinute;
  if (days > 0) return std::to_string(days) + "d" + two_digits(hours) + "h";
  if (hours > 0) return std::to_string(hours) + "h" + two_digits(minutes) + "m";
  if (minutes > 0) return std::to_string(minutes) + "m" + two_digits(seconds) + "s";
  return std::to_string(seconds) + "s";
}

std::string render_status_text(const nlohmann::ordered_json& document, WallTime now) {
  std::string out;
  add_line(out, "agent", agent_text(document));
  add_line(out, "state", state_text(document, now));
  add_line(out, "heartbeat", heartbeat_text(document));
  add_topology(out, document, now);
  add_pending(out, document, now);
  add_line(out, "counters", counters_text(document));
  add_line(out, "certificate", certificate_text(document));
  return out;
}

}  // namespace gatelink
