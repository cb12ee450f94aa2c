// AgentSession, topology delivery: what this session pushes and what the agent answered.
// docs/PROTOCOL.md "Topology delivery" describes the rules from the agent's side.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

#include "agent_session.hpp"
#include "common/escape.hpp"

namespace gatelink::gateway {

void AgentSession::offer_topology(std::shared_ptr<const Topology> topology, std::string reason) {
  asio::post(executor_, [self = shared_from_this(), topology = std::move(topology),
                         reason = std::move(reason)] { self->push_topology(*topology, reason); });
}

void AgentSession::push_topology(const Topology& topology, const std::string& reason) {
  if (phase_ != Phase::up) return;
  // Only news: an agent that acked `pending` is still working on the one already pushed (it
  // waits to reach its new primary); sending it again would only make it start over.
  const auto generation = topology.generation;
  if (generation <= known_generation_ || generation <= pushed_generation_) return;
  if (!writer_.push(codec::make_push(topology))) {
    // The agent has not read a full queue of frames: it reconnects and gets this after its hello.
    end("write-queue-full");
    return;
  }
  pushed_generation_ = generation;
  spdlog::info(
      "event=topology-pushed agent={} generation={} reason={} peer={} primary={} "
      "failovers={}",
      escaped(agent_name_), generation, reason, peer_, escaped(topology.primary.to_string()),
      topology.failover.size());
}

void AgentSession::topology_acknowledged(const codec::TopologyAck& ack) {
  spdlog::info("event=topology-ack agent={} generation={} outcome={} message={}",
               escaped(agent_name_), ack.generation, codec::to_string(ack.outcome),
               escaped(ack.message));
  // Only `applied` moves what the agent holds; `pending` keeps the push from being repeated
  // through pushed_generation_, `ignored` and `rejected` change nothing the agent holds.
  if (ack.outcome == codec::TopologyOutcome::applied) {
    known_generation_ = std::max(known_generation_, ack.generation);
  }
}

}  // namespace gatelink::gateway
