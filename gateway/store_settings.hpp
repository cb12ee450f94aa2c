#pragma once
// What the management group's topology store keeps once for all its agents: DIR/store.xml,
// written by `gatelink-mg init`, read by every set-parent. Parsed as strictly as the topology.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace gatelink::gateway {

/// The file's name in the store folder.
inline constexpr std::string_view kStoreSettingsFile = "store.xml";
/// The version of store.xml this build writes and reads.
inline constexpr unsigned kStoreSettingsVersion = 1;

struct StoreSettings {
  std::string management_group;  ///< every agent of the store belongs to it

  friend bool operator==(const StoreSettings&, const StoreSettings&) = default;
};

/// `<topology-store version="1" management-group="..."/>`, with a comment saying what it is.
std::string render_store_settings(const StoreSettings& settings);

/// Parses store.xml strictly; errors are "SOURCE:LINE: problem".
Result<StoreSettings> parse_store_settings(std::string_view text, std::string_view source);

}  // namespace gatelink::gateway
