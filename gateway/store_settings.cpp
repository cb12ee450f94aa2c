#include "store_settings.hpp"

#include <tinyxml2.h>

#include "topology/topology.hpp"
#include "xml/document_printer.hpp"
#include "xml/element_reader.hpp"
#include "xml/parsed_document.hpp"

namespace gatelink::gateway {
namespace {

constexpr std::string_view kRoot = "topology-store";
/// store.xml holds one element: a few hundred bytes.
constexpr std::size_t kMaxBytes = 4096;
constexpr xml::AttributeRule kAttributes[] = {{"version", true}, {"management-group", true}};
constexpr std::string_view kComment =
    " The management group's topology store (gatelink-mg init). Gateways deliver each agent's\n"
    "     topology from agents/; gatelink-mg set-parent writes them. Do not edit. ";

}  // namespace

std::string render_store_settings(const StoreSettings& settings) {
  xml::DocumentPrinter printer;
  printer.comment(kComment);
  printer.open(kRoot);
  printer.attribute("version", std::to_string(kStoreSettingsVersion));
  printer.attribute("management-group", settings.management_group);
  printer.close();
  return printer.text();
}

Result<StoreSettings> parse_store_settings(std::string_view text, std::string_view source) {
  auto doc = xml::parse_strict_document(text, source, {kRoot, kMaxBytes});
  if (!doc) return doc.error();
  const auto& root = doc->root();
  const xml::ElementReader in(source);
  if (auto error = in.check_version(root, kStoreSettingsVersion)) return *error;
  if (auto error = in.check_attributes(root, kAttributes)) return *error;
  if (auto error = in.check_empty(root)) return *error;
  const auto* group = root.FindAttribute("management-group");
  if (auto problem = validate_management_group(group->Value())) {
    return in.attribute_error(root, *group, *problem);
  }
  return StoreSettings{.management_group = group->Value()};
}

}  // namespace gatelink::gateway
