#pragma once
// `gatelinkctl cert check`: whether the agent's certificate, key, CA and CRL files are usable,
// read from the agent configuration without the agent running. Every fact a technician asks
// for (subject, issuer, names, usages, validity, key, chain, CRL) and every problem on its own
// line. The files are read as the agent reads them (plugin/tls).

#include <string>
#include <vector>

#include "config/agent_config.hpp"
#include "status/status_snapshot.hpp"

namespace gatelink {

/// A certificate that expires within this many days is usable but warned about.
inline constexpr int kCertificateWarningDays = 30;

struct CertCheck {
  struct Fact {
    std::string label;  ///< `subject`, `valid`, `key`, ...
    std::string value;  ///< printable
  };
  std::vector<Fact> facts;
  std::vector<std::string> problems;  ///< each one makes the material unusable
  std::vector<std::string> warnings;  ///< usable, but to act on soon
  bool usable() const { return problems.empty(); }
};

/// Checks `config.tls` as the agent `config.name` would use it at `now`.
CertCheck check_agent_certificate(const AgentConfig& config, WallTime now);

/// The report: one line per fact, warning and problem, and a verdict line last.
std::string render_cert_check(const CertCheck& check);

}  // namespace gatelink
