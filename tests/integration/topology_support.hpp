#pragma once
// Shared by the topology integration tests: the agent's persisted topology files read back with a
// parser of the tests' own (tinyxml2, never the agent's) and, when xmllint is on PATH, checked
// against config/topology.xsd; the command-line form of the test gateways' addresses.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "integration/harness.hpp"

namespace gatelink::test {

/// What a persisted topology file (topology.xml, topology.lkg.xml) holds, as tests compare it.
struct TopologyFile {
  std::uint64_t epoch = 0;  ///< 0 in a version-1 file
  std::uint64_t generation = 0;
  std::string signed_by;  ///< the <signature key=...> of a <stored-topology>; empty: unsigned
  std::string management_group;
  std::string primary;                ///< `server-name@host:port`, or `host:port`
  std::vector<std::string> failover;  ///< in order, same form
};

/// A file checked: `file` when it is a complete topology document, else `problem` says what is
/// wrong (and quotes the file).
struct TopologyFileCheck {
  std::optional<TopologyFile> file;
  std::string problem;
};

/// Reads `path` strictly: well-formed XML, root <stored-topology> holding the issued
/// <topology version="2" epoch=... generation=... management-group=...> (or a version-1
/// <topology> of older builds), one <primary> then <failover>s; both valid against
/// config/topology.xsd when xmllint is on PATH (env GATELINK_SOURCE_DIR names the source tree).
TopologyFileCheck check_topology_file(const fs::path& path);

/// xmllint from PATH; nullopt when it is not installed (the schema check is then skipped).
std::optional<fs::path> find_xmllint();

/// Names of the temporary files a write in `dir` leaves while it runs (`*.tmp.*`).
std::vector<std::string> temp_files(const fs::path& dir);

/// `gwN.example.test` for N = i + 1, and the PKI's certificate base `gwN`.
std::string gateway_name(std::size_t i);
std::string gateway_cert(std::size_t i);

/// The gateway as gatelink-mg takes it and the agent's status shows it:
/// `gwN.example.test@127.0.0.1:PORT`.
std::string cli_address(const GatewayProcess& gateway);

/// A port on 127.0.0.1 that nothing listens on for as long as this lives: bound, never listened
/// on, so a connect to it is refused at once and no other process can take it meanwhile.
class ReservedPort {
 public:
  ReservedPort();
  ~ReservedPort();
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// `text` cut to its last `max_bytes` bytes, for failure messages of long logs.
std::string tail(const std::string& text, std::size_t max_bytes = 16000);

}  // namespace gatelink::test
