// The endpoint's certificate lifecycle: what status shows about the agent's certificate and CRL,
// and reload on request (SIGHUP). The file watch, the warnings and the reloads themselves are
// tls::CertificateMonitor's, on the endpoint's thread.

#include "endpoint_impl.hpp"

namespace gatelink {

StatusSnapshot::Certificate Endpoint::Impl::certificate_status(WallTime now) const {
  const auto state = certificates.state(now);
  const auto& cert = state.material.certificate;
  StatusSnapshot::Certificate out;
  out.subject = cert.subject;
  out.issuer = cert.issuer;
  out.not_after = cert.not_after;
  out.days_left = state.health.days_left;
  out.loaded_at = state.material.loaded_at;
  for (const auto& warning : state.health.warnings) {
    out.warnings.push_back({std::string(tls::to_string(warning.kind)), warning.message});
  }
  if (const auto& crl = state.material.crl) {
    out.crl = StatusSnapshot::Certificate::Crl{
        .issuer = crl->issuer, .next_update = crl->next_update, .expired = state.health.crl_expired};
  }
  if (const auto& refusal = state.refusal) {
    out.reload_error = StatusSnapshot::Certificate::ReloadError{
        .file = refusal->file,
        .reason = std::string(tls::to_string(refusal->problem)),
        .message = refusal->message};
  }
  return out;
}

bool Endpoint::reload() {
  return impl_->post_while_running([impl = impl_.get()] { impl->certificates.reload(); });
}

}  // namespace gatelink
