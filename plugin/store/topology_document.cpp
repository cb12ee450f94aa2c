// The persisted topology document. Written by the agent and read back at every start, so it is
// parsed as strictly as the configuration (config/agent_config.cpp): anything outside the
// schema (config/topology.xsd) is refused with "FILE:LINE: problem", and the store falls back
// to the last-known-good copy. Comments and blank space are the only freedom. The prologue is
// the XML module's (xml::parse_strict_document), the rules per element and attribute are the
// tables below; the document is written with xml::DocumentPrinter.

#include "store/topology_document.hpp"

#include <tinyxml2.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "status/status_time.hpp"
#include "store/utc_attribute.hpp"
#include "xml/document_printer.hpp"
#include "xml/element_reader.hpp"
#include "xml/parsed_document.hpp"
#include "xml/strict_xml.hpp"

namespace gatelink {
namespace {

using xml::echo;
using xml::tag;

constexpr std::string_view kRoot = "topology";
constexpr std::string_view kPrimary = "primary";
constexpr std::string_view kFailover = "failover";
constexpr std::string_view kComment =
    " An agent's topology as the management group gave it (schema: topology.xsd).\n"
    "     Written by gatelink; only a newer generation replaces it. Do not edit. ";

using xml::AttributeRule;

constexpr AttributeRule kRootAttributes[] = {
    {"version", true},     {"management-group", true}, {"generation", true},
    {"received-at", true}, {"received-from", false},
};
constexpr AttributeRule kIssuedAttributes[] = {
    {"version", true}, {"agent", true},      {"management-group", true},
    {"epoch", true},   {"generation", true}, {"issued-at", true},
};
constexpr AttributeRule kGatewayAttributes[] = {{"address", true}, {"server-name", false}};
constexpr std::string_view kIssuedComment =
    " An agent's topology, issued by its management group (gatelink-mg set-parent).\n"
    "     Signed as these exact bytes: any change breaks the signature. ";

/// Reads the <topology> element into a PersistedTopology; every error is "SOURCE:LINE: ...".
class DocumentReader {
 public:
  explicit DocumentReader(std::string_view source) : in_(source) {}

  Result<PersistedTopology> read(const tinyxml2::XMLElement& root) {
    // The version first: a newer writer may have added what this reader would call unknown.
    if (auto error = in_.check_version(root, kTopologyDocumentVersion)) return *error;
    if (auto error = in_.check_attributes(root, kRootAttributes)) return *error;
    PersistedTopology persisted;
    auto& topology = persisted.topology;
    topology.management_group = root.Attribute("management-group");

    auto generation = in_.decimal(root, "generation");
    if (!generation) return generation.error();
    topology.generation = *generation;

    auto received_at = read_utc_attribute(in_, root, *root.FindAttribute("received-at"));
    if (!received_at) return received_at.error();
    persisted.received_at = *received_at;

    if (const auto* from = root.FindAttribute("received-from")) {
      const std::string_view text = from->Value();
      if (text.empty()) {
        return attribute_error(root, *from, Error{"is empty; a bootstrap topology leaves it out"});
      }
      if (auto address = parse_gateway_address(text); !address) {
        return fail(from->GetLineNum(), tag(kRoot) + " received-from: " + address.error().message);
      }
      persisted.received_from = text;
    }

    if (auto error = read_gateways(root, topology)) return *error;
    if (auto error = validate(root, topology)) return *error;
    return persisted;
  }

  Result<IssuedTopology> read_issued(const tinyxml2::XMLElement& root) {
    if (auto error = in_.check_version(root, kIssuedTopologyVersion)) return *error;
    if (auto error = in_.check_attributes(root, kIssuedAttributes)) return *error;
    IssuedTopology issued;
    const auto* agent = root.FindAttribute("agent");
    if (auto problem = check_name(agent->Value())) {
      return attribute_error(root, *agent, *problem);
    }
    issued.agent = agent->Value();
    auto& topology = issued.topology;
    topology.management_group = root.Attribute("management-group");
    auto epoch = in_.decimal(root, "epoch");
    if (!epoch) return epoch.error();
    topology.epoch = *epoch;
    auto generation = in_.decimal(root, "generation");
    if (!generation) return generation.error();
    topology.generation = *generation;
    auto issued_at = read_utc_attribute(in_, root, *root.FindAttribute("issued-at"));
    if (!issued_at) return issued_at.error();
    issued.issued_at = *issued_at;
    if (auto error = read_gateways(root, topology)) return *error;
    if (auto error = validate(root, topology)) return *error;
    return issued;
  }

 private:
  Error fail(int line, const std::string& what) const { return in_.fail(line, what); }

  /// An agent's name as certificates and stores carry it: printable ASCII, no space.
  static std::optional<Error> check_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxAgentNameLength ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
      return Error{"is not an agent name (1 to " + std::to_string(kMaxAgentNameLength) +
                   " printable characters, no space)"};
    }
    return std::nullopt;
  }

  Error attribute_error(const tinyxml2::XMLElement& element, const tinyxml2::XMLAttribute& attr,
                        const Error& problem) const {
    return in_.attribute_error(element, attr, problem);
  }

  Result<GatewayAddress> gateway(const tinyxml2::XMLElement& element) const {
    if (auto error = in_.check_attributes(element, kGatewayAttributes)) return *error;
    if (auto error = in_.check_empty(element)) return *error;
    const auto* server_name = element.FindAttribute("server-name");
    if (server_name && std::string_view(server_name->Value()).empty()) {
      return attribute_error(element, *server_name,
                             Error{"is empty; leave it out when the name is the host's"});
    }
    const auto* address = element.FindAttribute("address");
    auto parsed = make_gateway_address(address->Value(), server_name ? server_name->Value() : "");
    if (!parsed) {
      return fail(address->GetLineNum(), tag(element.Name()) + ": " + parsed.error().message);
    }
    return parsed;
  }

  std::optional<Error> read_gateways(const tinyxml2::XMLElement& root, Topology& topology) {
    int primary_line = 0;
    for (const auto* node = root.FirstChild(); node; node = node->NextSibling()) {
      const auto* element = node->ToElement();
      if (!element) {
        if (auto error = in_.check_no_text(*node)) return error;
        continue;
      }
      const std::string_view name = element->Name();
      const int line = element->GetLineNum();
      if (name == kPrimary) {
        if (primary_line > 0) {
          return fail(line, "duplicate <primary> (first at line " + std::to_string(primary_line) +
                                "); only one is allowed");
        }
        auto address = gateway(*element);
        if (!address) return address.error();
        topology.primary = std::move(*address);
        primary_line = line;
      } else if (name == kFailover) {
        if (primary_line == 0)
          return fail(line, "<failover> before <primary>; the primary comes first");
        if (topology.failover.size() + 1 >= kMaxGateways) {
          return fail(line, "too many gateways: more than " + std::to_string(kMaxGateways) +
                                " (a primary and at most " + std::to_string(kMaxGateways - 1) +
                                " failovers)");
        }
        auto address = gateway(*element);
        if (!address) return address.error();
        topology.failover.push_back(std::move(*address));
        failover_lines_.push_back(line);
      } else {
        return fail(line, "unknown element " + tag(echo(name)) +
                              " in <topology> (expected: primary, failover)");
      }
    }
    if (primary_line == 0) {
      return fail(root.GetLineNum(), "<topology>: missing required element <primary>");
    }
    return std::nullopt;
  }

  /// validate_topology() on the whole topology; a problem is reported at the line of the first
  /// failover that brings it in, or of <topology> when the primary alone has it.
  std::optional<Error> validate(const tinyxml2::XMLElement& root, const Topology& topology) const {
    const auto problem = validate_topology(topology);
    if (!problem) return std::nullopt;
    int line = root.GetLineNum();
    Topology prefix = topology;
    for (std::size_t count = 0; count <= topology.failover.size(); ++count) {
      prefix.failover.assign(topology.failover.begin(),
                             topology.failover.begin() + static_cast<std::ptrdiff_t>(count));
      if (validate_topology(prefix)) {
        if (count > 0) line = failover_lines_[count - 1];
        break;
      }
    }
    return fail(line, "invalid topology: " + problem->message);
  }

  xml::ElementReader in_;
  std::vector<int> failover_lines_;
};

void render_gateway(xml::DocumentPrinter& printer, std::string_view element,
                    const GatewayAddress& address) {
  printer.open(element);
  printer.attribute("address", address.endpoint());
  if (!address.server_name.empty()) printer.attribute("server-name", address.server_name);
  printer.close();
}

}  // namespace

std::string render_topology_xml(const PersistedTopology& persisted) {
  const auto& topology = persisted.topology;
  xml::DocumentPrinter printer;
  printer.comment(kComment);
  printer.open(kRoot);
  printer.attribute("version", std::to_string(kTopologyDocumentVersion));
  printer.attribute("management-group", topology.management_group);
  printer.attribute("generation", std::to_string(topology.generation));
  printer.attribute("received-at", format_utc_time(persisted.received_at));
  if (!persisted.received_from.empty()) {
    printer.attribute("received-from", persisted.received_from);
  }
  render_gateway(printer, kPrimary, topology.primary);
  for (const auto& failover : topology.failover) render_gateway(printer, kFailover, failover);
  printer.close();
  return printer.text();
}

Result<std::string> render_issued_topology(const IssuedTopology& issued) {
  const auto& topology = issued.topology;
  if (auto problem = validate_topology(topology)) return *problem;
  xml::DocumentPrinter printer;
  printer.comment(kIssuedComment);
  printer.open(kRoot);
  printer.attribute("version", std::to_string(kIssuedTopologyVersion));
  printer.attribute("agent", issued.agent);
  printer.attribute("management-group", topology.management_group);
  printer.attribute("epoch", std::to_string(topology.epoch));
  printer.attribute("generation", std::to_string(topology.generation));
  printer.attribute("issued-at", format_utc_time(issued.issued_at));
  render_gateway(printer, kPrimary, topology.primary);
  for (const auto& failover : topology.failover) render_gateway(printer, kFailover, failover);
  printer.close();
  std::string text = printer.text();
  // What the agent could not read back would never be applied: check before anyone signs it.
  if (auto reread = parse_issued_topology(text, "the issued document"); !reread) {
    return reread.error();
  } else if (reread->agent != issued.agent || !(reread->topology == topology)) {
    return Error{"the issued document does not read back to the same topology"};
  }
  return text;
}

Result<IssuedTopology> parse_issued_topology(std::string_view text, std::string_view source_name) {
  auto doc = xml::parse_strict_document(text, source_name, {kRoot, kMaxIssuedTopologyBytes});
  if (!doc) return doc.error();
  return DocumentReader(source_name).read_issued(doc->root());
}

Result<PersistedTopology> parse_topology_xml(std::string_view text, std::string_view source_name) {
  auto doc = xml::parse_strict_document(text, source_name, {kRoot, kMaxTopologyDocumentBytes});
  if (!doc) return doc.error();
  return DocumentReader(source_name).read(doc->root());
}

}  // namespace gatelink
