#include "status_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "status/status_snapshot.hpp"
#include "status_document.hpp"
#include "unit/status_samples.hpp"

namespace gatelink {
namespace {

using namespace std::chrono;
using Json = nlohmann::ordered_json;

const WallTime kNow = sys_days{year{2026} / 11 / 25} + hours{16} + minutes{18} + seconds{28};

/// Passes when `text` holds `part`; a failure shows the whole text.
::testing::AssertionResult contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no \"" << part << "\" in:\n" << text;
}

/// Passes when no line of `text` is wider than the terminal (code points, not bytes).
::testing::AssertionResult fits_80_columns(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::size_t columns = 0;
    for (const char c : line) columns += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    if (columns > kTextColumns) {
      return ::testing::AssertionFailure() << columns << " columns: \"" << line << "\" in:\n"
                                           << text;
    }
  }
  return ::testing::AssertionSuccess();
}

std::string render(const StatusSnapshot& snapshot) {
  return render_status_text(Json::parse(to_json(snapshot)), kNow);
}

TEST(StatusText, connected_agent_reads_top_down) {
  const std::string text = render(test::connected_snapshot(kNow));
  EXPECT_EQ(text.rfind("status      connected to primary gw1.example.test for 3m12s\n"
                       "why         on its primary gateway; nothing to do\n",
                       0),
            0u)
      << text;
  EXPECT_TRUE(contains(
      text, "agent       web01.example.test  (management group EXAMPLE, gatelink 0.1.0)\n"));
  EXPECT_TRUE(contains(text, "state       connected since 2026-11-25 16:15:16Z (3m12s)\n"
                             "gateway     gw1.example.test@127.0.0.1:15801 (primary)\n"));
  EXPECT_TRUE(contains(text, "heartbeat   every 1000 ms (dead after 3 silent), last rtt 0.412 ms, missed 0\n"));
  EXPECT_TRUE(contains(text, "topology    generation 0 (bootstrap)\n"));
  EXPECT_TRUE(contains(
      text, "  primary   gw1.example.test@127.0.0.1:15801   in use, last seen 16:18:27Z\n"));
  EXPECT_TRUE(contains(text,
                       "  failover  gw2.example.test@127.0.0.1:15802\n"
                       "            last error connect-refused: refused the connection (nothing "
                       "listens\n"
                       "            there)\n"));
  EXPECT_TRUE(contains(text, "  failback after 30000 ms stable\n"));
  EXPECT_TRUE(contains(text, "pending     none\n"));
  EXPECT_TRUE(
      contains(text, "counters    failovers 0, failbacks 0, reconnects 0, heartbeats missed 0\n"));
  EXPECT_TRUE(
      contains(text, "certificate CN=agent1.example.test, expires 2027-11-25 (365 days)\n"));
  EXPECT_TRUE(fits_80_columns(text));
}

TEST(StatusText, on_failover_the_first_lines_say_which_and_why) {
  const std::string text = render(test::on_failover_snapshot(kNow));
  EXPECT_EQ(text.rfind("status      connected to failover 1 of 2 gw2.example.test for 3m12s\n"
                       "why         primary gw1.example.test: refused in the TLS handshake: its\n"
                       "            certificate has expired; next failback probe in 12s\n",
                       0),
            0u)
      << text;
  EXPECT_TRUE(fits_80_columns(text));
}

TEST(StatusText, pending_topology_and_backoff_show_what_waits_and_until_when) {
  StatusSnapshot snapshot = test::not_connected_snapshot(kNow, ConnectionState::backoff);
  snapshot.next_retry = kNow + seconds{4};
  snapshot.topology.pending =
      PendingTopologyStatus{0,
                            8,
                            "gw9.example.test:5723",
                            {"gw1.example.test:5723", "gw2.example.test:5723"},
                            kNow - seconds{30},
                            "connect-refused"};
  const std::string text = render(snapshot);
  EXPECT_TRUE(contains(text, "status      NOT connected: all 2 gateways failed, next attempt in 4s\n"));
  EXPECT_TRUE(contains(text,
                       "state       backoff since 2026-11-25 16:15:16Z (3m12s), next attempt\n"
                       "            2026-11-25 16:18:32Z (in 4s)\n"));
  EXPECT_TRUE(contains(text,
                       "pending     generation 8: primary gw9.example.test:5723, failover\n"
                       "            gw1.example.test:5723, gw2.example.test:5723\n"
                       "            waiting since 2026-11-25 16:17:58Z (30s), last error:\n"
                       "            connect-refused\n"));
  EXPECT_TRUE(fits_80_columns(text));
}

TEST(StatusText, a_damped_failback_window_says_so) {
  StatusSnapshot snapshot = test::connected_snapshot(kNow);
  snapshot.failback = {120000, 30000};
  const std::string text = render(snapshot);
  EXPECT_TRUE(contains(text,
                       "  failback after 120000 ms stable (damped after a flap; configured "
                       "30000 ms)\n"));
  EXPECT_TRUE(contains(text, "why         failback needs 2m00s stable after a flap (configured 30s)\n"));
}

TEST(StatusText, certificate_warnings_and_a_refused_renewal_are_shown) {
  StatusSnapshot snapshot = test::connected_snapshot(kNow);
  snapshot.certificate.warnings.push_back(
      {.reason = "expires-soon", .message = "the agent certificate expires in 12 days"});
  snapshot.certificate.reload_error = StatusSnapshot::Certificate::ReloadError{
      .file = "/etc/gatelink/agent.key",
      .reason = "key-mismatch",
      .message = "/etc/gatelink/agent.key is not the key of the certificate"};
  const std::string text = render(snapshot);
  EXPECT_TRUE(contains(text, "warning     the agent certificate expires in 12 days\n")) << text;
  EXPECT_TRUE(contains(text,
                       "renewal     refused (key-mismatch): /etc/gatelink/agent.key is not the key of\n"
                       "            the certificate; the previous files stay in use\n"))
      << text;
  EXPECT_TRUE(fits_80_columns(text));
}

TEST(StatusText, empty_snapshot_shows_dashes_not_invented_values) {
  const std::string text = render(StatusSnapshot{});
  EXPECT_TRUE(contains(text, "heartbeat   every 0 ms (dead after 0 silent), last rtt —, missed 0\n"));
  EXPECT_TRUE(contains(text, "certificate —\n"));
  EXPECT_TRUE(contains(text, "status      NOT connected: connecting\n"));
}

TEST(StatusText, unexpected_documents_render_without_throwing) {
  for (const char* document :
       {R"({})", R"([])", R"(42)", R"(null)",
        R"({"state": 7, "heartbeat": "fast", "topology": [1, 2], "gateways": {"a": 1},
            "counters": null, "certificate": {"days_left": "many", "not_after": "soon"},
            "since": "yesterday", "gateway": {"host": "x"}})",
        R"({"state": "connected", "position": -1, "gateways": [1, null, {"address": 5}],
            "failback": {"damped": true, "stable_window_ms": "long"}, "next_probe": 3})",
        R"({"state": "connecting", "attempt": {"position": "x"}, "gateways": []})",
        R"({"state": "backoff", "gateways": [{"last_error": 5}], "next_retry": []})",
        R"({"gateways": [1, null, {"address": 5, "last_seen": 3}],
            "topology": {"pending": {"failover": "gw1"}, "failover": [null, {}]}})"}) {
    std::string text;
    EXPECT_NO_THROW(text = render_status_text(Json::parse(document), kNow)) << document;
    EXPECT_TRUE(contains(text, "agent")) << document;
    EXPECT_NO_THROW(text = render_topology_text(Json::parse(document), kNow)) << document;
    EXPECT_NO_THROW(topology_json(Json::parse(document))) << document;
  }
}

TEST(StatusText, control_characters_never_reach_the_terminal) {
  StatusSnapshot snapshot = test::connected_snapshot(kNow);
  snapshot.gateways[1].last_error = "evil\x1b[2Jerror\nnext";
  // C1 control (U+009B, a one-byte CSI), a right-to-left override, invalid UTF-8.
  snapshot.gateway_name = "gw\xc2\x9b" "2J\xe2\x80\xaetxt.exe\xff";
  const std::string text = render(snapshot);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_EQ(text.find('\xff'), std::string::npos);
  EXPECT_TRUE(contains(text, "last error evil\\x1b[2Jerror\\nnext: evil\\x1b[2Jerror\\nnext\n"))
      << "escaped once, not twice";
  EXPECT_TRUE(contains(text, "[gw\\x9b2J\\u202etxt.exe"));  // the JSON replaced the bad byte
  // Other scripts are text, not threats: shown as they are.
  snapshot.gateway_name = "passerelle-\xc3\xa9t\xc3\xa9";
  EXPECT_TRUE(contains(render(snapshot), "[passerelle-\xc3\xa9t\xc3\xa9]"));
}

TEST(StatusText, topology_shows_in_use_pending_and_last_known_good_with_their_origin) {
  StatusSnapshot snapshot = test::connected_snapshot(kNow);
  snapshot.topology.generation = 7;
  snapshot.topology.source = "pushed";
  snapshot.topology.received_from = "gw1.example.test@127.0.0.1:15801";
  snapshot.topology.received_at = kNow - minutes{10};
  snapshot.topology.pending = PendingTopologyStatus{0,
                                                    8,
                                                    "gw9.example.test:5723",
                                                    {"gw1.example.test:5723"},
                                                    kNow - seconds{30},
                                                    "connect-timeout",
                                                    "gw1.example.test@127.0.0.1:15801"};
  snapshot.topology.last_known_good = 6;
  snapshot.topology.last_known_good_topology = StoredTopologyStatus{
      0, 6, "gw1.example.test:5723", {}, "gw2.example.test:5723", kNow - hours{48}};
  const std::string text =
      render_topology_text(Json::parse(to_json(snapshot)), kNow);
  EXPECT_EQ(text,
            "in use: generation 7 (pushed)\n"
            "  received    from gw1.example.test@127.0.0.1:15801 at 2026-11-25 16:08:28Z\n"
            "              (10m00s)\n"
            "  primary     gw1.example.test@127.0.0.1:15801\n"
            "  failover 1  gw2.example.test@127.0.0.1:15802\n"
            "pending: generation 8, waiting for its primary\n"
            "  received    from gw1.example.test@127.0.0.1:15801 at 2026-11-25 16:17:58Z\n"
            "              (30s)\n"
            "  primary     gw9.example.test:5723\n"
            "  failover 1  gw1.example.test:5723\n"
            "  last error  connect-timeout: did not accept the connection in time (down or\n"
            "              firewalled)\n"
            "last known good (kept to fall back on): generation 6\n"
            "  received    from gw2.example.test:5723 at 2026-11-23 16:18:28Z (2d00h)\n"
            "  primary     gw1.example.test:5723\n"
            "  failover    none\n");
  const Json json = topology_json(Json::parse(to_json(snapshot)));
  EXPECT_EQ(json["current"]["generation"], 7);
  EXPECT_EQ(json["current"]["received_from"], "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(json["pending"]["generation"], 8);
  EXPECT_EQ(json["last_known_good"]["generation"], 6);
  EXPECT_EQ(json["last_known_good"]["received_from"], "gw2.example.test:5723");
}

TEST(StatusText, topology_of_a_fresh_agent_says_bootstrap_and_none) {
  const std::string text =
      render_topology_text(Json::parse(to_json(test::connected_snapshot(kNow))), kNow);
  EXPECT_TRUE(contains(text, "in use: generation 0 (bootstrap)\n  primary     gw1"));
  EXPECT_TRUE(contains(text, "pending: none\n"));
  EXPECT_TRUE(contains(text, "last known good: none\n"));
  EXPECT_EQ(text.find("received"), std::string::npos) << text;
  const Json json = topology_json(Json::parse(to_json(test::connected_snapshot(kNow))));
  EXPECT_TRUE(json["pending"].is_null());
  EXPECT_TRUE(json["last_known_good"].is_null());
}

TEST(StatusText, long_lines_wrap_at_spaces_with_the_indent) {
  EXPECT_EQ(wrap("short", 4), "short");
  EXPECT_EQ(wrap("label   aaaa bbbb cccc", 8, 17), "label   aaaa bbbb\n        cccc");
  EXPECT_EQ(wrap("x " + std::string(30, 'y'), 2, 10), "x\n  " + std::string(30, 'y'));
  // Code points, not bytes: "—" is one column.
  EXPECT_EQ(wrap("a — b", 0, 5), "a — b");
  // A date and its time stay together.
  EXPECT_EQ(wrap("next attempt 2026-11-25 16:18:32Z (in 4s)", 2, 30),
            "next attempt\n  2026-11-25 16:18:32Z (in 4s)");
}

TEST(StatusText, spans_show_their_two_largest_units) {
  using status_document::format_span;
  EXPECT_EQ(format_span(seconds{0}), "0s");
  EXPECT_EQ(format_span(seconds{45}), "45s");
  EXPECT_EQ(format_span(seconds{192}), "3m12s");
  EXPECT_EQ(format_span(seconds{3 * 3600 + 5 * 60 + 7}), "3h05m");
  EXPECT_EQ(format_span(seconds{2 * 86400 + 4 * 3600}), "2d04h");
  EXPECT_EQ(format_span(seconds{-65}), "1m05s");
}

}  // namespace
}  // namespace gatelink
