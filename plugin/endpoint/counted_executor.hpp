#pragma once
// The executor an endpoint's I/O runs on: its lane's io_context, with the endpoint's own count
// of outstanding work. Several endpoints share an io_context (EndpointRuntime), so "the
// io_context ran out of work" no longer says that one endpoint is done; this count does. Every
// pending operation (a read, a timer, a coroutine) and every handler posted holds a tracked copy
// of the executor, as Asio's operations do with any executor, and so one unit of the count;
// stop() waits for it to drain before the endpoint's state may go.

#include <atomic>
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace gatelink {

/// One endpoint's outstanding work: the tracked executors alive.
class WorkCount {
 public:
  void add() noexcept { count_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (count_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the lock: a waiter between its check and its sleep cannot miss this.
      std::lock_guard lock(mutex_);
      drained_.notify_all();
    }
  }
  /// Blocks until no work is outstanding.
  void wait_drained() {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [this] { return outstanding() == 0; });
  }
  std::size_t outstanding() const noexcept { return count_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::size_t> count_{0};
  std::mutex mutex_;
  std::condition_variable drained_;
};

/// An io_context executor that counts its tracked copies in a WorkCount. Supports what
/// any_io_executor asks of an executor: the context, blocking.never and blocking.possibly,
/// outstanding_work.tracked and untracked.
class CountedExecutor {
 public:
  using Inner = boost::asio::io_context::executor_type;

  CountedExecutor(Inner inner, std::shared_ptr<WorkCount> count) noexcept
      : inner_(inner), count_(std::move(count)) {}
  CountedExecutor(const CountedExecutor& other) noexcept
      : inner_(other.inner_),
        count_(other.count_),
        tracked_(other.tracked_),
        possibly_(other.possibly_) {
    if (tracked_) count_->add();
  }
  CountedExecutor(CountedExecutor&& other) noexcept
      : inner_(other.inner_),
        count_(std::move(other.count_)),
        tracked_(std::exchange(other.tracked_, false)),
        possibly_(other.possibly_) {}
  CountedExecutor& operator=(CountedExecutor other) noexcept {
    swap(other);
    return *this;
  }
  ~CountedExecutor() {
    if (tracked_) count_->release();
  }

  boost::asio::execution_context& query(boost::asio::execution::context_t) const noexcept {
    return inner_.context();
  }
  boost::asio::execution::blocking_t query(boost::asio::execution::blocking_t) const noexcept {
    if (possibly_) return boost::asio::execution::blocking.possibly;
    return boost::asio::execution::blocking.never;
  }
  boost::asio::execution::outstanding_work_t query(
      boost::asio::execution::outstanding_work_t) const noexcept {
    if (tracked_) return boost::asio::execution::outstanding_work.tracked;
    return boost::asio::execution::outstanding_work.untracked;
  }

  CountedExecutor require(boost::asio::execution::blocking_t::never_t) const {
    return with_blocking(false);
  }
  CountedExecutor require(boost::asio::execution::blocking_t::possibly_t) const {
    return with_blocking(true);
  }
  CountedExecutor require(boost::asio::execution::outstanding_work_t::tracked_t) const {
    return with_tracking(true);
  }
  CountedExecutor require(boost::asio::execution::outstanding_work_t::untracked_t) const {
    return with_tracking(false);
  }

  /// Runs `f` at once when blocking.possibly is in force and this thread runs the io_context;
  /// else queues it there, holding one unit of the count until it has run (or is destroyed).
  template <typename F>
  void execute(F&& f) const {
    if (possibly_ && inner_.running_in_this_thread()) {
      std::decay_t<F>(std::forward<F>(f))();
      return;
    }
    boost::asio::require(inner_, boost::asio::execution::blocking.never)
        .execute([work = with_tracking(true), f = std::decay_t<F>(std::forward<F>(f))]() mutable {
          f();
        });
  }

  friend bool operator==(const CountedExecutor& a, const CountedExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.count_ == b.count_ && a.possibly_ == b.possibly_;
  }
  friend bool operator!=(const CountedExecutor& a, const CountedExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  void swap(CountedExecutor& other) noexcept {
    std::swap(inner_, other.inner_);
    std::swap(count_, other.count_);
    std::swap(tracked_, other.tracked_);
    std::swap(possibly_, other.possibly_);
  }
  CountedExecutor with_blocking(bool possibly) const {
    CountedExecutor copy(*this);
    copy.possibly_ = possibly;
    return copy;
  }
  CountedExecutor with_tracking(bool tracked) const {
    CountedExecutor copy(inner_, count_);
    copy.possibly_ = possibly_;
    copy.tracked_ = tracked;
    if (tracked) count_->add();
    return copy;
  }

  Inner inner_;
  std::shared_ptr<WorkCount> count_;
  bool tracked_ = false;
  bool possibly_ = false;
};

}  // namespace gatelink
