#pragma once
// What the agent tells on-site staff about itself: one consistent snapshot, rendered as the
// JSON of DESIGN "Local status". Fields whose feature is not built yet stay empty (null).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatelink {

using WallTime = std::chrono::system_clock::time_point;

enum class ConnectionState { connecting, connected, backoff, stopped };
/// The state as the status JSON spells it: `connecting`, `connected`, `backoff`, `stopped`.
std::string_view to_string(ConnectionState state);

struct GatewayStatus {
  std::string address;  ///< command-line form, `server-name@host:port` or `host:port`
  std::string role;     ///< `primary` or `failover`
  std::optional<std::string> last_error;
  std::optional<WallTime> last_seen;
  /// What the key does not say (the TLS library's words, the gateway's message): peer data.
  std::optional<std::string> last_error_detail;
};

struct PendingTopologyStatus {
  std::uint64_t epoch = 0;
  std::uint64_t generation = 0;
  std::string primary;
  std::vector<std::string> failover;
  WallTime since{};
  std::optional<std::string> last_error;
  std::string received_from;  ///< the gateway that pushed it; empty when not known (JSON null)
  std::optional<std::string> last_error_detail;
};

/// A topology the agent holds on disk (topology.xml or topology.lkg.xml) and where it came from.
struct StoredTopologyStatus {
  std::uint64_t epoch = 0;
  std::uint64_t generation = 0;
  std::string primary;
  std::vector<std::string> failover;
  std::string received_from;  ///< the gateway that pushed it; empty for the bootstrap list
  std::optional<WallTime> received_at;
};

struct StatusSnapshot {
  std::string version;  ///< gatelink version of the running agent
  std::string agent;
  std::string management_group;
  ConnectionState state = ConnectionState::connecting;
  std::optional<std::string> gateway;       ///< address in use, null when not connected
  std::optional<std::string> gateway_name;  ///< name the gateway gave in its welcome
  std::optional<std::string> role;          ///< `primary` or `failover`
  std::optional<std::size_t> position;      ///< index in the ordered list (0 = primary)
  std::optional<WallTime> since;            ///< when the current state began

  /// The gateway a connection attempt is under way to (state connecting).
  struct Attempt {
    std::string gateway;    ///< its address, command-line form
    std::size_t position = 0;  ///< index in the ordered list (0 = primary)
  };
  std::optional<Attempt> attempt;

  struct Heartbeat {
    std::uint32_t interval_ms = 0;  ///< agreed with the gateway in use (else the configured)
    std::uint32_t misses = 0;       ///< silent intervals that kill the session, as agreed
    std::optional<double> last_rtt_ms;
    std::uint32_t missed = 0;  ///< heartbeat intervals of silence on the current session
  } heartbeat;

  struct Failback {
    /// How long a probe must stay healthy before the agent moves back: the window in force,
    /// longer than the configured one while flap damping holds it up.
    std::uint64_t stable_window_ms = 0;
    std::uint64_t configured_window_ms = 0;  ///< probe-interval-ms × stable-probes
  } failback;

  struct Topology {
    std::uint64_t epoch = 0;  ///< with generation, the version: (0, 0) is the bootstrap list
    std::uint64_t generation = 0;
    std::string source = "bootstrap";  ///< `bootstrap` or `pushed`
    std::string primary;               ///< empty until a topology is known (JSON null)
    std::vector<std::string> failover;
    std::optional<PendingTopologyStatus> pending;
    std::optional<std::uint64_t> last_known_good;  ///< its generation (kept for older readers)
    /// Where and when the topology in use was received; empty/null for the bootstrap list or
    /// when not known.
    std::string received_from;
    std::optional<WallTime> received_at;
    /// The whole last-known-good topology (topology.lkg.xml), when there is a valid one.
    std::optional<StoredTopologyStatus> last_known_good_topology;
    /// Fingerprint of the pinned key that verified the topology in use; empty: not signed.
    std::string signed_by;
    /// Management-group keys pinned; 0: pushed topologies are not checked at all.
    std::size_t pinned_keys = 0;
  } topology;

  std::vector<GatewayStatus> gateways;

  struct Counters {
    std::uint64_t failovers = 0;
    std::uint64_t failbacks = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t heartbeats_missed = 0;
  } counters;

  /// The agent's certificate in use, what is wrong with it, and the CRL it checks gateways by.
  struct Certificate {
    std::string subject;  ///< empty while no certificate is loaded (JSON null)
    std::optional<WallTime> not_after;
    std::optional<std::int64_t> days_left;  ///< whole days, rounded down: negative once expired
    std::string issuer;
    std::optional<WallTime> loaded_at;      ///< when the files in use were loaded
    struct Warning {
      std::string reason;   ///< `expires-soon`, `expired`, `crl-out-of-date`
      std::string message;  ///< one sentence for a technician
    };
    std::vector<Warning> warnings;  ///< empty when all is well
    struct Crl {
      std::string issuer;
      std::optional<WallTime> next_update;
      bool expired = false;  ///< past its next update: every gateway is refused
    };
    std::optional<Crl> crl;  ///< null when no CRL is configured
    /// Renewed files that were refused (the previous ones stay in use), until good files come.
    struct ReloadError {
      std::string file;
      std::string reason;   ///< e.g. `key-mismatch`, `certificate-invalid`, `key-exposed`
      std::string message;  ///< names the file and what is wrong
    };
    std::optional<ReloadError> reload_error;
  } certificate;

  /// The warm standby (<warm-standby>), while one is open: to the next gateway after the one in
  /// use, promoted without a handshake when that one dies.
  struct Standby {
    std::string gateway;            ///< its address, command-line form
    std::size_t position = 0;       ///< index in the ordered list
    std::string state;              ///< `connecting`, `up` (welcomed) or `healthy` (answered)
    std::uint32_t interval_ms = 0;  ///< its quiet heartbeat interval, as agreed
    std::optional<double> last_rtt_ms;
  };
  std::optional<Standby> standby;

  std::optional<WallTime> next_retry;  ///< when the next connection attempt is due (backoff)
  std::optional<WallTime> next_probe;  ///< when the next failback probe is due
};

/// The JSON object `gatelinkctl status --json` prints (nlohmann/json, never concatenation).
std::string to_json(const StatusSnapshot& snapshot);

/// Bounds on the local status protocol: a request line and the answer.
inline constexpr std::size_t kMaxStatusRequest = 256;
inline constexpr std::size_t kMaxStatusResponse = std::size_t{256} * 1024;

}  // namespace gatelink
