#pragma once
// The library's log: libgatelink's private copy of spdlog (header-only, hidden) gets a default
// logger whose one sink hands each line to the host's callback (gatelink_set_log_callback) or,
// without one, writes it to stderr. The host's own spdlog, if it has one, is never touched.

#include "gatelink/gatelink.h"

namespace gatelink {

class HostLog {
 public:
  /// Makes the library's logger spdlog's default; every entry point that may log calls it.
  static void install();
  /// GATELINK_OK, or GATELINK_E_IN_CALLBACK from inside the callback.
  static int set_callback(gatelink_log_fn fn, void* user);
  /// GATELINK_OK, or GATELINK_E_INVALID_ARGUMENT for an unknown level.
  static int set_level(int level);
  /// Whether the calling thread is inside the host's log callback.
  static bool in_callback();
};

}  // namespace gatelink
