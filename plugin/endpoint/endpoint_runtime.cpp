// The lanes of an EndpointRuntime: one io_context and one thread each.

#include "endpoint/endpoint_runtime.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <optional>
#include <thread>

#include "common/escape.hpp"

namespace gatelink {

namespace asio = boost::asio;

namespace {
thread_local const asio::io_context* this_thread_lane_context = nullptr;
}  // namespace

struct EndpointRuntime::Lane {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;

  void run() {
    this_thread_lane_context = &io;
    for (;;) {
      try {
        io.run();
        return;  // stopped
      } catch (const std::exception& e) {
        // A handler that throws has a bug; the lane keeps serving the other endpoints.
        spdlog::critical("event=endpoint-handler-failed error={}", escaped(e.what()));
      }
    }
  }
};

EndpointRuntime::EndpointRuntime(std::size_t lanes) {
  if (lanes == 0) lanes = 1;
  lanes_.reserve(lanes);
  for (std::size_t i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<Lane>());
}

EndpointRuntime::~EndpointRuntime() {
  for (auto& lane : lanes_) {
    lane->work.reset();
    lane->io.stop();
  }
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
  }
}

asio::io_context& EndpointRuntime::next_lane() {
  return lanes_[next_.fetch_add(1, std::memory_order_relaxed) % lanes_.size()]->io;
}

void EndpointRuntime::start() {
  std::lock_guard lock(start_mutex_);
  if (started_) return;
  for (auto& lane : lanes_) {
    lane->work.emplace(lane->io.get_executor());
    lane->thread = std::thread([raw = lane.get()] { raw->run(); });
  }
  started_ = true;
}

const asio::io_context* EndpointRuntime::this_thread_lane() { return this_thread_lane_context; }

}  // namespace gatelink
