// The library's log sink: one line at a time to the host's callback, or to stderr.

#include "host_log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace gatelink {

namespace {

/// The library's logger name (spdlog's registry here is the library's own).
constexpr const char* kLoggerName = "gatelink";
/// Without a host callback: UTC time, level, line.
constexpr const char* kStderrPattern = "%Y-%m-%dT%H:%M:%S.%eZ %l %v";

thread_local bool inside_host_callback = false;

int to_abi_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return GATELINK_LOG_TRACE;
    case spdlog::level::debug: return GATELINK_LOG_DEBUG;
    case spdlog::level::info: return GATELINK_LOG_INFO;
    case spdlog::level::warn: return GATELINK_LOG_WARN;
    case spdlog::level::err: return GATELINK_LOG_ERROR;
    default: return GATELINK_LOG_CRITICAL;
  }
}

/// Serialises the host's callback: never called concurrently with itself, and replaced only
/// between two calls.
class HostSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    // A line logged from inside the callback (it called into the library): dropped, never a
    // deadlock on mutex_.
    if (inside_host_callback) return;
    std::lock_guard lock(mutex_);
    if (fn_ == nullptr) {
      spdlog::memory_buf_t out;
      formatter_->format(msg, out);
      std::fwrite(out.data(), 1, out.size(), stderr);
      return;
    }
    const std::string line(msg.payload.data(), msg.payload.size());
    inside_host_callback = true;
    try {
      fn_(user_, to_abi_level(msg.level), line.c_str());
    } catch (...) {
      // A C++ host's callback that throws: the line is lost, the endpoint goes on.
    }
    inside_host_callback = false;
  }
  void flush() override {
    std::lock_guard lock(mutex_);
    if (fn_ == nullptr) std::fflush(stderr);
  }
  void set_pattern(const std::string& pattern) override {
    set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
  }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    std::lock_guard lock(mutex_);
    formatter_ = std::move(formatter);
  }
  void set_callback(gatelink_log_fn fn, void* user) {
    std::lock_guard lock(mutex_);
    fn_ = fn;
    user_ = user;
  }

 private:
  std::mutex mutex_;
  gatelink_log_fn fn_ = nullptr;
  void* user_ = nullptr;
  std::unique_ptr<spdlog::formatter> formatter_ =
      std::make_unique<spdlog::pattern_formatter>(kStderrPattern, spdlog::pattern_time_type::utc);
};

std::shared_ptr<HostSink> host_sink() {
  static const auto sink = std::make_shared<HostSink>();
  return sink;
}

}  // namespace

void HostLog::install() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = std::make_shared<spdlog::logger>(kLoggerName, host_sink());
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
  });
}

int HostLog::set_callback(gatelink_log_fn fn, void* user) {
  if (inside_host_callback) return GATELINK_E_IN_CALLBACK;
  install();
  host_sink()->set_callback(fn, user);
  return GATELINK_OK;
}

int HostLog::set_level(int level) {
  if (level < GATELINK_LOG_TRACE || level > GATELINK_LOG_CRITICAL) {
    return GATELINK_E_INVALID_ARGUMENT;
  }
  install();
  // GATELINK_LOG_* follow spdlog's order trace … critical.
  spdlog::set_level(static_cast<spdlog::level::level_enum>(level));
  return GATELINK_OK;
}

bool HostLog::in_callback() { return inside_host_callback; }

}  // namespace gatelink
