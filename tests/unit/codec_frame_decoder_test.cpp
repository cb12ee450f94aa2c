// The streaming decoder: frames cut anywhere across reads, many frames in one read, and a
// refused frame ending the stream for good.

#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "codec/codec.hpp"
#include "codec/frame_decoder.hpp"
#include "unit/codec_samples.hpp"

namespace gatelink::codec {
namespace {

using testing::describe;
using testing::sample_messages;

/// Every message the decoder has ready; fails the test on an error.
std::vector<Message> drain(FrameDecoder& decoder) {
  std::vector<Message> out;
  for (;;) {
    auto next = decoder.next();
    if (!next.ok()) {
      ADD_FAILURE() << next.error().message;
      return out;
    }
    if (!next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

Bytes encode_all(const std::vector<Message>& messages) {
  Bytes stream;
  for (const auto& message : messages) {
    const auto frame = encode(message);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  return stream;
}

TEST(FrameDecoder, many_frames_in_one_read_come_out_in_order) {
  const auto samples = sample_messages();
  FrameDecoder decoder;
  decoder.feed(encode_all(samples));
  EXPECT_EQ(drain(decoder), samples);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, frames_split_at_every_position_decode_whole) {
  const auto samples = sample_messages();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE(describe(i, samples[i]));
    // Two frames back to back, so a cut also falls between and across frame boundaries.
    const std::vector<Message> pair{samples[i], samples[(i + 1) % samples.size()]};
    const auto stream = encode_all(pair);
    const auto all = std::span<const std::uint8_t>(stream);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      FrameDecoder decoder;
      decoder.feed(all.first(cut));
      auto got = drain(decoder);
      decoder.feed(all.subspan(cut));
      for (auto& message : drain(decoder)) got.push_back(std::move(message));
      ASSERT_EQ(got, pair) << "cut at " << cut;
      EXPECT_EQ(decoder.buffered(), 0u);
    }
  }
}

TEST(FrameDecoder, byte_by_byte_feeding_decodes_every_frame) {
  const auto samples = sample_messages();
  const auto stream = encode_all(samples);
  FrameDecoder decoder;
  std::vector<Message> got;
  for (const auto byte : stream) {
    decoder.feed(std::span<const std::uint8_t>(&byte, 1));
    for (auto& message : drain(decoder)) got.push_back(std::move(message));
  }
  EXPECT_EQ(got, samples);
}

TEST(FrameDecoder, stays_failed_after_an_error) {
  FrameDecoder decoder;
  const auto good = encode(DataAck{1});
  decoder.feed(good);
  decoder.feed(std::vector<std::uint8_t>{'G', 'L', 2, 42, 0, 0, 0, 0});
  decoder.feed(good);

  const auto first = decoder.next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(**first, Message{DataAck{1}});
  const auto second = decoder.next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, CodecErrc::unknown_type);
  EXPECT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.buffered(), 0u);

  decoder.feed(good);  // a valid frame after the break is not trusted either
  const auto third = decoder.next();
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().message, second.error().message);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, bad_body_fails_the_stream) {
  FrameDecoder decoder;
  // topology_ack with outcome 9.
  decoder.feed(testing::make_frame(6, testing::WireBuilder{}.u64(1).u64(1).u8(9).str("").bytes()));
  const auto next = decoder.next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, CodecErrc::bad_field);
  EXPECT_EQ(next.error().message, "topology_ack.outcome: value 9 out of range 0..3");
}

TEST(FrameDecoder, limit_is_its_own) {
  FrameDecoder decoder(16);
  decoder.feed(encode(Heartbeat{1, 2}));  // body 16 bytes: at the limit
  const auto at_limit = decoder.next();
  ASSERT_TRUE(at_limit.ok() && at_limit->has_value());
  decoder.feed(encode(Data{1, Bytes(5, 0)}));  // body 17 bytes
  const auto over = decoder.next();
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, CodecErrc::frame_too_large);
}

}  // namespace
}  // namespace gatelink::codec
