// The endpoint's lifecycle: open (certificates, state folder, startup topology), start, stop,
// and status() from any thread.

#include <boost/asio/post.hpp>
#include <future>
#include <spdlog/spdlog.h>

#include "common/escape.hpp"
#include "endpoint_impl.hpp"
#include "tls/tls_context.hpp"

#ifndef GATELINK_VERSION
#error "GATELINK_VERSION must be defined by the build"
#endif

namespace gatelink {

namespace asio = boost::asio;

namespace {

/// How long status() waits for the endpoint's thread before answering without it.
constexpr std::chrono::milliseconds kStatusWait{1000};

tls::Files tls_files(const TlsFiles& files) {
  return tls::Files{.ca = files.ca, .cert = files.cert, .key = files.key, .crl = files.crl};
}

/// Whom topologies are taken from: the management group's pinned public keys, each file read
/// once at start. Says at start whether pushed topologies are checked.
Result<TopologyTrust> load_topology_trust(const AgentConfig& config) {
  std::vector<signature::PublicKey> keys;
  for (const auto& file : config.management_group_keys) {
    auto key = signature::PublicKey::load(file);
    if (!key) return Error{"<management-group-keys>: " + key.error().message};
    keys.push_back(std::move(*key));
  }
  TopologyTrust trust{.agent = config.name,
                      .management_group = config.management_group,
                      .keys = signature::KeyRing(std::move(keys))};
  if (trust.keys.empty()) {
    spdlog::warn(
        "event=topology-signatures required=false reason=no-management-group-keys "
        "effect=\"any gateway with a valid certificate may change this agent's "
        "topology\"");
  } else {
    spdlog::info("event=topology-signatures required=true keys={}", trust.keys.fingerprints());
  }
  return trust;
}

/// Opens the state folder and picks the topology to start with, logging every fallback.
Result<std::pair<TopologyStore, StartupTopology>> open_topology(const AgentConfig& config,
                                                                const TopologyTrust& trust) {
  auto store = TopologyStore::open(config.state_dir);
  if (!store) return Error{"state folder " + config.state_dir + ": " + store.error().message};
  for (const auto& removed : store->removed_temp_files()) {
    spdlog::warn("event=stale-temp-removed file={}", removed);
  }
  auto chosen =
      choose_startup_topology(*store, config.bootstrap, trust, std::chrono::system_clock::now());
  for (const auto& problem : chosen.fallbacks) {
    spdlog::warn("event=topology-skipped reason={}", escaped(problem));
  }
  spdlog::info(
      "event=topology-loaded source={} epoch={} generation={} signed_by={} primary={} "
      "gateways={}",
      to_string(chosen.origin), chosen.topology.epoch, chosen.topology.generation,
      chosen.file && !chosen.file->issued.signed_by.empty() ? chosen.file->issued.signed_by
                                                            : std::string("-"),
      chosen.topology.primary.to_string(), chosen.topology.ordered().size());
  return std::pair{std::move(*store), std::move(chosen)};
}

}  // namespace

Result<std::unique_ptr<Endpoint>> Endpoint::open(AgentConfig config,
                                                 std::shared_ptr<EndpointRuntime> runtime) {
  auto context = tls::ReloadingContext::create(tls_files(config.tls), &tls::make_client_context);
  if (!context) return Error{context.error().message};
  auto trust = load_topology_trust(config);
  if (!trust) return trust.error();
  auto topology = open_topology(config, *trust);
  if (!topology) return topology.error();
  if (!runtime) runtime = std::make_shared<EndpointRuntime>(1);
  auto impl = std::make_unique<Impl>(std::move(runtime), std::move(config), std::move(*context),
                                     std::move(topology->first), std::move(topology->second),
                                     std::move(*trust));
  return std::unique_ptr<Endpoint>(new Endpoint(std::move(impl)));
}

Endpoint::Endpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Endpoint::~Endpoint() {
  // A destructor must not throw; stop() only can if locking fails (system_error).
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::critical("event=endpoint-stop-failed error={}", escaped(e.what()));
  }
}

void Endpoint::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->life != Impl::Life::idle) return;
  impl_->runtime->start();
  {
    std::lock_guard last_lock(impl_->last_mutex);
    impl_->life = Impl::Life::running;
  }
  impl_->post_while_running([impl = impl_.get()] {
    impl->certificates.start();
    impl->dispatch(failover::Start{});
  });
}

void Endpoint::stop() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->life != Impl::Life::running) return;
  auto* impl = impl_.get();
  impl->post_while_running([impl] {
    impl->dispatch(failover::Stop{});
    impl->stop_ticket_fetch();
    impl->tick.cancel();
    impl->certificates.stop();
  });
  // Every session step has a deadline, so the work runs out once the goodbyes are written or
  // their deadlines pass: every pending operation and queued handler holds a unit of it.
  impl->work->wait_drained();
  // Then on the endpoint's thread, after the handler that let go of the last work: the final
  // snapshot, which status() answers with from now on.
  std::promise<void> ended;
  asio::post(impl->lane, [impl, &ended] {
    impl->sessions.clear();
    auto final_snapshot = impl->snapshot();
    {
      std::lock_guard last_lock(impl->last_mutex);
      impl->last = std::move(final_snapshot);
      impl->life = Impl::Life::stopped;
    }
    ended.set_value();
  });
  ended.get_future().wait();
  // What a host's call queued before the end (status, reload) still holds work: it runs first.
  impl->work->wait_drained();
}

StatusSnapshot Endpoint::status() const {
  // From a handler on the endpoint's thread: its state is this thread's to read.
  if (EndpointRuntime::this_thread_lane() == &impl_->lane) return impl_->snapshot();
  if (impl_->life == Impl::Life::idle) {
    std::lock_guard lock(impl_->lifecycle);
    if (impl_->life == Impl::Life::idle) return impl_->snapshot();
  }
  auto promise = std::make_shared<std::promise<StatusSnapshot>>();
  auto future = promise->get_future();
  if (!impl_->post_while_running(
          [impl = impl_.get(), promise] { promise->set_value(impl->snapshot()); })) {
    std::lock_guard lock(impl_->last_mutex);
    if (impl_->last) return *impl_->last;
  } else if (future.wait_for(kStatusWait) == std::future_status::ready) {
    return future.get();
  }
  // Stuck: answer with what is known without touching the endpoint's state.
  StatusSnapshot s;
  s.version = std::string(gatelink::version());
  s.agent = impl_->config.name;
  s.management_group = impl_->config.management_group;
  s.state = ConnectionState::stopped;
  return s;
}

bool Endpoint::alive(std::chrono::milliseconds bound) const {
  if (impl_->life != Impl::Life::running) return false;
  std::shared_future<void> probe;
  {
    std::lock_guard lock(impl_->probe_mutex);
    const bool answered =
        impl_->probe.valid() && impl_->probe.wait_for(std::chrono::seconds(0)) ==
                                    std::future_status::ready;
    if (!impl_->probe.valid() || answered) {
      auto promise = std::make_shared<std::promise<void>>();
      impl_->probe = promise->get_future().share();
      if (!impl_->post_while_running([promise] { promise->set_value(); })) return false;
    }
    probe = impl_->probe;
  }
  if (probe.wait_for(bound) != std::future_status::ready) return false;
  try {
    probe.get();  // a probe dropped unrun (the lane went away) is a broken promise
    return true;
  } catch (const std::future_error&) {
    return false;
  }
}

void Endpoint::set_state_handler(StateHandler handler) {
  std::lock_guard lock(impl_->state_mutex);
  impl_->state_handler = std::move(handler);
}

bool Endpoint::on_endpoint_thread() { return EndpointRuntime::this_thread_lane() != nullptr; }

std::string_view version() { return GATELINK_VERSION; }

}  // namespace gatelink
