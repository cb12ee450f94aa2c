// The endpoint: carries out what the failover machine decides, on one io_context thread.

#include "gatelink/endpoint.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <future>
#include <mutex>
#include <map>
#include <random>
#include <spdlog/spdlog.h>
#include <thread>

#include "codec/codec.hpp"
#include "common/escape.hpp"
#include "failover/failover_machine.hpp"
#include "link/gateway_session.hpp"
#include "status/status_time.hpp"
#include "store/startup_topology.hpp"
#include "tls/certificate_info.hpp"
#include "tls/reloading_context.hpp"
#include "tls/tls_context.hpp"

#ifndef GATELINK_VERSION
#error "GATELINK_VERSION must be defined by the build"
#endif

namespace gatelink {

namespace asio = boost::asio;
using failover::Clock;
using failover::SessionId;

namespace {

/// How long status() waits for the endpoint's thread before answering without it.
constexpr std::chrono::milliseconds kStatusWait{1000};
/// How often status() looks whether the thread ended while it waited.
constexpr std::chrono::milliseconds kStatusSlice{20};

tls::Files tls_files(const TlsFiles& files) {
  return tls::Files{.ca = files.ca, .cert = files.cert, .key = files.key, .crl = files.crl};
}

/// `text` cut to the protocol's bound on free text, never inside a UTF-8 sequence.
std::string bounded_text(std::string text) {
  if (text.size() <= codec::kMaxTextLength) return text;
  std::size_t end = codec::kMaxTextLength;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  text.resize(end);
  return text;
}

/// Opens the state folder and picks the topology to start with, logging every fallback.
Result<std::pair<TopologyStore, StartupTopology>> open_topology(const AgentConfig& config) {
  auto store = TopologyStore::open(config.state_dir);
  if (!store) return Error{"state folder " + config.state_dir + ": " + store.error().message};
  for (const auto& removed : store->removed_temp_files()) {
    spdlog::warn("event=stale-temp-removed file={}", removed);
  }
  auto chosen = choose_startup_topology(*store, config.bootstrap);
  for (const auto& problem : chosen.fallbacks) {
    spdlog::warn("event=topology-skipped reason={}", escaped(problem));
  }
  spdlog::info("event=topology-loaded source={} generation={} primary={} gateways={}",
               to_string(chosen.origin), chosen.topology.generation,
               chosen.topology.primary.to_string(), chosen.topology.ordered().size());
  return std::pair{std::move(*store), std::move(chosen)};
}

/// The wall-clock time of the steady-clock instant `t`, from one reading of both clocks (pass
/// the same reading for every field of one status snapshot).
WallTime wall_time(Clock::time_point t, Clock::time_point steady_now = Clock::now(),
                   WallTime wall_now = std::chrono::system_clock::now()) {
  return wall_now - std::chrono::duration_cast<WallTime::duration>(steady_now - t);
}

}  // namespace

struct Endpoint::Impl {
  Impl(AgentConfig cfg, std::shared_ptr<tls::ReloadingContext> context, tls::CertificateInfo cert,
       TopologyStore topology_store, StartupTopology startup)
      : config(std::move(cfg)),
        tls(std::move(context)),
        certificate(std::move(cert)),
        store(std::move(topology_store)),
        last_known_good(startup.last_known_good),
        persisted_generation(startup.origin == StartupTopology::Origin::persisted
                                 ? std::optional(startup.topology.generation)
                                 : std::nullopt),
        rng(std::random_device{}()),
        machine(config.timings, std::move(startup.topology),
                [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }),
        tick(io) {}

  // io first: destroyed last, after every object that holds its services.
  asio::io_context io;
  AgentConfig config;
  std::shared_ptr<tls::ReloadingContext> tls;  ///< follows renewed certificate files
  tls::ContextPtr last_context;                ///< the context the last connection used
  tls::CertificateInfo certificate;
  TopologyStore store;  ///< topology.xml and its last-known-good in the state folder
  std::optional<std::uint64_t> last_known_good;  ///< generation of topology.lkg.xml
  /// Generation of topology.xml as this endpoint loaded or wrote it; nullopt: none of ours yet.
  std::optional<std::uint64_t> persisted_generation;
  /// A generation the machine applied but the store could not save: its ack says so.
  std::optional<std::pair<std::uint64_t, std::string>> unsaved;
  std::mt19937_64 rng;
  failover::Machine machine;
  asio::steady_timer tick;
  /// A session the machine asked for, with what it learnt (the machine keeps the decisions).
  struct SessionEntry {
    std::shared_ptr<link::GatewaySession> session;
    std::optional<std::string> gateway_name;            ///< from the welcome
    std::optional<link::Liveness> agreed;               ///< from the welcome
    std::optional<std::chrono::microseconds> last_rtt;  ///< precise, for status
  };
  std::map<SessionId, SessionEntry> sessions;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;

  // Lifecycle, shared with the host's threads: start()/stop() are serialised by `lifecycle`;
  // status() reads `life` and, once the thread has ended, the snapshot it left in `last`.
  enum class Life { idle, running, stopped };
  std::mutex lifecycle;
  std::atomic<Life> life{Life::idle};
  mutable std::mutex last_mutex;
  std::optional<StatusSnapshot> last;  ///< taken on the endpoint's thread as it ends

  void dispatch(const failover::Event& event) {
    for (const auto& action : machine.handle(event, Clock::now())) {
      std::visit([this](const auto& a) { execute(a); }, action);
    }
  }

  void execute(const failover::Connect& c) {
    const GatewayAddress address = machine.session_address(c.session).value();
    spdlog::info("event=connecting gateway={} position={} purpose={}", address.to_string(),
                 c.gateway, failover::to_string(c.purpose));
    link::GatewaySession::Options options{
        .address = address,
        .agent_name = config.name,
        .management_group = config.management_group,
        .topology_generation = machine.topology().generation,
        .timings = config.timings,
        // An unauthenticated busy answer may delay us no longer than our own backoff would.
        .max_unauthenticated_retry_after =
            std::min(config.timings.backoff_cap, config.timings.max_stay_away),
    };
    const SessionId id = c.session;
    link::GatewaySession::Handlers handlers{
        .on_connected =
            [this, id](const codec::Welcome& welcome, const link::Liveness& agreed) {
              if (auto it = sessions.find(id); it != sessions.end()) {
                it->second.gateway_name = welcome.gateway_name;
                it->second.agreed = agreed;
              }
              spdlog::info(
                  "event=handshake-ok gateway={} gateway_name={} session={} interval_ms={} "
                  "misses={}",
                  session_address(id), escaped(welcome.gateway_name), id, agreed.interval.count(),
                  agreed.misses);
              dispatch(failover::Connected{id, agreed.misses});
            },
        .on_heartbeat_answered =
            [this, id](std::chrono::microseconds rtt) {
              if (auto it = sessions.find(id); it != sessions.end()) it->second.last_rtt = rtt;
              dispatch(failover::HeartbeatAnswered{
                  id, std::chrono::duration_cast<failover::Duration>(rtt)});
            },
        .on_silence =
            [this, id](unsigned missed) {
              spdlog::warn("event=heartbeat-missed gateway={} session={} missed={}",
                           session_address(id), id, missed);
              dispatch(failover::HeartbeatMissed{id, missed});
            },
        .on_message = [this, id](const codec::Message& message) { on_message(id, message); },
        .on_closed =
            [this, id](const link::GatewaySession::Ending& ending) {
              // The detail can come from the peer (a protocol error, a goodbye): data, escaped.
              spdlog::info("event=closed gateway={} session={} reason={} detail={}",
                           session_address(id), id, ending.key(),
                           ending.detail.empty() ? std::string("-") : escaped(ending.detail));
              sessions.erase(id);
              if (ending.goodbye()) {
                dispatch(failover::GoodbyeReceived{id, ending.detail, ending.retry_after});
              } else {
                dispatch(failover::Closed{id, ending.key()});
              }
            },
    };
    auto context = tls->current();
    if (context != last_context) {
      // Renewed files: status shows the certificate now in use.
      if (auto info = tls::read_certificate_info(config.tls.cert)) certificate = std::move(*info);
      last_context = context;
    }
    auto session =
        link::GatewaySession::create(io, context, std::move(options), std::move(handlers));
    sessions[id] = SessionEntry{.session = session};
    session->start();
  }

  void execute(const failover::Close& c) {
    auto it = sessions.find(c.session);
    if (it == sessions.end()) return;
    it->second.session->close(c.reason);
    sessions.erase(it);
  }

  void execute(const failover::Promote& p) {
    // The probe session already answered a heartbeat; from now on it carries the traffic.
    spdlog::info("event=promoted session={} gateway={}", p.session, session_address(p.session));
  }

  void execute(const failover::Schedule& s) {
    tick.expires_at(s.at);
    tick.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) dispatch(failover::Tick{});
    });
  }

  void execute(const failover::Persist& p) {
    const auto generation = p.topology.generation;
    const auto previous = persisted_generation;
    auto saved = store.save(PersistedTopology{.topology = p.topology,
                                              .received_from = p.received_from.to_string(),
                                              .received_at = wall_time(p.received_at)});
    if (!saved) {
      // The agent uses it all the same (it was validated); it is lost only to a restart.
      spdlog::error("event=topology-persist-failed generation={} error={}", generation,
                    escaped(saved.error().message));
      unsaved.emplace(generation, saved.error().message);
      return;
    }
    persisted_generation = generation;
    if (previous) last_known_good = previous;
    spdlog::info("event=topology-persisted generation={} file={}/{}", generation, store.dir(),
                 kTopologyFileName);
  }

  void execute(const failover::Acknowledge& a) {
    auto it = sessions.find(a.session);
    if (it == sessions.end()) return;
    std::string message = a.message;
    if (unsaved && unsaved->first == a.generation) {
      message = "in use but not persisted: " + unsaved->second;
    }
    it->second.session->send(codec::TopologyAck{
        .generation = a.generation, .outcome = a.outcome, .message = bounded_text(message)});
  }

  void execute(const failover::Report& r) {
    // Reasons may carry a gateway's goodbye key or a pushed topology's problem: data.
    const std::string reason = escaped(r.reason);
    auto name = [this](const std::optional<std::size_t>& i) {
      const auto& gateways = machine.ordered();
      return i && *i < gateways.size() ? escaped(gateways[*i].to_string()) : std::string("none");
    };
    switch (r.kind) {
      case failover::Report::Kind::connected:
        spdlog::info("event=connected gateway={} role={} reason={}", name(r.to),
                     r.to == 0 ? "primary" : "failover", reason);
        break;
      case failover::Report::Kind::failover:
        spdlog::warn("event=failover from={} to={} reason={}", name(r.from), name(r.to),
                     reason);
        break;
      case failover::Report::Kind::failback:
        spdlog::info("event=failback from={} to={} reason={}", name(r.from), name(r.to),
                     reason);
        break;
      case failover::Report::Kind::reconnect:
        spdlog::info("event=reconnect gateway={} reason={}", name(r.to), reason);
        break;
      case failover::Report::Kind::backoff:
        spdlog::warn("event=backoff reason={}", reason);
        break;
      case failover::Report::Kind::dead:
        spdlog::warn("event=gateway-dead gateway={} reason={}", name(r.from), reason);
        break;
      case failover::Report::Kind::applied:
      case failover::Report::Kind::committed:
        spdlog::info("event=topology-{} generation={} primary={} gateways={} gateway={} reason={}",
                     failover::to_string(r.kind), r.generation.value_or(0),
                     machine.topology().primary.to_string(), machine.ordered().size(),
                     name(r.to), reason);
        break;
      case failover::Report::Kind::pending:
        // Expected on every primary change; what goes wrong while pending is handover-failed.
        spdlog::info("event=topology-pending generation={} reason={} gateway={}",
                     r.generation.value_or(0), reason, name(r.from));
        break;
      case failover::Report::Kind::handover_failed:
        spdlog::warn("event=topology-handover-failed generation={} reason={} retry_at={}",
                     r.generation.value_or(0), reason,
                     machine.pending() && machine.pending()->retry_at
                         ? format_utc_time(wall_time(*machine.pending()->retry_at))
                         : std::string("-"));
        break;
      case failover::Report::Kind::ignored:
        spdlog::info("event=topology-ignored generation={} reason={}",
                     r.generation.value_or(0), reason);
        break;
      case failover::Report::Kind::rejected:
        spdlog::warn("event=topology-rejected generation={} reason={}",
                     r.generation.value_or(0), reason);
        break;
      case failover::Report::Kind::damped:
        spdlog::warn("event=flap-damped gateway={} stable_window_ms={} reason={}", name(r.from),
                     machine.stable_window(Clock::now()).count(), reason);
        break;
    }
  }

  void on_message(SessionId id, const codec::Message& message) {
    if (const auto* push = std::get_if<codec::TopologyPush>(&message)) {
      spdlog::info("event=topology-received gateway={} generation={} primary={} failovers={}",
                   session_address(id), push->generation, escaped(push->primary.to_string()),
                   push->failover.size());
      dispatch(failover::TopologyPushed{id, codec::to_topology(*push)});
      return;
    }
    spdlog::debug("event=message-ignored gateway={} type={}", session_address(id),
                  codec::to_string(codec::type_of(message)));
  }

  std::string session_address(SessionId id) const {
    auto it = sessions.find(id);
    return it == sessions.end() ? std::string("?")
                                : escaped(it->second.session->address().to_string());
  }

  StatusSnapshot snapshot() const;
};

StatusSnapshot Endpoint::Impl::snapshot() const {
  const auto steady_now = Clock::now();
  const auto wall_now = std::chrono::system_clock::now();
  auto wall = [&](Clock::time_point t) { return wall_time(t, steady_now, wall_now); };
  auto role_of = [](std::size_t i) { return std::string(i == 0 ? "primary" : "failover"); };
  const auto& gateways = machine.ordered();

  StatusSnapshot s;
  s.version = std::string(gatelink::version());
  s.agent = config.name;
  s.management_group = config.management_group;
  switch (machine.state()) {
    case failover::State::connected:
      s.state = ConnectionState::connected;
      break;
    case failover::State::backoff:
      s.state = ConnectionState::backoff;
      break;
    case failover::State::stopped:
      s.state = ConnectionState::stopped;
      break;
    default:
      s.state = ConnectionState::connecting;
  }
  s.since = wall(machine.since());
  if (auto current = machine.current_gateway(); current && s.state == ConnectionState::connected) {
    s.gateway = gateways[*current].to_string();
    if (auto active = machine.active_session()) {
      if (auto it = sessions.find(*active); it != sessions.end()) {
        s.gateway_name = it->second.gateway_name;
        if (it->second.last_rtt) {
          s.heartbeat.last_rtt_ms = static_cast<double>(it->second.last_rtt->count()) / 1000.0;
        }
      }
    }
    s.role = role_of(*current);
    s.position = *current;
  }
  link::Liveness liveness{config.timings.heartbeat_interval, config.timings.heartbeat_misses};
  if (auto active = machine.active_session(); active && s.state == ConnectionState::connected) {
    if (auto it = sessions.find(*active); it != sessions.end() && it->second.agreed) {
      liveness = *it->second.agreed;
    }
  }
  s.heartbeat.interval_ms = static_cast<std::uint32_t>(liveness.interval.count());
  s.heartbeat.misses = liveness.misses;
  s.heartbeat.missed = machine.consecutive_misses();
  s.failback.stable_window_ms =
      static_cast<std::uint64_t>(machine.stable_window(steady_now).count());
  s.failback.configured_window_ms =
      static_cast<std::uint64_t>(config.timings.stable_window().count());

  const Topology& topology = machine.topology();
  s.topology.generation = topology.generation;
  s.topology.source = topology.generation == 0 ? "bootstrap" : "pushed";
  s.topology.primary = topology.primary.to_string();
  for (const auto& f : topology.failover) s.topology.failover.push_back(f.to_string());
  s.topology.last_known_good = last_known_good;
  if (const auto& pending = machine.pending()) {
    PendingTopologyStatus p{.generation = pending->topology.generation,
                            .primary = pending->topology.primary.to_string(),
                            .since = wall(pending->received_at),
                            .last_error = pending->last_error};
    for (const auto& f : pending->topology.failover) p.failover.push_back(f.to_string());
    s.topology.pending = std::move(p);
  }

  const auto& records = machine.gateways();
  for (std::size_t i = 0; i < gateways.size(); ++i) {
    GatewayStatus g{.address = gateways[i].to_string(), .role = role_of(i)};
    if (i < records.size()) {
      g.last_error = records[i].last_error;
      if (records[i].last_seen) g.last_seen = wall(*records[i].last_seen);
    }
    s.gateways.push_back(std::move(g));
  }
  const auto& c = machine.counters();
  s.counters = {.failovers = c.failovers,
                .failbacks = c.failbacks,
                .reconnects = c.reconnects,
                .heartbeats_missed = c.heartbeats_missed};
  s.certificate.subject = certificate.subject;
  s.certificate.not_after = certificate.not_after;
  s.certificate.days_left =
      std::chrono::duration_cast<std::chrono::days>(certificate.not_after - wall_now).count();
  if (auto t = machine.next_retry()) s.next_retry = wall(*t);
  if (auto t = machine.next_probe()) s.next_probe = wall(*t);
  return s;
}

Result<std::unique_ptr<Endpoint>> Endpoint::open(AgentConfig config) {
  auto context = tls::ReloadingContext::create(tls_files(config.tls), &tls::make_client_context);
  if (!context) return Error{context.error().message};
  auto cert = tls::read_certificate_info(config.tls.cert);
  if (!cert) return Error{cert.error().message};
  auto topology = open_topology(config);
  if (!topology) return topology.error();
  auto impl = std::make_unique<Impl>(std::move(config), std::move(*context), std::move(*cert),
                                     std::move(topology->first), std::move(topology->second));
  return std::unique_ptr<Endpoint>(new Endpoint(std::move(impl)));
}

Endpoint::Endpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Endpoint::~Endpoint() {
  // A destructor must not throw; stop() only can if locking or joining fails (system_error).
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::critical("event=endpoint-stop-failed error={}", escaped(e.what()));
  }
}

void Endpoint::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->life != Impl::Life::idle) return;
  impl_->work.emplace(impl_->io.get_executor());
  asio::post(impl_->io, [impl = impl_.get()] { impl->dispatch(failover::Start{}); });
  impl_->life = Impl::Life::running;
  impl_->thread = std::thread([impl = impl_.get()] {
    try {
      impl->io.run();
    } catch (const std::exception& e) {
      spdlog::critical("event=endpoint-crashed error={}", escaped(e.what()));
    }
    // Still on the endpoint's thread: nothing else touches its state any more.
    impl->sessions.clear();
    auto final_snapshot = impl->snapshot();
    std::lock_guard last_lock(impl->last_mutex);
    impl->last = std::move(final_snapshot);
    impl->life = Impl::Life::stopped;
  });
}

void Endpoint::stop() {
  std::lock_guard lock(impl_->lifecycle);
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->dispatch(failover::Stop{});
    impl->tick.cancel();
    // Every session step has a deadline, so run() returns once the goodbyes are written or
    // their deadlines pass.
    impl->work.reset();
  });
  impl_->thread.join();
}

StatusSnapshot Endpoint::status() const {
  if (impl_->life == Impl::Life::idle) {
    std::lock_guard lock(impl_->lifecycle);
    if (impl_->life == Impl::Life::idle) return impl_->snapshot();
  }
  const auto final_snapshot = [this]() -> std::optional<StatusSnapshot> {
    std::lock_guard lock(impl_->last_mutex);
    return impl_->last;
  };
  if (auto done = final_snapshot()) return *done;
  auto promise = std::make_shared<std::promise<StatusSnapshot>>();
  auto future = promise->get_future();
  asio::post(impl_->io, [impl = impl_.get(), promise] { promise->set_value(impl->snapshot()); });
  // Wait in slices: if the thread ends meanwhile, its final snapshot answers at once.
  const auto until = std::chrono::steady_clock::now() + kStatusWait;
  while (std::chrono::steady_clock::now() < until) {
    if (future.wait_for(kStatusSlice) == std::future_status::ready) return future.get();
    if (auto done = final_snapshot()) return *done;
  }
  // Stuck: answer with what is known without touching the endpoint's state.
  StatusSnapshot s;
  s.version = std::string(gatelink::version());
  s.agent = impl_->config.name;
  s.management_group = impl_->config.management_group;
  s.state = ConnectionState::stopped;
  return s;
}

std::string_view version() { return GATELINK_VERSION; }

}  // namespace gatelink
