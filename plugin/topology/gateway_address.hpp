#pragma once
// Where a gateway is and which name its certificate must carry.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace gatelink {

inline constexpr std::uint16_t kDefaultGatewayPort = 5723;

struct GatewayAddress {
  std::string host;                           ///< name or IP literal dialled
  std::uint16_t port = kDefaultGatewayPort;
  std::string server_name;                    ///< name expected in the certificate; empty: host

  /// The name the gateway's certificate must carry (SAN) and that goes in SNI.
  const std::string& expected_name() const { return server_name.empty() ? host : server_name; }
  /// Command-line form: `host:port` or `server-name@host:port`.
  std::string to_string() const;
  /// `host:port` only.
  std::string endpoint() const;

  friend bool operator==(const GatewayAddress&, const GatewayAddress&) = default;
};

/// Parses `host[:port]` or `server-name@host[:port]`; IPv6 literals as `[::1]:port`.
Result<GatewayAddress> parse_gateway_address(std::string_view text);

/// Parses the XML form: `address="host:port"` plus an optional `server-name`.
Result<GatewayAddress> make_gateway_address(std::string_view address, std::string_view server_name);

}  // namespace gatelink
