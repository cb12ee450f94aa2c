// Feeds arbitrary bytes to the frame decoder, in reads of varying size, and holds the codec to
// what it promises (docs/PROTOCOL.md): every decoded message passes validate() and re-encodes
// to exactly the bytes it came from (canonical encoding); how the stream is cut into reads
// changes nothing (the same messages and the same error as decode_header/decode_body over the
// whole input at once); a failed decoder stays failed and holds no bytes. The type byte reaches
// every message type's decoder; the seeds hold a sample frame of each (make_seeds.cpp).
//
// Input: one byte that picks the read size (1..256), then the byte stream.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "codec/codec.hpp"
#include "codec/frame_decoder.hpp"

namespace {

using namespace gatelink::codec;

/// A small limit keeps the fuzzer on parsing rather than on allocating.
constexpr std::size_t kMaxBody = std::size_t{1} << 16;

struct Decoded {
  std::vector<Message> messages;
  std::optional<CodecError> error;
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "codec_fuzz: %s\n", what);
  std::abort();
}

/// The stream decoded in one go with the codec's functions, as a reference.
Decoded decode_at_once(std::span<const std::uint8_t> input) {
  Decoded out;
  std::size_t at = 0;
  while (input.size() - at >= kHeaderSize) {
    const auto header = decode_header(input.subspan(at), kMaxBody);
    if (!header) {
      out.error = header.error();
      break;
    }
    if (input.size() - at - kHeaderSize < header->body_size) break;  // incomplete: wait
    auto message = decode_body(header->type, input.subspan(at + kHeaderSize, header->body_size));
    if (!message) {
      out.error = message.error();
      break;
    }
    out.messages.push_back(std::move(*message));
    at += kHeaderSize + header->body_size;
  }
  return out;
}

bool same_error(const std::optional<CodecError>& a, const std::optional<CodecError>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->code == b->code && a->message == b->message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the read size, so frames get cut at many places across reads.
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const auto input = std::span<const std::uint8_t>(data + 1, size - 1);

  FrameDecoder decoder(kMaxBody);
  Decoded chunked;
  std::size_t consumed = 0;  // offset in `input` of the next undecoded frame
  for (std::size_t at = 0; at < input.size() && !chunked.error; at += chunk) {
    decoder.feed(input.subspan(at, std::min(chunk, input.size() - at)));
    for (;;) {
      auto next = decoder.next();
      if (!next.ok()) {
        chunked.error = next.error();
        break;
      }
      if (!next->has_value()) break;
      const Message& message = **next;
      if (to_string(type_of(message)) == "unknown") fail("a decoded message has no type name");
      if (validate(message)) fail("a decoded message breaks a bound of its own codec");
      const auto frame = encode(message);
      const auto original =
          input.subspan(consumed, std::min(frame.size(), input.size() - consumed));
      if (!std::equal(frame.begin(), frame.end(), original.begin(), original.end())) {
        fail("a decoded message does not re-encode to its bytes");
      }
      consumed += frame.size();
      chunked.messages.push_back(std::move(**next));
    }
  }

  if (chunked.error) {
    if (to_string(chunked.error->code) == "unknown" || chunked.error->message.empty()) {
      fail("a refusal does not say why");
    }
    // Stays failed, holds nothing, takes nothing more.
    decoder.feed(input);
    if (!decoder.failed() || decoder.buffered() != 0 || decoder.next().ok()) {
      fail("a failed decoder took bytes again");
    }
  } else if (decoder.buffered() != input.size() - consumed) {
    fail("the decoder lost or invented bytes");
  }

  const Decoded reference = decode_at_once(input);
  if (reference.messages != chunked.messages || !same_error(reference.error, chunked.error)) {
    fail("cutting the stream into reads changed what it decodes to");
  }
  return 0;
}
