// The agent configuration schema table, the checks behind its value types, and the Markdown
// reference rendered from it. config/agent.xsd mirrors this table (tests compare them).

#include "config/config_schema.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <string>

#include "common/timings.hpp"
#include "config/agent_config.hpp"
#include "config/platform_defaults.hpp"
#include "topology/gateway_address.hpp"
#include "topology/topology.hpp"

namespace gatelink {
namespace {

constexpr std::uint64_t kMaxNameLength = 255;
constexpr std::uint64_t kMaxPathLength = 4096;
constexpr std::uint64_t kMaxAddressLength = 260;  // 253-character name, ':', 5-digit port
constexpr std::uint64_t kMaxDnsNameLength = 253;

/// A number as decimal text, made at compile time: the schema's numeric defaults are the values
/// of kDefaultTimings, written once there.
template <std::uint64_t kValue>
struct Decimal {
  static constexpr std::size_t digits() {
    std::size_t n = 1;
    for (std::uint64_t v = kValue; v >= 10; v /= 10) ++n;
    return n;
  }
  static constexpr std::array<char, digits()> chars = [] {
    std::array<char, digits()> out{};
    std::uint64_t v = kValue;
    for (std::size_t i = out.size(); i-- > 0; v /= 10) out[i] = static_cast<char>('0' + v % 10);
    return out;
  }();
  static constexpr std::string_view text{chars.data(), chars.size()};
};

/// The default of a Timings member as the schema's text, e.g. default_of<&Timings::misses>().
template <auto kMember>
constexpr std::string_view default_of() {
  constexpr auto value = kDefaultTimings.*kMember;
  if constexpr (std::is_same_v<std::remove_const_t<decltype(value)>, Millis>) {
    return Decimal<static_cast<std::uint64_t>(value.count())>::text;
  } else {
    return Decimal<value>::text;
  }
}

/// Host paired with a server name to check that name alone (make_gateway_address needs both).
constexpr std::string_view kServerNameCheckHost = "localhost";

std::optional<SchemaProblem> copy_management_group(AgentConfig& config, const ElementValues&) {
  config.bootstrap.management_group = config.management_group;
  return std::nullopt;
}

/// Adds a <primary> or <failover> to the bootstrap topology and checks the topology so far, so
/// that a duplicate is reported at the element that repeats an earlier one.
std::optional<SchemaProblem> add_gateway(AgentConfig& config, const ElementValues& values,
                                         bool primary) {
  auto address = make_gateway_address(values.text("address"), values.text("server-name"));
  if (!address) return SchemaProblem{"address", address.error().message};
  auto& topology = config.bootstrap;
  if (primary) {
    topology.primary = std::move(*address);
  } else {
    if (topology.primary.host.empty()) {
      return SchemaProblem{"", "comes before <primary>; list the primary first"};
    }
    topology.failover.push_back(std::move(*address));
  }
  if (auto error = validate_topology(topology)) return SchemaProblem{"address", error->message};
  return std::nullopt;
}

std::optional<SchemaProblem> add_primary(AgentConfig& config, const ElementValues& values) {
  return add_gateway(config, values, true);
}

std::optional<SchemaProblem> add_failover(AgentConfig& config, const ElementValues& values) {
  return add_gateway(config, values, false);
}

std::optional<SchemaProblem> add_management_group_key(AgentConfig& config,
                                                      const ElementValues& values) {
  const std::string file(values.text("file"));
  if (std::find(config.management_group_keys.begin(), config.management_group_keys.end(), file) !=
      config.management_group_keys.end()) {
    return SchemaProblem{"file", "names the same file as an earlier <key>"};
  }
  config.management_group_keys.push_back(file);
  return std::nullopt;
}

// Hooks run for absent elements too (with the defaults): the element's line says whether the
// configuration has one.
std::optional<SchemaProblem> enable_warm_standby(AgentConfig& config, const ElementValues& values) {
  const AttributeValue* interval = values.find("interval-ms");
  config.timings.warm_standby = interval != nullptr && interval->line != 0;
  return std::nullopt;
}

std::optional<SchemaProblem> check_backoff(AgentConfig& config, const ElementValues&) {
  const Timings& t = config.timings;
  if (t.backoff_cap < t.backoff_base) {
    return SchemaProblem{
        "cap-ms", "must be at least base-ms (" + std::to_string(t.backoff_base.count()) + ")"};
  }
  return std::nullopt;
}

// clang-format off
const SchemaRow kSchema[] = {
  {.element = "agent", .required = true, .min = 1, .max = 1,
   .help = "The agent: who it is and which management group it belongs to.",
   .hook = copy_management_group},
  {.element = "agent", .attribute = "name", .type = ValueType::kName, .required = true,
   .min = 1, .max = kMaxNameLength,
   .help = "Agent name; the agent certificate must carry it.",
   .field = +[](AgentConfig& c) -> std::string& { return c.name; }},
  {.element = "agent", .attribute = "management-group", .type = ValueType::kName,
   .required = true, .min = 1, .max = kMaxNameLength,
   .help = "Management group the agent reports to.",
   .field = +[](AgentConfig& c) -> std::string& { return c.management_group; }},

  {.element = "agent/tls", .required = true, .min = 1, .max = 1,
   .help = "Files of the agent's mutual TLS (PEM)."},
  {.element = "agent/tls", .attribute = "ca", .type = ValueType::kPath, .required = true,
   .min = 1, .max = kMaxPathLength,
   .help = "CA certificate(s) a gateway certificate must chain to.",
   .field = +[](AgentConfig& c) -> std::string& { return c.tls.ca; }},
  {.element = "agent/tls", .attribute = "cert", .type = ValueType::kPath, .required = true,
   .min = 1, .max = kMaxPathLength,
   .help = "The agent's client certificate.",
   .field = +[](AgentConfig& c) -> std::string& { return c.tls.cert; }},
  {.element = "agent/tls", .attribute = "key", .type = ValueType::kPath, .required = true,
   .min = 1, .max = kMaxPathLength,
   .help = "The agent's private key; refused when other users can read it.",
   .field = +[](AgentConfig& c) -> std::string& { return c.tls.key; }},
  {.element = "agent/tls", .attribute = "crl", .type = ValueType::kPath,
   .min = 1, .max = kMaxPathLength,
   .help = "Certificate revocation list; when absent, revocation is not checked.",
   .field = +[](AgentConfig& c) -> std::string& { return c.tls.crl; }},
  {.element = "agent/tls", .attribute = "expiry-warning-days", .type = ValueType::kCount,
   .default_value = Decimal<kDefaultExpiryWarningDays>::text, .min = 0, .max = 3650,
   .help = "Warn (log and status) this many days before the agent certificate expires; 0 turns "
           "the early warning off (an expired certificate is always reported).",
   .field = +[](AgentConfig& c) -> unsigned& { return c.expiry_warning_days; }},

  {.element = "agent/management-group-keys", .min = 0, .max = 1,
   .help = "The management group's public keys that sign topologies. With one or more, the "
           "agent accepts only a pushed or persisted topology signed by one of them; without, any "
           "gateway may change its topology (status: topology.signed false)."},
  {.element = "agent/management-group-keys/key", .required = true, .min = 1,
   .max = kMaxPinnedKeys,
   .help = "One pinned key; pin the new key beside the old one while the management group "
           "rotates its key.",
   .hook = add_management_group_key},
  {.element = "agent/management-group-keys/key", .attribute = "file", .type = ValueType::kPath,
   .required = true, .min = 1, .max = kMaxPathLength,
   .help = "Ed25519 public key, PEM (`gatelink-mg keygen` writes it)."},

  {.element = "agent/gateways", .required = true, .min = 1, .max = 1,
   .help = "Bootstrap topology: used until the management group has pushed one."},
  {.element = "agent/gateways/primary", .required = true, .min = 1, .max = 1,
   .help = "The primary gateway, tried first. Comes before the failover gateways.",
   .hook = add_primary},
  {.element = "agent/gateways/primary", .attribute = "address", .type = ValueType::kAddress,
   .required = true, .min = 1, .max = kMaxAddressLength,
   .help = "Gateway dialled, `host[:port]`."},
  {.element = "agent/gateways/primary", .attribute = "server-name",
   .type = ValueType::kServerName, .min = 1, .max = kMaxDnsNameLength,
   .help = "Name the gateway certificate must carry when it differs from the host dialled."},
  {.element = "agent/gateways/failover", .min = 0, .max = kMaxGateways - 1,
   .help = "A failover gateway; tried in document order after the primary.",
   .hook = add_failover},
  {.element = "agent/gateways/failover", .attribute = "address", .type = ValueType::kAddress,
   .required = true, .min = 1, .max = kMaxAddressLength,
   .help = "Gateway dialled, `host[:port]`."},
  {.element = "agent/gateways/failover", .attribute = "server-name",
   .type = ValueType::kServerName, .min = 1, .max = kMaxDnsNameLength,
   .help = "Name the gateway certificate must carry when it differs from the host dialled."},

  {.element = "agent/heartbeat", .min = 0, .max = 1,
   .help = "Liveness of a session: the agent's proposal, which the gateway may bound in its "
           "welcome."},
  {.element = "agent/heartbeat", .attribute = "interval-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::heartbeat_interval>(), .min = 50, .max = 600000,
   .help = "Time between heartbeats.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.heartbeat_interval; }},
  {.element = "agent/heartbeat", .attribute = "misses", .type = ValueType::kCount,
   .default_value = default_of<&Timings::heartbeat_misses>(), .min = 2, .max = 100,
   .help = "A session from which nothing has arrived for interval-ms × misses is dead; a slow "
           "answer is a round-trip time, never a miss.",
   .field = +[](AgentConfig& c) -> unsigned& { return c.timings.heartbeat_misses; }},

  {.element = "agent/failback", .min = 0, .max = 1,
   .help = "Return to a gateway earlier in the order while on a failover gateway."},
  {.element = "agent/failback", .attribute = "probe-interval-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::probe_interval>(), .min = 100, .max = 86400000,
   .help = "Time between probes of the gateways earlier in the order.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.probe_interval; }},
  {.element = "agent/failback", .attribute = "stable-probes", .type = ValueType::kCount,
   .default_value = default_of<&Timings::stable_probes>(), .min = 1, .max = 100,
   .help = "A probe must stay up and answer every heartbeat for probe-interval-ms × "
           "stable-probes, without a break, before the agent moves back.",
   .field = +[](AgentConfig& c) -> unsigned& { return c.timings.stable_probes; }},
  {.element = "agent/failback", .attribute = "flap-window-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::flap_window>(), .min = 100, .max = 86400000,
   .help = "Losing a gateway this soon after failing back to it doubles the next stable window; "
           "each such period without a flap halves it again.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.flap_window; }},
  {.element = "agent/failback", .attribute = "max-stable-window-ms",
   .type = ValueType::kDuration, .default_value = default_of<&Timings::max_stable_window>(),
   .min = 100, .max = 86400000,
   .help = "The damped stable window never grows beyond this (or beyond probe-interval-ms × "
           "stable-probes, if that is longer).",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.max_stable_window; }},

  {.element = "agent/warm-standby", .min = 0, .max = 1,
   .help = "Off unless present: while connected, keep a quiet second session to the next gateway "
           "in order and, when the active one dies, promote it without a handshake.",
   .hook = enable_warm_standby},
  {.element = "agent/warm-standby", .attribute = "interval-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::standby_interval>(), .min = 100, .max = 600000,
   .help = "The standby's heartbeat interval; it is dead after interval-ms × the heartbeat's "
           "misses of silence, and opened again after the failback's probe-interval-ms. Promoted, "
           "it heartbeats at the heartbeat's interval-ms.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.standby_interval; }},

  {.element = "agent/resumption", .min = 0, .max = 1,
   .help = "TLS session resumption with the gateways of a group that share ticket keys "
           "(gatelink-gateway --ticket-keys)."},
  {.element = "agent/resumption", .attribute = "prefetch-within-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::ticket_prefetch_within>(), .min = 0, .max = 86400000,
   .help = "While connected to a gateway that sends tickets, fetch one from each gateway after "
           "it in order, one at a time at a random moment within this time (a short session, "
           "closed once welcomed), and again when a ticket is half-way through its lifetime: the "
           "first failover to it resumes instead of a full handshake. 0: never.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.ticket_prefetch_within; }},

  {.element = "agent/backoff", .min = 0, .max = 1,
   .help = "Wait after the last gateway failed, before starting again at the primary: "
           "exponential with full jitter.",
   .hook = check_backoff},
  {.element = "agent/backoff", .attribute = "base-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::backoff_base>(), .min = 10, .max = 600000,
   .help = "First backoff; it doubles on each round that fails.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.backoff_base; }},
  {.element = "agent/backoff", .attribute = "cap-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::backoff_cap>(), .min = 10, .max = 3600000,
   .help = "Longest backoff; at least base-ms.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.backoff_cap; }},
  {.element = "agent/backoff", .attribute = "max-stay-away-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::max_stay_away>(), .min = 10, .max = 86400000,
   .help = "However long a gateway's goodbye asks the agent to stay away, it tries that gateway "
           "again after this at the latest.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.max_stay_away; }},

  {.element = "agent/timeouts", .min = 0, .max = 1,
   .help = "Deadlines of the steps of a connection to a gateway; a gateway that misses one is "
           "dead, with that step's reason."},
  {.element = "agent/timeouts", .attribute = "resolve-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::resolve_timeout>(), .min = 10, .max = 600000,
   .help = "Name lookup deadline (`resolve-timeout`); IP literals need no lookup.",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.resolve_timeout; }},
  {.element = "agent/timeouts", .attribute = "connect-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::connect_timeout>(), .min = 10, .max = 600000,
   .help = "TCP connect deadline, for all addresses of a name in order (`connect-timeout`).",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.connect_timeout; }},
  {.element = "agent/timeouts", .attribute = "handshake-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::handshake_timeout>(), .min = 10, .max = 600000,
   .help = "Admission and TLS handshake deadline (`handshake-timeout`).",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.handshake_timeout; }},
  {.element = "agent/timeouts", .attribute = "welcome-ms", .type = ValueType::kDuration,
   .default_value = default_of<&Timings::welcome_timeout>(), .min = 10, .max = 600000,
   .help = "Deadline for the gateway's welcome after the hello (`welcome-timeout`).",
   .field = +[](AgentConfig& c) -> Millis& { return c.timings.welcome_timeout; }},

  {.element = "agent/state", .min = 0, .max = 1,
   .help = "Where the agent keeps its state."},
  {.element = "agent/state", .attribute = "dir", .type = ValueType::kPath,
   .default_value = kDefaultStateDir, .min = 1, .max = kMaxPathLength,
   .help = "Folder of the persisted topology (topology.xml and its last-known-good copy).",
   .field = +[](AgentConfig& c) -> std::string& { return c.state_dir; }},

  {.element = "agent/status", .min = 0, .max = 1,
   .help = "The local status endpoint that gatelinkctl asks."},
  {.element = "agent/status", .attribute = "socket", .type = ValueType::kEndpoint,
   .default_value = kDefaultStatusSocket, .min = 1, .max = kMaxPathLength,
   .help = "Unix socket path (a named pipe name on Windows).",
   .field = +[](AgentConfig& c) -> std::string& { return c.status_socket; }},
};
// clang-format on

bool printable_without_space(char c) { return c > ' ' && c < 0x7f; }
bool control_character(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

std::string range(const SchemaRow& row) {
  return std::to_string(row.min) + ".." + std::to_string(row.max);
}

Result<std::uint64_t> check_number(const SchemaRow& row, std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error{"not a decimal number (allowed: " + range(row) + ")"};
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < row.min || value > row.max) {
    return Error{"out of range (allowed: " + range(row) + ")"};
  }
  return value;
}

std::string_view type_name(ValueType type) {
  switch (type) {
    case ValueType::kElement:
      return "element";
    case ValueType::kName:
      return "name";
    case ValueType::kAddress:
      return "address";
    case ValueType::kServerName:
      return "server name";
    case ValueType::kPath:
      return "path";
    case ValueType::kEndpoint:
      return "endpoint";
    case ValueType::kDuration:
      return "milliseconds";
    case ValueType::kCount:
      return "count";
  }
  return "?";
}

std::string allowed_text(const SchemaRow& row) {
  switch (row.type) {
    case ValueType::kName:
      return range(row) + " printable ASCII characters, no spaces";
    case ValueType::kAddress:
      return "`host[:port]`: host a DNS name, an IPv4 address or `[IPv6]`; port 1..65535, "
             "default " +
             std::to_string(kDefaultGatewayPort);
    case ValueType::kServerName:
      return "DNS name: letters, digits, `-` and `.`, at most " + std::to_string(row.max) +
             " characters";
    case ValueType::kPath:
      return "absolute, or relative to the configuration file's folder";
    case ValueType::kEndpoint:
      return "a path: absolute, or relative to the configuration file's folder; or a named pipe "
             "`\\\\.\\pipe\\NAME`, kept as written";
    case ValueType::kDuration:
    case ValueType::kCount:
      return range(row);
    case ValueType::kElement:
      break;
  }
  return "";
}

std::string occurrence_text(const SchemaRow& row) {
  if (row.required) {
    return row.max == 1 ? "Required, exactly once."
                        : "Required, 1 to " + std::to_string(row.max) + " times.";
  }
  return row.max == 1 ? "Optional, at most once."
                      : "Optional, up to " + std::to_string(row.max) + " times.";
}

}  // namespace

const AttributeValue* ElementValues::find(std::string_view attribute) const {
  for (const auto& value : values_) {
    if (value.name == attribute) return &value;
  }
  return nullptr;
}

std::string_view ElementValues::text(std::string_view attribute) const {
  const auto* value = find(attribute);
  return value ? std::string_view(value->text) : std::string_view();
}

std::string_view SchemaRow::element_name() const {
  const auto slash = element.rfind('/');
  return slash == std::string_view::npos ? element : element.substr(slash + 1);
}

std::span<const SchemaRow> agent_config_schema() { return kSchema; }

Result<std::uint64_t> check_value(const SchemaRow& row, std::string_view text) {
  if (row.type == ValueType::kDuration || row.type == ValueType::kCount) {
    return check_number(row, text);
  }
  if (text.size() < row.min || text.size() > row.max) {
    return Error{"length must be " + range(row) + " characters"};
  }
  switch (row.type) {
    case ValueType::kName:
      if (!std::all_of(text.begin(), text.end(), printable_without_space)) {
        return Error{"only printable ASCII characters without spaces are allowed"};
      }
      break;
    case ValueType::kAddress:
      if (auto address = make_gateway_address(text, {}); !address) return address.error();
      break;
    case ValueType::kServerName:
      if (auto address = make_gateway_address(kServerNameCheckHost, text); !address) {
        return address.error();
      }
      break;
    case ValueType::kPath:
    case ValueType::kEndpoint:
      if (std::any_of(text.begin(), text.end(), control_character)) {
        return Error{"control characters are not allowed in a path"};
      }
      break;
    case ValueType::kElement:
    case ValueType::kDuration:
    case ValueType::kCount:
      break;
  }
  return std::uint64_t{0};
}

bool has_windows_pipe_prefix(std::string_view text) {
  return text.size() >= kWindowsPipePrefix.size() &&
         std::equal(kWindowsPipePrefix.begin(), kWindowsPipePrefix.end(), text.begin(),
                    [](char prefix, char c) {
                      return std::tolower(static_cast<unsigned char>(c)) == prefix;
                    });
}

bool is_windows_pipe_name(std::string_view text) {
  return text.size() > kWindowsPipePrefix.size() && has_windows_pipe_prefix(text);
}

bool resolves_against_config_folder(const SchemaRow& row, std::string_view text) {
  const bool path = row.type == ValueType::kPath ||
                    (row.type == ValueType::kEndpoint && !is_windows_pipe_name(text));
  return path && std::filesystem::path(text).is_relative();
}

std::string render_schema_markdown(std::span<const SchemaRow> schema) {
  std::string out =
      "# Agent configuration reference\n\n"
      "<!-- Generated by gatelink::config_reference_markdown() from the schema table in\n"
      "     plugin/config/config_schema.cpp; do not edit by hand. -->\n\n"
      "The agent reads one XML file (`gatelink-agent --config FILE`). An unknown element or\n"
      "attribute, a missing required one, a repeated one, a bad number, name, path or address:\n"
      "the agent refuses to start and says which line is wrong and why. Numbers are plain\n"
      "decimal digits. Relative paths resolve against the folder of the configuration file.\n"
      "The schema `agent.xsd` describes the same file for editors and `xmllint`.\n";
  for (const auto& element : schema) {
    if (!element.is_element()) continue;
    out += "\n## `<" + std::string(element.element_name()) + ">` (`" +
           std::string(element.element) + "`)\n\n" + occurrence_text(element) + " " +
           std::string(element.help) + "\n\n";
    bool header = false;
    for (const auto& row : schema) {
      if (row.is_element() || row.element != element.element) continue;
      if (!header) {
        out += "| attribute | type | required / default | allowed | meaning |\n";
        out += "| --- | --- | --- | --- | --- |\n";
        header = true;
      }
      const std::string presence = row.required ? "required"
                                   : row.default_value.empty()
                                       ? "optional, no default"
                                       : std::string("`").append(row.default_value).append("`");
      out += "| `" + std::string(row.attribute) + "` | " + std::string(type_name(row.type)) +
             " | " + presence + " | " + allowed_text(row) + " | " + std::string(row.help) + " |\n";
    }
    if (!header) out += "No attributes.\n";
  }
  return out;
}

}  // namespace gatelink
