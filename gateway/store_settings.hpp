#pragma once
// What the management group's topology store keeps once for all its agents: DIR/store.xml,
// written by `gatelink-mg init` and `new-epoch`, read by every set-parent. Parsed as strictly as
// the topology.

#include <cstdint>
#include <optional>
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
  /// The epoch set-parent issues in (topology.hpp); a store.xml of an older build has none: 1.
  std::uint64_t epoch = 1;
  /// Absolute path of the management group's private key that signs every issued document;
  /// none: documents are issued unsigned.
  std::optional<std::string> signing_key;

  friend bool operator==(const StoreSettings&, const StoreSettings&) = default;
};

/// Empty when a store may issue in `epoch`: at least 1 (0 is the epoch of stores without
/// store.xml) and issuable (check_issuable).
std::optional<Error> check_store_epoch(std::uint64_t epoch);

/// `<topology-store version="1" management-group="..." epoch="..." [signing-key="..."]/>`, with
/// a comment saying what it is.
std::string render_store_settings(const StoreSettings& settings);

/// Parses store.xml strictly; errors are "SOURCE:LINE: problem". An epoch check_store_epoch()
/// refuses and a signing key that is not an absolute path are refused.
Result<StoreSettings> parse_store_settings(std::string_view text, std::string_view source);

}  // namespace gatelink::gateway
