#pragma once
// A TLS context that follows its files: when the certificate, key, CA or CRL is replaced on
// disk, a context built from the new files takes over, without a restart. The files are looked
// at when asked (reload(): a file watch, SIGHUP) and, as a backstop, before every new connection
// (current()). A context is never changed once built; it is swapped, under a lock, and
// connections that hold the old one keep it until they end. Renewed files that cannot be used
// (broken, a key that does not match, a key others may read) are refused, logged and shown; the
// context in use stays.

#include <array>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>

#include "tls/certificate_info.hpp"
#include "tls/file_stamp.hpp"
#include "tls/tls_context.hpp"

namespace gatelink::tls {

class ReloadingContext {
 public:
  using Builder = ContextResult (*)(const Files&);

  /// What the context in use holds, read from the context itself.
  struct Material {
    ContextPtr context;
    CertificateInfo certificate;  ///< of the own certificate presented
    /// Of the CRL loaded (the one due first, if the file holds several); nullopt without one.
    std::optional<CrlInfo> crl;
    std::chrono::system_clock::time_point loaded_at;  ///< when this context was built
  };

  /// A look at the files: they were as before, a new context took over, or they were refused.
  enum class Outcome { unchanged, reloaded, refused };

  /// Builds the first context; an error here is an error at start.
  static Result<std::shared_ptr<ReloadingContext>> create(Files files, Builder builder);

  /// The context for a new connection: rebuilt first if a file changed since the last look.
  ContextPtr current();

  /// Looks at the files now and rebuilds if one changed; `force` rebuilds even when none seems
  /// to have (SIGHUP). A rebuild that fails keeps the context in use and is logged; files that
  /// failed are not tried again until they change (or `force`).
  Outcome reload(bool force = false);

  /// The material of the context in use.
  Material material() const;

  /// Why the files on disk are not the ones in use; nullopt when they are.
  std::optional<MaterialError> refusal() const;

  const Files& files() const { return files_; }

 private:
  using Stamp = FileStamp;
  using Stamps = std::array<Stamp, 5>;

  ReloadingContext(Files files, Builder builder, Material material);
  Stamps stamp_files() const;
  Outcome look(bool force);  ///< reload() under the lock

  Files files_;
  Builder builder_;
  mutable std::mutex mutex_;
  Material material_;
  Stamps stamps_{};         ///< of the files the current context was built from
  Stamps failed_stamps_{};  ///< of the files a rebuild last failed on: not retried until they move
  std::optional<MaterialError> refusal_;  ///< of the files at failed_stamps_
};

}  // namespace gatelink::tls
