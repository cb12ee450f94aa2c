// What the agent's local status endpoint makes of whatever a local client sends: the request
// line read as the endpoint reads it (async_read_status_request, from memory in reads of
// varying size, then the client's end or a reset), how the read ended, the answer decided
// (decide_reply), the error line and the request as it goes into the log. Checks that the
// request held is bounded (kMaxStatusRequest), that how the bytes are cut into reads changes
// nothing, that only an admitted client whose first line is exactly `status` gets the status,
// that the error line is one JSON object on one line, and that the logged request is one quoted
// string with nothing a terminal could act on in it, whatever the client sent (DESIGN "Who may
// reach what": no peer forges a log line).
//
// Input: one byte (bits 0-5: read size 1..64; bit 6: the client is not admitted; bit 7: it
// resets instead of closing), then the bytes the client sends.

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "memory_stream.hpp"
#include "status/status_snapshot.hpp"
#include "status_endpoint.hpp"
#include "status_protocol.hpp"
#include "status_request.hpp"

namespace {

using namespace gatelink;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "status_request_fuzz: %s\n", what);
  std::abort();
}

struct Read {
  std::string request;
  boost::system::error_code ec;
  std::size_t line_end = 0;
};

/// The request as the endpoint reads it from `bytes`, `chunk` bytes a read at most.
Read read_request(std::span<const std::uint8_t> bytes, std::size_t chunk,
                  boost::system::error_code end) {
  static boost::asio::io_context io;
  fuzz::MemoryStream stream(io.get_executor(), bytes, chunk, end);
  Read out;
  bool done = false;
  async_read_status_request(stream, out.request,
                            [&](const boost::system::error_code& ec, std::size_t line_end) {
                              out.ec = ec;
                              out.line_end = line_end;
                              done = true;
                            });
  io.restart();
  io.run();
  if (!done) fail("the read did not complete");
  return out;
}

/// How the read must end for these bytes, from the protocol's words alone.
RequestRead expected_read(std::string_view sent, bool reset) {
  const std::size_t newline = sent.find('\n');
  if (newline != std::string_view::npos && newline < kMaxStatusRequest) return RequestRead::line;
  if (sent.size() >= kMaxStatusRequest) return RequestRead::too_long;
  return reset ? RequestRead::failed : RequestRead::ended;
}

/// What in `text` a terminal could act on, as escape.hpp lists it: C0 and C1 controls, DEL,
/// bidi overrides and isolates; null when there is none.
const char* terminal_control(std::string_view text) {
  const auto byte = [&](std::size_t i) {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned c = byte(i);
    if (c < 0x20 || c == 0x7f) return "a C0 control or DEL is logged";
    if (c == 0xc2 && byte(i + 1) >= 0x80 && byte(i + 1) <= 0x9f) return "a C1 control is logged";
    const bool overrides = c == 0xe2 && byte(i + 1) == 0x80 && byte(i + 2) >= 0xaa &&
                           byte(i + 2) <= 0xae;  // U+202A..U+202E
    const bool isolates = c == 0xe2 && byte(i + 1) == 0x81 && byte(i + 2) >= 0xa6 &&
                          byte(i + 2) <= 0xa9;  // U+2066..U+2069
    if (overrides || isolates) return "a bidi override is logged";
  }
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = (data[0] & 0x3fu) + 1;
  const bool admitted = (data[0] & 0x40u) == 0;
  const bool reset = (data[0] & 0x80u) != 0;
  const boost::system::error_code end = reset
                                            ? make_error_code(boost::asio::error::connection_reset)
                                            : make_error_code(boost::asio::error::eof);
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  const std::string_view sent(reinterpret_cast<const char*>(bytes.data()), bytes.size());

  const Read read = read_request(bytes, chunk, end);
  if (read.request.size() > kMaxStatusRequest) fail("the request outgrew its bound");
  if (std::string_view(read.request) != sent.substr(0, read.request.size())) {
    fail("the request is not what the client sent");
  }
  const RequestRead how = classify_request_read(read.ec);
  if (how != expected_read(sent, reset)) fail("the read ended otherwise than the bytes say");
  if (how == RequestRead::line && (read.line_end == 0 || read.line_end > read.request.size() ||
                                   read.request.find('\n') != read.line_end - 1)) {
    fail("the line does not end at the first newline");
  }

  const Reply reply = decide_reply(how, read.request, read.line_end, admitted);
  const Read at_once = read_request(bytes, kMaxStatusRequest, end);
  const Reply again =
      decide_reply(classify_request_read(at_once.ec), at_once.request, at_once.line_end, admitted);
  if (reply.kind != again.kind || reply.reason != again.reason) {
    fail("cutting the request into reads changed the answer");
  }
  const bool asks_status = sent.starts_with(kStatusRequestLine);
  if ((reply.kind == ReplyKind::status) != (admitted && asks_status)) {
    fail("the status went to another request than `status`");
  }
  if (reply.kind == ReplyKind::rejected) {
    const std::string line = status_error_line(reply.reason);
    if (reply.reason.empty() || line.find('\n') != line.size() - 1 ||
        nlohmann::json::parse(line) != nlohmann::json{{"error", reply.reason}}) {
      fail("the error line is not one JSON object on one line");
    }
  }

  const std::string logged = loggable_request(read.request);
  if (const char* what = terminal_control(logged)) fail(what);
  // Quoted, and cut: at most 64 bytes, each at worst a 10-character \u{...} escape.
  if (logged.size() < 2 || logged.front() != '"' || logged.back() != '"' ||
      logged.size() > 2 + 64 * 10) {
    fail("the logged request is not one quoted, bounded string");
  }
  return 0;
}
