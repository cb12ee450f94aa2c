#pragma once
// Keeps the agent's TLS material current and its problems told, on the endpoint's executor:
// renewed files are taken up when the file watch sees them (or on request: SIGHUP), with the
// lazy look before each connection as a backstop; warnings (certificate expiring or expired,
// CRL out of date) are logged at start, at every reload, and again at a bounded interval while
// they hold. Status reads state() at any time.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "tls/certificate_health.hpp"
#include "tls/file_watcher.hpp"
#include "tls/reloading_context.hpp"

namespace gatelink::tls {

/// How long the watched folders must be quiet before renewed files are looked at: a renewal
/// tool writes the certificate and then the key, and both should be taken together.
inline constexpr std::chrono::milliseconds kRenewalSettle{250};
/// How often standing warnings are re-evaluated (a certificate entering the warning window,
/// a CRL passing its next update).
inline constexpr std::chrono::minutes kCertificateCheckInterval{60};
/// How often a warning that still holds is logged again.
inline constexpr std::chrono::hours kCertificateWarningRepeat{24};

class CertificateMonitor {
 public:
  /// What status shows about the material.
  struct State {
    ReloadingContext::Material material;
    CertificateHealth health;
    std::optional<MaterialError> refusal;  ///< renewed files that were refused, until good ones
  };

  /// `warning_days`: warn this many days before the certificate expires (0: only once expired).
  CertificateMonitor(const boost::asio::any_io_executor& executor,
                     std::shared_ptr<ReloadingContext> tls, unsigned warning_days);
  ~CertificateMonitor();
  CertificateMonitor(const CertificateMonitor&) = delete;
  CertificateMonitor& operator=(const CertificateMonitor&) = delete;

  /// Logs the warnings that hold, starts the file watch and the periodic check. On the executor's
  /// thread.
  void start();
  /// Stops the watch and the periodic check, so that no work of it is left. On the executor's
  /// thread.
  void stop();
  /// Rebuilds from the files now even if they seem unchanged (SIGHUP). On the executor's thread.
  void reload();
  /// The context for a new connection, taking up files changed since the last look.
  ContextPtr context_for_connection();
  /// The material in use and its health at `now`; safe from any thread.
  State state(WallTimePoint now) const;

 private:
  void look(bool force);
  void report(bool force);
  void schedule_check();

  std::shared_ptr<ReloadingContext> tls_;
  unsigned warning_days_;
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer check_timer_;
  std::unique_ptr<FileWatcher> watcher_;
  WarningLog warning_log_{kCertificateWarningRepeat};
  bool running_ = false;
};

}  // namespace gatelink::tls
