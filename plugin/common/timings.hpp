#pragma once
// Every timing of a gateway link, declared once with its named default. The configuration
// schema takes its defaults from these values (config_schema.cpp), the agent's sessions and the
// failover machine run on the configured copy, and the reference gateway starts from the same
// defaults. Pure: no clock, no I/O.

#include <chrono>

namespace gatelink {

using Millis = std::chrono::milliseconds;

struct Timings {
  // ---- liveness: a session is dead when nothing has arrived for interval × misses -----------
  Millis heartbeat_interval{1000};  ///< the agent sends a heartbeat this often
  /// Silence of this many intervals kills a session. At least 2: one interval of silence is the
  /// normal gap between two answers.
  unsigned heartbeat_misses = 3;

  // ---- failback -------------------------------------------------------------------------------
  /// While on a failover gateway, how often an earlier gateway is tried again. Ten seconds, as
  /// Icinga 2 reconnects: an admin who brought the primary back sees the fleet start to return.
  Millis probe_interval{10000};
  /// The stable window is probe_interval × stable_probes: a probe must stay up and answer every
  /// heartbeat for that long, without a break, before the agent moves back.
  unsigned stable_probes = 3;
  /// A failback followed by the loss of that gateway within this window is a flap: the next
  /// stable window doubles. Each quiet window after the last flap halves it again.
  Millis flap_window{300000};
  Millis max_stable_window{600000};  ///< the damped window never grows beyond this

  // ---- warm standby (off by default) ------------------------------------------------------
  /// While connected, keep a quiet second session to the next gateway in order and, when the
  /// active one dies, promote it without a handshake.
  bool warm_standby = false;
  /// The standby's heartbeat interval (its silence limit: this × heartbeat_misses); promoted,
  /// it heartbeats at heartbeat_interval.
  Millis standby_interval{5000};

  // ---- session resumption --------------------------------------------------------------------
  /// While connected to a gateway that sends session tickets (its group shares ticket keys),
  /// fetch one from each gateway after it in order at a random moment within this time, and
  /// again once a ticket has used half its lifetime: the first failover to it resumes instead of
  /// a full handshake (failover/ticket_prefetch.hpp). 0: never.
  Millis ticket_prefetch_within{300000};

  // ---- backoff and stay-away ---------------------------------------------------------------
  Millis backoff_base{500};  ///< first wait after the last gateway failed; doubles per round
  Millis backoff_cap{30000};  ///< the wait never grows beyond this
  /// However long a goodbye's retry-after asks for, the agent tries that gateway again after
  /// this at the latest: a wrong or hostile gateway cannot strand an agent for a day.
  Millis max_stay_away{300000};

  // ---- deadlines of the steps of a connection attempt ----------------------------------------
  Millis resolve_timeout{2000};    ///< name lookup (IP literals skip it)
  Millis connect_timeout{3000};    ///< TCP connect, every address of the name in order
  Millis handshake_timeout{5000};  ///< admission and TLS handshake: room for a 1 s round trip
  Millis welcome_timeout{3000};    ///< hello sent → welcome received

  /// How long a session may stay silent before it is dead.
  Millis silence_limit() const { return heartbeat_interval * heartbeat_misses; }
  /// The undamped stable window of a failback.
  Millis stable_window() const { return probe_interval * stable_probes; }
};

/// The defaults, for tables that need them as constants.
inline constexpr Timings kDefaultTimings{};

}  // namespace gatelink
