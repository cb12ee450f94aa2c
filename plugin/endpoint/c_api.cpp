// The C ABI over the endpoint: no exception crosses it, every pointer is checked, every entry
// point returns an error code, and nothing that waits for an endpoint's thread may be called
// from a callback (it would wait for itself).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "common/escape.hpp"
#include "endpoint/endpoint.hpp"
#include "gatelink/gatelink.h"
#include "host_log.hpp"

struct gatelink_endpoint {
  std::unique_ptr<gatelink::Endpoint> endpoint;
  /// Once only, in this order; start and stop are serialised by `lifecycle`.
  enum class Phase { opened, started, stopped };
  std::mutex lifecycle;
  std::atomic<Phase> phase{Phase::opened};
};

namespace {

using Phase = gatelink_endpoint::Phase;
using Kind = gatelink::failover::Report::Kind;

void copy_out(const std::string& text, char* buffer, size_t size) {
  if (buffer == nullptr || size == 0) return;
  const size_t n = std::min(text.size(), size - 1);
  std::memcpy(buffer, text.data(), n);
  buffer[n] = '\0';
}

/// Whether the calling thread runs one of the host's callbacks (log or state).
bool in_callback() {
  return gatelink::Endpoint::on_endpoint_thread() || gatelink::HostLog::in_callback();
}

void log_internal_error(const char* function, const char* what) noexcept {
  try {
    spdlog::critical("event=internal-error function={} error={}", function,
                     gatelink::escaped(what));
  } catch (...) {
    // Nothing left to tell it with.
  }
}

/// Runs `body`, turning every exception into an error code.
template <typename Body>
int guarded(const char* function, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return GATELINK_E_NO_MEMORY;
  } catch (const std::exception& e) {
    log_internal_error(function, e.what());
    return GATELINK_E_INTERNAL;
  } catch (...) {
    log_internal_error(function, "unknown exception");
    return GATELINK_E_INTERNAL;
  }
}

int event_code(Kind kind) {
  switch (kind) {
    case Kind::connected: return GATELINK_EVENT_CONNECTED;
    case Kind::failover: return GATELINK_EVENT_FAILOVER;
    case Kind::failback: return GATELINK_EVENT_FAILBACK;
    case Kind::reconnect: return GATELINK_EVENT_RECONNECT;
    case Kind::backoff: return GATELINK_EVENT_BACKOFF;
    case Kind::dead: return GATELINK_EVENT_GATEWAY_DEAD;
    case Kind::applied: return GATELINK_EVENT_TOPOLOGY_APPLIED;
    case Kind::pending: return GATELINK_EVENT_TOPOLOGY_PENDING;
    case Kind::committed: return GATELINK_EVENT_TOPOLOGY_COMMITTED;
    case Kind::handover_failed: return GATELINK_EVENT_HANDOVER_FAILED;
    case Kind::ignored: return GATELINK_EVENT_TOPOLOGY_IGNORED;
    case Kind::rejected: return GATELINK_EVENT_TOPOLOGY_REJECTED;
    case Kind::damped: return GATELINK_EVENT_FLAP_DAMPED;
    case Kind::standby_lost:
      return GATELINK_EVENT_STANDBY_LOST;
  }
  return 0;
}

/// The host's state callback, called with the change in C form.
gatelink::StateHandler state_handler(gatelink_state_fn fn, void* user) {
  if (fn == nullptr) return nullptr;
  return [fn, user](const gatelink::StateChange& change) {
    const std::string event(change.event);
    const gatelink_state_change c{
        .size = sizeof(gatelink_state_change),
        .event = event_code(change.kind),
        .event_name = event.c_str(),
        .gateway = change.gateway ? change.gateway->c_str() : nullptr,
        .from_gateway = change.from ? change.from->c_str() : nullptr,
        .position = change.position ? static_cast<int>(*change.position) : -1,
        .gateway_count = static_cast<int>(change.gateway_count),
        .generation = change.generation,
        .reason = change.reason.c_str(),
    };
    try {
      fn(user, &c);
    } catch (...) {
      // A C++ host's callback that throws: the endpoint goes on.
    }
  };
}

}  // namespace

extern "C" {

int gatelink_abi_version(void) { return GATELINK_ABI_VERSION; }

const char* gatelink_version(void) {
  // A string literal of the build: NUL-terminated and static.
  return gatelink::version().data();
}

const char* gatelink_strerror(int code) {
  switch (code) {
    case GATELINK_OK: return "ok";
    case GATELINK_E_INVALID_ARGUMENT: return "invalid argument";
    case GATELINK_E_STATE: return "not possible in the endpoint's present state";
    case GATELINK_E_IN_CALLBACK: return "not allowed from inside a callback";
    case GATELINK_E_TRUNCATED: return "buffer too small";
    case GATELINK_E_NO_MEMORY: return "out of memory";
    case GATELINK_E_INTERNAL: return "internal error (logged)";
    default: return "unknown code";
  }
}

int gatelink_set_log_callback(gatelink_log_fn fn, void* user) {
  return guarded(__func__, [&] { return gatelink::HostLog::set_callback(fn, user); });
}

int gatelink_set_log_level(int level) {
  return guarded(__func__, [&] { return gatelink::HostLog::set_level(level); });
}

gatelink_endpoint* gatelink_open(const char* config_path, char* error, size_t error_size) {
  gatelink_endpoint* handle = nullptr;
  const int code = guarded(__func__, [&] {
    gatelink::HostLog::install();
    if (in_callback()) {
      copy_out(gatelink_strerror(GATELINK_E_IN_CALLBACK), error, error_size);
      return GATELINK_E_IN_CALLBACK;
    }
    if (config_path == nullptr) {
      copy_out("no configuration path given", error, error_size);
      return GATELINK_E_INVALID_ARGUMENT;
    }
    auto config = gatelink::load_agent_config(config_path);
    if (!config) {
      copy_out(config.error().message, error, error_size);
      return GATELINK_E_INVALID_ARGUMENT;
    }
    auto endpoint = gatelink::Endpoint::open(std::move(*config));
    if (!endpoint) {
      copy_out(endpoint.error().message, error, error_size);
      return GATELINK_E_INVALID_ARGUMENT;
    }
    auto opened = std::make_unique<gatelink_endpoint>();
    opened->endpoint = std::move(*endpoint);
    handle = opened.release();
    copy_out("", error, error_size);
    return GATELINK_OK;
  });
  if (code != GATELINK_OK && code != GATELINK_E_INVALID_ARGUMENT &&
      code != GATELINK_E_IN_CALLBACK) {
    copy_out(gatelink_strerror(code), error, error_size);
  }
  return handle;
}

int gatelink_set_state_callback(gatelink_endpoint* h, gatelink_state_fn fn, void* user) {
  if (h == nullptr) return GATELINK_E_INVALID_ARGUMENT;
  return guarded(__func__, [&] {
    if (in_callback()) return GATELINK_E_IN_CALLBACK;
    h->endpoint->set_state_handler(state_handler(fn, user));
    return GATELINK_OK;
  });
}

int gatelink_start(gatelink_endpoint* h) {
  if (h == nullptr) return GATELINK_E_INVALID_ARGUMENT;
  return guarded(__func__, [&] {
    if (in_callback()) return GATELINK_E_IN_CALLBACK;
    std::lock_guard lock(h->lifecycle);
    if (h->phase != Phase::opened) return GATELINK_E_STATE;
    h->endpoint->start();
    h->phase = Phase::started;
    return GATELINK_OK;
  });
}

int gatelink_stop(gatelink_endpoint* h) {
  if (h == nullptr) return GATELINK_E_INVALID_ARGUMENT;
  return guarded(__func__, [&] {
    if (in_callback()) return GATELINK_E_IN_CALLBACK;
    std::lock_guard lock(h->lifecycle);
    h->endpoint->stop();
    h->phase = Phase::stopped;
    return GATELINK_OK;
  });
}

int gatelink_connected(gatelink_endpoint* h) {
  if (h == nullptr) return GATELINK_E_INVALID_ARGUMENT;
  return guarded(__func__, [&] {
    return h->endpoint->status().state == gatelink::ConnectionState::connected ? 1 : 0;
  });
}

int gatelink_alive(gatelink_endpoint* h, unsigned timeout_ms) {
  if (h == nullptr) return GATELINK_E_INVALID_ARGUMENT;
  return guarded(__func__, [&] {
    if (in_callback()) return GATELINK_E_IN_CALLBACK;
    if (h->phase != Phase::started) return GATELINK_E_STATE;
    return h->endpoint->alive(std::chrono::milliseconds(timeout_ms)) ? 1 : 0;
  });
}

int gatelink_reload(gatelink_endpoint* h) {
  if (h == nullptr) return GATELINK_E_INVALID_ARGUMENT;
  return guarded(__func__, [&] {
    if (in_callback()) return GATELINK_E_IN_CALLBACK;
    if (h->phase != Phase::started) return GATELINK_E_STATE;
    return h->endpoint->reload() ? GATELINK_OK : GATELINK_E_STATE;
  });
}

int gatelink_status_json(gatelink_endpoint* h, char* buffer, size_t size, size_t* length) {
  if (h == nullptr || (buffer == nullptr && size > 0)) return GATELINK_E_INVALID_ARGUMENT;
  return guarded(__func__, [&] {
    const std::string json = gatelink::to_json(h->endpoint->status());
    if (length != nullptr) *length = json.size();
    copy_out(json, buffer, size);
    return json.size() < size ? GATELINK_OK : GATELINK_E_TRUNCATED;
  });
}

int gatelink_close(gatelink_endpoint* h) {
  if (h == nullptr) return GATELINK_OK;
  return guarded(__func__, [&] {
    if (in_callback()) return GATELINK_E_IN_CALLBACK;
    delete h;
    return GATELINK_OK;
  });
}

}  // extern "C"
