#pragma once
// The fleet's agent identities, made in-process with OpenSSL: one key pair that every agent
// shares and one certificate per agent, each naming its agent (CN and SAN DNS, clientAuth),
// signed by the lab CA. A gateway checks an agent by its certificate chain and the name its
// hello carries against the certificate's names, never by the key, so a shared key changes no
// check and makes 10,000 identities in about a second instead of 10,000 runs of openssl.

#include <cstddef>
#include <filesystem>
#include <string>

namespace gatelink::fleet {

struct FleetIdentities {
  std::filesystem::path key;           ///< the shared private key (PEM, 0600)
  std::filesystem::path certificates;  ///< folder of NNNNN.pem, one per agent
  /// The certificate of agent `index`.
  std::filesystem::path certificate(std::size_t index) const;
};

/// agent name of agent `index`: agent-00042.fleet.test
std::string agent_name(std::size_t index);

/// Writes the key and `count` certificates into `out`, signed by `ca_dir`'s ca.pem / ca.key,
/// valid for a day. Throws std::runtime_error with OpenSSL's reason on failure.
FleetIdentities make_fleet_identities(const std::filesystem::path& ca_dir,
                                      const std::filesystem::path& out, std::size_t count);

}  // namespace gatelink::fleet
