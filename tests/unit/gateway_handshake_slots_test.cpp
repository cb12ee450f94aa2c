// Handshake slots: one source holds at most its share, others still get slots, and the keys
// group addresses the way a flood would spread over them.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "handshake_slots.hpp"

namespace gatelink::gateway {
namespace {

using Verdict = HandshakeSlots::Verdict;

SourceKey v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  const std::array<std::uint8_t, 4> bytes{a, b, c, d};
  return source_key(bytes);
}

SourceKey v6(std::array<std::uint8_t, 16> bytes) { return source_key(bytes); }

TEST(HandshakeSlots, a_source_beyond_its_share_is_busy_while_others_still_get_slots) {
  HandshakeSlots slots(8, 3);
  const auto flood = v4(127, 0, 0, 2);
  const auto agent = v4(127, 0, 0, 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(slots.acquire(flood), Verdict::admitted);
  EXPECT_EQ(slots.acquire(flood), Verdict::busy_source);
  EXPECT_EQ(slots.acquire(flood), Verdict::busy_source);
  EXPECT_EQ(slots.in_use(flood), 3u);
  EXPECT_EQ(slots.acquire(agent), Verdict::admitted);
  EXPECT_EQ(slots.in_use(), 4u);
  slots.release(flood);
  EXPECT_EQ(slots.acquire(flood), Verdict::admitted);  // its share back
}

TEST(HandshakeSlots, all_slots_taken_is_busy_for_everyone) {
  HandshakeSlots slots(4, 2);
  EXPECT_EQ(slots.acquire(v4(10, 0, 0, 1)), Verdict::admitted);
  EXPECT_EQ(slots.acquire(v4(10, 0, 0, 1)), Verdict::admitted);
  EXPECT_EQ(slots.acquire(v4(10, 0, 0, 2)), Verdict::admitted);
  EXPECT_EQ(slots.acquire(v4(10, 0, 0, 3)), Verdict::admitted);
  EXPECT_EQ(slots.acquire(v4(10, 0, 0, 4)), Verdict::busy_total);
  EXPECT_EQ(slots.in_use(v4(10, 0, 0, 4)), 0u);  // a refusal takes nothing
}

TEST(HandshakeSlots, releases_forget_a_source_that_holds_nothing) {
  HandshakeSlots slots(4, 1);
  const auto a = v4(192, 0, 2, 1);
  EXPECT_EQ(slots.acquire(a), Verdict::admitted);
  slots.release(a);
  slots.release(a);  // one too many is harmless
  EXPECT_EQ(slots.in_use(), 0u);
  EXPECT_EQ(slots.in_use(a), 0u);
  EXPECT_EQ(slots.acquire(a), Verdict::admitted);
}

TEST(HandshakeSlots, the_default_share_is_a_sixteenth_and_at_least_one) {
  EXPECT_EQ(HandshakeSlots(256, 0).per_source(), 16u);
  EXPECT_EQ(HandshakeSlots(1000, 0).per_source(), 62u);
  EXPECT_EQ(HandshakeSlots(10, 0).per_source(), 1u);
  EXPECT_EQ(HandshakeSlots(256, 5).per_source(), 5u);
}

TEST(SourceKey, ipv6_addresses_in_one_slash_64_are_one_source) {
  const auto a = v6({0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1});
  const auto b = v6({0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9});
  const auto c = v6({0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(SourceKeyHash{}(a), SourceKeyHash{}(b));
}

TEST(SourceKey, ipv4_addresses_are_sources_of_their_own_and_mapped_ones_are_the_same) {
  EXPECT_NE(v4(127, 0, 0, 1), v4(127, 0, 0, 2));
  EXPECT_EQ(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 2}), v4(127, 0, 0, 2));
  // An IPv6 /64 whose bytes spell an IPv4 address is not that address.
  EXPECT_NE(v6({127, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), v4(127, 0, 0, 2));
}

}  // namespace
}  // namespace gatelink::gateway
