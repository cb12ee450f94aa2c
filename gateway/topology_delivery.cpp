#include "topology_delivery.hpp"
#include "common/escape.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <utility>

namespace gatelink::gateway {

TopologyDelivery::TopologyDelivery(asio::io_context& io, std::string store_dir, Millis poll_period)
    : registry_(std::move(store_dir)), poll_period_(poll_period), timer_(io) {}

void TopologyDelivery::start() { schedule(); }

void TopologyDelivery::stop() {
  stopped_ = true;
  timer_.cancel();
}

void TopologyDelivery::schedule() {
  if (stopped_) return;
  timer_.expires_after(poll_period_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    poll();
    schedule();
  });
}

void TopologyDelivery::attach(AgentSession* session) {
  const auto& agent = session->agent_name();
  if (auto bad = check_agent_name(agent)) {
    // gatelink-mg cannot store a topology under such a name: nothing will ever be delivered.
    spdlog::warn("event=store-skipped agent={} error={}", escaped(agent), escaped(bad->message));
    return;
  }
  auto [it, added] = agents_.try_emplace(agent);
  auto& watched = it->second;
  watched.sessions.push_back(session);
  if (added) refresh(agent, watched, registry_.signature(agent));
  if (watched.entry) session->offer_topology(watched.entry, "hello");
}

void TopologyDelivery::detach(AgentSession* session) {
  auto it = agents_.find(session->agent_name());
  if (it == agents_.end()) return;
  auto& sessions = it->second.sessions;
  std::erase(sessions, session);
  if (sessions.empty()) agents_.erase(it);
}

void TopologyDelivery::poll() {
  // offer_topology() only posts, so nothing below changes agents_ while this loop walks it.
  for (auto& [agent, watched] : agents_) {
    const auto signature = registry_.signature(agent);
    if (signature == watched.signature) continue;
    refresh(agent, watched, signature);
    if (watched.entry) offer(watched, "store-changed");
  }
}

void TopologyDelivery::refresh(const std::string& agent, Watched& watched,
                               const FileSignature& signature) {
  watched.signature = signature;
  watched.entry.reset();
  if (signature.stat_error == ENOENT) return;  // nothing stored for this agent (any more)
  auto stored = registry_.get(agent);
  if (!stored) {
    spdlog::error("event=store-error agent={} error={}", escaped(agent),
                  escaped(stored.error().message));
    return;
  }
  if (!*stored) return;
  if ((*stored)->legacy()) {
    spdlog::error("event=store-error agent={} error={}", escaped(agent),
                  escaped(registry_.path_of(agent) +
                          " has no issued document (written by an older gatelink-mg): run "
                          "gatelink-mg new-epoch to re-issue it"));
    return;
  }
  watched.entry = std::make_shared<const RegistryEntry>(std::move(**stored));
  const auto& topology = watched.entry->issued.topology;
  spdlog::debug("event=store-read agent={} epoch={} generation={} sessions={}", escaped(agent),
                topology.epoch, topology.generation, watched.sessions.size());
}

void TopologyDelivery::offer(const Watched& watched, const std::string& reason) {
  for (auto* session : watched.sessions) session->offer_topology(watched.entry, reason);
}

}  // namespace gatelink::gateway
