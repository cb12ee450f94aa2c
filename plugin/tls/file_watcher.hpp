#pragma once
// Tells when files may have been replaced: renewal tools write a new file and rename it over the
// old one, so the folders holding the files are watched, not the files themselves. Changes that
// come close together (a certificate and its key written one after the other) are reported once,
// after they have settled. One implementation per platform: inotify on Linux; the Windows build
// adds its own implementation file.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace gatelink::tls {

class FileWatcher {
 public:
  using Handler = std::function<void()>;

  /// Watches the folders of `files` (paths as configured) for any change to one of these names:
  /// written, replaced by rename, removed, or its mode changed. `on_change` runs on
  /// `executor` once no further change has come for `settle` (and at the latest 4 × `settle` after
  /// the first). An error when the platform refuses (e.g. its limit of watches is reached).
  static Result<std::unique_ptr<FileWatcher>> open(const boost::asio::any_io_executor& executor,
                                                   const std::vector<std::string>& files,
                                                   std::chrono::milliseconds settle,
                                                   Handler on_change);

  virtual ~FileWatcher() = default;
  /// Stops watching; `on_change` does not run afterwards. Call on `executor`. Idempotent.
  virtual void close() = 0;
};

}  // namespace gatelink::tls
