#include "tls/reloading_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "common/escape.hpp"
#include "tls/certificate_health.hpp"

namespace gatelink::tls {

namespace {

/// The own certificate and the CRL due first, as the built context holds them.
ReloadingContext::Material material_of(ContextPtr context) {
  ReloadingContext::Material material{.context = std::move(context),
                                      .loaded_at = std::chrono::system_clock::now()};
  SSL_CTX* ctx = material.context->native_handle();
  if (const X509* cert = SSL_CTX_get0_certificate(ctx); cert != nullptr) {
    material.certificate = certificate_info(cert);
  }
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    const X509_CRL* crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objects, i));
    if (crl == nullptr) continue;
    CrlInfo info = crl_info(crl);
    const auto due = [](const CrlInfo& c) {
      return c.next_update.value_or(std::chrono::system_clock::time_point::max());
    };
    if (!material.crl || due(info) < due(*material.crl)) material.crl = std::move(info);
  }
  return material;
}


}  // namespace

ReloadingContext::ReloadingContext(Files files, Builder builder, Material material)
    : files_(std::move(files)), builder_(builder), material_(std::move(material)) {}

Result<std::shared_ptr<ReloadingContext>> ReloadingContext::create(Files files,
                                                                   Builder builder) {
  auto context = builder(files);
  if (!context) return Error{context.error().message};
  // Stamped after the build: a file replaced in between is picked up at the first look.
  auto self = std::shared_ptr<ReloadingContext>(
      new ReloadingContext(std::move(files), builder, material_of(std::move(*context))));
  self->stamps_ = self->stamp_files();
  self->failed_stamps_ = self->stamps_;
  return self;
}

ReloadingContext::Stamps ReloadingContext::stamp_files() const {
  Stamps stamps{};
  const std::array<const std::string*, std::tuple_size_v<Stamps>> paths = {
      &files_.ca, &files_.cert, &files_.key, &files_.crl, &files_.ticket_keys};
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (paths[i]->empty()) continue;
    // Missing: the rebuild will say so.
    if (auto stamp = stamp_file(*paths[i])) stamps[i] = *stamp;
  }
  return stamps;
}

ReloadingContext::Outcome ReloadingContext::look(bool force) {
  const auto now = stamp_files();
  if (!force && now == stamps_) {
    refusal_.reset();  // the files in use are back in place
    return Outcome::unchanged;
  }
  if (!force && now == failed_stamps_) return Outcome::unchanged;
  auto rebuilt = builder_(files_);
  if (!rebuilt) {
    failed_stamps_ = now;
    refusal_ = rebuilt.error();
    spdlog::error("event=certificate-refused file={} reason={} error={} action=keep-previous",
                  escaped(refusal_->file), to_string(refusal_->problem),
                  escaped(refusal_->message));
    return Outcome::refused;
  }
  material_ = material_of(std::move(*rebuilt));
  stamps_ = now;
  failed_stamps_ = now;
  refusal_.reset();
  spdlog::info("event=certificate-reloaded subject={} not_after={} cert={} ca={} crl={}",
               escaped(material_.certificate.subject), log_time(material_.certificate.not_after),
               escaped(files_.cert), escaped(files_.ca),
               files_.crl.empty() ? std::string("-") : escaped(files_.crl));
  return Outcome::reloaded;
}

ContextPtr ReloadingContext::current() {
  std::lock_guard lock(mutex_);
  look(false);
  return material_.context;
}

ReloadingContext::Outcome ReloadingContext::reload(bool force) {
  std::lock_guard lock(mutex_);
  return look(force);
}

ReloadingContext::Material ReloadingContext::material() const {
  std::lock_guard lock(mutex_);
  return material_;
}

std::optional<MaterialError> ReloadingContext::refusal() const {
  std::lock_guard lock(mutex_);
  return refusal_;
}

}  // namespace gatelink::tls
