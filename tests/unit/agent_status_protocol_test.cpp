// The status protocol's answers, shared by the Unix socket and the Windows named pipe
// (agent/status_protocol.hpp): what a client gets for what it sent, and how rejections are
// rate-limited in the log.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "status_protocol.hpp"

namespace gatelink {
namespace {

TEST(StatusProtocol, the_status_line_gets_the_status) {
  const Reply reply = decide_reply(RequestRead::line, "status\n", 7, true);
  EXPECT_EQ(reply.kind, ReplyKind::status);
}

TEST(StatusProtocol, a_client_that_leaves_without_asking_gets_nothing_even_when_refused) {
  EXPECT_EQ(decide_reply(RequestRead::ended, "", 0, true).kind, ReplyKind::leave);
  EXPECT_EQ(decide_reply(RequestRead::ended, "", 0, false).kind, ReplyKind::leave);
}

TEST(StatusProtocol, a_refused_client_gets_its_refusal_whatever_it_sent) {
  EXPECT_EQ(decide_reply(RequestRead::line, "status\n", 7, false).kind, ReplyKind::refuse);
  EXPECT_EQ(decide_reply(RequestRead::too_long, std::string(256, 'x'), 0, false).kind,
            ReplyKind::refuse);
}

TEST(StatusProtocol, garbage_is_rejected_with_its_reason) {
  EXPECT_EQ(decide_reply(RequestRead::line, "stat\n", 5, true).reason, "unknown request");
  EXPECT_EQ(decide_reply(RequestRead::line, "status now\n", 11, true).reason, "unknown request");
  EXPECT_EQ(decide_reply(RequestRead::ended, "stat", 0, true).reason, "incomplete request");
  EXPECT_EQ(decide_reply(RequestRead::too_long, std::string(256, 'x'), 0, true).reason,
            "request too long");
  EXPECT_EQ(decide_reply(RequestRead::line, "stat\n", 5, true).kind, ReplyKind::rejected);
}

TEST(StatusProtocol, a_broken_read_is_left_without_an_answer) {
  EXPECT_EQ(decide_reply(RequestRead::failed, "sta", 0, true).kind, ReplyKind::leave);
}

TEST(StatusProtocol, only_the_first_line_counts) {
  // Bytes after the line are not part of the request: `status\n` then more is still status.
  EXPECT_EQ(decide_reply(RequestRead::line, "status\nxyz", 7, true).kind, ReplyKind::status);
}

TEST(StatusProtocol, the_error_line_is_one_json_object_and_a_newline) {
  const std::string line = status_error_line("request \"too\" long\n");
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line, whatever the reason holds";
  EXPECT_EQ(nlohmann::json::parse(line)["error"], "request \"too\" long\n");
}

TEST(StatusProtocol, a_logged_request_is_quoted_escaped_and_cut) {
  const std::string logged = loggable_request(std::string("\x1b[31mred\n") + std::string(100, 'a'));
  EXPECT_EQ(logged.front(), '"');
  EXPECT_EQ(logged.back(), '"');
  EXPECT_EQ(logged.find('\x1b'), std::string::npos);
  EXPECT_EQ(logged.find('\n'), std::string::npos);
  EXPECT_LT(logged.size(), 100U);
}

// Found by the status request's fuzz target: DEL, C1 controls and bidi overrides went into the
// log raw (common/escape.hpp lists what a terminal could act on).
TEST(StatusProtocol, a_logged_request_escapes_everything_a_terminal_could_act_on) {
  const std::string logged = loggable_request(
      "stat\x7fus \xc2\x9b[31m \xe2\x80\xae"
      "deR");
  EXPECT_EQ(logged.find('\x7f'), std::string::npos);
  EXPECT_EQ(logged.find("\xc2\x9b"), std::string::npos);
  EXPECT_EQ(logged.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_EQ(logged.front(), '"');
  EXPECT_EQ(logged.back(), '"');
}

TEST(StatusProtocol, rejections_beyond_the_window_budget_are_counted_into_the_next_line) {
  RejectionLog log;
  const auto start = RejectionLog::Clock::time_point{} + std::chrono::hours(1);
  std::uint64_t suppressed = 99;
  for (std::uint64_t i = 0; i < kLoggedRejectionsPerWindow; ++i) {
    ASSERT_TRUE(log.should_log(suppressed, start)) << i;
    EXPECT_EQ(suppressed, 0U);
  }
  EXPECT_FALSE(log.should_log(suppressed, start));
  EXPECT_FALSE(log.should_log(suppressed, start + std::chrono::seconds(1)));
  ASSERT_TRUE(log.should_log(suppressed, start + kRejectionLogWindow));
  EXPECT_EQ(suppressed, 2U);
}

TEST(StatusProtocol, drops_are_spelt_as_log_lines_spell_them) {
  EXPECT_STREQ(to_string(StatusDrop::request_deadline), "request-timeout");
  EXPECT_STREQ(to_string(StatusDrop::answer_deadline), "answer-timeout");
  EXPECT_STREQ(to_string(StatusDrop::displaced), "displaced");
}

}  // namespace
}  // namespace gatelink
