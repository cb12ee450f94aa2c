// The status snapshot as the JSON object of DESIGN "Local status". Keys keep the order DESIGN
// lists them in (ordered_json) so that `status --json` reads top-down like the text form.

#include <cmath>
#include <nlohmann/json.hpp>

#include "status/status_snapshot.hpp"
#include "status/status_time.hpp"

namespace gatelink {
namespace {

using Json = nlohmann::ordered_json;

Json time_or_null(const std::optional<WallTime>& time) {
  return time ? Json(format_utc_time(*time)) : Json(nullptr);
}

template <class T>
Json value_or_null(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

/// Empty strings in the snapshot mean "not known yet": null, never an invented "".
Json text_or_null(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

/// Milliseconds with three decimals (microsecond resolution): more digits are noise.
Json rtt_or_null(const std::optional<double>& rtt_ms) {
  if (!rtt_ms) return nullptr;
  return std::round(*rtt_ms * 1000.0) / 1000.0;
}

Json pending_json(const std::optional<PendingTopologyStatus>& pending) {
  if (!pending) return nullptr;
  Json out = Json::object();
  out["epoch"] = pending->epoch;
  out["generation"] = pending->generation;
  out["primary"] = text_or_null(pending->primary);
  out["failover"] = pending->failover;
  out["since"] = format_utc_time(pending->since);
  out["last_error"] = value_or_null(pending->last_error);
  out["last_error_detail"] = value_or_null(pending->last_error_detail);
  out["received_from"] = text_or_null(pending->received_from);
  return out;
}

Json stored_json(const std::optional<StoredTopologyStatus>& stored) {
  if (!stored) return nullptr;
  Json out = Json::object();
  out["epoch"] = stored->epoch;
  out["generation"] = stored->generation;
  out["primary"] = text_or_null(stored->primary);
  out["failover"] = stored->failover;
  out["received_from"] = text_or_null(stored->received_from);
  out["received_at"] = time_or_null(stored->received_at);
  return out;
}

Json attempt_json(const std::optional<StatusSnapshot::Attempt>& attempt) {
  if (!attempt) return nullptr;
  Json out = Json::object();
  out["gateway"] = attempt->gateway;
  out["position"] = attempt->position;
  return out;
}

Json standby_json(const std::optional<StatusSnapshot::Standby>& standby) {
  if (!standby) return nullptr;
  Json out = Json::object();
  out["gateway"] = standby->gateway;
  out["position"] = standby->position;
  out["state"] = standby->state;
  out["interval_ms"] = standby->interval_ms;
  out["last_rtt_ms"] = rtt_or_null(standby->last_rtt_ms);
  return out;
}

Json gateways_json(const std::vector<GatewayStatus>& gateways) {
  Json out = Json::array();
  for (const GatewayStatus& gateway : gateways) {
    Json row = Json::object();
    row["address"] = gateway.address;
    row["role"] = gateway.role;
    row["last_error"] = value_or_null(gateway.last_error);
    row["last_error_detail"] = value_or_null(gateway.last_error_detail);
    row["last_seen"] = time_or_null(gateway.last_seen);
    out.push_back(std::move(row));
  }
  return out;
}

Json certificate_json(const StatusSnapshot::Certificate& cert) {
  Json out = Json::object();
  out["subject"] = text_or_null(cert.subject);
  out["issuer"] = text_or_null(cert.issuer);
  out["not_after"] = time_or_null(cert.not_after);
  out["days_left"] = value_or_null(cert.days_left);
  out["loaded_at"] = time_or_null(cert.loaded_at);
  // The first warning's sentence on its own, for readers that show one line.
  out["warning"] = cert.warnings.empty() ? Json(nullptr) : Json(cert.warnings.front().message);
  Json warnings = Json::array();
  for (const auto& warning : cert.warnings) {
    Json row = Json::object();
    row["reason"] = warning.reason;
    row["message"] = warning.message;
    warnings.push_back(std::move(row));
  }
  out["warnings"] = std::move(warnings);
  if (cert.crl) {
    Json crl = Json::object();
    crl["issuer"] = text_or_null(cert.crl->issuer);
    crl["next_update"] = time_or_null(cert.crl->next_update);
    crl["expired"] = cert.crl->expired;
    out["crl"] = std::move(crl);
  } else {
    out["crl"] = nullptr;
  }
  if (cert.reload_error) {
    Json error = Json::object();
    error["file"] = cert.reload_error->file;
    error["reason"] = cert.reload_error->reason;
    error["message"] = cert.reload_error->message;
    out["reload_error"] = std::move(error);
  } else {
    out["reload_error"] = nullptr;
  }
  return out;
}

}  // namespace

std::string_view to_string(ConnectionState state) {
  switch (state) {
    case ConnectionState::connecting:
      return "connecting";
    case ConnectionState::connected:
      return "connected";
    case ConnectionState::backoff:
      return "backoff";
    case ConnectionState::stopped:
      return "stopped";
  }
  return "unknown";
}

std::string to_json(const StatusSnapshot& snapshot) {
  Json doc = Json::object();
  doc["version"] = text_or_null(snapshot.version);
  doc["agent"] = snapshot.agent;
  doc["management_group"] = snapshot.management_group;
  doc["state"] = std::string(to_string(snapshot.state));
  doc["gateway"] = value_or_null(snapshot.gateway);
  doc["gateway_name"] = value_or_null(snapshot.gateway_name);
  doc["role"] = value_or_null(snapshot.role);
  doc["position"] = value_or_null(snapshot.position);
  doc["since"] = time_or_null(snapshot.since);
  doc["attempt"] = attempt_json(snapshot.attempt);

  // Sub-objects are built whole and then moved in: ordered_json keeps its members in a vector,
  // so a reference into `doc` would not survive the next key.
  Json heartbeat = Json::object();
  heartbeat["interval_ms"] = snapshot.heartbeat.interval_ms;
  heartbeat["misses"] = snapshot.heartbeat.misses;
  heartbeat["last_rtt_ms"] = rtt_or_null(snapshot.heartbeat.last_rtt_ms);
  heartbeat["missed"] = snapshot.heartbeat.missed;
  doc["heartbeat"] = std::move(heartbeat);

  const StatusSnapshot::Topology& topology = snapshot.topology;
  Json topology_json = Json::object();
  topology_json["epoch"] = topology.epoch;
  topology_json["generation"] = topology.generation;
  topology_json["source"] = topology.source;
  topology_json["primary"] = text_or_null(topology.primary);
  topology_json["failover"] = topology.failover;
  topology_json["pending"] = pending_json(topology.pending);
  topology_json["last_known_good"] = value_or_null(topology.last_known_good);
  topology_json["received_from"] = text_or_null(topology.received_from);
  topology_json["received_at"] = time_or_null(topology.received_at);
  topology_json["last_known_good_topology"] = stored_json(topology.last_known_good_topology);
  topology_json["signed"] = !topology.signed_by.empty();
  topology_json["signed_by"] = text_or_null(topology.signed_by);
  topology_json["pinned_keys"] = topology.pinned_keys;
  doc["topology"] = std::move(topology_json);

  doc["gateways"] = gateways_json(snapshot.gateways);
  doc["standby"] = standby_json(snapshot.standby);

  Json failback = Json::object();
  failback["stable_window_ms"] = snapshot.failback.stable_window_ms;
  failback["configured_window_ms"] = snapshot.failback.configured_window_ms;
  failback["damped"] = snapshot.failback.stable_window_ms > snapshot.failback.configured_window_ms;
  doc["failback"] = std::move(failback);

  Json counters = Json::object();
  counters["failovers"] = snapshot.counters.failovers;
  counters["failbacks"] = snapshot.counters.failbacks;
  counters["reconnects"] = snapshot.counters.reconnects;
  counters["heartbeats_missed"] = snapshot.counters.heartbeats_missed;
  doc["counters"] = std::move(counters);

  doc["certificate"] = certificate_json(snapshot.certificate);

  doc["next_retry"] = time_or_null(snapshot.next_retry);
  doc["next_probe"] = time_or_null(snapshot.next_probe);

  // Names and errors can come from certificates and gateways: never let a stray byte that is
  // not UTF-8 turn a status request into an exception.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace gatelink
