// Malformed input: every rule of docs/PROTOCOL.md refused with the right code and a message that
// names the message type and the field.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "codec/codec.hpp"
#include "codec/frame_decoder.hpp"
#include "unit/codec_samples.hpp"

namespace gatelink::codec {
namespace {

using testing::make_frame;
using testing::WireBuilder;

constexpr auto kHello = static_cast<std::uint8_t>(MessageType::hello);

void expect_header_error(const Bytes& header, CodecErrc code, const std::string& message,
                         std::size_t max_body = kDefaultMaxFrame) {
  const auto result = decode_header(header, max_body);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_EQ(result.error().message, message);
}

void expect_body_error(MessageType type, const WireBuilder& body, CodecErrc code,
                       const std::string& message) {
  const auto result = decode_body(type, body.bytes());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_EQ(result.error().message, message);
}

/// A topology_push body up to its document: epoch and generation.
WireBuilder push_prefix() { return WireBuilder{}.u64(1).u64(2); }

TEST(CodecMalformed, bad_magic_is_refused) {
  expect_header_error(WireBuilder{}.raw("HL").u8(2).u8(1).u32(0).bytes(), CodecErrc::bad_magic,
                      "header: bad magic 0x48 0x4c, expected 'GL'");
  // A TLS ClientHello sent to a plain-text port, the usual way to get here.
  expect_header_error({0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01}, CodecErrc::bad_magic,
                      "header: bad magic 0x16 0x03, expected 'GL'");
}

TEST(CodecMalformed, other_protocol_version_is_unsupported) {
  // Version 1 carried no signature: its pushes could not be believed, so it is refused whole.
  expect_header_error(make_frame(kHello, {}, 1), CodecErrc::unsupported_version,
                      "header: protocol version 1, this side speaks 2");
  expect_header_error(make_frame(kHello, {}, 3), CodecErrc::unsupported_version,
                      "header: protocol version 3, this side speaks 2");
  expect_header_error(make_frame(kHello, {}, 0), CodecErrc::unsupported_version,
                      "header: protocol version 0, this side speaks 2");
}

TEST(CodecMalformed, unknown_type_is_refused_from_header) {
  expect_header_error(make_frame(0, {}), CodecErrc::unknown_type, "header: unknown message type 0");
  expect_header_error(make_frame(12, {}), CodecErrc::unknown_type,
                      "header: unknown message type 12");
  expect_header_error(make_frame(255, {}), CodecErrc::unknown_type,
                      "header: unknown message type 255");
}

TEST(CodecMalformed, unknown_type_is_refused_by_decode_body) {
  expect_body_error(static_cast<MessageType>(12), WireBuilder{}, CodecErrc::unknown_type,
                    "unknown message type 12");
}

TEST(CodecMalformed, short_header_is_truncated) {
  expect_header_error({'G', 'L', 1}, CodecErrc::truncated,
                      "header: truncated: needs 8 bytes, 3 left");
}

TEST(CodecMalformed, oversized_frame_is_refused_from_header) {
  // Header alone, announcing 2 MiB: refused before any body byte exists.
  const auto header = WireBuilder{}.raw("GL").u8(2).u8(8).u32(2u << 20).bytes();
  expect_header_error(header, CodecErrc::frame_too_large,
                      "header: data body of 2097152 bytes exceeds the limit of 1048576");

  FrameDecoder decoder;
  decoder.feed(header);
  const auto next = decoder.next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, CodecErrc::frame_too_large);
}

TEST(CodecMalformed, frame_limit_is_set_per_call) {
  const auto header = WireBuilder{}.raw("GL").u8(2).u8(8).u32(100).bytes();
  expect_header_error(header, CodecErrc::frame_too_large,
                      "header: data body of 100 bytes exceeds the limit of 99", 99);
  EXPECT_TRUE(decode_header(header, 100).ok());
}

TEST(CodecMalformed, string_over_its_bound_is_refused) {
  expect_body_error(MessageType::hello, WireBuilder{}.u16(1).str(std::string(256, 'a')),
                    CodecErrc::bad_field, "hello.agent_name: length 256 exceeds 255");
  expect_body_error(MessageType::topology_ack,
                    WireBuilder{}.u64(1).u64(1).u8(0).str(std::string(1025, 'm')),
                    CodecErrc::bad_field, "topology_ack.message: length 1025 exceeds 1024");
  // Refused from the length prefix: the string need not even be there.
  expect_body_error(MessageType::goodbye, WireBuilder{}.u16(300), CodecErrc::bad_field,
                    "goodbye.reason: length 300 exceeds 64");
}

TEST(CodecMalformed, string_running_past_the_body_is_truncated) {
  expect_body_error(MessageType::welcome, WireBuilder{}.u16(1).u16(10).raw("gw"),
                    CodecErrc::truncated,
                    "welcome.gateway_name: truncated: needs 10 bytes, 2 left");
}

TEST(CodecMalformed, nul_in_string_is_refused) {
  expect_body_error(MessageType::hello, WireBuilder{}.u16(1).str(std::string("web\0", 4)),
                    CodecErrc::bad_field, "hello.agent_name: NUL byte at offset 3");
}

TEST(CodecMalformed, invalid_utf8_is_refused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a\x80", "offset 1"},             // lone continuation byte
      {"\xc0\x80", "offset 0"},          // overlong NUL
      {"ab\xed\xa0\x80", "offset 2"},    // UTF-16 surrogate
      {"\xe2\x82", "offset 0"},          // sequence cut short
      {"\xf4\x90\x80\x80", "offset 0"},  // above U+10FFFF
  };
  for (const auto& [text, where] : cases) {
    expect_body_error(MessageType::goodbye, WireBuilder{}.str(text).u32(0), CodecErrc::bad_field,
                      "goodbye.reason: invalid UTF-8 at " + where);
  }
}

TEST(CodecMalformed, push_without_a_document_is_refused) {
  expect_body_error(MessageType::topology_push, push_prefix().u32(0).u32(0), CodecErrc::bad_field,
                    "topology_push.document: must not be empty");
}

TEST(CodecMalformed, push_document_over_its_bound_is_refused_from_the_length) {
  // Refused from the length prefix: memory follows the bytes received, never a length announced.
  expect_body_error(MessageType::topology_push,
                    push_prefix().u32(static_cast<std::uint32_t>(kMaxIssuedDocumentBytes + 1)),
                    CodecErrc::bad_field, "topology_push.document: length 16385 exceeds 16384");
  expect_body_error(MessageType::topology_push, push_prefix().u32(0xffffffff), CodecErrc::bad_field,
                    "topology_push.document: length 4294967295 exceeds 16384");
  auto at_bound = push_prefix().u32(static_cast<std::uint32_t>(kMaxIssuedDocumentBytes));
  at_bound.raw(std::string(kMaxIssuedDocumentBytes, 'd')).u32(0);
  EXPECT_TRUE(decode_body(MessageType::topology_push, at_bound.bytes()).ok());
}

TEST(CodecMalformed, push_signature_is_empty_or_64_bytes) {
  for (const std::size_t size : {1U, 32U, 63U}) {
    expect_body_error(MessageType::topology_push,
                      push_prefix()
                          .u32(1)
                          .raw("x")
                          .u32(static_cast<std::uint32_t>(size))
                          .raw(std::string(size, 's')),
                      CodecErrc::bad_field, "topology_push.signature: must be empty or 64 bytes");
  }
  expect_body_error(MessageType::topology_push, push_prefix().u32(1).raw("x").u32(65),
                    CodecErrc::bad_field, "topology_push.signature: length 65 exceeds 64");
  EXPECT_TRUE(decode_body(MessageType::topology_push,
                          push_prefix().u32(1).raw("x").u32(64).raw(std::string(64, 's')).bytes())
                  .ok());
}

TEST(CodecMalformed, outcome_out_of_range_is_refused) {
  expect_body_error(MessageType::topology_ack, WireBuilder{}.u64(1).u64(1).u8(4).str(""),
                    CodecErrc::bad_field, "topology_ack.outcome: value 4 out of range 0..3");
}

TEST(CodecMalformed, error_code_out_of_range_is_refused) {
  expect_body_error(MessageType::error, WireBuilder{}.u16(0).str(""), CodecErrc::bad_field,
                    "error.code: value 0 out of range 1..5");
  expect_body_error(MessageType::error, WireBuilder{}.u16(6).str(""), CodecErrc::bad_field,
                    "error.code: value 6 out of range 1..5");
}

TEST(CodecMalformed, payload_running_past_the_body_is_truncated) {
  expect_body_error(MessageType::data, WireBuilder{}.u64(1).u32(0xffffffff).raw("abc"),
                    CodecErrc::truncated,
                    "data.payload: truncated: needs 4294967295 bytes, 3 left");
}

TEST(CodecMalformed, short_body_is_truncated) {
  expect_body_error(MessageType::heartbeat, WireBuilder{}.u64(1).u32(0), CodecErrc::truncated,
                    "heartbeat.sent_at_us: truncated: needs 8 bytes, 4 left");
  expect_body_error(MessageType::data_ack, WireBuilder{}, CodecErrc::truncated,
                    "data_ack.sequence: truncated: needs 8 bytes, 0 left");
}

TEST(CodecMalformed, trailing_bytes_are_refused_for_every_type) {
  const auto samples = testing::sample_messages();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE(testing::describe(i, samples[i]));
    auto frame = encode(samples[i]);
    Bytes body(frame.begin() + kHeaderSize, frame.end());
    body.push_back(0);
    const auto result = decode_body(type_of(samples[i]), body);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, CodecErrc::trailing_bytes);
    EXPECT_EQ(result.error().message,
              std::string(to_string(type_of(samples[i]))) + ": 1 byte after the last field");
  }
}

TEST(CodecMalformed, goodbye_reason_is_a_key_of_a_safe_alphabet) {
  // A reason goes into log lines and status as it is: no control character, no escape
  // sequence, no space, nothing that could forge a field or a line.
  const auto goodbye = static_cast<MessageType>(MessageType::goodbye);
  for (const std::string& bad : {std::string("shut down"), std::string("Busy"),
                                std::string("x\n2026-12-01 info event=failover"),
                                std::string("\x1b[31mred"), std::string("-busy"),
                                std::string("caf\xc3\xa9"), std::string("a=b")}) {
    const auto result = decode_body(goodbye, WireBuilder{}.str(bad).u32(0).bytes());
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code, CodecErrc::bad_field);
    EXPECT_THAT(result.error().message, ::testing::HasSubstr("goodbye.reason"));
    EXPECT_TRUE(validate(Goodbye{bad, 0}).has_value()) << "the encoder refuses it too";
  }
  expect_body_error(goodbye, WireBuilder{}.str("").u32(0), CodecErrc::bad_field,
                    "goodbye.reason: must not be empty");
  expect_body_error(goodbye, WireBuilder{}.str(std::string(65, 'a')).u32(0), CodecErrc::bad_field,
                    "goodbye.reason: length 65 exceeds 64");
  EXPECT_TRUE(decode_body(goodbye, WireBuilder{}.str("drain:v2_1.a-b").u32(0).bytes()).ok());
}

}  // namespace
}  // namespace gatelink::codec
