#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "status/status_snapshot.hpp"
#include "status/status_time.hpp"
#include "unit/status_samples.hpp"

namespace gatelink {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;

const WallTime kNow = sys_days{year{2026} / 11 / 25} + hours{16} + minutes{18} + seconds{28};

/// Every optional field set.
StatusSnapshot full_snapshot() {
  StatusSnapshot s = test::connected_snapshot(kNow);
  s.heartbeat = {1000, 3, 0.41234, 1};
  s.failback = {60000, 30000};
  s.topology.generation = 7;
  s.topology.source = "pushed";
  s.topology.failover.push_back("127.0.0.1:15803");
  s.topology.pending = PendingTopologyStatus{0,
                                             8,
                                             "gw9.example.test:5723",
                                             {"gw1.example.test:5723"},
                                             kNow - seconds{30},
                                             "connect-refused",
                                             "gw1.example.test@127.0.0.1:15801",
                                             "Connection refused"};
  s.topology.last_known_good = 6;
  s.topology.received_from = "gw2.example.test@127.0.0.1:15802";
  s.topology.received_at = kNow - hours{1};
  s.topology.last_known_good_topology = StoredTopologyStatus{
      0, 6, "gw1.example.test:5723", {"gw2.example.test:5723"}, "", std::nullopt};
  s.attempt = StatusSnapshot::Attempt{"127.0.0.1:15803", 2};
  s.counters = {2, 1, 3, 4};
  s.next_retry = kNow + seconds{4};
  s.next_probe = kNow + seconds{30};
  s.standby = StatusSnapshot::Standby{.gateway = "127.0.0.1:15804",
                                      .position = 3,
                                      .state = "healthy",
                                      .interval_ms = 5000,
                                      .last_rtt_ms = 0.4};
  return s;
}

std::set<std::string> keys(const Json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) out.insert(key);
  return out;
}

TEST(StatusJson, holds_exactly_the_fields_of_the_design) {
  for (const StatusSnapshot& snapshot : {full_snapshot(), StatusSnapshot{}}) {
    const Json doc = Json::parse(to_json(snapshot));
    EXPECT_EQ(keys(doc),
              (std::set<std::string>{"version", "agent", "management_group", "state", "gateway",
                                     "gateway_name", "role", "position", "since", "attempt",
                                     "heartbeat", "topology", "gateways", "standby", "failback",
                                     "counters", "certificate", "next_retry", "next_probe"}));
    EXPECT_EQ(keys(doc["heartbeat"]),
              (std::set<std::string>{"interval_ms", "misses", "last_rtt_ms", "missed"}));
    EXPECT_EQ(keys(doc["failback"]),
              (std::set<std::string>{"stable_window_ms", "configured_window_ms", "damped"}));
    EXPECT_EQ(
        keys(doc["topology"]),
        (std::set<std::string>{"epoch", "generation", "source", "primary", "failover", "pending",
                               "last_known_good", "received_from", "received_at",
                               "last_known_good_topology", "signed", "signed_by", "pinned_keys"}));
    EXPECT_EQ(keys(doc["counters"]),
              (std::set<std::string>{"failovers", "failbacks", "reconnects", "heartbeats_missed"}));
    EXPECT_EQ(keys(doc["certificate"]),
              (std::set<std::string>{"subject", "not_after", "days_left", "issuer", "loaded_at",
                                     "warning", "warnings", "crl", "reload_error"}));
  }
}

TEST(StatusJson, full_snapshot_has_values_of_the_right_types) {
  const Json doc = Json::parse(to_json(full_snapshot()));
  EXPECT_EQ(doc["version"], "0.1.0");
  EXPECT_EQ(doc["agent"], "web01.example.test");
  EXPECT_EQ(doc["management_group"], "EXAMPLE");
  EXPECT_EQ(doc["state"], "connected");
  EXPECT_EQ(doc["gateway"], "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(doc["gateway_name"], "gw1.example.test");
  EXPECT_EQ(doc["role"], "primary");
  EXPECT_TRUE(doc["position"].is_number_unsigned());
  EXPECT_EQ(doc["position"], 0);
  EXPECT_EQ(doc["since"], "2026-11-25T16:15:16.000Z");

  EXPECT_TRUE(doc["heartbeat"]["interval_ms"].is_number_unsigned());
  EXPECT_EQ(doc["heartbeat"]["interval_ms"], 1000);
  EXPECT_TRUE(doc["heartbeat"]["last_rtt_ms"].is_number_float());
  EXPECT_DOUBLE_EQ(doc["heartbeat"]["last_rtt_ms"].get<double>(), 0.412);
  EXPECT_EQ(doc["heartbeat"]["missed"], 1);

  const Json& topology = doc["topology"];
  EXPECT_EQ(topology["generation"], 7);
  EXPECT_EQ(topology["source"], "pushed");
  EXPECT_EQ(topology["primary"], "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(topology["failover"],
            Json::array({"gw2.example.test@127.0.0.1:15802", "127.0.0.1:15803"}));
  EXPECT_EQ(topology["last_known_good"], 6);
  const Json& pending = topology["pending"];
  ASSERT_TRUE(pending.is_object());
  EXPECT_EQ(keys(pending),
            (std::set<std::string>{"epoch", "generation", "primary", "failover", "since",
                                   "last_error", "last_error_detail", "received_from"}));
  EXPECT_EQ(pending["received_from"], "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(topology["received_from"], "gw2.example.test@127.0.0.1:15802");
  EXPECT_EQ(topology["received_at"], "2026-11-25T15:18:28.000Z");
  // The whole last-known-good topology; the bootstrap list has no sender (null, not "").
  EXPECT_EQ(topology["last_known_good_topology"], (Json{{"epoch", 0},
                                                        {"generation", 6},
                                                        {"primary", "gw1.example.test:5723"},
                                                        {"failover", {"gw2.example.test:5723"}},
                                                        {"received_from", nullptr},
                                                        {"received_at", nullptr}}));
  EXPECT_EQ(doc["attempt"], (Json{{"gateway", "127.0.0.1:15803"}, {"position", 2}}));
  EXPECT_EQ(pending["generation"], 8);
  EXPECT_EQ(pending["primary"], "gw9.example.test:5723");
  EXPECT_EQ(pending["failover"], Json::array({"gw1.example.test:5723"}));
  EXPECT_EQ(pending["since"], "2026-11-25T16:17:58.000Z");
  EXPECT_EQ(pending["last_error"], "connect-refused");
  EXPECT_EQ(pending["last_error_detail"], "Connection refused");

  const Json& gateways = doc["gateways"];
  ASSERT_TRUE(gateways.is_array());
  ASSERT_EQ(gateways.size(), 2u);
  for (const Json& gateway : gateways) {
    EXPECT_EQ(keys(gateway), (std::set<std::string>{"address", "role", "last_error",
                                                    "last_error_detail", "last_seen"}));
  }
  EXPECT_EQ(gateways[0]["role"], "primary");
  EXPECT_TRUE(gateways[0]["last_error"].is_null());
  EXPECT_EQ(gateways[0]["last_seen"], "2026-11-25T16:18:27.000Z");
  EXPECT_EQ(gateways[1]["role"], "failover");
  EXPECT_EQ(gateways[1]["last_error"], "connect-refused");
  EXPECT_TRUE(gateways[1]["last_seen"].is_null());
  EXPECT_TRUE(gateways[1]["last_error_detail"].is_null());

  EXPECT_EQ(
      doc["counters"],
      (Json{{"failovers", 2}, {"failbacks", 1}, {"reconnects", 3}, {"heartbeats_missed", 4}}));
  EXPECT_EQ(doc["failback"],
            (Json{{"stable_window_ms", 60000}, {"configured_window_ms", 30000}, {"damped", true}}));
  EXPECT_EQ(doc["heartbeat"]["misses"], 3);
  EXPECT_EQ(doc["certificate"]["subject"], "CN=agent1.example.test");
  EXPECT_EQ(doc["certificate"]["not_after"], "2027-11-25T16:18:28.000Z");
  EXPECT_TRUE(doc["certificate"]["days_left"].is_number_integer());
  EXPECT_EQ(doc["certificate"]["days_left"], 365);
  EXPECT_EQ(doc["next_retry"], "2026-11-25T16:18:32.000Z");
  EXPECT_EQ(doc["next_probe"], "2026-11-25T16:18:58.000Z");
  EXPECT_EQ(doc["standby"], (Json{{"gateway", "127.0.0.1:15804"},
                                  {"position", 3},
                                  {"state", "healthy"},
                                  {"interval_ms", 5000},
                                  {"last_rtt_ms", 0.4}}));
}

TEST(StatusJson, empty_snapshot_says_null_instead_of_inventing_data) {
  const Json doc = Json::parse(to_json(StatusSnapshot{}));
  EXPECT_EQ(doc["state"], "connecting");
  for (const char* key : {"version", "gateway", "gateway_name", "role", "position", "since",
                          "attempt", "standby", "next_retry", "next_probe"}) {
    EXPECT_TRUE(doc[key].is_null()) << key;
  }
  EXPECT_TRUE(doc["heartbeat"]["last_rtt_ms"].is_null());
  EXPECT_EQ(doc["heartbeat"]["interval_ms"], 0);
  EXPECT_EQ(doc["topology"]["generation"], 0);
  EXPECT_EQ(doc["topology"]["source"], "bootstrap");
  EXPECT_TRUE(doc["topology"]["primary"].is_null());
  EXPECT_EQ(doc["topology"]["failover"], Json::array());
  EXPECT_TRUE(doc["topology"]["pending"].is_null());
  for (const char* key :
       {"last_known_good", "received_from", "received_at", "last_known_good_topology"}) {
    EXPECT_TRUE(doc["topology"][key].is_null()) << key;
  }
  EXPECT_EQ(doc["gateways"], Json::array());
  for (const char* key : {"subject", "not_after", "days_left"}) {
    EXPECT_TRUE(doc["certificate"][key].is_null()) << key;
  }
  for (const auto& [key, value] : doc["counters"].items()) EXPECT_EQ(value, 0) << key;
}

TEST(StatusJson, every_state_has_its_design_name) {
  StatusSnapshot snapshot;
  for (const auto& [state, name] : {std::pair{ConnectionState::connecting, "connecting"},
                                    std::pair{ConnectionState::connected, "connected"},
                                    std::pair{ConnectionState::backoff, "backoff"},
                                    std::pair{ConnectionState::stopped, "stopped"}}) {
    snapshot.state = state;
    EXPECT_EQ(to_string(state), name);
    EXPECT_EQ(Json::parse(to_json(snapshot))["state"], name);
  }
}

TEST(StatusJson, rtt_keeps_microsecond_resolution) {
  StatusSnapshot snapshot;
  snapshot.heartbeat.last_rtt_ms = 12.3456789;
  EXPECT_EQ(Json::parse(to_json(snapshot))["heartbeat"]["last_rtt_ms"].dump(), "12.346");
  snapshot.heartbeat.last_rtt_ms = 0.0004;
  EXPECT_EQ(Json::parse(to_json(snapshot))["heartbeat"]["last_rtt_ms"].dump(), "0.0");
}

TEST(StatusJson, bytes_that_are_not_utf8_do_not_break_the_document) {
  StatusSnapshot snapshot;
  snapshot.certificate.subject = "CN=\xff\xfe";
  snapshot.gateways = {{"gw1:5723", "primary", std::string("bad \xc3"), std::nullopt,
                        std::string("\xff detail")}};
  const Json doc = Json::parse(to_json(snapshot));
  EXPECT_TRUE(doc["gateways"][0]["last_error_detail"].is_string());
  EXPECT_TRUE(doc["certificate"]["subject"].is_string());
  EXPECT_TRUE(doc["gateways"][0]["last_error"].is_string());
}

TEST(StatusJson, document_is_one_line_and_fits_the_protocol_bound) {
  StatusSnapshot snapshot = full_snapshot();
  snapshot.gateways[1].last_error = "line one\nline two";
  const std::string text = to_json(snapshot);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_LT(text.size(), kMaxStatusResponse);
}

}  // namespace
}  // namespace gatelink
