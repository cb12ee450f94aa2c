// The first two lines of `gatelinkctl status` and its --json summary, for every state, and the
// phrases for every last_error key.

#include "status_summary.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/reason.hpp"
#include "status/error_phrase.hpp"
#include "unit/status_samples.hpp"

namespace gatelink {
namespace {

using namespace std::chrono;
using Json = nlohmann::ordered_json;

const WallTime kNow = sys_days{year{2026} / 11 / 25} + hours{16} + minutes{18} + seconds{28};

StatusSummary summary_of(const StatusSnapshot& snapshot) {
  return summarize_status(Json::parse(to_json(snapshot)), kNow);
}

TEST(StatusSummary, connected_on_primary_has_nothing_to_explain) {
  const StatusSummary s = summary_of(test::connected_snapshot(kNow));
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.headline, "connected to primary gw1.example.test for 3m12s");
  EXPECT_EQ(s.why, "on its primary gateway; nothing to do");
  EXPECT_EQ(s.position, 0u);
  EXPECT_EQ(s.of, 1u);
  EXPECT_EQ(s.reason, std::nullopt);
}

TEST(StatusSummary, on_failover_names_the_primary_reason_and_the_next_probe) {
  const StatusSummary s = summary_of(test::on_failover_snapshot(kNow));
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.headline, "connected to failover 1 of 2 gw2.example.test for 3m12s");
  EXPECT_EQ(s.why,
            "primary gw1.example.test: refused in the TLS handshake: its certificate has "
            "expired; next failback probe in 12s");
  EXPECT_EQ(s.reason, "expired");
  EXPECT_EQ(s.reason_gateway, "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(s.position, 1u);
  EXPECT_EQ(s.of, 2u);
}

TEST(StatusSummary, on_the_last_failover_the_earlier_ones_are_counted) {
  StatusSnapshot snapshot = test::on_failover_snapshot(kNow);
  snapshot.gateway = "gw3.example.test@127.0.0.1:15803";
  snapshot.position = 2;
  snapshot.gateways[0].last_error = "connect-timeout";
  snapshot.gateways[1].last_error = "goodbye:shutdown";
  snapshot.next_probe.reset();  // a probe is open
  const StatusSummary s = summary_of(snapshot);
  EXPECT_EQ(s.headline, "connected to failover 2 of 2 gw3.example.test for 3m12s");
  EXPECT_EQ(s.why,
            "primary gw1.example.test: did not accept the connection in time (down or "
            "firewalled); failover 1 failed too; failback probe under way");
  EXPECT_EQ(s.reason, "connect-timeout");
}

TEST(StatusSummary, connecting_names_the_gateway_tried_and_why_the_earlier_failed) {
  StatusSnapshot snapshot = test::three_gateways_not_connected(kNow, ConnectionState::connecting);
  snapshot.attempt = StatusSnapshot::Attempt{"gw2.example.test@127.0.0.1:15802", 1};
  snapshot.gateways[0].last_error = "resolve-failed";
  const StatusSummary s = summary_of(snapshot);
  EXPECT_FALSE(s.connected);
  EXPECT_EQ(s.headline,
            "NOT connected: connecting to failover 1 of 2 gw2.example.test for 2s");
  EXPECT_EQ(s.why, "primary gw1.example.test: name does not resolve (check DNS or /etc/hosts)");
  EXPECT_EQ(s.reason, "resolve-failed");
  EXPECT_EQ(s.position, 1u);
}

TEST(StatusSummary, connecting_to_the_primary_at_start_says_first_attempt) {
  StatusSnapshot snapshot = test::three_gateways_not_connected(kNow, ConnectionState::connecting);
  snapshot.attempt = StatusSnapshot::Attempt{"gw1.example.test@127.0.0.1:15801", 0};
  for (GatewayStatus& gateway : snapshot.gateways) gateway.last_error.reset();
  const StatusSummary s = summary_of(snapshot);
  EXPECT_EQ(s.headline,
            "NOT connected: connecting to primary gw1.example.test for 2s");
  EXPECT_EQ(s.why, "first attempt to the primary gateway");
  // After a backoff, the primary's last failure is still worth reading.
  snapshot.gateways[0].last_error = "connect-refused";
  EXPECT_EQ(summary_of(snapshot).why,
            "primary gw1.example.test: refused the connection (nothing listens there) (last "
            "attempt)");
}

TEST(StatusSummary, backoff_says_all_failed_when_it_tries_again_and_the_reasons) {
  StatusSnapshot snapshot = test::three_gateways_not_connected(kNow, ConnectionState::backoff);
  snapshot.gateways[0].last_error = "connect-refused";
  snapshot.gateways[2].last_error = "goodbye:busy";
  snapshot.next_retry = kNow + seconds{4};
  const StatusSummary s = summary_of(snapshot);
  EXPECT_FALSE(s.connected);
  EXPECT_EQ(s.headline, "NOT connected: all 3 gateways failed, next attempt in 4s");
  EXPECT_EQ(s.why,
            "primary gw1.example.test: refused the connection (nothing listens there); "
            "failover 2 of 2 gw3.example.test: is busy (said goodbye; the agent tries again "
            "later)");
  EXPECT_EQ(s.reason, "connect-refused");
}

TEST(StatusSummary, a_pending_topology_says_what_it_waits_for) {
  StatusSnapshot snapshot = test::connected_snapshot(kNow);
  snapshot.topology.pending = PendingTopologyStatus{
      0, 8, "gw9.example.test@127.0.0.1:15809", {}, kNow - seconds{30}, "handshake-timeout", ""};
  const StatusSummary s = summary_of(snapshot);
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.why,
            "new topology (generation 8) waits for its primary gw9.example.test: did not "
            "complete the TLS handshake in time (since 30s)");
  snapshot.topology.pending->last_error.reset();
  EXPECT_EQ(summary_of(snapshot).why,
            "new topology (generation 8) waits for its primary gw9.example.test to stay up "
            "for the stable window (since 30s)");
}

TEST(StatusSummary, a_damped_window_is_part_of_the_why) {
  StatusSnapshot snapshot = test::on_failover_snapshot(kNow);
  snapshot.failback = {120000, 30000};
  EXPECT_EQ(summary_of(snapshot).why,
            "primary gw1.example.test: refused in the TLS handshake: its certificate has "
            "expired; next failback probe in 12s; failback needs 2m00s stable after a flap "
            "(configured 30s)");
}

TEST(StatusSummary, stopped_and_unknown_states_are_not_connected) {
  StatusSnapshot snapshot = test::not_connected_snapshot(kNow, ConnectionState::stopped);
  StatusSummary s = summary_of(snapshot);
  EXPECT_FALSE(s.connected);
  EXPECT_EQ(s.headline, "NOT connected: the agent is stopping");
  s = summarize_status(Json::parse(R"({"state": "dreaming"})"), kNow);
  EXPECT_FALSE(s.connected);
  EXPECT_EQ(s.headline, "NOT connected: state dreaming");
}

TEST(StatusSummary, json_carries_the_same_with_position_and_count) {
  const Json json = summary_json(summary_of(test::on_failover_snapshot(kNow)));
  EXPECT_EQ(json["connected"], true);
  EXPECT_EQ(json["text"], "connected to failover 1 of 2 gw2.example.test for 3m12s");
  EXPECT_EQ(json["why"].get<std::string>().rfind("primary gw1.example.test: ", 0), 0u);
  EXPECT_EQ(json["reason"], "expired");
  EXPECT_EQ(json["reason_gateway"], "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(json["position"], 1);
  EXPECT_EQ(json["of"], 2);
}

TEST(StatusSummary, peer_strings_in_the_summary_are_printable) {
  StatusSnapshot snapshot = test::on_failover_snapshot(kNow);
  snapshot.gateways[0].last_error = "goodbye:\x1b[31mred\xe2\x80\xae";
  const StatusSummary s = summary_of(snapshot);
  EXPECT_EQ(s.why.find('\x1b'), std::string::npos) << s.why;
  EXPECT_EQ(s.why.find("\xe2\x80\xae"), std::string::npos) << s.why;
  EXPECT_NE(s.why.find("said goodbye: \\x1b[31mred\\u202e"), std::string::npos) << s.why;
}

TEST(StatusSummary, a_vague_reason_is_followed_by_its_detail) {
  StatusSnapshot snapshot = test::on_failover_snapshot(kNow);
  snapshot.gateways[0].last_error = "handshake-failed";
  snapshot.gateways[0].last_error_detail = "wrong version number\x1b[2J";
  const StatusSummary s = summary_of(snapshot);
  EXPECT_EQ(s.why,
            "primary gw1.example.test: failed the TLS handshake: wrong version number\\x1b[2J; "
            "next failback probe in 12s");
  EXPECT_EQ(s.reason, "handshake-failed");
}

TEST(ErrorPhrase, every_reason_key_has_a_phrase_of_its_own) {
  for (const std::string_view key : kReasonNames) {
    const std::string phrase = error_phrase(key);
    EXPECT_FALSE(phrase.empty()) << key;
    EXPECT_NE(phrase, key) << "no phrase for " << key;
  }
}

TEST(ErrorPhrase, refused_certificates_say_why) {
  // Every word tls::rejection_reason and tls::handshake_rejection_reason give.
  for (const char* word : {"expired", "not-yet-valid", "name-mismatch", "wrong-purpose",
                           "untrusted", "revoked", "crl-missing", "crl-expired",
                           "crl-not-yet-valid", "crl-invalid", "no-certificate",
                           "refused-by-peer"}) {
    EXPECT_NE(error_phrase(word), word) << word;
  }
  EXPECT_EQ(error_phrase("expired"), "refused in the TLS handshake: its certificate has expired");
  EXPECT_EQ(error_phrase("verify-error-42"),
            "refused in the TLS handshake: its certificate failed verification (OpenSSL error "
            "42)");
}

TEST(ErrorPhrase, a_detail_replaces_see_the_log_and_nothing_else) {
  EXPECT_EQ(error_phrase("handshake-failed"), "failed the TLS handshake (see the agent's log)");
  EXPECT_EQ(error_phrase("handshake-failed", "wrong version number"),
            "failed the TLS handshake: wrong version number");
  EXPECT_EQ(error_phrase("protocol-error", "frame of 9999999 bytes"),
            "broke the protocol: frame of 9999999 bytes");
  EXPECT_EQ(error_phrase("gateway-error", "agent\nname=forged"),
            "answered with an error: agent\\nname=forged");
  // A key that says it all keeps its phrase: the detail is in the JSON and the log.
  EXPECT_EQ(error_phrase("connect-refused", "Connection refused"),
            "refused the connection (nothing listens there)");
}

TEST(ErrorPhrase, goodbyes_and_unknown_keys_are_shown_printable) {
  EXPECT_EQ(error_phrase("goodbye:shutdown"), "is shutting down (said goodbye)");
  EXPECT_EQ(error_phrase("goodbye:busy"), "is busy (said goodbye; the agent tries again later)");
  EXPECT_EQ(error_phrase("goodbye:maintenance window"), "said goodbye: maintenance window");
  EXPECT_EQ(error_phrase("something-new"), "something-new");
  EXPECT_EQ(error_phrase("bad\nkey"), "bad\\nkey");
}

}  // namespace
}  // namespace gatelink
