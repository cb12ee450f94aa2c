#include "tls/reloading_context.hpp"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "tls/key_permissions.hpp"

namespace gatelink::tls {

ReloadingContext::ReloadingContext(Files files, Builder builder, ContextPtr context,
                                   Stamps stamps)
    : files_(std::move(files)),
      builder_(builder),
      context_(std::move(context)),
      stamps_(stamps),
      failed_stamps_(stamps) {}

namespace {

/// Every build, the first and each reload, refuses a key file others can read.
Result<ContextPtr> build(const Files& files, ReloadingContext::Builder builder) {
  if (auto perms = check_private_key_permissions(files.key); !perms) return perms.error();
  return builder(files);
}

}  // namespace

Result<std::shared_ptr<ReloadingContext>> ReloadingContext::create(Files files,
                                                                   Builder builder) {
  auto context = build(files, builder);
  if (!context) return context.error();
  // Stamped after the build: a file replaced in between is picked up at the first current().
  auto self = std::shared_ptr<ReloadingContext>(
      new ReloadingContext(std::move(files), builder, std::move(*context), Stamps{}));
  self->stamps_ = self->stamp_files();
  self->failed_stamps_ = self->stamps_;
  return self;
}

ReloadingContext::Stamps ReloadingContext::stamp_files() const {
  Stamps stamps{};
  const std::array<const std::string*, 4> paths = {&files_.ca, &files_.cert, &files_.key,
                                                   &files_.crl};
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (paths[i]->empty()) continue;
    struct stat st {};
    if (::stat(paths[i]->c_str(), &st) != 0) continue;  // missing: the rebuild will say so
    std::error_code ec;
    stamps[i] = Stamp{std::filesystem::last_write_time(*paths[i], ec),
                      static_cast<std::uintmax_t>(st.st_size),
                      static_cast<std::uintmax_t>(st.st_ino)};
  }
  return stamps;
}

ContextPtr ReloadingContext::current() {
  std::lock_guard lock(mutex_);
  const auto now = stamp_files();
  if (now == stamps_ || now == failed_stamps_) return context_;
  auto rebuilt = build(files_, builder_);
  if (!rebuilt) {
    failed_stamps_ = now;
    spdlog::error("event=tls-reload-failed cert={} error=\"{}\" action=keep-previous",
                  files_.cert, rebuilt.error().message);
    return context_;
  }
  context_ = std::move(*rebuilt);
  stamps_ = now;
  spdlog::info("event=tls-reloaded cert={} ca={} crl={}", files_.cert, files_.ca,
               files_.crl.empty() ? "-" : files_.crl);
  return context_;
}

}  // namespace gatelink::tls
