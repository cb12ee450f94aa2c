// The admission exchange before TLS, as the agent reads it: whatever arrives right after TCP
// connect, from a gateway or from anyone listening on its port, read with read_message from the
// plain socket (here from memory, in reads of varying size, then the end of the stream) and
// decided on (decide_admission). Checks that the read never takes a byte past the frame (the
// TLS handshake follows on the same socket) and refuses a body above kMaxAdmissionFrame before
// reading it; that it reads what the codec's FrameDecoder reads from the same bytes; that only
// an admit leads to the handshake; and that a goodbye's retry-after is cut to the agent's bound.
//
// Input: one byte for the read size (1..256), one for the agent's bound on the retry-after (in
// seconds), then the bytes the agent receives.

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <span>
#include <variant>

#include "codec/codec.hpp"
#include "codec/frame_decoder.hpp"
#include "link/admission.hpp"
#include "link/frame_read.hpp"
#include "memory_stream.hpp"

namespace {

using namespace gatelink;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "admission_fuzz: %s\n", what);
  std::abort();
}

/// The agent's read of the admission frame (GatewaySession::establish): no budget, the bound.
boost::asio::awaitable<void> read_admission(fuzz::MemoryStream& stream,
                                            std::optional<link::ReadOutcome>& out) {
  out = co_await link::read_message(stream, link::kMaxAdmissionFrame);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const std::chrono::milliseconds bound = std::chrono::seconds(data[1]);
  const std::span<const std::uint8_t> bytes(data + 2, size - 2);

  static boost::asio::io_context io;
  fuzz::MemoryStream stream(io.get_executor(), bytes, chunk);
  std::optional<link::ReadOutcome> read;
  boost::asio::co_spawn(io, read_admission(stream, read), [](const std::exception_ptr& e) {
    if (e) fail("read_message threw");
  });
  io.restart();
  io.run();
  if (!read) fail("the read did not complete");

  // The same bytes through the codec's own stream decoder.
  codec::FrameDecoder decoder(link::kMaxAdmissionFrame);
  decoder.feed(bytes);
  const auto expected = decoder.next();
  const auto header = codec::decode_header(bytes, link::kMaxAdmissionFrame);
  const std::size_t frame_size = header ? codec::kHeaderSize + header->body_size : 0;
  if (!expected.ok()) {
    if (read->ec || read->message || read->protocol_error != expected.error().message) {
      fail("a frame the codec refuses was read otherwise");
    }
    // A bad header is refused from its 8 bytes alone, a bad body once it is all in.
    if (stream.consumed() != (header ? frame_size : codec::kHeaderSize)) {
      fail("a refused frame was read further than needed");
    }
    return 0;
  }
  if (!expected->has_value()) {
    if (read->ec != boost::asio::error::eof || read->message || !read->protocol_error.empty() ||
        stream.consumed() != bytes.size()) {
      fail("a frame cut short did not end with the stream");
    }
    return 0;
  }
  const codec::Message& frame = **expected;
  if (read->ec || !read->protocol_error.empty() || !read->message || !(*read->message == frame)) {
    fail("a frame the codec reads was read otherwise");
  }
  if (stream.consumed() != frame_size) fail("the read took bytes past its frame");

  const link::AdmissionDecision decision = link::decide_admission(frame, bound);
  const bool admitted = std::holds_alternative<codec::Admit>(frame);
  if ((decision.kind == link::AdmissionDecision::Kind::handshake) != admitted) {
    fail("the handshake follows another frame than an admit");
  }
  if (const auto* goodbye = std::get_if<codec::Goodbye>(&frame)) {
    const auto cut = std::min<std::uint64_t>(goodbye->retry_after_ms, bound.count());
    if (decision.kind != link::AdmissionDecision::Kind::goodbye ||
        decision.goodbye.reason != goodbye->reason || decision.goodbye.retry_after_ms != cut) {
      fail("a goodbye was not honoured within the bound");
    }
  } else if (!admitted &&
             (decision.kind != link::AdmissionDecision::Kind::refused || decision.detail.empty())) {
    fail("another frame was not refused with a reason");
  }
  return 0;
}
