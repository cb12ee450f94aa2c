// Valid messages: every type round-trips, the bytes are the documented ones, and encode refuses
// what decode would refuse.

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "codec/codec.hpp"
#include "unit/codec_samples.hpp"

namespace gatelink::codec {
namespace {

using testing::describe;
using testing::make_frame;
using testing::sample_messages;
using testing::WireBuilder;

Bytes body_of(const Bytes& frame) { return Bytes(frame.begin() + kHeaderSize, frame.end()); }

TEST(CodecRoundTrip, samples_cover_every_message_type) {
  std::set<MessageType> seen;
  for (const auto& message : sample_messages()) seen.insert(type_of(message));
  EXPECT_EQ(seen.size(), std::variant_size_v<Message>);
}

TEST(CodecRoundTrip, every_sample_decodes_to_what_was_encoded) {
  const auto samples = sample_messages();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE(describe(i, samples[i]));
    EXPECT_FALSE(validate(samples[i]).has_value());
    const auto frame = encode(samples[i]);
    const auto header = decode_header(frame);
    ASSERT_TRUE(header.ok()) << header.error().message;
    EXPECT_EQ(header->type, type_of(samples[i]));
    EXPECT_EQ(header->body_size, frame.size() - kHeaderSize);
    const auto decoded = decode_body(header->type, body_of(frame));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, samples[i]);
  }
}

TEST(CodecRoundTrip, hello_has_the_documented_wire_layout) {
  const Bytes expected = {
      'G', 'L', 2,   1,   0, 0, 0, 31,  // header: magic, version, type hello, body length 31
      0,   2,                           // protocol_version
      0,   2,   'a', 'b',               // agent_name
      0,   1,   'G',                    // management_group
      0,   0,   0,   0,   0, 0, 0, 9,   // topology_epoch
      1,   2,   3,   4,   5, 6, 7, 8,   // topology_generation
      0,   0,   3,   232,               // heartbeat_interval_ms (the agent's proposal)
      0,   3,                           // heartbeat_misses (the agent's proposal)
  };
  EXPECT_EQ(encode(Hello{2, "ab", "G", 9, 0x0102030405060708, 1000, 3}), expected);
}

TEST(CodecRoundTrip, every_type_matches_the_documented_field_order) {
  const auto u64max = std::numeric_limits<std::uint64_t>::max();
  const std::vector<std::pair<Message, Bytes>> cases = {
      {Welcome{1, "gw", 1000, 3}, WireBuilder{}.u16(1).str("gw").u32(1000).u16(3).bytes()},
      {Heartbeat{5, u64max}, WireBuilder{}.u64(5).u64(u64max).bytes()},
      {HeartbeatAck{6, 7}, WireBuilder{}.u64(6).u64(7).bytes()},
      {TopologyPush{8, 9, "<t/>", {}},
       WireBuilder{}.u64(8).u64(9).u32(4).raw("<t/>").u32(0).bytes()},
      {TopologyPush{8, 9, "<t/>", std::vector<std::uint8_t>(64, 's')},
       WireBuilder{}.u64(8).u64(9).u32(4).raw("<t/>").u32(64).raw(std::string(64, 's')).bytes()},
      {TopologyAck{8, 9, TopologyOutcome::ignored, "old"},
       WireBuilder{}.u64(8).u64(9).u8(2).str("old").bytes()},
      {Goodbye{"busy", 500}, WireBuilder{}.str("busy").u32(500).bytes()},
      {Data{3, {0, 255}}, WireBuilder{}.u64(3).u32(2).raw(std::string("\0\xff", 2)).bytes()},
      {DataAck{4}, WireBuilder{}.u64(4).bytes()},
      {ErrorMessage{ErrorCode::unauthorized, "no"}, WireBuilder{}.u16(3).str("no").bytes()},
      {Admit{}, WireBuilder{}.bytes()},
  };
  for (const auto& [message, body] : cases) {
    SCOPED_TRACE(to_string(type_of(message)));
    EXPECT_EQ(encode(message), make_frame(static_cast<std::uint8_t>(type_of(message)), body));
  }
}

TEST(CodecRoundTrip, largest_body_within_the_limit_decodes) {
  // Data body = sequence u64 + length u32 + payload.
  const Data data{1, Bytes(kDefaultMaxFrame - 12, 0xab)};
  const auto frame = encode(data);
  ASSERT_EQ(frame.size(), kHeaderSize + kDefaultMaxFrame);
  const auto header = decode_header(frame);
  ASSERT_TRUE(header.ok()) << header.error().message;
  const auto decoded = decode_body(header->type, body_of(frame));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<Data>(*decoded), data);
}

TEST(CodecRoundTrip, encode_refuses_what_decode_would_refuse) {
  const Hello hello{2, std::string(300, 'a'), "MG", 0, 1};
  const auto error = validate(hello);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, CodecErrc::bad_field);
  EXPECT_EQ(error->message, "hello.agent_name: length 300 exceeds 255");
  EXPECT_THROW((void)encode(hello), std::invalid_argument);

  const TopologyPush short_signature{1, 1, "<t/>", std::vector<std::uint8_t>(63, 's')};
  ASSERT_TRUE(validate(short_signature).has_value());
  EXPECT_EQ(validate(short_signature)->message,
            "topology_push.signature: must be empty or 64 bytes");
  EXPECT_TRUE(validate(TopologyPush{1, 1, "", {}}).has_value());
  EXPECT_TRUE(validate(ErrorMessage{static_cast<ErrorCode>(9), ""}).has_value());
  EXPECT_TRUE(validate(Goodbye{std::string("a\0b", 3), 0}).has_value());
}

TEST(CodecRoundTrip, names_are_stable_for_logs) {
  const std::vector<std::string_view> names = {
      "hello",        "welcome", "heartbeat", "heartbeat_ack", "topology_push",
      "topology_ack", "goodbye", "data",      "data_ack",      "error",
      "admit"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(to_string(static_cast<MessageType>(i + 1)), names[i]);
  }
  EXPECT_EQ(to_string(static_cast<MessageType>(0)), "unknown");
  EXPECT_EQ(to_string(static_cast<MessageType>(12)), "unknown");
  EXPECT_EQ(to_string(TopologyOutcome::applied), "applied");
  EXPECT_EQ(to_string(TopologyOutcome::rejected), "rejected");
  EXPECT_EQ(to_string(static_cast<TopologyOutcome>(4)), "unknown");
  EXPECT_EQ(to_string(ErrorCode::protocol), "protocol");
  EXPECT_EQ(to_string(ErrorCode::internal), "internal");
  EXPECT_EQ(to_string(static_cast<ErrorCode>(0)), "unknown");
  EXPECT_EQ(to_string(CodecErrc::bad_magic), "bad_magic");
  EXPECT_EQ(to_string(CodecErrc::trailing_bytes), "trailing_bytes");
}

}  // namespace
}  // namespace gatelink::codec
