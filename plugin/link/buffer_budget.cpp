#include "link/buffer_budget.hpp"

namespace gatelink::link {

bool BufferBudget::try_reserve(std::size_t bytes) {
  std::size_t used = used_.load(std::memory_order_relaxed);
  std::size_t next = 0;
  do {
    if (used > limit_ || bytes > limit_ - used) return false;  // take() may pass the limit
    next = used + bytes;
  } while (!used_.compare_exchange_weak(used, next, std::memory_order_relaxed));
  raise_peak(next);
  return true;
}

void BufferBudget::take(std::size_t bytes) {
  raise_peak(used_.fetch_add(bytes, std::memory_order_relaxed) + bytes);
}

void BufferBudget::raise_peak(std::size_t used) {
  std::size_t peak = peak_.load(std::memory_order_relaxed);
  while (used > peak && !peak_.compare_exchange_weak(peak, used, std::memory_order_relaxed)) {
  }
}

void BufferBudget::release(std::size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

void BudgetLease::grow_anyway(std::size_t bytes) {
  if (budget_ != nullptr) budget_->take(bytes);
  held_ += bytes;
}

bool BudgetLease::grow(std::size_t bytes) {
  if (budget_ != nullptr && !budget_->try_reserve(bytes)) return false;
  held_ += bytes;
  return true;
}

}  // namespace gatelink::link
