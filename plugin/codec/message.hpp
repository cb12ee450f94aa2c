#pragma once
// The messages of the gatelink protocol, as values. Wire layout and bounds: docs/PROTOCOL.md;
// encoding and decoding: codec.hpp.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "topology/gateway_address.hpp"
#include "topology/topology.hpp"

namespace gatelink::codec {

/// Raw bytes: encoded frames and Data payloads.
using Bytes = std::vector<std::uint8_t>;

/// The version this build speaks, in the frame header and in hello/welcome.
/// Version 2 carries the management group's signed topology documents (docs/PROTOCOL.md).
inline constexpr std::uint8_t kProtocolVersion = 2;

/// The type byte of a frame header. The numbers are the wire format: never renumber.
enum class MessageType : std::uint8_t {
  hello = 1,
  welcome = 2,
  heartbeat = 3,
  heartbeat_ack = 4,
  topology_push = 5,
  topology_ack = 6,
  goodbye = 7,
  data = 8,
  data_ack = 9,
  error = 10,
  admit = 11,
};
/// Lower-case name used in logs and error messages ("topology_push"); "unknown" otherwise.
std::string_view to_string(MessageType type);

/// What an agent did with a pushed topology: the topology model's outcome, on the wire as u8.
using ::gatelink::TopologyOutcome;
using ::gatelink::to_string;

/// Why a peer refuses to go on; sent in ErrorMessage before closing.
enum class ErrorCode : std::uint16_t {
  protocol = 1,
  unsupported_version = 2,
  unauthorized = 3,
  bad_request = 4,
  internal = 5,
};
std::string_view to_string(ErrorCode code);

/// Agent -> gateway, first message of a session.
struct Hello {
  static constexpr MessageType kType = MessageType::hello;
  std::uint16_t protocol_version = kProtocolVersion;
  std::string agent_name;  ///< must match the agent's client certificate
  std::string management_group;
  /// What the agent holds, (epoch, generation), so the gateway pushes only news.
  std::uint64_t topology_epoch = 0;
  std::uint64_t topology_generation = 0;
  std::uint32_t heartbeat_interval_ms = 0;  ///< the agent's proposal; the welcome answers
  std::uint16_t heartbeat_misses = 0;       ///< the agent's proposal; the welcome answers
  friend bool operator==(const Hello&, const Hello&) = default;
};

/// Gateway -> agent, answer to Hello. The heartbeat settings are the agreed ones: the agent's
/// proposal bounded by the gateway; both ends hold the session to them.
struct Welcome {
  static constexpr MessageType kType = MessageType::welcome;
  std::uint16_t protocol_version = kProtocolVersion;
  std::string gateway_name;
  std::uint32_t heartbeat_interval_ms = 0;
  std::uint16_t heartbeat_misses = 0;
  friend bool operator==(const Welcome&, const Welcome&) = default;
};

/// Either side. Carries the sender's own clock so the echo gives the RTT without state.
struct Heartbeat {
  static constexpr MessageType kType = MessageType::heartbeat;
  std::uint64_t sequence = 0;
  std::uint64_t sent_at_us = 0;  ///< sender's monotonic clock, microseconds
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

/// Answer to Heartbeat: both fields echoed unchanged.
struct HeartbeatAck {
  static constexpr MessageType kType = MessageType::heartbeat_ack;
  std::uint64_t sequence = 0;
  std::uint64_t sent_at_us = 0;
  friend bool operator==(const HeartbeatAck&, const HeartbeatAck&) = default;
};

/// Gateway -> agent: a topology as the management group issued it, relayed byte for byte with
/// its signature. The agent believes nothing of it before the signature (with a key pinned) and
/// the document's own fields have been checked; epoch and generation repeat the document's so
/// that both ends can name the push in logs and acknowledgements.
struct TopologyPush {
  static constexpr MessageType kType = MessageType::topology_push;
  std::uint64_t epoch = 0;
  std::uint64_t generation = 0;
  std::string document;                 ///< the issued document's exact bytes
  std::vector<std::uint8_t> signature;  ///< Ed25519 over `document`; empty: unsigned
  friend bool operator==(const TopologyPush&, const TopologyPush&) = default;
};

/// Agent -> gateway: what became of the push of (`epoch`, `generation`).
struct TopologyAck {
  static constexpr MessageType kType = MessageType::topology_ack;
  std::uint64_t epoch = 0;
  std::uint64_t generation = 0;
  TopologyOutcome outcome = TopologyOutcome::applied;
  std::string message;  ///< why, for pending/ignored/rejected
  friend bool operator==(const TopologyAck&, const TopologyAck&) = default;
};

/// Either side, before closing on purpose (drain on shutdown, "busy" when at capacity).
struct Goodbye {
  static constexpr MessageType kType = MessageType::goodbye;
  std::string reason;  ///< a key: a-z 0-9 - _ . : only, at most kMaxKeyLength
  std::uint32_t retry_after_ms = 0;  ///< do not come back before this; 0: no request
  friend bool operator==(const Goodbye&, const Goodbye&) = default;
};

/// Agent -> gateway monitoring data (reserved: the data channel is a later issue).
struct Data {
  static constexpr MessageType kType = MessageType::data;
  std::uint64_t sequence = 0;
  Bytes payload;
  friend bool operator==(const Data&, const Data&) = default;
};

/// Gateway -> agent: every Data up to and including `sequence` is stored.
struct DataAck {
  static constexpr MessageType kType = MessageType::data_ack;
  std::uint64_t sequence = 0;
  friend bool operator==(const DataAck&, const DataAck&) = default;
};

/// Either side, before closing because of a fault. Named so it does not clash with
/// gatelink::Error.
struct ErrorMessage {
  static constexpr MessageType kType = MessageType::error;
  ErrorCode code = ErrorCode::protocol;
  std::string message;
  friend bool operator==(const ErrorMessage&, const ErrorMessage&) = default;
};

/// Gateway -> agent, in plaintext right after TCP accept and before TLS: "go on with the
/// handshake". A gateway at its limit of concurrent handshakes sends a plaintext Goodbye
/// (reason `busy`) instead, which costs it no handshake at all.
struct Admit {
  static constexpr MessageType kType = MessageType::admit;
  friend bool operator==(const Admit&, const Admit&) = default;
};

/// Any message. The alternatives are in type-number order (checked in codec.cpp).
using Message = std::variant<Hello, Welcome, Heartbeat, HeartbeatAck, TopologyPush, TopologyAck,
                             Goodbye, Data, DataAck, ErrorMessage, Admit>;

/// The type number of whichever message `message` holds.
MessageType type_of(const Message& message);

}  // namespace gatelink::codec
