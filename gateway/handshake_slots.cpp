#include "handshake_slots.hpp"

#include <algorithm>
#include <string_view>

namespace gatelink::gateway {

namespace {
constexpr std::size_t kV4Size = 4;
constexpr std::size_t kV6Size = 16;
constexpr std::size_t kV6PrefixSize = 8;  // the /64
/// ::ffff:a.b.c.d
constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
/// A sixteenth: 16 slots of the default 256 per source.
constexpr std::size_t kDefaultShareDivisor = 16;
}  // namespace

SourceKey source_key(std::span<const std::uint8_t> address) {
  SourceKey key;
  if (address.size() == kV6Size &&
      std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), address.begin())) {
    address = address.subspan(kV4MappedPrefix.size());
  }
  if (address.size() == kV4Size) {
    key.family = 4;
    std::copy(address.begin(), address.end(), key.prefix.begin());
  } else if (address.size() == kV6Size) {
    key.family = 6;
    std::copy_n(address.begin(), kV6PrefixSize, key.prefix.begin());
  }
  return key;
}

std::size_t SourceKeyHash::operator()(const SourceKey& key) const {
  std::array<char, 1 + 8> bytes{};
  bytes[0] = static_cast<char>(key.family);
  std::copy(key.prefix.begin(), key.prefix.end(), bytes.begin() + 1);
  return std::hash<std::string_view>{}(std::string_view(bytes.data(), bytes.size()));
}

std::size_t HandshakeSlots::default_share(std::size_t total) {
  return std::max<std::size_t>(1, total / kDefaultShareDivisor);
}

HandshakeSlots::HandshakeSlots(std::size_t total, std::size_t per_source)
    : total_(total), per_source_(per_source == 0 ? default_share(total) : per_source) {}

HandshakeSlots::Verdict HandshakeSlots::acquire(const SourceKey& source) {
  if (in_use_ >= total_) return Verdict::busy_total;
  auto [it, inserted] = by_source_.try_emplace(source, 0);
  if (it->second >= per_source_) return Verdict::busy_source;
  ++it->second;
  ++in_use_;
  return Verdict::admitted;
}

void HandshakeSlots::release(const SourceKey& source) {
  auto it = by_source_.find(source);
  if (it == by_source_.end()) return;
  --in_use_;
  if (--it->second == 0) by_source_.erase(it);
}

std::size_t HandshakeSlots::in_use(const SourceKey& source) const {
  auto it = by_source_.find(source);
  return it == by_source_.end() ? 0 : it->second;
}

}  // namespace gatelink::gateway
