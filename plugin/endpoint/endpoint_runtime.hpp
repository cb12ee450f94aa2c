#pragma once
// The threads endpoints run on. An endpoint opened on its own gets a runtime of one thread (the
// endpoint's thread of gatelink.h); a host of many endpoints (the fleet simulator of
// tests/bench/) opens them all on one runtime of a few threads. Each thread, a lane, runs an
// io_context of its own, and each endpoint lives on one lane, so that everything of one
// endpoint still happens on one thread.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace gatelink {

class EndpointRuntime {
 public:
  /// `lanes` threads (at least one), started when the first endpoint on the runtime starts.
  explicit EndpointRuntime(std::size_t lanes = 1);
  /// Stops and joins the lanes. Every endpoint opened on the runtime holds it, so this runs
  /// only once they are all gone; never on a lane's own thread.
  ~EndpointRuntime();
  EndpointRuntime(const EndpointRuntime&) = delete;
  EndpointRuntime& operator=(const EndpointRuntime&) = delete;

  std::size_t lanes() const { return lanes_.size(); }
  /// The io_context of the lane the next endpoint goes to: each in turn.
  boost::asio::io_context& next_lane();
  /// Starts the lanes' threads if they are not running yet.
  void start();

  /// The io_context the calling thread runs as a lane of some runtime; nullptr elsewhere.
  static const boost::asio::io_context* this_thread_lane();

 private:
  struct Lane;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<std::size_t> next_{0};
  std::mutex start_mutex_;
  bool started_ = false;
};

}  // namespace gatelink
