// The waiting room of a busy gateway: first come first served, bounded in all and per source,
// and nobody waits past the patience. Virtual time: instants are built, never read.

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>

#include "waiting_room.hpp"

namespace gatelink::gateway {
namespace {

using namespace std::chrono_literals;
using Room = WaitingRoom<int>;

SourceKey v4(std::uint8_t d) {
  const std::array<std::uint8_t, 4> bytes{10, 0, 0, d};
  return source_key(bytes);
}

const Room::Clock::time_point kStart{};

TEST(WaitingRoom, serves_the_longest_waiting_first) {
  Room room(8, 8, 1000ms);
  EXPECT_FALSE(room.enter(1, v4(1), kStart));
  EXPECT_FALSE(room.enter(2, v4(2), kStart + 10ms));
  EXPECT_FALSE(room.enter(3, v4(1), kStart + 20ms));
  EXPECT_EQ(room.size(), 3u);
  EXPECT_EQ(room.take()->item, 1);
  EXPECT_EQ(room.take()->item, 2);
  EXPECT_EQ(room.take()->item, 3);
  EXPECT_FALSE(room.take());
}

TEST(WaitingRoom, a_full_room_hands_the_newcomer_back) {
  Room room(2, 2, 1000ms);
  EXPECT_FALSE(room.enter(1, v4(1), kStart));
  EXPECT_FALSE(room.enter(2, v4(2), kStart));
  EXPECT_EQ(room.enter(3, v4(3), kStart), std::optional(3));
  EXPECT_EQ(room.size(), 2u);
}

TEST(WaitingRoom, a_source_holds_at_most_its_share_while_others_still_get_in) {
  Room room(8, 2, 1000ms);
  const auto flood = v4(2);
  EXPECT_FALSE(room.enter(1, flood, kStart));
  EXPECT_FALSE(room.enter(2, flood, kStart));
  EXPECT_EQ(room.enter(3, flood, kStart), std::optional(3));
  EXPECT_EQ(room.size(flood), 2u);
  EXPECT_FALSE(room.enter(4, v4(1), kStart));
  // Its share comes back as its own leave.
  EXPECT_EQ(room.take()->item, 1);
  EXPECT_FALSE(room.enter(5, flood, kStart));
}

TEST(WaitingRoom, nobody_waits_past_the_patience) {
  Room room(8, 8, 1000ms);
  EXPECT_FALSE(room.enter(1, v4(1), kStart));
  EXPECT_FALSE(room.enter(2, v4(1), kStart + 400ms));
  EXPECT_EQ(room.next_expiry(), kStart + 1000ms);
  EXPECT_TRUE(room.expire(kStart + 999ms).empty());
  // At the moment the timer was set for, the one it was set for goes.
  const auto gone = room.expire(kStart + 1000ms);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].item, 1);
  EXPECT_EQ(room.next_expiry(), kStart + 1400ms);
  EXPECT_EQ(room.expire(kStart + 5s).size(), 1u);
  EXPECT_FALSE(room.next_expiry());
  EXPECT_EQ(room.size(v4(1)), 0u);
}

TEST(WaitingRoom, capacity_zero_lets_nobody_wait) {
  Room room(0, 1, 1000ms);
  EXPECT_EQ(room.enter(1, v4(1), kStart), std::optional(1));
  EXPECT_EQ(room.size(), 0u);
}

TEST(WaitingRoom, holds_what_only_moves) {
  WaitingRoom<std::unique_ptr<int>> room(4, 4, 1000ms);
  EXPECT_FALSE(room.enter(std::make_unique<int>(7), v4(1), kStart));
  const auto cleared = room.clear();
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(*cleared[0].item, 7);
  EXPECT_EQ(room.size(), 0u);
}

}  // namespace
}  // namespace gatelink::gateway
