#pragma once
// A TLS context that follows its files: when the certificate, key, CA or CRL is replaced on
// disk, the next connection gets a context built from the new files, without a restart.
// A context is never changed once built; it is swapped, under a lock, and connections that
// hold the old one keep it until they end.

#include <array>
#include <filesystem>
#include <mutex>

#include "tls/tls_context.hpp"

namespace gatelink::tls {

class ReloadingContext {
 public:
  using Builder = Result<ContextPtr> (*)(const Files&);

  /// Builds the first context; an error here is an error at start. Every build checks the key
  /// file's permissions first.
  static Result<std::shared_ptr<ReloadingContext>> create(Files files, Builder builder);

  /// The context for a new connection: rebuilt first if a file changed since the last build.
  /// A rebuild that fails (a half-written file, a key that does not match yet) keeps the old
  /// context and is logged; it is tried again at the next call.
  ContextPtr current();

 private:
  /// What identifies one version of a file: modification time, size and inode.
  struct Stamp {
    std::filesystem::file_time_type mtime{};
    std::uintmax_t size = 0;
    std::uintmax_t inode = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };
  using Stamps = std::array<Stamp, 4>;

  ReloadingContext(Files files, Builder builder, ContextPtr context, Stamps stamps);
  Stamps stamp_files() const;

  Files files_;
  Builder builder_;
  std::mutex mutex_;
  ContextPtr context_;
  Stamps stamps_;         ///< of the files the current context was built from
  Stamps failed_stamps_;  ///< of the files a rebuild last failed on: not retried until they move
};

}  // namespace gatelink::tls
