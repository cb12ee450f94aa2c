#include "unit/codec_samples.hpp"

#include <algorithm>
#include <limits>

namespace gatelink::codec::testing {
namespace {

constexpr auto kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr auto kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr auto kU64Max = std::numeric_limits<std::uint64_t>::max();

}  // namespace

std::string sample_issued_document() {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<topology version=\"2\" agent=\"web01.example.test\" management-group=\"EXAMPLE\" "
         "epoch=\"1764590400\" generation=\"3\" issued-at=\"2026-12-01T12:00:00.000Z\">\n"
         "    <primary address=\"gw1.example.test:5723\"/>\n"
         "    <failover address=\"127.0.0.1:15803\" server-name=\"gw3.example.test\"/>\n"
         "</topology>\n";
}

std::vector<Message> sample_messages() {
  Bytes every_byte;
  for (int i = 0; i < 1024; ++i) every_byte.push_back(static_cast<std::uint8_t>(i));
  const std::vector<std::uint8_t> every_byte_64(every_byte.begin(), every_byte.begin() + 64);
  const std::string longest_name(kMaxNameLength, 'n');
  const std::string longest_text(kMaxTextLength, 't');

  return {
      Hello{kProtocolVersion, "web01.example.test", "EXAMPLE", 1764590400, 7, 1000, 3},
      Hello{kU16Max, longest_name, "", kU64Max, kU64Max, kU32Max, kU16Max},
      Hello{0, "h\xc3\xa9t\xc3\xa9r\xc3\xb6-\xe2\x82\xac-\xf0\x9d\x84\x9e", "GR\xc3\x9c\xc3\x9f", 0,
            0, 0, 0},
      Welcome{kProtocolVersion, "gw1.example.test", 1000, 3},
      Welcome{0, "", kU32Max, kU16Max},
      Heartbeat{0, 0},
      Heartbeat{kU64Max, kU64Max},
      HeartbeatAck{42, 123456789},
      TopologyPush{1764590400, 3, sample_issued_document(), {}},
      TopologyPush{1, 1, "x", std::vector<std::uint8_t>(64, 0xab)},
      TopologyPush{kU64Max, kU64Max, std::string(kMaxIssuedDocumentBytes, 'd'), every_byte_64},
      TopologyAck{1764590400, 3, TopologyOutcome::applied, ""},
      TopologyAck{0, 4, TopologyOutcome::pending, "waiting for gw9.example.test:5723"},
      TopologyAck{7, 5, TopologyOutcome::ignored, "epoch 7 generation 5 is not newer"},
      TopologyAck{kU64Max, kU64Max, TopologyOutcome::rejected, longest_text},
      Goodbye{"shutdown", 0},
      Goodbye{"busy", 30000},
      Goodbye{std::string(kMaxKeyLength, 'k'), kU32Max},
      Goodbye{"goodbye:drain-2.b_c", 1},
      Data{1, {}},
      Data{kU64Max, every_byte},
      DataAck{0},
      DataAck{kU64Max},
      ErrorMessage{ErrorCode::protocol, "hello expected"},
      ErrorMessage{ErrorCode::unsupported_version, ""},
      ErrorMessage{ErrorCode::unauthorized, "agent name does not match the certificate"},
      ErrorMessage{ErrorCode::bad_request, longest_text},
      ErrorMessage{ErrorCode::internal, "x"},
      Admit{},
  };
}

std::string describe(std::size_t index, const Message& message) {
  return std::to_string(index) + ": " + std::string(to_string(type_of(message)));
}

Bytes make_frame(std::uint8_t type, const Bytes& body, std::uint8_t version) {
  // Sized once and filled in place: growing it trips a false GCC 12 -Warray-bounds.
  Bytes frame(kHeaderSize + body.size());
  frame[0] = 'G';
  frame[1] = 'L';
  frame[2] = version;
  frame[3] = type;
  for (std::size_t i = 0; i < 4; ++i) {
    frame[4 + i] = static_cast<std::uint8_t>(body.size() >> (8 * (3 - i)));
  }
  std::copy(body.begin(), body.end(), frame.begin() + kHeaderSize);
  return frame;
}

}  // namespace gatelink::codec::testing
