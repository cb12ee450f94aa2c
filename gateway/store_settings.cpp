#include "store_settings.hpp"

#include <tinyxml2.h>

#include "topology/topology.hpp"
#include "xml/document_printer.hpp"
#include "xml/element_reader.hpp"
#include "xml/parsed_document.hpp"

namespace gatelink::gateway {
namespace {

constexpr std::string_view kRoot = "topology-store";
/// store.xml holds one element: a few hundred bytes, a long key path included.
constexpr std::size_t kMaxBytes = 8192;
// epoch is optional on reading only: store.xml of the build before epochs has none.
constexpr xml::AttributeRule kAttributes[] = {
    {"version", true}, {"management-group", true}, {"epoch", false}, {"signing-key", false}};
constexpr std::string_view kComment =
    " The management group's topology store (gatelink-mg init, new-epoch). Gateways deliver\n"
    "     each agent's topology from agents/; gatelink-mg set-parent writes them, in this epoch,\n"
    "     signed with this key. Do not edit. ";

}  // namespace

std::optional<Error> check_store_epoch(std::uint64_t epoch) {
  if (epoch == 0) return Error{"epoch 0 is the one of stores without store.xml; epochs start at 1"};
  return check_issuable({.epoch = epoch, .generation = 1});
}

std::string render_store_settings(const StoreSettings& settings) {
  xml::DocumentPrinter printer;
  printer.comment(kComment);
  printer.open(kRoot);
  printer.attribute("version", std::to_string(kStoreSettingsVersion));
  printer.attribute("management-group", settings.management_group);
  printer.attribute("epoch", std::to_string(settings.epoch));
  if (settings.signing_key) printer.attribute("signing-key", *settings.signing_key);
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
  StoreSettings settings{.management_group = group->Value()};
  if (const auto* epoch = root.FindAttribute("epoch")) {
    auto value = in.decimal(root, "epoch");
    if (!value) return value.error();
    if (auto problem = check_store_epoch(*value)) return in.attribute_error(root, *epoch, *problem);
    settings.epoch = *value;
  }
  if (const auto* key = root.FindAttribute("signing-key")) {
    if (!std::string_view(key->Value()).starts_with('/')) {
      return in.attribute_error(root, *key, Error{"is not an absolute path"});
    }
    settings.signing_key = key->Value();
  }
  return settings;
}

}  // namespace gatelink::gateway
