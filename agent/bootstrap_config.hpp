#pragma once
// The agent configuration that an installer writes on first install (the deb's postinst through
// packaging/debian/gatelink-bootstrap-config, the MSI's custom action), from install-time
// settings: `gatelinkctl bootstrap-config`. Every value is checked by the agent's own parsers,
// the document is rendered with tinyxml2's XMLPrinter and read back by the agent's configuration
// parser before anything is written.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "topology/gateway_address.hpp"

namespace gatelink {

/// The install-time settings. Gateways are in the command-line form,
/// `[server-name@]host[:port]`.
struct BootstrapSettings {
  std::string agent_name;
  std::string management_group;
  std::string primary;
  std::vector<std::string> failover;  ///< in failover order; see split_gateway_list()
  std::string ca;
  std::string cert;
  std::string key;
  std::string crl;            ///< empty: no CRL
  std::string state_dir;      ///< empty: no <state>, the agent's default applies
  std::string status_socket;  ///< empty: no <status>, the agent's default applies
  /// The port of gateways given without one (the MSI's SECURE_PORT).
  std::uint16_t default_port = kDefaultGatewayPort;
};

/// `a, b,c` as {"a", "b", "c"}: entries trimmed of blanks, empty ones kept (so that they are
/// refused rather than skipped); an empty or all-blank list is no entry at all.
std::vector<std::string> split_gateway_list(std::string_view list);

/// The configuration document for `settings`, or the first bad value. Messages start with the
/// gatelinkctl option that holds the value ("--failover: ..."), then say what is wrong.
Result<std::string> render_bootstrap_config(const BootstrapSettings& settings);

/// Renders the document and writes it to `path` atomically with mode 0644: a temporary file in
/// the same folder, flushed, renamed over `path`, the folder flushed. On a bad value or a failed
/// write nothing changes at `path`.
Status write_bootstrap_config(const std::string& path, const BootstrapSettings& settings);

}  // namespace gatelink
