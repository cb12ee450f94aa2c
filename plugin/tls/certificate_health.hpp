#pragma once
// What a technician must be told about the agent's certificate and CRL, decided from times
// passed in (pure: no clock, no files): how many days are left, whether the certificate expires
// soon or has expired, and whether the CRL is past its next update (then every gateway is
// refused). And when a warning that holds is logged again: at once when it is new, then at a
// bounded interval, never at every heartbeat.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatelink::tls {

using WallTimePoint = std::chrono::system_clock::time_point;

/// A time as logs carry it, to the second: `2026-12-01T10:00:00Z`.
std::string log_time(WallTimePoint time);

/// A standing problem of the agent's TLS material.
enum class CertificateWarning {
  expires_soon,     ///< within the configured number of days
  expired,          ///< past its notAfter: every gateway refuses the agent
  crl_out_of_date,  ///< the CRL's nextUpdate has passed: every gateway is refused
};
/// `expires-soon`, `expired`, `crl-out-of-date`.
std::string_view to_string(CertificateWarning warning);

struct CertificateHealth {
  std::int64_t days_left = 0;  ///< whole days until notAfter, rounded down: negative once expired
  bool crl_expired = false;    ///< a CRL is in use and its nextUpdate has passed
  struct Warning {
    CertificateWarning kind;
    std::string message;  ///< one sentence for a technician, with the date and what to do
  };
  std::vector<Warning> warnings;
  /// The kinds of `warnings`, in order.
  std::vector<CertificateWarning> kinds() const;
};

/// Judges a certificate valid until `not_after` and an optional CRL due `crl_next_update` at
/// `now`. `warning_days` 0 turns the early warning off; an expired certificate and an out-of-date
/// CRL are always warned about.
CertificateHealth assess_certificate(WallTimePoint not_after,
                                     std::optional<WallTimePoint> crl_next_update,
                                     unsigned warning_days, WallTimePoint now);

/// When standing warnings are logged: at once when they differ from the ones logged last or
/// when forced (start, reload), else again once `repeat` has passed while they hold.
class WarningLog {
 public:
  using Clock = std::chrono::steady_clock;
  explicit WarningLog(Clock::duration repeat) : repeat_(repeat) {}

  /// Whether `warnings` should be logged at `now`; when it says so, it counts them as logged.
  /// Never while there are none.
  bool due(const std::vector<CertificateWarning>& warnings, Clock::time_point now, bool force);

 private:
  Clock::duration repeat_;
  std::vector<CertificateWarning> logged_;
  std::optional<Clock::time_point> logged_at_;
};

}  // namespace gatelink::tls
