#pragma once
// libgatelink for C++ hosts: header-only RAII over the C ABI (gatelink.h), so that no C++
// symbol, type or exception crosses the library boundary. Failures are thrown as
// gatelink::embedded::Error on the host's side of it. Thread-safety and callbacks: gatelink.h.

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "gatelink/gatelink.h"

namespace gatelink::embedded {

/// A failed call: code() is the GATELINK_E_* it returned (0 for a failed open).
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// `code` when it is not an error; else throws naming `call`.
inline int checked(int code, const char* call) {
  if (code < 0) throw Error(code, std::string(call) + ": " + gatelink_strerror(code));
  return code;
}

/// The library's log, handed to a host function while this object lives (the host owns
/// logging; the library writes nothing to stderr meanwhile). One at a time.
class LogHandler {
 public:
  using Function = std::function<void(int level, std::string_view line)>;
  explicit LogHandler(Function function) : function_(std::make_unique<Function>(std::move(function))) {
    checked(gatelink_set_log_callback(&call, function_.get()), "gatelink_set_log_callback");
  }
  ~LogHandler() { gatelink_set_log_callback(nullptr, nullptr); }
  LogHandler(const LogHandler&) = delete;
  LogHandler& operator=(const LogHandler&) = delete;

 private:
  static void call(void* user, int level, const char* line) noexcept {
    try {
      (*static_cast<Function*>(user))(level, line);
    } catch (...) {
      // Nothing may unwind into the library.
    }
  }
  std::unique_ptr<Function> function_;
};

/// One endpoint: opened by the constructor, stopped and closed by the destructor.
class Endpoint {
 public:
  using StateHandler = std::function<void(const gatelink_state_change&)>;

  /// Reads the configuration file; throws Error with the reason (file:line: what).
  explicit Endpoint(const std::string& config_path) {
    char error[1024] = "";
    handle_ = gatelink_open(config_path.c_str(), error, sizeof error);
    if (handle_ == nullptr) throw Error(0, error);
  }
  ~Endpoint() {
    if (handle_ != nullptr) gatelink_close(handle_);
  }
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  void start() { checked(gatelink_start(handle_), "gatelink_start"); }
  void stop() { checked(gatelink_stop(handle_), "gatelink_stop"); }
  bool connected() const { return checked(gatelink_connected(handle_), "gatelink_connected") == 1; }
  /// Whether the endpoint's thread answers a probe within `timeout` (false when not running).
  bool alive(std::chrono::milliseconds timeout) const {
    const int answer = gatelink_alive(handle_, static_cast<unsigned>(timeout.count()));
    return answer == GATELINK_E_STATE ? false : checked(answer, "gatelink_alive") == 1;
  }
  /// Rebuilds the TLS material from the configured files now (SIGHUP); false when not running.
  bool reload() {
    const int answer = gatelink_reload(handle_);
    return answer == GATELINK_E_STATE ? false : checked(answer, "gatelink_reload") == GATELINK_OK;
  }
  /// The status document (JSON), whole.
  std::string status_json() const {
    std::string json(kStatusGuess, '\0');
    for (;;) {
      std::size_t length = 0;
      const int code = gatelink_status_json(handle_, json.data(), json.size(), &length);
      if (code == GATELINK_OK) {
        json.resize(length);
        return json;
      }
      checked(code == GATELINK_E_TRUNCATED ? GATELINK_OK : code, "gatelink_status_json");
      json.assign(length + kStatusGuess, '\0');  // room for a document that grew meanwhile
    }
  }
  /// Called on the endpoint's thread for every state change (see gatelink.h).
  void on_state_change(StateHandler handler) {
    auto next = handler ? std::make_unique<StateHandler>(std::move(handler)) : nullptr;
    checked(gatelink_set_state_callback(handle_, next ? &call_state : nullptr, next.get()),
            "gatelink_set_state_callback");
    state_ = std::move(next);  // the previous handler is no longer running
  }

 private:
  /// A first buffer size that holds a typical status document.
  static constexpr std::size_t kStatusGuess = 4096;

  static void call_state(void* user, const gatelink_state_change* change) noexcept {
    try {
      (*static_cast<StateHandler*>(user))(*change);
    } catch (...) {
      // Nothing may unwind into the library.
    }
  }
  gatelink_endpoint* handle_ = nullptr;
  std::unique_ptr<StateHandler> state_;
};

}  // namespace gatelink::embedded
