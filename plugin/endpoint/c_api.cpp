// The C ABI over the C++ API: no exception crosses it, every pointer is checked.

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "endpoint/endpoint.hpp"
#include "gatelink/gatelink.h"

struct gatelink_endpoint {
  std::unique_ptr<gatelink::Endpoint> endpoint;
  std::atomic<bool> started{false};
};

namespace {

void copy_out(const std::string& text, char* buffer, size_t size) {
  if (buffer == nullptr || size == 0) return;
  const size_t n = std::min(text.size(), size - 1);
  std::memcpy(buffer, text.data(), n);
  buffer[n] = '\0';
}

}  // namespace

extern "C" {

gatelink_endpoint* gatelink_open(const char* config_path, char* error, size_t error_size) {
  try {
    if (config_path == nullptr) {
      copy_out("no configuration path given", error, error_size);
      return nullptr;
    }
    auto config = gatelink::load_agent_config(config_path);
    if (!config) {
      copy_out(config.error().message, error, error_size);
      return nullptr;
    }
    auto endpoint = gatelink::Endpoint::open(std::move(*config));
    if (!endpoint) {
      copy_out(endpoint.error().message, error, error_size);
      return nullptr;
    }
    copy_out("", error, error_size);
    auto* handle = new gatelink_endpoint;
    handle->endpoint = std::move(*endpoint);
    return handle;
  } catch (const std::exception& e) {
    copy_out(std::string("internal error: ") + e.what(), error, error_size);
    return nullptr;
  }
}

int gatelink_start(gatelink_endpoint* h) {
  if (h == nullptr || h->started.exchange(true)) return -1;
  h->endpoint->start();
  return 0;
}

void gatelink_stop(gatelink_endpoint* h) {
  if (h != nullptr) h->endpoint->stop();
}

size_t gatelink_status_json(gatelink_endpoint* h, char* buffer, size_t size) {
  if (h == nullptr) return 0;
  try {
    const std::string json = gatelink::to_json(h->endpoint->status());
    copy_out(json, buffer, size);
    return json.size();
  } catch (const std::exception&) {
    copy_out("", buffer, size);
    return 0;
  }
}

int gatelink_connected(gatelink_endpoint* h) {
  if (h == nullptr) return 0;
  return h->endpoint->status().state == gatelink::ConnectionState::connected ? 1 : 0;
}

void gatelink_close(gatelink_endpoint* h) { delete h; }

const char* gatelink_version(void) { return GATELINK_VERSION; }

}  // extern "C"
