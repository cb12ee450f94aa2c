// `gatelinkctl bootstrap-config`: options in, write_bootstrap_config() out.

#include "bootstrap_command.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "common/escape.hpp"

namespace gatelink {

BootstrapCommand::BootstrapCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "bootstrap-config",
      "write the agent configuration from install-time settings (installers run it; exit 0 "
      "written, 1 a bad value)");
  CLI::App& c = *command_;
  c.add_option("--out", out_, "the configuration file to write (replaced atomically, mode 0644)")
      ->required();
  c.add_option("--agent", settings_.agent_name, "agent name, as its certificate carries it")
      ->required();
  c.add_option("--management-group", settings_.management_group, "management group")->required();
  c.add_option("--primary", settings_.primary, "primary gateway, [server-name@]host[:port]")
      ->required();
  c.add_option("--failover", failover_,
               "failover gateways in order, comma-separated, same form as --primary");
  c.add_option("--default-port", settings_.default_port, "port of the gateways given without one")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  c.add_option("--ca", settings_.ca, "CA certificate(s) gateways chain to (absolute path)")
      ->required();
  c.add_option("--cert", settings_.cert, "the agent's certificate (absolute path)")->required();
  c.add_option("--key", settings_.key, "the agent's private key (absolute path)")->required();
  c.add_option("--crl", settings_.crl, "certificate revocation list (absolute path; optional)");
  c.add_option("--state-dir", settings_.state_dir,
               "state folder (absolute path); omitted: the agent's default");
  c.add_option("--status-socket", settings_.status_socket,
               "status endpoint; omitted: the agent's default");
  c.add_flag("--keep-existing", keep_existing_,
             "when the file exists already, leave it as it is (exit 0)");
}

bool BootstrapCommand::parsed() const { return command_->parsed(); }

int BootstrapCommand::run() const {
  std::error_code ec;
  if (keep_existing_ && std::filesystem::exists(out_, ec)) {
    std::cout << "gatelinkctl: " << printable(out_)
              << " exists; kept as it is, the settings not applied\n";
    return 0;
  }
  BootstrapSettings settings = settings_;
  settings.failover = split_gateway_list(failover_);
  if (auto written = write_bootstrap_config(out_, settings); !written) {
    // The message quotes and escapes the values it shows (see bootstrap_config.cpp).
    std::cerr << "gatelinkctl: bootstrap-config: " << written.error().message << '\n';
    return 1;
  }
  std::cout << "gatelinkctl: " << printable(out_) << " written\n";
  return 0;
}

}  // namespace gatelink
