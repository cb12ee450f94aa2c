// The first-install configuration: settings checked by the agent's own value checks (the schema
// table's rows, the gateway address parser, the topology rules), rendered with xml::DocumentPrinter
// (tinyxml2's XMLPrinter) and parsed back by the agent's configuration parser before anything is
// written.

#include "bootstrap_config.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/escape.hpp"
#include "config/agent_config.hpp"
#include "config/config_schema.hpp"
#include "store/durable_file.hpp"
#include "topology/topology.hpp"
#include "xml/document_printer.hpp"

namespace gatelink {
namespace {

constexpr char kHeaderComment[] =
    "\n  gatelink agent configuration, written at install from the install-time settings\n"
    "  (gatelinkctl bootstrap-config). Edit freely: upgrades keep this file and the persisted\n"
    "  topology. Every option, with its default: CONFIGURATION.md in the documentation.\n";
/// The name the round trip's messages carry (the file does not exist yet).
constexpr std::string_view kSourceName = "bootstrap configuration";
/// Mode of the written file: the agent's user reads it, it holds no secret.
constexpr unsigned kFileMode = 0644;

/// A settings problem: the option that holds the value, then what is wrong. Values in messages
/// go through escaped(), as the parsers' own messages quote theirs: the message is fit for a
/// terminal as it is.
Error bad(std::string_view option, const std::string& problem) {
  return Error{std::string(option) + ": " + problem};
}

/// The schema row the agent checks the attribute with; the table always has these rows.
const SchemaRow& schema_row(std::string_view element, std::string_view attribute) {
  const auto schema = agent_config_schema();
  return *std::find_if(schema.begin(), schema.end(), [&](const SchemaRow& row) {
    return row.element == element && row.attribute == attribute;
  });
}

/// The value as the agent checks `element`'s `attribute`; paths must be absolute besides, since
/// a relative one typed at install time means the installer's folder, not the file's.
std::optional<Error> check(std::string_view option, std::string_view element,
                           std::string_view attribute, const std::string& value,
                           bool absolute_path = false) {
  const SchemaRow& row = schema_row(element, attribute);
  if (auto checked = check_value(row, value); !checked) {
    return bad(option, escaped(value) + ": " + checked.error().message);
  }
  if (absolute_path && !std::filesystem::path(value).is_absolute()) {
    return bad(option, escaped(value) + ": expected an absolute path");
  }
  return std::nullopt;
}

/// Whether well-formed `text` (the parser accepted it) names a port: past the server name, a
/// ':' outside the brackets of an IPv6 literal.
bool names_port(std::string_view text) {
  const auto at = text.find('@');
  const auto endpoint = at == std::string_view::npos ? text : text.substr(at + 1);
  const auto close = endpoint.rfind(']');
  return endpoint.find(':', close == std::string_view::npos ? 0 : close) != std::string_view::npos;
}

Result<GatewayAddress> gateway(std::string_view option, const std::string& text,
                               std::uint16_t default_port) {
  auto address = parse_gateway_address(text);
  if (!address) return bad(option, address.error().message);
  if (!names_port(text)) address->port = default_port;
  return address;
}

Result<Topology> topology_of(const BootstrapSettings& settings) {
  Topology topology;
  topology.management_group = settings.management_group;
  if (settings.primary.empty()) return bad("--primary", "no primary gateway given");
  auto primary = gateway("--primary", settings.primary, settings.default_port);
  if (!primary) return primary.error();
  topology.primary = std::move(*primary);
  if (settings.failover.size() + 1 > kMaxGateways) {
    return bad("--failover", std::to_string(settings.failover.size()) +
                                 " gateways; the agent takes at most " +
                                 std::to_string(kMaxGateways - 1) + " besides the primary");
  }
  for (std::size_t i = 0; i < settings.failover.size(); ++i) {
    const std::string& entry = settings.failover[i];
    if (entry.empty()) {
      return bad("--failover", "entry " + std::to_string(i + 1) + " is empty");
    }
    auto failover = gateway("--failover", entry, settings.default_port);
    if (!failover) return failover.error();
    topology.failover.push_back(std::move(*failover));
  }
  if (auto problem = validate_topology(topology)) return bad("--failover", problem->message);
  return topology;
}

std::optional<Error> check_settings(const BootstrapSettings& s) {
  const std::optional<Error> problems[] = {
      check("--agent", "agent", "name", s.agent_name),
      check("--management-group", "agent", "management-group", s.management_group),
      check("--ca", "agent/tls", "ca", s.ca, true),
      check("--cert", "agent/tls", "cert", s.cert, true),
      check("--key", "agent/tls", "key", s.key, true),
      s.crl.empty() ? std::nullopt : check("--crl", "agent/tls", "crl", s.crl, true),
      s.state_dir.empty() ? std::nullopt
                          : check("--state-dir", "agent/state", "dir", s.state_dir, true),
      s.status_socket.empty() ? std::nullopt
                              : check("--status-socket", "agent/status", "socket", s.status_socket),
  };
  for (const auto& problem : problems) {
    if (problem) return problem;
  }
  return std::nullopt;
}

void push_gateway(xml::DocumentPrinter& printer, std::string_view element,
                  const GatewayAddress& address) {
  printer.open(element);
  printer.attribute("address", address.endpoint());
  if (!address.server_name.empty()) printer.attribute("server-name", address.server_name);
  printer.close();
}

/// `<element attribute="value"/>`.
void push_element(xml::DocumentPrinter& printer, std::string_view element,
                  std::string_view attribute, std::string_view value) {
  printer.open(element);
  printer.attribute(attribute, value);
  printer.close();
}

std::string render(const BootstrapSettings& s, const Topology& topology) {
  xml::DocumentPrinter printer;
  printer.comment(kHeaderComment);
  printer.open("agent");
  printer.attribute("name", s.agent_name);
  printer.attribute("management-group", s.management_group);
  printer.open("tls");
  printer.attribute("ca", s.ca);
  printer.attribute("cert", s.cert);
  printer.attribute("key", s.key);
  if (!s.crl.empty()) printer.attribute("crl", s.crl);
  printer.close();
  printer.open("gateways");
  push_gateway(printer, "primary", topology.primary);
  for (const auto& failover : topology.failover) push_gateway(printer, "failover", failover);
  printer.close();
  if (!s.state_dir.empty()) push_element(printer, "state", "dir", s.state_dir);
  if (!s.status_socket.empty()) push_element(printer, "status", "socket", s.status_socket);
  printer.close();
  return printer.text();
}

/// The document read back by the agent's parser must hold exactly the settings.
std::optional<Error> read_back(const std::string& text, const BootstrapSettings& s,
                               const Topology& topology) {
  auto config = parse_agent_config(text, kSourceName);
  if (!config) return Error{"the agent does not accept the result: " + config.error().message};
  const bool same = config->name == s.agent_name &&
                    config->management_group == s.management_group && config->tls.ca == s.ca &&
                    config->tls.cert == s.cert && config->tls.key == s.key &&
                    config->tls.crl == s.crl && config->bootstrap.ordered() == topology.ordered() &&
                    (s.state_dir.empty() || config->state_dir == s.state_dir) &&
                    (s.status_socket.empty() || config->status_socket == s.status_socket);
  if (!same) return Error{"the agent reads the result back differently"};
  return std::nullopt;
}

}  // namespace

std::vector<std::string> split_gateway_list(std::string_view list) {
  constexpr std::string_view kBlanks = " \t\r\n";
  std::vector<std::string> entries;
  if (list.find_first_not_of(kBlanks) == std::string_view::npos) return entries;
  std::size_t start = 0;
  while (true) {
    const auto comma = list.find(',', start);
    auto entry = list.substr(start, comma == std::string_view::npos ? comma : comma - start);
    const auto first = entry.find_first_not_of(kBlanks);
    entry = first == std::string_view::npos
                ? std::string_view()
                : entry.substr(first, entry.find_last_not_of(kBlanks) - first + 1);
    entries.emplace_back(entry);
    if (comma == std::string_view::npos) return entries;
    start = comma + 1;
  }
}

Result<std::string> render_bootstrap_config(const BootstrapSettings& settings) {
  if (auto problem = check_settings(settings)) return *problem;
  auto topology = topology_of(settings);
  if (!topology) return topology.error();
  std::string text = render(settings, *topology);
  if (auto problem = read_back(text, settings, *topology)) return *problem;
  return text;
}

Status write_bootstrap_config(const std::string& path, const BootstrapSettings& settings) {
  const auto unchanged = [](const Error& error) {
    return Error{error.message + "; nothing written"};
  };
  auto text = render_bootstrap_config(settings);
  if (!text) return unchanged(text.error());

  // The temporary file has its mode before it is renamed over `path`: no moment shows `path`
  // with another mode or half written.
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target = fs::absolute(fs::path(path), ec);
  const std::string shown = escaped(path);
  if (ec) return unchanged(Error{shown + ": " + ec.message()});
  if (fs::is_directory(target, ec)) return unchanged(Error{shown + ": a folder"});
  auto written = write_file_atomically(target.parent_path().string(), target.filename().string(),
                                       *text, kFileMode);
  if (written) return Ok{};
  // Only the folder's flush fails after the rename: then `path` already holds the document.
  if (auto now = read_regular_file(target.string(), text->size() + 1); now && *now == *text) {
    return Error{shown + ": written, but not yet flushed to disk: " + written.error().message};
  }
  return unchanged(written.error());
}

}  // namespace gatelink
