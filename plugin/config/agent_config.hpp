#pragma once
// The agent's configuration file (XML): who the agent is, how it proves it, which gateways it
// starts from and its timings. Parsed strictly; every error names file, line and problem.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/timings.hpp"
#include "config/platform_defaults.hpp"
#include "topology/topology.hpp"

namespace gatelink {

/// Configuration files larger than this are refused before parsing.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{256} * 1024;

/// Days before its certificate expires that the agent starts to warn (log and status).
inline constexpr unsigned kDefaultExpiryWarningDays = 30;

/// The files the agent's mutual TLS uses.
struct TlsFiles {
  std::string ca;    ///< CA certificate(s) gateways must chain to
  std::string cert;  ///< the agent's client certificate
  std::string key;   ///< the agent's private key
  std::string crl;   ///< certificate revocation list; empty: none
};

/// The most management-group keys an agent pins at once (a key rotation needs two).
inline constexpr std::size_t kMaxPinnedKeys = 4;

/// Everything in the agent configuration file, with defaults filled in.
struct AgentConfig {
  std::string source;  ///< file path it came from
  std::string name;    ///< agent name; the agent certificate must carry it
  std::string management_group;
  TlsFiles tls;
  /// The management group's public key files (PEM); empty: topologies are not checked.
  std::vector<std::string> management_group_keys;
  /// Warn this many days before the agent certificate expires; 0: only once it has expired.
  unsigned expiry_warning_days = kDefaultExpiryWarningDays;
  Topology bootstrap;  ///< generation 0, management_group copied; used until one is pushed
  Timings timings;     ///< every deadline and period of the links, defaults in timings.hpp
  std::string state_dir = kDefaultStateDir;             ///< persisted topology lives here
  std::string status_socket = kDefaultStatusSocket;  ///< local status endpoint
};

/// Parses configuration text; `source_name` prefixes messages ("FILE:LINE: ..."). Relative
/// paths stay relative.
Result<AgentConfig> parse_agent_config(std::string_view xml_text, std::string_view source_name);

/// Reads and parses the file at `path` (at most kMaxConfigBytes); relative tls, state and
/// status paths resolve against the file's folder.
Result<AgentConfig> load_agent_config(const std::string& path);

/// The configuration reference as Markdown, generated from the schema table.
std::string config_reference_markdown();

}  // namespace gatelink
