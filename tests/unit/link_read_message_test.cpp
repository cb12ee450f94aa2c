// read_message on a real loopback socket: the body's buffer follows the bytes that arrived, never
// the length a header announced, and a shared budget bounds what all readers hold.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "codec/codec.hpp"
#include "link/buffer_budget.hpp"
#include "link/frame_io.hpp"

namespace gatelink::link {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMiB = std::size_t{1} << 20;

/// A frame header announcing `body_size` bytes of type `type`, and nothing of the body.
codec::Bytes header(codec::MessageType type, std::uint32_t body_size) {
  return {'G',
          'L',
          codec::kProtocolVersion,
          static_cast<std::uint8_t>(type),
          static_cast<std::uint8_t>(body_size >> 24),
          static_cast<std::uint8_t>(body_size >> 16),
          static_cast<std::uint8_t>(body_size >> 8),
          static_cast<std::uint8_t>(body_size)};
}

/// One connected pair of loopback sockets: the test writes on `peer`, readers read `ours`.
struct SocketPair {
  explicit SocketPair(asio::io_context& io) : peer(io), ours(io) {
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    peer.connect(acceptor.local_endpoint());
    ours = acceptor.accept();
  }
  void send(std::span<const std::uint8_t> bytes) { asio::write(peer, asio::buffer(bytes)); }
  /// Nothing sent is left unread in the kernel: the reader has taken it.
  bool drained() { return ours.available() == 0; }

  tcp::socket peer;
  tcp::socket ours;
};

class ReadMessage : public ::testing::Test {
 protected:
  /// Starts read_message on `from`; the outcome lands in the returned slot.
  std::shared_ptr<std::optional<ReadOutcome>> start_read(tcp::socket& from, std::size_t max_body,
                                                         BufferBudget* budget) {
    auto slot = std::make_shared<std::optional<ReadOutcome>>();
    asio::co_spawn(
        io_,
        [&from, max_body, budget, slot]() -> asio::awaitable<void> {
          *slot = co_await read_message(from, max_body, budget);
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    return slot;
  }

  /// Ends a read still waiting for bytes (its peer goes), so nothing outlives the test's budget.
  void finish(SocketPair& pair, const std::shared_ptr<std::optional<ReadOutcome>>& outcome) {
    pair.peer.close();
    ASSERT_TRUE(run_until([&] { return outcome->has_value(); }));
  }

  /// Runs the io_context until `condition` holds or the deadline passes.
  bool run_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline = 5s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= until) return false;
      io_.run_one_for(5ms);
    }
    return true;
  }

  asio::io_context io_;
};

TEST_F(ReadMessage, header_announcing_1_mib_with_10_bytes_holds_one_chunk_not_the_announcement) {
  SocketPair pair(io_);
  BufferBudget budget(64 * kMiB);
  auto outcome = start_read(pair.ours, kMiB, &budget);
  pair.send(header(codec::MessageType::data, kMiB));
  pair.send(std::vector<std::uint8_t>(10, 0x5a));
  ASSERT_TRUE(run_until([&] { return budget.used() > 0 && pair.drained(); }));
  EXPECT_FALSE(outcome->has_value());  // still waiting for the rest
  EXPECT_EQ(budget.used(), kReadChunk);
  EXPECT_EQ(budget.peak(), kReadChunk);

  pair.peer.close();
  ASSERT_TRUE(run_until([&] { return outcome->has_value(); }));
  EXPECT_EQ((*outcome)->ec, asio::error::eof);
  EXPECT_EQ(budget.used(), 0u);  // given back when the read ends
}

TEST_F(ReadMessage, a_large_frame_arriving_in_pieces_grows_with_the_bytes_and_decodes) {
  SocketPair pair(io_);
  BufferBudget budget(64 * kMiB);
  codec::Data data{.sequence = 7, .payload = codec::Bytes(300 * 1024)};
  for (std::size_t i = 0; i < data.payload.size(); ++i) {
    data.payload[i] = static_cast<std::uint8_t>(i * 31);
  }
  const auto frame = codec::encode(data);
  const std::span<const std::uint8_t> all(frame);
  auto outcome = start_read(pair.ours, kMiB, &budget);

  pair.send(all.first(codec::kHeaderSize));
  constexpr std::size_t kPiece = 20 * 1024;
  for (std::size_t sent = codec::kHeaderSize; sent < frame.size();) {
    const std::size_t n = std::min(kPiece, frame.size() - sent);
    pair.send(all.subspan(sent, n));
    sent += n;
    if (sent == frame.size()) break;
    ASSERT_TRUE(run_until([&] { return budget.used() > 0 && pair.drained(); }));
    const std::size_t received = sent - codec::kHeaderSize;
    EXPECT_GE(budget.used(), received);
    EXPECT_LE(budget.used(), std::max(kReadChunk, 2 * received)) << "after " << received;
  }
  ASSERT_TRUE(run_until([&] { return outcome->has_value(); }));
  ASSERT_FALSE((*outcome)->ec) << (*outcome)->ec.message();
  ASSERT_TRUE((*outcome)->message.has_value()) << (*outcome)->protocol_error;
  EXPECT_EQ(std::get<codec::Data>(*(*outcome)->message), data);
  EXPECT_EQ(budget.peak(), frame.size() - codec::kHeaderSize);  // never past the announcement
  EXPECT_EQ(budget.used(), 0u);
}

TEST_F(ReadMessage, a_small_frame_takes_exactly_its_size) {
  SocketPair pair(io_);
  BufferBudget budget(kMiB);
  const auto frame = codec::encode(codec::Heartbeat{.sequence = 1, .sent_at_us = 2});
  auto outcome = start_read(pair.ours, kMiB, &budget);
  pair.send(frame);
  ASSERT_TRUE(run_until([&] { return outcome->has_value(); }));
  ASSERT_TRUE((*outcome)->message.has_value());
  EXPECT_EQ(budget.peak(), frame.size() - codec::kHeaderSize);
}

TEST_F(ReadMessage, growth_the_budget_cannot_hold_ends_the_read_with_buffer_budget) {
  SocketPair pair(io_);
  BufferBudget budget(kReadChunk + kReadChunk / 2);
  auto outcome = start_read(pair.ours, kMiB, &budget);
  pair.send(header(codec::MessageType::data, 100 * 1024));
  pair.send(std::vector<std::uint8_t>(kReadChunk + 1, 1));  // one byte past the first chunk
  ASSERT_TRUE(run_until([&] { return outcome->has_value(); }));
  EXPECT_EQ((*outcome)->ec, ReadErrc::over_budget);
  EXPECT_EQ(error_key((*outcome)->ec), "buffer-budget");
  EXPECT_EQ(budget.peak(), kReadChunk);
  EXPECT_EQ(budget.used(), 0u);
}

TEST_F(ReadMessage, readers_share_one_budget_and_the_one_growing_past_it_is_refused) {
  SocketPair first(io_);
  SocketPair second(io_);
  BufferBudget budget(3 * kReadChunk);
  auto first_outcome = start_read(first.ours, kMiB, &budget);
  first.send(header(codec::MessageType::data, kMiB));
  first.send(std::vector<std::uint8_t>(kReadChunk + 1, 1));
  ASSERT_TRUE(run_until([&] { return budget.used() == 2 * kReadChunk && first.drained(); }));

  auto second_outcome = start_read(second.ours, kMiB, &budget);
  second.send(header(codec::MessageType::data, kMiB));
  second.send(std::vector<std::uint8_t>(kReadChunk + 1, 2));
  ASSERT_TRUE(run_until([&] { return second_outcome->has_value(); }));
  EXPECT_EQ((*second_outcome)->ec, ReadErrc::over_budget);
  EXPECT_FALSE(first_outcome->has_value());  // the first reader goes on
  EXPECT_EQ(budget.used(), 2 * kReadChunk);
  finish(first, first_outcome);
}

TEST_F(ReadMessage, a_budget_that_large_frames_used_up_still_lets_small_frames_through) {
  SocketPair greedy(io_);
  SocketPair agent(io_);
  BufferBudget budget(kReadChunk);
  auto greedy_outcome = start_read(greedy.ours, kMiB, &budget);
  greedy.send(header(codec::MessageType::data, kMiB));
  greedy.send(std::vector<std::uint8_t>(10, 1));
  ASSERT_TRUE(run_until([&] { return budget.used() == kReadChunk && greedy.drained(); }));

  auto agent_outcome = start_read(agent.ours, kMiB, &budget);
  const codec::Heartbeat heartbeat{.sequence = 3, .sent_at_us = 4};
  agent.send(codec::encode(heartbeat));
  ASSERT_TRUE(run_until([&] { return agent_outcome->has_value(); }));
  ASSERT_TRUE((*agent_outcome)->message.has_value()) << (*agent_outcome)->ec.message();
  EXPECT_EQ(std::get<codec::Heartbeat>(*(*agent_outcome)->message), heartbeat);
  EXPECT_FALSE(greedy_outcome->has_value());
  finish(greedy, greedy_outcome);
}

TEST_F(ReadMessage, a_header_over_max_body_is_refused_before_any_allocation) {
  SocketPair pair(io_);
  BufferBudget budget(64 * kMiB);
  auto outcome = start_read(pair.ours, 1024, &budget);
  pair.send(header(codec::MessageType::data, 1025));
  ASSERT_TRUE(run_until([&] { return outcome->has_value(); }));
  EXPECT_FALSE((*outcome)->protocol_error.empty());
  EXPECT_EQ(budget.peak(), 0u);
}

TEST_F(ReadMessage, without_a_budget_reads_as_before) {
  SocketPair pair(io_);
  auto outcome = std::make_shared<std::optional<ReadOutcome>>();
  asio::co_spawn(
      io_,
      [&pair, outcome]() -> asio::awaitable<void> {
        *outcome = co_await read_message(pair.ours, kMiB);  // the agent's call
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  const codec::Goodbye goodbye{.reason = "busy", .retry_after_ms = 5000};
  pair.send(codec::encode(goodbye));
  ASSERT_TRUE(run_until([&] { return outcome->has_value(); }));
  ASSERT_TRUE((*outcome)->message.has_value());
  EXPECT_EQ(std::get<codec::Goodbye>(*(*outcome)->message), goodbye);
}

TEST(FrameWriterBound, refuses_frames_past_its_byte_bound) {
  asio::io_context io;
  const auto one = codec::encode(codec::Heartbeat{}).size();
  FrameWriter writer(io.get_executor(), 3 * one + one / 2);
  EXPECT_TRUE(writer.push(codec::Heartbeat{}));
  EXPECT_TRUE(writer.push(codec::Heartbeat{}));
  EXPECT_TRUE(writer.push(codec::Heartbeat{}));
  EXPECT_FALSE(writer.push(codec::Heartbeat{}));
  EXPECT_EQ(writer.pending(), 3u);
  EXPECT_EQ(writer.pending_bytes(), 3 * one);
}

}  // namespace
}  // namespace gatelink::link
