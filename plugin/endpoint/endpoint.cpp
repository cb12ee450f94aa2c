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

/// The endpoint whose thread this is (nullptr on every other thread): where handlers run.
thread_local const void* this_thread_endpoint = nullptr;

/// How long status() waits for the endpoint's thread before answering without it.
constexpr std::chrono::milliseconds kStatusWait{1000};
/// How often status() looks whether the thread ended while it waited.
constexpr std::chrono::milliseconds kStatusSlice{20};

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

Result<std::unique_ptr<Endpoint>> Endpoint::open(AgentConfig config) {
  auto context = tls::ReloadingContext::create(tls_files(config.tls), &tls::make_client_context);
  if (!context) return Error{context.error().message};
  auto trust = load_topology_trust(config);
  if (!trust) return trust.error();
  auto topology = open_topology(config, *trust);
  if (!topology) return topology.error();
  auto impl =
      std::make_unique<Impl>(std::move(config), std::move(*context), std::move(topology->first),
                             std::move(topology->second), std::move(*trust));
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
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->certificates.start();
    impl->dispatch(failover::Start{});
  });
  impl_->life = Impl::Life::running;
  impl_->thread = std::thread([impl = impl_.get()] {
    this_thread_endpoint = impl;
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
    impl->certificates.stop();
    // Every session step has a deadline, so run() returns once the goodbyes are written or
    // their deadlines pass.
    impl->work.reset();
  });
  impl_->thread.join();
}

StatusSnapshot Endpoint::status() const {
  // From a handler: the endpoint's state is this thread's to read.
  if (this_thread_endpoint == impl_.get()) return impl_->snapshot();
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
      asio::post(impl_->io, [promise] { promise->set_value(); });
    }
    probe = impl_->probe;
  }
  if (probe.wait_for(bound) != std::future_status::ready) return false;
  try {
    probe.get();  // a probe dropped unrun (the io_context went away) is a broken promise
    return true;
  } catch (const std::future_error&) {
    return false;
  }
}

void Endpoint::set_state_handler(StateHandler handler) {
  std::lock_guard lock(impl_->state_mutex);
  impl_->state_handler = std::move(handler);
}

bool Endpoint::on_endpoint_thread() { return this_thread_endpoint != nullptr; }

std::string_view version() { return GATELINK_VERSION; }

}  // namespace gatelink
