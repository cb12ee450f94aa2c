#include "store/startup_topology.hpp"

#include <filesystem>
#include <utility>

namespace gatelink {

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

std::optional<Error> accept_persisted(PersistedTopology& file, const TopologyTrust& trust,
                                      std::chrono::system_clock::time_point now) {
  // A stored topology of another management group (the configuration changed) is not ours.
  if (file.topology.management_group != trust.management_group) {
    return Error{"management group " + file.topology.management_group + " is not the configured " +
                 trust.management_group};
  }
  if (file.issued.bytes.empty()) {
    if (trust.keys.empty()) return std::nullopt;
    return Error{
        "unsigned: written before signed topologies, and the management group's keys are "
        "pinned (<management-group-keys>)"};
  }
  auto checked = check_issued(file.issued.bytes, file.issued.signature, trust, now, "<document>");
  if (!checked) {
    return Error{std::string(to_string(checked.error().reason)) + ": " + checked.error().message};
  }
  file.issued.signed_by = checked->signed_by;
  return std::nullopt;
}

StartupTopology choose_startup_topology(const TopologyStore& store, const Topology& bootstrap,
                                        const TopologyTrust& trust,
                                        std::chrono::system_clock::time_point now) {
  StartupTopology chosen{.topology = bootstrap};
  const auto current_path = std::filesystem::path(store.dir()) / kTopologyFileName;
  const auto lkg_path = std::filesystem::path(store.dir()) / kLastKnownGoodFileName;
  // Whatever is there, a dangling link or a FIFO included, is looked at (and refused) by load().
  std::error_code ec;
  const bool first_start =
      !std::filesystem::exists(std::filesystem::symlink_status(current_path, ec)) &&
      !std::filesystem::exists(std::filesystem::symlink_status(lkg_path, ec));
  if (first_start) return chosen;

  // Every file is checked as a push would be: a file an agent would not take from a gateway
  // is not taken from the disk either.
  auto loaded =
      store.load([&](PersistedTopology& file) { return accept_persisted(file, trust, now); });
  if (!loaded) {
    chosen.fallbacks.push_back(loaded.error().message);
    return chosen;
  }
  if (const auto& lkg = loaded->last_known_good) {
    chosen.last_known_good = lkg->topology.generation;
    chosen.last_known_good_file = lkg;
  }
  chosen.fallbacks = loaded->problems;
  chosen.origin = loaded->source == TopologyStore::Loaded::Source::current
                      ? StartupTopology::Origin::persisted
                      : StartupTopology::Origin::last_known_good;
  chosen.topology = loaded->value.topology;
  chosen.file = std::move(loaded->value);
  return chosen;
}

}  // namespace gatelink
