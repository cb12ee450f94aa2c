#pragma once
// The platform-free part of the local status protocol (status_endpoint.hpp): what a server
// answers to what it read, the error line, how a rejected request is logged, and how often.
// Pure: no sockets, no pipes, no Asio, so that the Unix socket and the Windows named pipe
// answer alike and the rules are tested without either.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatelink {

/// How reading the request line ended.
enum class RequestRead {
  line,      ///< a `\n` arrived within kMaxStatusRequest bytes
  ended,     ///< the client closed (or broke) its end before a `\n`
  too_long,  ///< kMaxStatusRequest bytes without a `\n`
  failed,    ///< any other read error
};

/// What the server does with a client whose request has been read.
enum class ReplyKind {
  leave,     ///< say nothing and close: the client left without asking (a probe) or broke
  refuse,    ///< the client may not ask: its refusal line
  status,    ///< the status document
  rejected,  ///< not a request the endpoint understands: an error line (logged)
};

struct Reply {
  ReplyKind kind = ReplyKind::leave;
  std::string reason;  ///< for `rejected`: why, as the error line and the log say it
};

/// The answer to `request` (the bytes read; `line_end` bytes up to and including the `\n` when
/// `read` is `line`) from a client that `admitted` says may ask.
Reply decide_reply(RequestRead read, std::string_view request, std::size_t line_end, bool admitted);

/// Why the endpoint let a client go before answering it.
enum class StatusDrop { none, request_deadline, answer_deadline, displaced, closing };
/// As log lines spell it: `request-timeout`, `answer-timeout`, `displaced`, `closing`.
const char* to_string(StatusDrop why);

/// One JSON line `{"error": reason}` (with its `\n`).
std::string status_error_line(const std::string& reason);

/// The first bytes of a request, quoted and escaped as every peer string is (common/escape.hpp)
/// and cut; safe to put in one log line whatever a client sent.
std::string loggable_request(std::string_view request);

/// Rejected clients logged per window at most; the others are counted into the next line logged,
/// so that no local client can fill the disk with the agent's log.
inline constexpr std::uint64_t kLoggedRejectionsPerWindow = 20;
inline constexpr std::chrono::seconds kRejectionLogWindow{10};

/// Decides which rejections are logged (kLoggedRejectionsPerWindow per kRejectionLogWindow).
class RejectionLog {
 public:
  using Clock = std::chrono::steady_clock;
  /// Whether to log a rejection at `now`; if so, `suppressed` is how many went unlogged before.
  bool should_log(std::uint64_t& suppressed, Clock::time_point now = Clock::now());

 private:
  Clock::time_point window_start_{};
  std::uint64_t logged_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace gatelink
