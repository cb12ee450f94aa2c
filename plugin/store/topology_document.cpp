// The persisted topology document. Written by the agent and read back at every start, so it is
// parsed as strictly as the configuration (config/agent_config.cpp): anything outside the
// schema (config/topology.xsd) is refused with "FILE:LINE: problem", and the store falls back
// to the last-known-good copy. Comments and blank space are the only freedom. The prologue is
// the XML module's (xml::parse_strict_document), the rules per element and attribute are the
// tables below; the document is written with xml::DocumentPrinter.

#include "store/topology_document.hpp"

#include <tinyxml2.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "status/status_time.hpp"
#include "xml/document_printer.hpp"
#include "xml/parsed_document.hpp"
#include "xml/strict_xml.hpp"

namespace gatelink {
namespace {

using xml::echo;
using xml::is_blank;
using xml::located;
using xml::tag;
using xml::trimmed;

constexpr std::string_view kRoot = "topology";
constexpr std::string_view kPrimary = "primary";
constexpr std::string_view kFailover = "failover";
constexpr std::string_view kComment =
    " An agent's topology as the management group gave it (schema: topology.xsd).\n"
    "     Written by gatelink; only a newer generation replaces it. Do not edit. ";

/// An attribute an element may carry.
struct AttributeRule {
  std::string_view name;
  bool required = false;
};

constexpr AttributeRule kRootAttributes[] = {
    {"version", true},     {"management-group", true}, {"generation", true},
    {"received-at", true}, {"received-from", false},
};
constexpr AttributeRule kGatewayAttributes[] = {{"address", true}, {"server-name", false}};

/// Plain decimal without sign, spaces or leading zeros, as the document writes it.
Result<std::uint64_t> parse_generation(std::string_view text) {
  if (text.empty()) return Error{"is empty"};
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Error{"is not a decimal number"};
  }
  if (text.size() > 1 && text.front() == '0') return Error{"has a leading zero"};
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error{"is larger than " + std::to_string(UINT64_MAX)};
  }
  return value;
}

/// Reads the <topology> element into a PersistedTopology; every error is "SOURCE:LINE: ...".
class DocumentReader {
 public:
  explicit DocumentReader(std::string_view source) : source_(source) {}

  Result<PersistedTopology> read(const tinyxml2::XMLElement& root) {
    // The version first: a newer writer may have added what this reader would call unknown.
    if (auto error = check_version(root)) return *error;
    if (auto error = check_attributes(root, kRootAttributes)) return *error;
    PersistedTopology persisted;
    auto& topology = persisted.topology;
    topology.management_group = root.Attribute("management-group");

    const auto* generation_attribute = root.FindAttribute("generation");
    auto generation = parse_generation(generation_attribute->Value());
    if (!generation) return attribute_error(root, *generation_attribute, generation.error());
    topology.generation = *generation;

    const auto* at = root.FindAttribute("received-at");
    const auto received_at = parse_utc_time(at->Value());
    if (!received_at) {
      return attribute_error(root, *at,
                             Error{"is not a UTC time such as 2026-11-25T16:15:16.123Z"});
    }
    // Kept to the millisecond, as rendered: a file must read back to the value it came from.
    persisted.received_at = std::chrono::floor<std::chrono::milliseconds>(*received_at);

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

 private:
  Error fail(int line, const std::string& what) const { return located(source_, line, what); }

  Error attribute_error(const tinyxml2::XMLElement& element, const tinyxml2::XMLAttribute& attr,
                        const Error& problem) const {
    return fail(attr.GetLineNum(), tag(element.Name()) + " " + attr.Name() + "=\"" +
                                       echo(attr.Value()) + "\": " + problem.message);
  }

  std::optional<Error> check_version(const tinyxml2::XMLElement& root) const {
    const auto* version = root.FindAttribute("version");
    if (!version) {
      return fail(root.GetLineNum(), tag(kRoot) + ": missing required attribute \"version\"");
    }
    const std::string_view text = version->Value();
    if (text == std::to_string(kTopologyDocumentVersion)) return std::nullopt;
    const auto number = parse_generation(text);  // same grammar: plain decimal
    if (number && *number > kTopologyDocumentVersion) {
      return attribute_error(
          root, *version,
          Error{"written by a newer gatelink (document version " + std::string(text) +
                "; this agent reads version " + std::to_string(kTopologyDocumentVersion) +
                "); refusing to read it"});
    }
    return attribute_error(root, *version,
                           Error{"unsupported document version (expected " +
                                 std::to_string(kTopologyDocumentVersion) + ")"});
  }

  std::optional<Error> check_attributes(const tinyxml2::XMLElement& element,
                                        std::span<const AttributeRule> rules) const {
    for (const auto* attr = element.FirstAttribute(); attr; attr = attr->Next()) {
      const std::string_view name = attr->Name();
      if (std::none_of(rules.begin(), rules.end(), [&](auto& r) { return r.name == name; })) {
        std::string expected;
        for (const auto& rule : rules) {
          expected += (expected.empty() ? "" : ", ") + std::string(rule.name);
        }
        return fail(attr->GetLineNum(), tag(element.Name()) + ": unknown attribute \"" +
                                            echo(name) + "\" (expected: " + expected + ")");
      }
    }
    for (const auto& rule : rules) {
      if (rule.required && !element.FindAttribute(std::string(rule.name).c_str())) {
        return fail(element.GetLineNum(), tag(element.Name()) + ": missing required attribute \"" +
                                              std::string(rule.name) + "\"");
      }
    }
    return std::nullopt;
  }

  /// Non-blank text and markup other than comments inside `element`.
  std::optional<Error> check_no_text(const tinyxml2::XMLNode& node) const {
    if (node.ToComment()) return std::nullopt;
    if (const auto* text = node.ToText()) {
      if (is_blank(text->Value())) return std::nullopt;
      return fail(node.GetLineNum(), tag(node.Parent()->Value()) + ": unexpected text \"" +
                                         echo(trimmed(text->Value())) + "\"");
    }
    return fail(node.GetLineNum(), tag(node.Parent()->Value()) + ": unexpected markup");
  }

  Result<GatewayAddress> gateway(const tinyxml2::XMLElement& element) const {
    if (auto error = check_attributes(element, kGatewayAttributes)) return *error;
    for (const auto* child = element.FirstChild(); child; child = child->NextSibling()) {
      if (child->ToElement()) {
        return fail(child->GetLineNum(),
                    tag(element.Name()) + ": unexpected element " + tag(echo(child->Value())));
      }
      if (auto error = check_no_text(*child)) return *error;
    }
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
        if (auto error = check_no_text(*node)) return error;
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

  std::string_view source_;
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

Result<PersistedTopology> parse_topology_xml(std::string_view text, std::string_view source_name) {
  auto doc = xml::parse_strict_document(text, source_name, {kRoot, kMaxTopologyDocumentBytes});
  if (!doc) return doc.error();
  return DocumentReader(source_name).read(doc->root());
}

}  // namespace gatelink
