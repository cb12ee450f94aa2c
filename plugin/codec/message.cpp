#include "codec/message.hpp"

#include <array>
#include <cstddef>
#include <type_traits>

namespace gatelink::codec {

namespace {

/// `names[value - first]`, or "unknown" for a value outside the table (possible when the value
/// came off the wire).
template <class E, std::size_t N>
std::string_view name_of(E value, std::size_t first, const std::array<std::string_view, N>& names) {
  const auto index = static_cast<std::size_t>(value) - first;  // wraps around below `first`
  return index < N ? names[index] : "unknown";
}

}  // namespace

std::string_view to_string(MessageType type) {
  static constexpr std::array<std::string_view, std::variant_size_v<Message>> kNames = {
      "hello",        "welcome", "heartbeat", "heartbeat_ack", "topology_push",
      "topology_ack", "goodbye", "data",      "data_ack",      "error",
      "admit"};
  return name_of(type, 1, kNames);
}

std::string_view to_string(ErrorCode code) {
  static constexpr std::array<std::string_view, 5> kNames = {
      "protocol", "unsupported_version", "unauthorized", "bad_request", "internal"};
  return name_of(code, 1, kNames);
}

MessageType type_of(const Message& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kType; }, message);
}

}  // namespace gatelink::codec
