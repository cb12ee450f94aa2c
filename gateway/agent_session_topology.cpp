// AgentSession, topology delivery: what this session pushes and what the agent answered.
// docs/PROTOCOL.md "Topology delivery" describes the rules from the agent's side.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

#include "agent_session.hpp"
#include "common/escape.hpp"
#include "topology_registry.hpp"

namespace gatelink::gateway {

void AgentSession::offer_topology(std::shared_ptr<const RegistryEntry> entry, std::string reason) {
  asio::post(executor_, [self = shared_from_this(), entry = std::move(entry),
                         reason = std::move(reason)] { self->push_topology(*entry, reason); });
}

void AgentSession::push_topology(const RegistryEntry& entry, const std::string& reason) {
  if (phase_ != Phase::up) return;
  // Only news: an agent that acked `pending` is still working on the one already pushed (it
  // waits to reach its new primary); sending it again would only make it start over.
  const auto& topology = entry.issued.topology;
  const auto version = version_of(topology);
  if (version <= known_version_ || version <= pushed_version_) return;
  // The document and signature exactly as the management group issued them: the gateway
  // relays, it holds no key and changes nothing.
  if (!writer_.push(codec::TopologyPush{.epoch = version.epoch,
                                        .generation = version.generation,
                                        .document = entry.stored.document,
                                        .signature = entry.stored.signature})) {
    // The agent has not read a full queue of frames: it reconnects and gets this after its hello.
    end("write-queue-full");
    return;
  }
  pushed_version_ = version;
  spdlog::info(
      "event=topology-pushed agent={} epoch={} generation={} signed={} reason={} peer={} "
      "primary={} failovers={}",
      escaped(agent_name_), version.epoch, version.generation, !entry.stored.signature.empty(),
      reason, peer_, escaped(topology.primary.to_string()), topology.failover.size());
}

void AgentSession::topology_acknowledged(const codec::TopologyAck& ack) {
  spdlog::info("event=topology-ack agent={} epoch={} generation={} outcome={} message={}",
               escaped(agent_name_), ack.epoch, ack.generation, codec::to_string(ack.outcome),
               escaped(ack.message));
  // Only `applied` moves what the agent holds; `pending` keeps the push from being repeated
  // through pushed_version_, `ignored` and `rejected` change nothing the agent holds.
  if (ack.outcome == codec::TopologyOutcome::applied) {
    known_version_ = std::max(known_version_, TopologyVersion{ack.epoch, ack.generation});
  }
}

}  // namespace gatelink::gateway
