#include "store/startup_topology.hpp"

#include <filesystem>
#include <utility>

namespace gatelink {
namespace {

/// A stored topology of another management group (the configuration changed) is not ours.
std::optional<std::string> foreign(const PersistedTopology& stored, const Topology& bootstrap,
                                   std::string_view file) {
  if (stored.topology.management_group == bootstrap.management_group) return std::nullopt;
  return std::string(file) + ": management group " + stored.topology.management_group +
         " is not the configured " + bootstrap.management_group;
}

}  // namespace

std::string_view to_string(StartupTopology::Origin origin) {
  switch (origin) {
    case StartupTopology::Origin::persisted:
      return "persisted";
    case StartupTopology::Origin::last_known_good:
      return "last-known-good";
    case StartupTopology::Origin::bootstrap:
      return "bootstrap";
  }
  return "unknown";
}

StartupTopology choose_startup_topology(const TopologyStore& store, const Topology& bootstrap,
                                        bool signatures_required) {
  StartupTopology chosen{.topology = bootstrap};
  const auto current_path = std::filesystem::path(store.dir()) / kTopologyFileName;
  const auto lkg_path = std::filesystem::path(store.dir()) / kLastKnownGoodFileName;
  // Whatever is there, a dangling link or a FIFO included, is looked at (and refused) by load().
  std::error_code ec;
  const bool first_start =
      !std::filesystem::exists(std::filesystem::symlink_status(current_path, ec)) &&
      !std::filesystem::exists(std::filesystem::symlink_status(lkg_path, ec));
  if (first_start) return chosen;

  auto loaded = store.load();
  if (!loaded) {
    chosen.fallbacks.push_back(loaded.error().message);
    return chosen;
  }
  if (signatures_required) {
    // The files this version writes carry no signature: none of them is believed.
    for (const std::string_view file : {kTopologyFileName, kLastKnownGoodFileName}) {
      if (std::filesystem::exists(std::filesystem::path(store.dir()) / file, ec)) {
        chosen.fallbacks.push_back(std::string(file) +
                                   ": not signed by the management group, and its keys are "
                                   "pinned (<management-group-keys>)");
      }
    }
    return chosen;
  }
  const auto& lkg = loaded->last_known_good;
  if (lkg && !foreign(*lkg, bootstrap, kLastKnownGoodFileName)) {
    chosen.last_known_good = lkg->topology.generation;
    chosen.last_known_good_file = lkg;
  }
  chosen.fallbacks = loaded->problems;
  const bool from_current = loaded->source == TopologyStore::Loaded::Source::current;
  const auto file = from_current ? kTopologyFileName : kLastKnownGoodFileName;
  if (auto problem = foreign(loaded->value, bootstrap, file)) {
    chosen.fallbacks.push_back(std::move(*problem));
    // The current file of another group may hide a usable last-known-good of ours.
    if (from_current && chosen.last_known_good) {
      chosen.topology = lkg->topology;
      chosen.origin = StartupTopology::Origin::last_known_good;
      chosen.file = lkg;
    }
    return chosen;
  }
  chosen.file = loaded->value;
  chosen.topology = std::move(loaded->value.topology);
  chosen.origin = from_current ? StartupTopology::Origin::persisted
                               : StartupTopology::Origin::last_known_good;
  return chosen;
}

}  // namespace gatelink
