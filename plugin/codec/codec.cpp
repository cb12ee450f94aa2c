#include "codec/codec.hpp"

#include <array>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "codec/wire.hpp"

namespace gatelink::codec {
namespace {

using wire::TextRule;

constexpr TextRule kName{kMaxNameLength};
constexpr TextRule kText{kMaxTextLength};
/// Reason keys travel into log lines and status: a short word of a safe alphabet.
constexpr TextRule kKey{kMaxKeyLength, /*non_empty=*/true, /*key=*/true};
/// An Ed25519 signature (signature/public_key.hpp; the codec links no crypto).
constexpr std::size_t kSignatureBytes = 64;

constexpr std::uint8_t kMagic0 = 'G';
constexpr std::uint8_t kMagic1 = 'L';

// Index + 1 of an alternative is its type number; decode_body() and the header rely on that.
template <std::size_t... I>
constexpr bool types_follow_index(std::index_sequence<I...>) {
  return ((std::variant_alternative_t<I, Message>::kType == static_cast<MessageType>(I + 1)) &&
          ...);
}
constexpr std::size_t kTypeCount = std::variant_size_v<Message>;
static_assert(types_follow_index(std::make_index_sequence<kTypeCount>{}));

constexpr bool is_known_type(std::size_t number) { return number >= 1 && number <= kTypeCount; }

/// A default message of type `type`, ready to be read into.
template <std::size_t... I>
Message blank_message(MessageType type, std::index_sequence<I...>) {
  Message out;
  ((static_cast<std::size_t>(type) == I + 1 ? void(out.emplace<I>()) : void()), ...);
  return out;
}

std::string hex(std::uint8_t byte) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  return {'0', 'x', kDigits[byte >> 4], kDigits[byte & 0xf]};
}

// ---- the fields of every message, in wire order -------------------------------------------
// Walked by a WireWriter (M const) to encode and by a WireReader (M mutable) to decode.

template <class Io, class E>
void enumeration(Io& io, std::string_view field, E& value, std::remove_const_t<E> first,
                 std::remove_const_t<E> last) {
  using Raw = std::underlying_type_t<std::remove_const_t<E>>;
  auto raw = static_cast<Raw>(value);
  io.integer(field, raw);
  if (raw < static_cast<Raw>(first) || raw > static_cast<Raw>(last)) {
    io.reject(field, "value " + std::to_string(raw) + " out of range " +
                         std::to_string(static_cast<Raw>(first)) + ".." +
                         std::to_string(static_cast<Raw>(last)));
  }
  if constexpr (!std::is_const_v<E>) value = static_cast<E>(raw);
}

template <class T>
struct dependent_false : std::false_type {};

template <class Io, class M>
void fields(Io& io, M& m) {
  using T = std::remove_const_t<M>;
  if constexpr (std::is_same_v<T, Hello>) {
    io.integer("protocol_version", m.protocol_version);
    io.text("agent_name", m.agent_name, kName);
    io.text("management_group", m.management_group, kName);
    io.integer("topology_epoch", m.topology_epoch);
    io.integer("topology_generation", m.topology_generation);
    io.integer("heartbeat_interval_ms", m.heartbeat_interval_ms);
    io.integer("heartbeat_misses", m.heartbeat_misses);
  } else if constexpr (std::is_same_v<T, Welcome>) {
    io.integer("protocol_version", m.protocol_version);
    io.text("gateway_name", m.gateway_name, kName);
    io.integer("heartbeat_interval_ms", m.heartbeat_interval_ms);
    io.integer("heartbeat_misses", m.heartbeat_misses);
  } else if constexpr (std::is_same_v<T, Heartbeat> || std::is_same_v<T, HeartbeatAck>) {
    io.integer("sequence", m.sequence);
    io.integer("sent_at_us", m.sent_at_us);
  } else if constexpr (std::is_same_v<T, TopologyPush>) {
    io.integer("epoch", m.epoch);
    io.integer("generation", m.generation);
    io.bytes("document", m.document, kMaxIssuedDocumentBytes);
    if (m.document.empty()) io.reject("document", "must not be empty");
    io.bytes("signature", m.signature, kSignatureBytes);
    if (!m.signature.empty() && m.signature.size() != kSignatureBytes) {
      io.reject("signature", "must be empty or " + std::to_string(kSignatureBytes) + " bytes");
    }
  } else if constexpr (std::is_same_v<T, TopologyAck>) {
    io.integer("epoch", m.epoch);
    io.integer("generation", m.generation);
    enumeration(io, "outcome", m.outcome, TopologyOutcome::applied, TopologyOutcome::rejected);
    io.text("message", m.message, kText);
  } else if constexpr (std::is_same_v<T, Goodbye>) {
    io.text("reason", m.reason, kKey);
    io.integer("retry_after_ms", m.retry_after_ms);
  } else if constexpr (std::is_same_v<T, Data>) {
    io.integer("sequence", m.sequence);
    io.bytes("payload", m.payload);
  } else if constexpr (std::is_same_v<T, DataAck>) {
    io.integer("sequence", m.sequence);
  } else if constexpr (std::is_same_v<T, ErrorMessage>) {
    enumeration(io, "code", m.code, ErrorCode::protocol, ErrorCode::internal);
    io.text("message", m.message, kText);
  } else if constexpr (std::is_same_v<T, Admit>) {
    // No fields: the header's version and type say everything.
  } else {
    static_assert(dependent_false<T>::value, "every message needs its fields listed");
  }
}

/// Writes the body of `message` to `out` (null: checks only); the first bound it breaks.
std::optional<CodecError> write_body(const Message& message, Bytes* out) {
  wire::WireWriter writer(type_of(message), out);
  std::visit([&](const auto& m) { fields(writer, m); }, message);
  return writer.take_error();
}

}  // namespace

std::string_view to_string(CodecErrc code) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "bad_magic", "unsupported_version", "unknown_type",  "frame_too_large",
      "truncated", "bad_field",           "trailing_bytes"};
  const auto index = static_cast<std::size_t>(code);
  return index < kNames.size() ? kNames[index] : "unknown";
}

Bytes encode(const Message& message) {
  Bytes frame(kHeaderSize);
  if (auto error = write_body(message, &frame)) throw std::invalid_argument(error->message);
  const auto body_size = frame.size() - kHeaderSize;
  if (body_size > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument(std::string(to_string(type_of(message))) +
                                ": body does not fit in 32 bits");
  }
  frame[0] = kMagic0;
  frame[1] = kMagic1;
  frame[2] = kProtocolVersion;
  frame[3] = static_cast<std::uint8_t>(type_of(message));
  wire::store_be(&frame[4], static_cast<std::uint32_t>(body_size));
  return frame;
}

std::optional<CodecError> validate(const Message& message) { return write_body(message, nullptr); }

Result<FrameHeader, CodecError> decode_header(std::span<const std::uint8_t> bytes,
                                              std::size_t max_body) {
  const auto refuse = [](CodecErrc code, const std::string& what) {
    return CodecError{code, "header: " + what};
  };
  if (bytes.size() < kHeaderSize) {
    return refuse(CodecErrc::truncated, "truncated: needs " + wire::byte_count(kHeaderSize) + ", " +
                                            std::to_string(bytes.size()) + " left");
  }
  if (bytes[0] != kMagic0 || bytes[1] != kMagic1) {
    return refuse(CodecErrc::bad_magic,
                  "bad magic " + hex(bytes[0]) + " " + hex(bytes[1]) + ", expected 'GL'");
  }
  if (bytes[2] != kProtocolVersion) {
    return refuse(CodecErrc::unsupported_version, "protocol version " + std::to_string(bytes[2]) +
                                                      ", this side speaks " +
                                                      std::to_string(kProtocolVersion));
  }
  if (!is_known_type(bytes[3])) {
    return refuse(CodecErrc::unknown_type, "unknown message type " + std::to_string(bytes[3]));
  }
  const auto type = static_cast<MessageType>(bytes[3]);
  const auto body_size = wire::load_be<std::uint32_t>(&bytes[4]);
  if (body_size > max_body) {
    return refuse(CodecErrc::frame_too_large,
                  std::string(to_string(type)) + " body of " + wire::byte_count(body_size) +
                      " exceeds the limit of " + std::to_string(max_body));
  }
  return FrameHeader{type, body_size};
}

Result<Message, CodecError> decode_body(MessageType type, std::span<const std::uint8_t> body) {
  if (!is_known_type(static_cast<std::size_t>(type))) {
    return CodecError{CodecErrc::unknown_type,
                      "unknown message type " + std::to_string(static_cast<unsigned>(type))};
  }
  auto message = blank_message(type, std::make_index_sequence<kTypeCount>{});
  wire::WireReader reader(type, body);
  std::visit([&](auto& m) { fields(reader, m); }, message);
  reader.finish();
  if (auto error = reader.take_error()) return *std::move(error);
  return message;
}

}  // namespace gatelink::codec
