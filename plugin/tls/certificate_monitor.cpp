#include "tls/certificate_monitor.hpp"

#include <spdlog/spdlog.h>

#include "common/escape.hpp"

namespace gatelink::tls {
namespace {


}  // namespace

CertificateMonitor::CertificateMonitor(const boost::asio::any_io_executor& executor,
                                       std::shared_ptr<ReloadingContext> tls, unsigned warning_days)
    : tls_(std::move(tls)),
      warning_days_(warning_days),
      executor_(executor),
      check_timer_(executor) {}

CertificateMonitor::~CertificateMonitor() = default;

void CertificateMonitor::start() {
  if (running_) return;
  running_ = true;
  report(true);
  const Files& files = tls_->files();
  auto watcher = FileWatcher::open(executor_, {files.ca, files.cert, files.key, files.crl},
                                   kRenewalSettle, [this] { look(false); });
  if (watcher) {
    watcher_ = std::move(*watcher);
  } else {
    spdlog::warn("event=certificate-watch-unavailable error={} fallback=sighup,next-connection",
                 escaped(watcher.error().message));
  }
  schedule_check();
}

void CertificateMonitor::stop() {
  running_ = false;
  check_timer_.cancel();
  if (watcher_) watcher_->close();
}

void CertificateMonitor::reload() { look(true); }

ContextPtr CertificateMonitor::context_for_connection() {
  look(false);
  return tls_->material().context;
}

CertificateMonitor::State CertificateMonitor::state(WallTimePoint now) const {
  State s{.material = tls_->material(), .health = {}, .refusal = tls_->refusal()};
  s.health = assess_certificate(
      s.material.certificate.not_after,
      s.material.crl ? s.material.crl->next_update : std::nullopt, warning_days_, now);
  return s;
}

void CertificateMonitor::look(bool force) {
  // Refusals are logged by the context; a new context gets its warnings told at once.
  if (tls_->reload(force) == ReloadingContext::Outcome::reloaded) report(true);
}

void CertificateMonitor::report(bool force) {
  const State s = state(std::chrono::system_clock::now());
  if (!warning_log_.due(s.health.kinds(), WarningLog::Clock::now(), force)) return;
  const auto& cert = s.material.certificate;
  for (const auto& warning : s.health.warnings) {
    switch (warning.kind) {
      case CertificateWarning::expires_soon:
        spdlog::warn(
            "event=certificate-expiring subject={} not_after={} days_left={} warning_days={}",
            escaped(cert.subject), log_time(cert.not_after), s.health.days_left, warning_days_);
        break;
      case CertificateWarning::expired:
        spdlog::error("event=certificate-expired subject={} not_after={} file={}",
                      escaped(cert.subject), log_time(cert.not_after), escaped(tls_->files().cert));
        break;
      case CertificateWarning::crl_out_of_date:
        spdlog::error("event=crl-out-of-date file={} issuer={} next_update={}",
                      escaped(tls_->files().crl), escaped(s.material.crl->issuer),
                      log_time(*s.material.crl->next_update));
        break;
    }
  }
}

void CertificateMonitor::schedule_check() {
  check_timer_.expires_after(kCertificateCheckInterval);
  check_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    report(false);
    schedule_check();
  });
}

}  // namespace gatelink::tls
