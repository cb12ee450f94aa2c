#pragma once
// The failover state machine: every decision about which gateway to use, when one is dead,
// when to back off, probe and fail back, and when a pushed topology takes effect. Pure: events
// and the current time in, actions out.
// The networking layer carries the actions out; it never decides on its own.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/timings.hpp"
#include "topology/topology.hpp"

namespace gatelink::failover {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;
using SessionId = std::uint64_t;

/// Timings, all from the configuration (named defaults in common/timings.hpp).
using Settings = Timings;

enum class State { idle, connecting, connected, backoff, stopped };
std::string_view to_string(State state);

/// Why a session exists: the one carrying traffic, a failback probe, the handover to the new
/// primary of a pending topology, or the warm standby (Settings::warm_standby): a quiet session
/// to the next gateway in order, heartbeating every standby_interval, that the active one's
/// death promotes without a handshake.
enum class Purpose { active, probe, handover, standby };
std::string_view to_string(Purpose purpose);

/// How far a session has come: opened, welcomed (Connected), or has answered a heartbeat.
enum class Phase { connecting, up, healthy };

// ---- events -------------------------------------------------------------------------------
struct Start {};
/// TLS handshake done and the gateway's welcome received.
struct Connected {
  SessionId session;
  /// Silent intervals that kill the session, as agreed in the welcome; 0: the configured ones.
  unsigned misses = 0;
};
struct HeartbeatAnswered {
  SessionId session;
  Duration rtt;
};
/// Nothing at all has arrived on the session for about `missed` heartbeat intervals (the I/O
/// layer reports 1, 2, ... as the silence grows, the last one exactly at interval × misses).
/// A slow answer is never a miss: liveness is about silence, not speed.
struct HeartbeatMissed {
  SessionId session;
  unsigned missed = 1;
};
/// The session ended or never came up: connect/handshake failure or timeout, certificate
/// rejected, reset, end of stream. `reason` is a short key (`connect-timeout`, `expired`, ...);
/// `detail` what the key alone does not say (the TLS library's or the peer's words), shown in
/// status beside the key and kept to kMaxDetail bytes. It may come from the peer: data.
struct Closed {
  SessionId session;
  std::string reason;
  std::string detail = {};
};
/// The longest `detail` the machine keeps; a longer one is cut (status shows a line, not a log).
inline constexpr std::size_t kMaxDetail = 200;
/// The gateway said goodbye (drain or busy); it may ask us to stay away for a while. `reason` is
/// the gateway's own key (`drain`, `busy`); the machine records it as `goodbye:<reason>`.
struct GoodbyeReceived {
  SessionId session;
  std::string reason;
  std::optional<Duration> retry_after;
};
/// The gateway of `session` pushed a topology (not validated yet: the machine does that).
struct TopologyPushed {
  SessionId session = 0;
  Topology topology;
  /// The document it came in, which the machine only carries on to Persist (it never reads it).
  std::shared_ptr<const IssuedDocument> document = nullptr;
};
/// Time has passed; the machine acts on whatever deadline is due.
struct Tick {};
struct Stop {};
using Event = std::variant<Start, Connected, HeartbeatAnswered, HeartbeatMissed, Closed,
                           GoodbyeReceived, TopologyPushed, Tick, Stop>;

// ---- actions ------------------------------------------------------------------------------
/// Open a session to gateway `gateway` (index in the ordered list) under this id.
struct Connect {
  SessionId session;
  std::size_t gateway;
  Purpose purpose;
  bool operator==(const Connect&) const = default;
};
/// Close this session (idempotent for the I/O layer).
struct Close {
  SessionId session;
  std::string reason;
  bool operator==(const Close&) const = default;
};
/// This session (a probe, a handover or the standby) now carries the traffic: make-before-break
/// failback, or the standby taking over from a dead active one. A standby's I/O then heartbeats
/// at heartbeat_interval instead of standby_interval.
struct Promote {
  SessionId session;
  bool operator==(const Promote&) const = default;
};
/// Deliver a Tick at or after `at`. A later Schedule replaces an earlier one.
struct Schedule {
  TimePoint at;
  bool operator==(const Schedule&) const = default;
};
/// Make `topology` the persisted one. Comes before the Acknowledge that announces it: a topology
/// is on disk before the management group hears it applied.
struct Persist {
  Topology topology;
  GatewayAddress received_from;  ///< the gateway that pushed it
  TimePoint received_at;
  std::shared_ptr<const IssuedDocument> document;  ///< as TopologyPushed brought it
  bool operator==(const Persist&) const = default;
};
/// Tell the gateway of `session` what became of its push of `version`.
struct Acknowledge {
  SessionId session = 0;
  TopologyVersion version;
  TopologyOutcome outcome = TopologyOutcome::applied;
  std::string message;  ///< why, for the management group's log
  bool operator==(const Acknowledge&) const = default;
};
/// Something an operator wants in the log: one line per failover, failback, reconnect, backoff
/// and topology decision. `failover` is every move down the list (counted in Counters only when
/// leaving a connected gateway); `dead` is a failback probe that failed; `standby_lost` the warm
/// standby that ended (it is opened again after probe_interval); `connected` is an active
/// session welcomed. Gateway indexes are positions in the list in use once the actions are
/// carried out, but `from` of `applied` and `committed`: the position in the list before. The
/// topology kinds carry the pushed version (and `damped` the gateway that flapped in `from`):
/// `applied` at once, `pending` (waiting for the new primary), `committed` (the new primary
/// answered), `handover_failed` (an attempt to reach the new primary failed), `ignored` (not
/// newer), `rejected` (invalid).
struct Report {
  enum class Kind {
    connected,
    failover,
    failback,
    reconnect,
    backoff,
    dead,
    applied,
    pending,
    committed,
    handover_failed,
    ignored,
    rejected,
    damped,  ///< a flap: the stable window in force doubled (stable_window() says to what)
    standby_lost,
  };
  Kind kind;
  std::optional<std::size_t> from;
  std::optional<std::size_t> to;
  std::string reason;
  std::optional<TopologyVersion> version;  ///< topology kinds only
  bool operator==(const Report&) const = default;
};
std::string_view to_string(Report::Kind kind);
using Action = std::variant<Connect, Close, Promote, Schedule, Persist, Acknowledge, Report>;

/// Uniform random number in [0, 1); injected so tests are deterministic.
using Random = std::function<double()>;

/// What the machine knows about one gateway of the ordered list.
struct GatewayRecord {
  std::optional<std::string> last_error;
  std::optional<std::string> last_error_detail;  ///< the Closed detail that came with last_error
  std::optional<TimePoint> last_seen;         ///< last heartbeat answer or successful connect
  std::optional<TimePoint> retry_not_before;  ///< from a goodbye's retry-after (jittered)
};

/// One session the machine opened and has not closed or seen close.
struct SessionRecord {
  SessionId id = 0;
  std::size_t gateway = 0;  ///< in the list in use; for a handover, in the pending topology
  Purpose purpose = Purpose::active;
  Phase phase = Phase::connecting;
  /// Probes and handovers: when the machine gives up on it while it is not healthy yet, or,
  /// once healthy, when its stable window is over and it takes the traffic.
  std::optional<TimePoint> deadline;
  unsigned misses = 0;                ///< agreed silent intervals that kill it (from Connected)
  std::optional<Duration> last_rtt;   ///< of its last answered heartbeat
};

/// A pushed topology that waits for its new primary to answer a heartbeat (DESIGN "Topology:
/// push, change, persistence"): until then the last topology that worked stays in use.
struct PendingTopology {
  Topology topology;
  std::shared_ptr<const IssuedDocument> document;  ///< as TopologyPushed brought it
  GatewayAddress received_from;
  TimePoint received_at;            ///< also when it became pending
  std::optional<std::string> last_error;  ///< why the last attempt to reach the new primary failed
  std::optional<std::string> last_error_detail;
  unsigned failures = 0;            ///< failed attempts in a row: the backoff exponent
  std::optional<TimePoint> retry_at;  ///< next attempt, while no handover session is open
};

struct Counters {
  std::uint64_t failovers = 0;
  std::uint64_t failbacks = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t heartbeats_missed = 0;
};

class Machine {
 public:
  /// Starts with `topology` in use: the persisted one, or the configuration's bootstrap list.
  Machine(Settings settings, Topology topology, Random random);

  /// Feeds one event at time `now`; returns what the I/O layer must do, in order.
  ///
  /// The I/O layer reports for each session it opened on a Connect: Connected once welcomed,
  /// HeartbeatAnswered/HeartbeatMissed after that, and exactly one ending (Closed or
  /// GoodbyeReceived) unless the machine closed it first; it enforces connect and handshake
  /// deadlines itself and reports them as Closed. It keeps one timer: after a Schedule it sends
  /// a Tick at or after `at`. Ids are never reused; after a Close the machine forgets the id, so
  /// late reports about it are ignored, as is everything after Stop.
  std::vector<Action> handle(const Event& event, TimePoint now);

  State state() const { return state_; }
  /// Index of the gateway carrying traffic (connected), or being connected to.
  std::optional<std::size_t> current_gateway() const;
  std::optional<SessionId> active_session() const;
  /// When the current state began, or the gateway in use last changed (failback, promotion).
  TimePoint since() const { return since_; }
  unsigned consecutive_misses() const { return misses_; }
  std::optional<Duration> last_rtt() const { return last_rtt_; }
  const std::vector<GatewayRecord>& gateways() const { return gateways_; }
  const Counters& counters() const { return counters_; }
  /// When the backoff ends and the primary is tried again (only in State::backoff).
  std::optional<TimePoint> next_retry() const;
  /// When the next failback probe opens (only while connected to a failover gateway).
  std::optional<TimePoint> next_probe() const;
  /// The warm standby session, if one is open (connecting or up).
  const SessionRecord* standby() const;
  /// Every session the machine holds open, the active one included.
  const std::vector<SessionRecord>& sessions() const { return sessions_; }
  /// The topology in use: the last one that worked (or the starting one).
  const Topology& topology() const { return topology_; }
  /// Its gateways in order (primary first): what gateway indexes refer to.
  const std::vector<GatewayAddress>& ordered() const { return ordered_; }
  /// The pushed topology waiting for its new primary, if any.
  const std::optional<PendingTopology>& pending() const { return pending_; }
  /// The gateway a session the machine holds is opened to (handover sessions included).
  std::optional<GatewayAddress> session_address(SessionId id) const;
  /// How long a probe or a handover must stay healthy, without a break, before the agent moves:
  /// probe_interval × stable_probes, doubled by each flap (capped), halved back by each quiet
  /// flap_window. The window in force at `now`.
  Duration stable_window(TimePoint now) const;

 private:
  // Implementation-owned; see failover_machine.cpp (states, sessions, failover),
  // failover_failback.cpp (probes) and failover_backoff.cpp (delays).
  struct Step {
    TimePoint now;
    std::vector<Action> out;
  };

  void on(const Start& event, Step& step);
  void on(const Connected& event, Step& step);
  void on(const HeartbeatAnswered& event, Step& step);
  void on(const HeartbeatMissed& event, Step& step);
  void on(const Closed& event, Step& step);
  void on(const GoodbyeReceived& event, Step& step);
  void on(const TopologyPushed& event, Step& step);
  void on(const Tick& event, Step& step);
  void on(const Stop& event, Step& step);

  void enter(State next, TimePoint now);
  const SessionRecord* find_if(const std::function<bool(const SessionRecord&)>& match) const;
  SessionRecord* find(SessionId id);
  const SessionRecord* active() const;
  SessionRecord* active();
  SessionRecord* probe();
  SessionId open(std::size_t gateway, Purpose purpose, Step& step);
  void forget(SessionId id);
  void close(SessionId id, std::string reason, Step& step);
  bool excluded(std::size_t gateway, TimePoint now) const;
  std::optional<std::size_t> next_eligible(std::size_t from, TimePoint now) const;

  /// Why a session failed: the key the machine decides on and records, and its detail.
  struct Failure {
    std::string key;
    std::string detail = {};
    /// The detail as status keeps it: none when empty, else at most kMaxDetail bytes.
    std::optional<std::string> kept_detail() const;
  };
  void active_died(std::size_t gateway, Failure why, Step& step);
  /// Ends a probe or the standby that failed: records why on its gateway, closes it (or forgets
  /// it when the I/O layer reported the close) and returns the reason key.
  std::string end_session(SessionRecord& session, Failure why, bool close_it, Step& step);
  void start_pass(Step& step);
  void enter_backoff(std::optional<std::size_t> from, const std::string& reason, Step& step);
  void now_connected(SessionRecord& session, Step& step);

  // Warm standby: failover_standby.cpp.
  /// Opens the standby to the next eligible gateway after the active one when there is none
  /// (or it is on another gateway), unless one failed within probe_interval.
  void keep_standby(Step& step);
  void standby_failed(SessionRecord& session, Failure why, bool close_it, Step& step);

  void open_probe(Step& step);
  void probe_healthy(SessionRecord& session, Step& step);
  void fail_back(SessionRecord& session, Step& step);
  void probe_failed(SessionRecord& session, Failure why, bool close_it, Step& step);
  SessionRecord* promotable();
  /// Flap damping: the loss of `gateway` as the active one; doubles the window after a flap.
  void damp_flap(std::size_t gateway, Step& step);
  /// Applies the decay of quiet flap windows up to `now` (the window in force stays exact).
  void decay_window(TimePoint now);

  // Pushed topologies: failover_topology.cpp.
  void refuse(SessionId session, TopologyVersion version, TopologyOutcome outcome,
              std::string message, Step& step);
  void adopt(Topology topology, Step& step);
  void make_pending(PendingTopology pending, SessionId from, Step& step);
  void drop_pending(const std::string& reason, Step& step);
  void open_handover(Step& step);
  void handover_failed(SessionRecord& session, Failure why, bool close_it,
                       std::optional<Duration> retry_after, Step& step);
  void commit(SessionRecord& session, Step& step);
  SessionRecord* handover();

  std::optional<TimePoint> earliest_deadline() const;
  double draw();

  Settings settings_;
  Random random_;
  Topology topology_;                  ///< in use
  std::vector<GatewayAddress> ordered_;  ///< topology_.ordered(), what indexes refer to
  std::optional<PendingTopology> pending_;
  State state_ = State::idle;
  TimePoint since_{};
  unsigned misses_ = 0;
  std::optional<Duration> last_rtt_;
  std::vector<GatewayRecord> gateways_;
  Counters counters_;

  /// Small: active, at most one probe, one handover and one standby.
  std::vector<SessionRecord> sessions_;
  SessionId next_id_ = 1;                ///< ids are never reused, so late events stay stale
  unsigned failed_passes_ = 0;  ///< full passes in a row without a connect: the backoff exponent
  std::optional<TimePoint> retry_at_;    ///< end of the backoff
  std::optional<TimePoint> next_probe_;  ///< when the next probe opens
  std::optional<TimePoint> next_standby_;  ///< a standby failed: when to open one again
  std::optional<TimePoint> scheduled_;   ///< the deadline last handed out in a Schedule

  // Flap damping (failover_failback.cpp).
  Duration window_;                          ///< stable window in force (before decay to now)
  TimePoint window_changed_{};               ///< when it last doubled or halved
  std::optional<TimePoint> failed_back_at_;  ///< the last failback, while within flap_window
  std::size_t failed_back_to_ = 0;           ///< ... and the gateway it went to
};

}  // namespace gatelink::failover
