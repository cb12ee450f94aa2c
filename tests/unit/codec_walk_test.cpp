// Every failure point of every frame: cut at each byte, and each byte corrupted. Strict decoding
// makes the encoding canonical, so whatever decodes must re-encode to exactly the bytes read.

#include <gtest/gtest.h>

#include <span>

#include "codec/codec.hpp"
#include "codec/frame_decoder.hpp"
#include "unit/codec_samples.hpp"

namespace gatelink::codec {
namespace {

using testing::describe;
using testing::sample_messages;

/// What a FrameDecoder makes of `bytes` fed at once: its first result.
Result<std::optional<Message>, CodecError> decode_stream(std::span<const std::uint8_t> bytes) {
  FrameDecoder decoder;
  decoder.feed(bytes);
  return decoder.next();
}

TEST(CodecWalk, truncated_frame_never_yields_a_message) {
  const auto samples = sample_messages();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE(describe(i, samples[i]));
    const auto frame = encode(samples[i]);
    const auto all = std::span<const std::uint8_t>(frame);
    for (std::size_t n = 0; n < frame.size(); ++n) {
      SCOPED_TRACE("first " + std::to_string(n) + " bytes");
      const auto header = decode_header(all.first(n));
      if (n < kHeaderSize) {
        ASSERT_FALSE(header.ok());
        EXPECT_EQ(header.error().code, CodecErrc::truncated);
      } else {
        ASSERT_TRUE(header.ok()) << header.error().message;
        const auto body = decode_body(header->type, all.subspan(kHeaderSize, n - kHeaderSize));
        ASSERT_FALSE(body.ok());
        EXPECT_EQ(body.error().code, CodecErrc::truncated) << body.error().message;
      }
      const auto streamed = decode_stream(all.first(n));
      ASSERT_TRUE(streamed.ok()) << streamed.error().message;
      EXPECT_FALSE(streamed->has_value());
    }
    const auto whole = decode_stream(all);
    ASSERT_TRUE(whole.ok() && whole->has_value());
    EXPECT_EQ(**whole, samples[i]);
  }
}

TEST(CodecWalk, corrupted_byte_is_refused_or_decodes_canonically) {
  constexpr std::uint8_t kFlips[] = {0x01, 0x80, 0xff};
  constexpr std::size_t kLengthFirst = 4;  // body length: header bytes 4..7
  const auto samples = sample_messages();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE(describe(i, samples[i]));
    const auto frame = encode(samples[i]);
    for (std::size_t at = 0; at < frame.size(); ++at) {
      for (const auto flip : kFlips) {
        auto corrupt = frame;
        corrupt[at] ^= flip;
        const auto result = decode_stream(corrupt);
        if (!result.ok()) continue;  // refused cleanly
        if (!result->has_value()) {
          // Only a longer announced body leaves the decoder waiting for more.
          EXPECT_GE(at, kLengthFirst);
          EXPECT_LT(at, kHeaderSize);
          EXPECT_GT(corrupt[at], frame[at]);
          continue;
        }
        ASSERT_EQ(encode(**result), corrupt) << "byte " << at << " ^ " << int{flip};
      }
    }
  }
}

}  // namespace
}  // namespace gatelink::codec
