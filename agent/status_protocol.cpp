// The platform-free part of the local status protocol: answers, error lines, logged rejections.

#include "status_protocol.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "status_endpoint.hpp"

namespace gatelink {
namespace {

/// How much of a rejected request goes into the log.
constexpr std::size_t kLoggedRequestBytes = 64;

}  // namespace

Reply decide_reply(RequestRead read, std::string_view request, std::size_t line_end,
                   bool admitted) {
  // Connected and left without asking: a probe such as a second agent's start-up check.
  if (read == RequestRead::ended && request.empty()) return {ReplyKind::leave, {}};
  if (!admitted) return {ReplyKind::refuse, {}};
  switch (read) {
    case RequestRead::line:
      if (request.substr(0, line_end) == kStatusRequestLine) return {ReplyKind::status, {}};
      return {ReplyKind::rejected, "unknown request"};
    case RequestRead::ended:
      return {ReplyKind::rejected, "incomplete request"};
    case RequestRead::too_long:
      return {ReplyKind::rejected, "request too long"};
    case RequestRead::failed:
      break;
  }
  return {ReplyKind::leave, {}};
}

const char* to_string(StatusDrop why) {
  switch (why) {
    case StatusDrop::none:
      return "none";
    case StatusDrop::request_deadline:
      return "request-timeout";
    case StatusDrop::answer_deadline:
      return "answer-timeout";
    case StatusDrop::displaced:
      return "displaced";
    case StatusDrop::closing:
      return "closing";
  }
  return "unknown";
}

std::string status_error_line(const std::string& reason) {
  nlohmann::json answer = nlohmann::json::object();
  answer["error"] = reason;
  return answer.dump() + "\n";
}

std::string loggable_request(std::string_view request) {
  // fmt's debug format, as escaped() writes every peer string (common/escape.hpp), and quoted
  // even when it is a plain word. A JSON dump would leave DEL, C1 controls and bidi overrides.
  return fmt::format("{:?}", request.substr(0, kLoggedRequestBytes));
}

bool RejectionLog::should_log(std::uint64_t& suppressed, Clock::time_point now) {
  if (now - window_start_ >= kRejectionLogWindow) {
    window_start_ = now;
    logged_ = 0;
  }
  if (logged_ >= kLoggedRejectionsPerWindow) {
    ++suppressed_;
    return false;
  }
  ++logged_;
  suppressed = std::exchange(suppressed_, 0);
  return true;
}

}  // namespace gatelink
