#include "tls/certificate_health.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace gatelink::tls {
namespace {

std::string day_of(WallTimePoint t) {
  return fmt::format("{:%Y-%m-%d %H:%M} UTC", std::chrono::floor<std::chrono::seconds>(t));
}

}  // namespace

std::string log_time(WallTimePoint time) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(time));
}

std::string_view to_string(CertificateWarning warning) {
  switch (warning) {
    case CertificateWarning::expires_soon:
      return "expires-soon";
    case CertificateWarning::expired:
      return "expired";
    case CertificateWarning::crl_out_of_date:
      return "crl-out-of-date";
  }
  return "unknown";
}

std::vector<CertificateWarning> CertificateHealth::kinds() const {
  std::vector<CertificateWarning> out;
  for (const auto& warning : warnings) out.push_back(warning.kind);
  return out;
}

CertificateHealth assess_certificate(WallTimePoint not_after,
                                     std::optional<WallTimePoint> crl_next_update,
                                     unsigned warning_days, WallTimePoint now) {
  using std::chrono::days;
  CertificateHealth health;
  health.days_left = std::chrono::floor<days>(not_after - now).count();
  if (now >= not_after) {
    health.warnings.push_back(
        {CertificateWarning::expired,
         "the agent certificate expired on " + day_of(not_after) +
             "; gateways refuse it until a renewed certificate is in place"});
  } else if (warning_days > 0 && not_after - now < days(warning_days)) {
    health.warnings.push_back(
        {CertificateWarning::expires_soon,
         fmt::format("the agent certificate expires in {} day{}, on {}; renew it",
                     health.days_left, health.days_left == 1 ? "" : "s", day_of(not_after))});
  }
  if (crl_next_update && now >= *crl_next_update) {
    health.crl_expired = true;
    health.warnings.push_back(
        {CertificateWarning::crl_out_of_date,
         "the CRL was due to be replaced on " + day_of(*crl_next_update) +
             "; every gateway is refused until a current CRL is in place"});
  }
  return health;
}

bool WarningLog::due(const std::vector<CertificateWarning>& warnings, Clock::time_point now,
                     bool force) {
  const bool changed = warnings != logged_;
  logged_ = warnings;
  if (warnings.empty()) {
    logged_at_.reset();
    return false;
  }
  if (!force && !changed && logged_at_ && now - *logged_at_ < repeat_) return false;
  logged_at_ = now;
  return true;
}

}  // namespace gatelink::tls
