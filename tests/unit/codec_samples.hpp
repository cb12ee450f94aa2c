#pragma once
// Shared by the codec tests: valid messages of every type, and a hand-written wire builder that
// does not use the codec, so malformed frames and golden bytes are independent of the code under
// test.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.hpp"

namespace gatelink::codec::testing {

/// An issued topology document as gatelink-mg writes one (store/topology_document.hpp): what a
/// push carries. The codec does not look inside it.
std::string sample_issued_document();

/// Valid messages of every type: typical values and edges (empty, longest, largest).
std::vector<Message> sample_messages();

/// A label for SCOPED_TRACE: "3: topology_push".
std::string describe(std::size_t index, const Message& message);

/// Appends big-endian fields the way docs/PROTOCOL.md describes them.
class WireBuilder {
 public:
  WireBuilder& u8(std::uint8_t v) { return put(v, 1); }
  WireBuilder& u16(std::uint16_t v) { return put(v, 2); }
  WireBuilder& u32(std::uint32_t v) { return put(v, 4); }
  WireBuilder& u64(std::uint64_t v) { return put(v, 8); }
  /// u16 length + bytes, with no check: malformed strings are the point.
  WireBuilder& str(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    return raw(s);
  }
  WireBuilder& raw(std::string_view s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  /// host, port, server_name.
  WireBuilder& address(std::string_view host, std::uint16_t port, std::string_view server_name) {
    return str(host).u16(port).str(server_name);
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  WireBuilder& put(std::uint64_t v, int size) {
    for (int i = size - 1; i >= 0; --i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes bytes_;
};

/// A frame around `body`, header fields as given.
Bytes make_frame(std::uint8_t type, const Bytes& body, std::uint8_t version = kProtocolVersion);

}  // namespace gatelink::codec::testing
