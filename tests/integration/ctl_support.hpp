#pragma once
// Test support for gatelinkctl and the status endpoint: an io_context thread serving an
// in-process endpoint, child processes with stdout and stderr captured apart (the harness's
// run_program merges them), and raw clients that misbehave on purpose. Every wait has a deadline;
// nothing sleeps to synchronise. TempDir and bin_dir() come from the integration harness.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "integration/harness.hpp"
#include "status/status_snapshot.hpp"
#include "status_endpoint.hpp"

namespace gatelink::test {

/// Long enough for a loaded two-core machine; only reached when something is broken.
inline constexpr std::chrono::milliseconds kTestDeadline{10'000};

/// What a child process did.
struct ProcessResult {
  int exit_code = -1;  ///< 128 + signal when killed
  std::string out;
  std::string err;
  bool timed_out = false;
};

/// Runs `argv` with the test's environment (less GATELINK_SOCKET) plus `environment`
/// (`NAME=value` entries); killed when `deadline` passes.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& environment = {},
                          std::chrono::milliseconds deadline = kTestDeadline);

/// A client of the status socket that the test drives byte by byte.
class RawClient {
 public:
  explicit RawClient(const std::string& path);
  ~RawClient();
  RawClient(RawClient&& other) noexcept;
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  RawClient& operator=(RawClient&&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view bytes);
  /// Half-closes: the endpoint sees the end of the request.
  void finish_sending();
  /// Everything up to the first `\n` (without it) or the end; nullopt when the deadline passes.
  std::optional<std::string> read_line(std::chrono::milliseconds deadline = kTestDeadline);
  /// True when the endpoint closes the connection before the deadline.
  bool wait_closed(std::chrono::milliseconds deadline = kTestDeadline);
  void close();

 private:
  int fd_ = -1;
};

/// Leaves a socket file that nobody listens on, as a crashed agent does.
void make_stale_socket(const std::string& path);

/// A listening socket that never accepts: connections queue and never get an answer.
class SilentListener {
 public:
  explicit SilentListener(const std::string& path);
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

 private:
  int fd_ = -1;
};

/// An io_context on its own thread, serving status endpoints whose document the test sets.
class StatusEndpointTest : public ::testing::Test {
 protected:
  StatusEndpointTest();
  ~StatusEndpointTest() override;

  /// The path the tests serve on: in a folder that does not exist yet.
  const std::string& socket_path() const { return socket_path_; }
  /// What the endpoint answers from now on.
  void set_document(std::string document);
  void set_snapshot(const StatusSnapshot& snapshot) { set_document(to_json(snapshot)); }

  /// Opens an endpoint on the io thread; a successful one stays open until the test ends.
  Status open_endpoint(const std::string& path);
  Status open_endpoint() { return open_endpoint(socket_path_); }
  /// Closes every endpoint opened so far (on the io thread).
  void close_endpoints();

  /// Runs `work` on the io thread and returns its result.
  template <class Work>
  auto on_io(Work work) -> decltype(work()) {
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto done = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    if (done.wait_for(kTestDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "io thread did not run the work in time";
      std::abort();  // the task refers to this frame: returning would leave it dangling
    }
    return done.get();
  }

 private:
  TempDir dir_;
  std::string socket_path_;
  std::mutex mutex_;
  std::string document_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<StatusEndpoint>> endpoints_;
  std::thread io_thread_;
};

}  // namespace gatelink::test
