#include "link/buffer_budget.hpp"

namespace gatelink::link {

bool BufferBudget::try_reserve(std::size_t bytes) {
  std::size_t used = used_.load(std::memory_order_relaxed);
  std::size_t next = 0;
  do {
    if (bytes > limit_ - used) return false;  // used <= limit_ always, so this cannot wrap
    next = used + bytes;
  } while (!used_.compare_exchange_weak(used, next, std::memory_order_relaxed));
  std::size_t peak = peak_.load(std::memory_order_relaxed);
  while (next > peak && !peak_.compare_exchange_weak(peak, next, std::memory_order_relaxed)) {
  }
  return true;
}

void BufferBudget::release(std::size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

bool BudgetLease::grow(std::size_t bytes) {
  if (budget_ != nullptr && !budget_->try_reserve(bytes)) return false;
  held_ += bytes;
  return true;
}

}  // namespace gatelink::link
