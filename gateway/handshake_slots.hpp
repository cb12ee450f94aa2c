#pragma once
// Admission of connections that have not completed their handshake: a bound on all of them and
// a smaller one per source, so that one source (a flood of idle or trickling TCP clients) can
// hold only its share and real agents from elsewhere still get slots. Pure: no sockets.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>

namespace gatelink::gateway {

/// What a connection counts against: its IPv4 address, or the /64 of its IPv6 address (a host
/// or site gets a whole /64, so single IPv6 addresses would give one peer 2^64 shares).
/// IPv4-mapped IPv6 addresses count as the IPv4 address.
struct SourceKey {
  std::uint8_t family = 0;  ///< 4 or 6
  std::array<std::uint8_t, 8> prefix{};
  friend bool operator==(const SourceKey&, const SourceKey&) = default;
};
/// The key of an address in network byte order: 4 bytes (IPv4) or 16 (IPv6).
SourceKey source_key(std::span<const std::uint8_t> address);

struct SourceKeyHash {
  std::size_t operator()(const SourceKey& key) const;
};

class HandshakeSlots {
 public:
  enum class Verdict {
    admitted,
    busy_total,   ///< every slot is taken
    busy_source,  ///< this source holds its whole share
  };

  /// Share of one source when none is configured: a sixteenth of all slots, at least one.
  static std::size_t default_share(std::size_t total);

  /// `per_source` 0: default_share(total).
  HandshakeSlots(std::size_t total, std::size_t per_source);

  /// Takes a slot for `source`, unless that would pass one of the bounds.
  Verdict acquire(const SourceKey& source);
  /// Gives back a slot that acquire() took for `source`.
  void release(const SourceKey& source);

  std::size_t total() const { return total_; }
  std::size_t per_source() const { return per_source_; }
  /// Slots taken, by everyone or by one source.
  std::size_t in_use() const { return in_use_; }
  std::size_t in_use(const SourceKey& source) const;

 private:
  std::size_t total_;
  std::size_t per_source_;
  std::size_t in_use_ = 0;
  /// Only sources holding a slot: the table never outgrows `total_` entries.
  std::unordered_map<SourceKey, std::size_t, SourceKeyHash> by_source_;
};

}  // namespace gatelink::gateway
