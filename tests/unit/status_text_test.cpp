#include "status_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "status/status_snapshot.hpp"
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

std::string render(const StatusSnapshot& snapshot) {
  return render_status_text(Json::parse(to_json(snapshot)), kNow);
}

TEST(StatusText, connected_agent_reads_top_down) {
  const std::string text = render(test::connected_snapshot(kNow));
  EXPECT_TRUE(contains(
      text, "agent       web01.example.test  (management group EXAMPLE, gatelink 0.1.0)\n"));
  EXPECT_TRUE(contains(text,
                       "state       connected to gw1.example.test@127.0.0.1:15801 (primary) since "
                       "2026-11-25 16:15:16Z (3m12s)\n"));
  EXPECT_TRUE(contains(text, "heartbeat   every 1000 ms (dead after 3 silent), last rtt 0.412 ms, missed 0\n"));
  EXPECT_TRUE(contains(text, "topology    generation 0 (bootstrap)\n"));
  EXPECT_TRUE(contains(
      text, "  primary   gw1.example.test@127.0.0.1:15801   in use, last seen 16:18:27Z\n"));
  EXPECT_TRUE(contains(
      text, "  failover  gw2.example.test@127.0.0.1:15802   last error: connect-refused\n"));
  EXPECT_TRUE(contains(text, "  failback after 30000 ms stable\n"));
  EXPECT_TRUE(contains(text, "pending     none\n"));
  EXPECT_TRUE(
      contains(text, "counters    failovers 0, failbacks 0, reconnects 0, heartbeats missed 0\n"));
  EXPECT_TRUE(
      contains(text, "certificate CN=agent1.example.test, expires 2027-11-25 (365 days)\n"));
}

TEST(StatusText, pending_topology_and_backoff_show_what_waits_and_until_when) {
  StatusSnapshot snapshot = test::not_connected_snapshot(kNow, ConnectionState::backoff);
  snapshot.next_retry = kNow + seconds{4};
  snapshot.topology.pending =
      PendingTopologyStatus{8,
                            "gw9.example.test:5723",
                            {"gw1.example.test:5723", "gw2.example.test:5723"},
                            kNow - seconds{30},
                            "connect-refused"};
  const std::string text = render(snapshot);
  EXPECT_TRUE(contains(text,
                       "state       backoff since 2026-11-25 16:15:16Z (3m12s), next attempt "
                       "2026-11-25 16:18:32Z (in 4s)\n"));
  EXPECT_TRUE(contains(text,
                       "pending     generation 8: primary gw9.example.test:5723, failover "
                       "gw1.example.test:5723, gw2.example.test:5723\n"));
  EXPECT_TRUE(
      contains(text, "waiting since 2026-11-25 16:17:58Z (30s), last error: connect-refused"));
}

TEST(StatusText, a_damped_failback_window_says_so) {
  StatusSnapshot snapshot = test::connected_snapshot(kNow);
  snapshot.failback = {120000, 30000};
  EXPECT_TRUE(contains(render(snapshot),
                       "  failback after 120000 ms stable (damped after a flap; configured "
                       "30000 ms)\n"));
}

TEST(StatusText, empty_snapshot_shows_dashes_not_invented_values) {
  const std::string text = render(StatusSnapshot{});
  EXPECT_TRUE(contains(text, "heartbeat   every 0 ms (dead after 0 silent), last rtt —, missed 0\n"));
  EXPECT_TRUE(contains(text, "certificate —\n"));
  EXPECT_TRUE(contains(text, "state       connecting\n"));
}

TEST(StatusText, unexpected_documents_render_without_throwing) {
  for (const char* document :
       {R"({})", R"([])", R"(42)", R"(null)",
        R"({"state": 7, "heartbeat": "fast", "topology": [1, 2], "gateways": {"a": 1},
            "counters": null, "certificate": {"days_left": "many", "not_after": "soon"},
            "since": "yesterday", "gateway": {"host": "x"}})",
        R"({"gateways": [1, null, {"address": 5, "last_seen": 3}],
            "topology": {"pending": {"failover": "gw1"}, "failover": [null, {}]}})"}) {
    std::string text;
    EXPECT_NO_THROW(text = render_status_text(Json::parse(document), kNow)) << document;
    EXPECT_TRUE(contains(text, "agent")) << document;
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
  EXPECT_TRUE(contains(text, "last error: evil\\x1b[2Jerror\\nnext\n"));
  EXPECT_TRUE(contains(text, "[gw\\x9b2J\\u202etxt.exe"));  // the JSON replaced the bad byte
  // Other scripts are text, not threats: shown as they are.
  snapshot.gateway_name = "passerelle-\xc3\xa9t\xc3\xa9";
  EXPECT_TRUE(contains(render(snapshot), "[passerelle-\xc3\xa9t\xc3\xa9]"));
}

TEST(StatusText, spans_show_their_two_largest_units) {
  EXPECT_EQ(format_span(seconds{0}), "0s");
  EXPECT_EQ(format_span(seconds{45}), "45s");
  EXPECT_EQ(format_span(seconds{192}), "3m12s");
  EXPECT_EQ(format_span(seconds{3 * 3600 + 5 * 60 + 7}), "3h05m");
  EXPECT_EQ(format_span(seconds{2 * 86400 + 4 * 3600}), "2d04h");
  EXPECT_EQ(format_span(seconds{-65}), "1m05s");
}

}  // namespace
}  // namespace gatelink
