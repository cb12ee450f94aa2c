#pragma once
// The endpoint's state (Endpoint::Impl), shared by the files that split it by concern:
// endpoint.cpp (lifecycle), endpoint_actions.cpp (carrying out the machine's actions),
// endpoint_reports.cpp (reports to the host), endpoint_snapshot.cpp (the status snapshot),
// endpoint_certificates.cpp (the certificate lifecycle: status and reload), endpoint_tickets.cpp
// (the ticket prefetch).
// Everything here but the lifecycle members is touched on the endpoint's thread only.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "endpoint/counted_executor.hpp"
#include "endpoint/endpoint.hpp"
#include "endpoint/endpoint_runtime.hpp"
#include "failover/failover_machine.hpp"
#include "link/gateway_session.hpp"
#include "store/startup_topology.hpp"
#include "store/topology_store.hpp"
#include "store/topology_trust.hpp"
#include "tls/certificate_monitor.hpp"
#include "tls/reloading_context.hpp"
#include "tls/session_tickets.hpp"

namespace gatelink {

/// The wall-clock time of the steady-clock instant `t`, from one reading of both clocks (pass
/// the same reading for every field of one status snapshot).
inline WallTime wall_time(failover::Clock::time_point t,
                          failover::Clock::time_point steady_now = failover::Clock::now(),
                          WallTime wall_now = std::chrono::system_clock::now()) {
  return wall_now - std::chrono::duration_cast<WallTime::duration>(steady_now - t);
}

struct Endpoint::Impl {
  Impl(std::shared_ptr<EndpointRuntime> endpoint_runtime, AgentConfig cfg,
       std::shared_ptr<tls::ReloadingContext> context, TopologyStore topology_store,
       StartupTopology startup, TopologyTrust topology_trust)
      : runtime(std::move(endpoint_runtime)),
        lane(runtime->next_lane()),
        executor(CountedExecutor(lane.get_executor(), work)),
        config(std::move(cfg)),
        trust(std::move(topology_trust)),
        certificates(executor, std::move(context), config.expiry_warning_days),
        store(std::move(topology_store)),
        last_known_good(startup.last_known_good),
        persisted_version(startup.origin == StartupTopology::Origin::persisted
                              ? std::optional(version_of(startup.topology))
                              : std::nullopt),
        loaded_file(startup.file),
        persisted_file(startup.origin == StartupTopology::Origin::persisted ? startup.file
                                                                            : std::nullopt),
        last_known_good_file(startup.last_known_good_file),
        rng(std::random_device{}()),
        machine(config.timings, std::move(startup.topology),
                [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }),
        tick(executor),
        ticket_timer(executor) {}

  // The runtime first: destroyed last, after every object that holds its lane's services.
  std::shared_ptr<EndpointRuntime> runtime;
  boost::asio::io_context& lane;  ///< the endpoint's thread: everything below happens there
  /// This endpoint's outstanding work on its lane: stop() waits for it to drain.
  std::shared_ptr<WorkCount> work = std::make_shared<WorkCount>();
  boost::asio::any_io_executor executor;  ///< the lane's, counting in `work`
  AgentConfig config;
  /// Whom topologies are taken from: this agent, its group, the group's pinned public keys
  /// (<management-group-keys>; none: signatures unchecked).
  TopologyTrust trust;
  /// Follows renewed certificate files and tells what is wrong with them.
  tls::CertificateMonitor certificates;
  /// The tickets gateways sent, one per gateway: a reconnect to one resumes (tls/session_tickets).
  std::shared_ptr<tls::SessionTickets> tickets = tls::SessionTickets::create();
  TopologyStore store;  ///< topology.xml and its last-known-good in the state folder
  std::optional<std::uint64_t> last_known_good;  ///< generation of topology.lkg.xml
  /// Version of topology.xml as this endpoint loaded or wrote it; nullopt: none of ours yet.
  std::optional<TopologyVersion> persisted_version;
  /// The topology files as this endpoint loaded and wrote them, for status: where and when the
  /// topology in use was received, and the last-known-good one whole.
  std::optional<PersistedTopology> loaded_file;     ///< the one it started with
  std::optional<PersistedTopology> persisted_file;  ///< topology.xml, as loaded or last saved
  std::optional<PersistedTopology> last_known_good_file;
  /// A version the machine applied but the store could not save: its ack says so.
  std::optional<std::pair<TopologyVersion, std::string>> unsaved;
  std::mt19937_64 rng;
  failover::Machine machine;
  boost::asio::steady_timer tick;
  /// When the event being handled reached the endpoint, and whether it found the agent connected.
  failover::Clock::time_point dispatched_at{};
  bool dispatched_connected = false;
  /// Since the active session was lost (the event that told of it): until connected again, whose
  /// `event=connected` line then says how long the agent was without a gateway (outage_ms).
  std::optional<failover::Clock::time_point> outage_since;
  /// A session the machine asked for, with what it learnt (the machine keeps the decisions).
  struct SessionEntry {
    std::shared_ptr<link::GatewaySession> session;
    std::optional<std::string> gateway_name;            ///< from the welcome
    std::optional<link::Liveness> agreed;               ///< from the welcome
    std::optional<std::chrono::microseconds> last_rtt;  ///< precise, for status
    bool standby = false;  ///< a warm standby's quiet pace, until promoted
  };
  std::map<failover::SessionId, SessionEntry> sessions;
  /// Ticket prefetch (endpoint_tickets.cpp): waiting for a random moment, or a short session to
  /// a gateway after the current one in order under way, which leaves its ticket behind.
  enum class TicketFetch { idle, waiting, fetching };
  TicketFetch ticket_fetch = TicketFetch::idle;
  boost::asio::steady_timer ticket_timer;
  std::shared_ptr<link::GatewaySession> ticket_session;
  unsigned ticket_fetch_misses = 0;  ///< fetches in a row that left no ticket: the wait doubles

  // Lifecycle, shared with the host's threads: start()/stop() are serialised by `lifecycle`;
  // status() reads `life` and, once the endpoint has stopped, the snapshot it left in `last`.
  enum class Life { idle, running, stopped };
  std::mutex lifecycle;
  std::atomic<Life> life{Life::idle};
  /// Held while `life` becomes stopped and while a host's call posts work: nothing is posted
  /// after the end, so once stop() has seen the work drain, nothing will touch this state.
  mutable std::mutex last_mutex;
  std::optional<StatusSnapshot> last;  ///< taken on the endpoint's thread as it ends

  /// Queues `f` on the endpoint's thread unless the endpoint is not running (false).
  template <typename F>
  bool post_while_running(F&& f) const {
    std::lock_guard lock(last_mutex);
    if (life != Life::running) return false;
    boost::asio::post(executor, std::forward<F>(f));
    return true;
  }

  // Reports to the host: the handler runs under `state_mutex`, so replacing it waits for a call
  // in progress.
  std::mutex state_mutex;
  StateHandler state_handler;

  // alive(): at most one probe waits in the queue however often a host asks.
  mutable std::mutex probe_mutex;
  mutable std::shared_future<void> probe;  ///< ready once the endpoint's thread ran it

  // endpoint_actions.cpp: the machine's actions, carried out.
  /// Feeds `event` to the machine and carries out every action it returns.
  void dispatch(const failover::Event& event);
  void execute(const failover::Connect& c);
  void execute(const failover::Close& c);
  void execute(const failover::Promote& p);
  void execute(const failover::Schedule& s);
  void execute(const failover::Persist& p);
  void execute(const failover::Acknowledge& a);
  void on_message(failover::SessionId id, const codec::Message& message);
  /// A pushed topology: believed only once check_issued() passes, then handed to the machine.
  void on_push(failover::SessionId id, const codec::TopologyPush& push);
  /// What a session to `address` is opened with (the agent's hello, timings and tickets).
  link::GatewaySession::Options session_options(const GatewayAddress& address) const;
  /// The session's gateway address, escaped for a log line ("?" once it is gone).
  std::string session_address(failover::SessionId id) const;

  // endpoint_tickets.cpp: ticket prefetch (failover/ticket_prefetch.hpp).
  /// While connected and idle: waits `after` and a random moment within the prefetch time,
  /// then fetches the next ticket the agent lacks. Cheap to call after every event.
  void arm_ticket_fetch(failover::Duration after = failover::Duration::zero());
  void fetch_ticket();
  /// On stop: no more fetching, the one under way closed.
  void stop_ticket_fetch();

  // endpoint_reports.cpp: what the machine reports, told to the host.
  /// Logs the report and tells the host's state handler.
  void execute(const failover::Report& r);
  void tell_host(const failover::Report& r);

  // endpoint_snapshot.cpp
  StatusSnapshot snapshot() const;

  // endpoint_certificates.cpp
  /// The certificate part of the status snapshot at `now`.
  StatusSnapshot::Certificate certificate_status(WallTime now) const;
};

}  // namespace gatelink
