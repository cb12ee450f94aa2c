#pragma once
// Frames of the gatelink protocol: 8-byte header + body, every field bounded and decoded strictly.
// Pure: no sockets, no clocks. Transports read a header, then the body it announces (or use
// FrameDecoder from frame_decoder.hpp). Wire layout: docs/PROTOCOL.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "codec/message.hpp"
#include "common/result.hpp"

namespace gatelink::codec {

/// Magic 'G' 'L', version u8, type u8, body length u32 big-endian.
inline constexpr std::size_t kHeaderSize = 8;
/// Largest body accepted unless the caller says otherwise; refused from the header alone.
inline constexpr std::size_t kDefaultMaxFrame = std::size_t{1} << 20;
/// Bounds of string fields, in bytes of UTF-8.
inline constexpr std::size_t kMaxNameLength = 255;   ///< names, hosts
inline constexpr std::size_t kMaxKeyLength = 64;     ///< reason keys (goodbye)
inline constexpr std::size_t kMaxTextLength = 1024;  ///< free-text messages

enum class CodecErrc {
  bad_magic,            ///< not a gatelink frame (wrong port, TLS mix-up)
  unsupported_version,  ///< header version is not kProtocolVersion
  unknown_type,         ///< type number not in MessageType
  frame_too_large,      ///< header announces more than the limit
  truncated,            ///< fewer bytes than the header or a field needs
  bad_field,            ///< a field breaks its bound or rule
  trailing_bytes,       ///< bytes left after the last field of the body
};
std::string_view to_string(CodecErrc code);

/// Why bytes were refused. `message` names the place, e.g.
/// "hello.agent_name: string length 300 exceeds 255".
struct CodecError {
  CodecErrc code;
  std::string message;
};

struct FrameHeader {
  MessageType type;
  std::uint32_t body_size;  ///< bytes following the header
};

/// The complete frame (header + body) of `message`. Precondition: validate(message) passes;
/// a message breaking a bound is a bug in the caller and throws std::invalid_argument.
Bytes encode(const Message& message);

/// Checks the bounds encode() needs. Use it on messages built from outside input.
std::optional<CodecError> validate(const Message& message);

/// Decodes the first kHeaderSize bytes of `bytes` (fewer: truncated). A body longer than
/// `max_body` is refused here, before anyone reads or allocates it.
Result<FrameHeader, CodecError> decode_header(std::span<const std::uint8_t> bytes,
                                              std::size_t max_body = kDefaultMaxFrame);

/// Decodes a whole body of type `type`: every field present and valid, nothing after the last.
Result<Message, CodecError> decode_body(MessageType type, std::span<const std::uint8_t> body);

}  // namespace gatelink::codec
