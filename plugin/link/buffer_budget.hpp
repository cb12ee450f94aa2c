#pragma once
// A bound on the bytes that receive buffers hold, shared by many sessions (the reference
// gateway's --max-buffered-mib): a frame's buffer grows as its bytes arrive, and past its first
// chunk only while the total of every session's buffers stays under the limit. Pure: no
// sockets, no clocks.

#include <atomic>
#include <cstddef>

namespace gatelink::link {

class BufferBudget {
 public:
  explicit BufferBudget(std::size_t limit) : limit_(limit) {}
  BufferBudget(const BufferBudget&) = delete;
  BufferBudget& operator=(const BufferBudget&) = delete;

  /// Takes `bytes`; false, with nothing taken, when that would pass the limit.
  bool try_reserve(std::size_t bytes);
  /// Takes `bytes` even past the limit: for what every session is due whatever others hold
  /// (the first chunk of a frame, bounded by the number of sessions).
  void take(std::size_t bytes);
  /// Gives back bytes that try_reserve or take took.
  void release(std::size_t bytes);

  std::size_t limit() const { return limit_; }
  /// Bytes taken now.
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  /// Most bytes taken at once so far.
  std::size_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  void raise_peak(std::size_t used);

  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> peak_{0};
};

/// What one buffer holds of a budget (nothing without one), given back when the lease goes.
class BudgetLease {
 public:
  explicit BudgetLease(BufferBudget* budget) : budget_(budget) {}
  ~BudgetLease() {
    if (budget_ != nullptr) budget_->release(held_);
  }
  BudgetLease(const BudgetLease&) = delete;
  BudgetLease& operator=(const BudgetLease&) = delete;

  /// Takes `bytes` more; false when the budget cannot give them (the lease is unchanged).
  bool grow(std::size_t bytes);
  /// Takes `bytes` more even past the budget's limit (BufferBudget::take).
  void grow_anyway(std::size_t bytes);
  std::size_t held() const { return held_; }

 private:
  BufferBudget* budget_;
  std::size_t held_ = 0;
};

}  // namespace gatelink::link
