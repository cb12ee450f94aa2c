// The shared buffer budget: never past its limit, a refusal takes nothing, leases give back.

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "link/buffer_budget.hpp"

namespace gatelink::link {
namespace {

TEST(BufferBudget, reserves_up_to_its_limit_and_refuses_beyond_without_taking) {
  BufferBudget budget(100);
  EXPECT_TRUE(budget.try_reserve(60));
  EXPECT_TRUE(budget.try_reserve(40));
  EXPECT_FALSE(budget.try_reserve(1));
  EXPECT_EQ(budget.used(), 100u);
  budget.release(50);
  EXPECT_FALSE(budget.try_reserve(51));
  EXPECT_EQ(budget.used(), 50u);
  EXPECT_TRUE(budget.try_reserve(50));
  EXPECT_EQ(budget.peak(), 100u);
}

TEST(BufferBudget, a_request_larger_than_the_limit_is_refused) {
  BufferBudget budget(10);
  EXPECT_FALSE(budget.try_reserve(11));
  EXPECT_FALSE(budget.try_reserve(static_cast<std::size_t>(-1)));
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(budget.peak(), 0u);
}

TEST(BufferBudget, take_passes_the_limit_and_then_nothing_more_is_reserved) {
  BufferBudget budget(100);
  EXPECT_TRUE(budget.try_reserve(90));
  budget.take(20);
  EXPECT_EQ(budget.used(), 110u);
  EXPECT_EQ(budget.peak(), 110u);
  EXPECT_FALSE(budget.try_reserve(1));
  budget.release(20);
  EXPECT_TRUE(budget.try_reserve(10));
}

TEST(BufferBudget, lease_gives_everything_back_when_it_goes) {
  BufferBudget budget(1000);
  {
    BudgetLease lease(&budget);
    EXPECT_TRUE(lease.grow(300));
    EXPECT_TRUE(lease.grow(600));
    EXPECT_FALSE(lease.grow(200));  // refused: the lease keeps what it had
    EXPECT_EQ(lease.held(), 900u);
    lease.grow_anyway(200);
    EXPECT_EQ(lease.held(), 1100u);
    EXPECT_EQ(budget.used(), 1100u);
  }
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(budget.peak(), 1100u);
}

TEST(BufferBudget, lease_without_a_budget_only_counts) {
  BudgetLease lease(nullptr);
  EXPECT_TRUE(lease.grow(1u << 30));
  EXPECT_EQ(lease.held(), 1u << 30);
}

TEST(BufferBudget, threads_sharing_it_never_pass_the_limit) {
  constexpr std::size_t kLimit = 64;
  BufferBudget budget(kLimit);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (budget.try_reserve(8)) budget.release(8);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_LE(budget.peak(), kLimit);
}

}  // namespace
}  // namespace gatelink::link
