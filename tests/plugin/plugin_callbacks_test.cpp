// libgatelink's callbacks through the C ABI, in this process against a real gateway: the log
// and state callbacks, what a callback may not do, and gatelink_alive while a callback blocks
// the endpoint's thread.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "gatelink/gatelink.h"
#include "integration/harness.hpp"
#include "plugin/plugin_test_support.hpp"

namespace gatelink::test {
namespace {

/// The library's log while a test runs: every line, and a gate that can hold the callback.
class LogCapture {
 public:
  LogCapture() { gatelink_set_log_callback(&LogCapture::call, this); }
  ~LogCapture() {
    release();
    gatelink_set_log_callback(nullptr, nullptr);
  }
  /// From now on the next line blocks the thread that logs it until release().
  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    changed_.notify_all();
  }
  /// Whether a thread is blocked in the callback now.
  bool blocked() const { return blocked_; }
  std::vector<std::pair<int, std::string>> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  static void call(void* user, int level, const char* line) {
    auto* self = static_cast<LogCapture*>(user);
    std::unique_lock lock(self->mutex_);
    self->lines_.emplace_back(level, line);
    self->blocked_ = self->holding_;
    self->changed_.wait(lock, [self] { return !self->holding_; });
    self->blocked_ = false;
  }
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = false;
  std::atomic<bool> blocked_{false};
  std::vector<std::pair<int, std::string>> lines_;
};

bool has_line(const LogCapture& log, int level, const std::string& part) {
  for (const auto& [l, line] : log.lines()) {
    if (l == level && line.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(PluginCallbacks, log_callback_gets_each_line_with_its_level) {
  OneGateway setup;
  LogCapture log;
  char error[512] = "";
  gatelink_endpoint* endpoint = gatelink_open(setup.config.c_str(), error, sizeof error);
  ASSERT_NE(endpoint, nullptr) << error;
  ASSERT_EQ(gatelink_start(endpoint), GATELINK_OK);
  EXPECT_TRUE(wait_until([&] { return gatelink_connected(endpoint) == 1; }, 10s));
  EXPECT_EQ(gatelink_close(endpoint), GATELINK_OK);
  EXPECT_TRUE(has_line(log, GATELINK_LOG_INFO, "event=topology-loaded"));  // during open
  EXPECT_TRUE(has_line(log, GATELINK_LOG_INFO,
                       "event=connected gateway=gw1.example.test@" + setup.gw.address));
  for (const auto& [level, line] : log.lines()) {
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.rfind("event=", 0), 0u) << "no time or level prefix: " << line;
  }
}

TEST(PluginCallbacks, alive_is_0_while_a_callback_blocks_the_endpoint_thread_and_1_after) {
  OneGateway setup;
  LogCapture log;
  char error[512] = "";
  gatelink_endpoint* endpoint = gatelink_open(setup.config.c_str(), error, sizeof error);
  ASSERT_NE(endpoint, nullptr) << error;
  EXPECT_EQ(gatelink_alive(endpoint, 100), GATELINK_E_STATE);  // not started
  log.hold();
  ASSERT_EQ(gatelink_start(endpoint), GATELINK_OK);
  // The endpoint's first line (connecting) now holds its thread inside the host's callback.
  ASSERT_TRUE(wait_until([&] { return log.blocked(); }, 10s));
  EXPECT_EQ(gatelink_alive(endpoint, 200), 0);
  EXPECT_EQ(gatelink_alive(endpoint, 200), 0);  // the one probe still waits; none piles up
  log.release();
  EXPECT_EQ(gatelink_alive(endpoint, 10000), 1);
  EXPECT_TRUE(wait_until([&] { return gatelink_connected(endpoint) == 1; }, 10s));
  EXPECT_EQ(gatelink_alive(endpoint, 10000), 1);
  EXPECT_EQ(gatelink_stop(endpoint), GATELINK_OK);
  EXPECT_EQ(gatelink_alive(endpoint, 100), GATELINK_E_STATE);  // stopped
  EXPECT_EQ(gatelink_close(endpoint), GATELINK_OK);
}

/// What a state callback saw and what the calls it tried answered.
struct StateRecord {
  std::mutex mutex;
  std::vector<std::string> events;
  std::string gateway;
  int position = -2;
  int count = 0;
  std::size_t size = 0;
  int stop = 1;
  int close = 1;
  int alive = 1;
  int status = 1;
  std::string status_json;
  gatelink_endpoint* endpoint = nullptr;
};

void on_state(void* user, const gatelink_state_change* change) {
  auto* record = static_cast<StateRecord*>(user);
  std::lock_guard lock(record->mutex);
  record->events.emplace_back(change->event_name);
  if (change->event != GATELINK_EVENT_CONNECTED) return;
  record->gateway = change->gateway != nullptr ? change->gateway : "";
  record->position = change->position;
  record->count = change->gateway_count;
  record->size = change->size;
  // Inside a callback: what would wait for this very thread is refused, status is answered.
  record->stop = gatelink_stop(record->endpoint);
  record->close = gatelink_close(record->endpoint);
  record->alive = gatelink_alive(record->endpoint, 100);
  std::string json(64 * 1024, '\0');
  size_t length = 0;
  record->status = gatelink_status_json(record->endpoint, json.data(), json.size(), &length);
  json.resize(length);
  record->status_json = json;
}

TEST(PluginCallbacks, state_callback_tells_connected_and_refuses_stop_from_inside) {
  OneGateway setup;
  char error[512] = "";
  StateRecord record;
  record.endpoint = gatelink_open(setup.config.c_str(), error, sizeof error);
  ASSERT_NE(record.endpoint, nullptr) << error;
  ASSERT_EQ(gatelink_set_state_callback(record.endpoint, on_state, &record), GATELINK_OK);
  ASSERT_EQ(gatelink_start(record.endpoint), GATELINK_OK);
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(record.mutex);
        return !record.status_json.empty();
      },
      10s));
  {
    std::lock_guard lock(record.mutex);
    EXPECT_EQ(record.events.front(), "connected");
    EXPECT_EQ(record.gateway, "gw1.example.test@" + setup.gw.address);
    EXPECT_EQ(record.position, 0);
    EXPECT_EQ(record.count, 1);
    EXPECT_EQ(record.size, sizeof(gatelink_state_change));
    EXPECT_EQ(record.stop, GATELINK_E_IN_CALLBACK);
    EXPECT_EQ(record.close, GATELINK_E_IN_CALLBACK);
    EXPECT_EQ(record.alive, GATELINK_E_IN_CALLBACK);
    EXPECT_EQ(record.status, GATELINK_OK);
    EXPECT_NE(record.status_json.find("\"state\":\"connected\""), std::string::npos)
        << record.status_json;
  }
  // The endpoint still runs: nothing inside the callback stopped or freed it.
  EXPECT_EQ(gatelink_alive(record.endpoint, 10000), 1);
  EXPECT_EQ(gatelink_set_state_callback(record.endpoint, nullptr, nullptr), GATELINK_OK);
  EXPECT_EQ(gatelink_close(record.endpoint), GATELINK_OK);
}

}  // namespace
}  // namespace gatelink::test
