#pragma once
// `gatelinkctl bootstrap-config`: the command line over write_bootstrap_config(), for the
// installers (packaging/debian/gatelink-bootstrap-config, the MSI's custom action).

#include <string>

#include "bootstrap_config.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace gatelink {

class BootstrapCommand {
 public:
  /// Adds the subcommand and its options to `parent`; they fill this object when parsed.
  explicit BootstrapCommand(CLI::App& parent);
  BootstrapCommand(const BootstrapCommand&) = delete;
  BootstrapCommand& operator=(const BootstrapCommand&) = delete;

  /// Whether the command line named this subcommand.
  bool parsed() const;
  /// Writes the file; 0 written (or kept with --keep-existing), 1 a bad value or a failed
  /// write, the message on stderr naming the option.
  int run() const;

 private:
  CLI::App* command_ = nullptr;
  BootstrapSettings settings_;
  std::string out_;
  std::string failover_;
  bool keep_existing_ = false;
};

}  // namespace gatelink
