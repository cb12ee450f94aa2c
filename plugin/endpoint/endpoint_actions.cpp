// The endpoint carries out what the failover machine decides (connect, close, persist,
// acknowledge, schedule, promote) and hands it what the sessions learn.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "codec/codec.hpp"
#include "common/escape.hpp"
#include "endpoint_impl.hpp"

namespace gatelink {

using failover::Clock;
using failover::SessionId;

namespace {

/// `text` cut to the protocol's bound on free text, never inside a UTF-8 sequence.
std::string bounded_text(std::string text) {
  if (text.size() <= codec::kMaxTextLength) return text;
  std::size_t end = codec::kMaxTextLength;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  text.resize(end);
  return text;
}

}  // namespace

void Endpoint::Impl::dispatch(const failover::Event& event) {
  dispatched_at = Clock::now();
  dispatched_connected = machine.state() == failover::State::connected;
  for (const auto& action : machine.handle(event, dispatched_at)) {
    std::visit([this](const auto& a) { execute(a); }, action);
  }
  arm_ticket_fetch();
}

link::GatewaySession::Options Endpoint::Impl::session_options(const GatewayAddress& address) const {
  return link::GatewaySession::Options{
      .address = address,
      .agent_name = config.name,
      .management_group = config.management_group,
      .topology_version = version_of(machine.topology()),
      .timings = config.timings,
      // An unauthenticated busy answer may delay us no longer than our own backoff would.
      .max_unauthenticated_retry_after =
          std::min(config.timings.backoff_cap, config.timings.max_stay_away),
      .tickets = tickets,
  };
}

void Endpoint::Impl::execute(const failover::Connect& c) {
  const GatewayAddress address = machine.session_address(c.session).value();
  spdlog::info("event=connecting gateway={} position={} purpose={}", address.to_string(), c.gateway,
               failover::to_string(c.purpose));
  link::GatewaySession::Options options = session_options(address);
  // A warm standby is quiet: heartbeats every standby-interval until it is promoted.
  if (c.purpose == failover::Purpose::standby) {
    options.timings.heartbeat_interval = config.timings.standby_interval;
  }
  const SessionId id = c.session;
  link::GatewaySession::Handlers handlers{
      .on_connected =
          [this, id](const codec::Welcome& welcome, const link::Liveness& agreed) {
            bool resumed = false;
            if (auto it = sessions.find(id); it != sessions.end()) {
              it->second.gateway_name = welcome.gateway_name;
              it->second.agreed = agreed;
              resumed = it->second.session->resumed();
            }
            spdlog::info(
                "event=handshake-ok gateway={} gateway_name={} session={} interval_ms={} "
                "misses={} resumed={}",
                session_address(id), escaped(welcome.gateway_name), id, agreed.interval.count(),
                agreed.misses, resumed);
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
              // A refused certificate's word is the key itself; anything else is said beside it.
              std::string key = ending.key();
              std::string detail = key == ending.detail ? std::string() : ending.detail;
              dispatch(failover::Closed{id, std::move(key), std::move(detail)});
            }
          },
  };
  // The backstop of the file watch: files changed since the last look are taken up now.
  auto context = certificates.context_for_connection();
  auto session =
      link::GatewaySession::create(executor, context, std::move(options), std::move(handlers));
  sessions[id] =
      SessionEntry{.session = session, .standby = c.purpose == failover::Purpose::standby};
  session->start();
}

void Endpoint::Impl::execute(const failover::Close& c) {
  auto it = sessions.find(c.session);
  if (it == sessions.end()) return;
  it->second.session->close(c.reason);
  sessions.erase(it);
}

void Endpoint::Impl::execute(const failover::Promote& p) {
  // A probe has answered for its stable window, a standby has been up all along (or is still
  // on its way, now as the attempt): from now on it carries the traffic, at the active pace.
  auto it = sessions.find(p.session);
  const bool standby = it != sessions.end() && it->second.standby;
  if (standby) {
    it->second.standby = false;
    it->second.session->heartbeat_every(config.timings.heartbeat_interval);
    if (it->second.agreed) {
      it->second.agreed->interval =
          std::min(it->second.agreed->interval, config.timings.heartbeat_interval);
    }
  }
  spdlog::info("event=promoted session={} gateway={} standby={}", p.session,
               session_address(p.session), standby);
}

void Endpoint::Impl::execute(const failover::Schedule& s) {
  tick.expires_at(s.at);
  tick.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) dispatch(failover::Tick{});
  });
}

void Endpoint::Impl::execute(const failover::Persist& p) {
  const auto version = version_of(p.topology);
  const auto previous = persisted_version;
  PersistedTopology document{.topology = p.topology,
                             .received_from = p.received_from.to_string(),
                             .received_at = wall_time(p.received_at),
                             .issued = p.document ? *p.document : IssuedDocument{}};
  auto saved = store.save(document);
  if (!saved) {
    // The agent uses it all the same (it was checked); it is lost only to a restart.
    spdlog::error("event=topology-persist-failed epoch={} generation={} error={}", version.epoch,
                  version.generation, escaped(saved.error().message));
    unsaved.emplace(version, saved.error().message);
    return;
  }
  persisted_version = version;
  if (previous) last_known_good = previous->generation;
  if (persisted_file) last_known_good_file = std::move(persisted_file);
  persisted_file = std::move(document);
  spdlog::info("event=topology-persisted epoch={} generation={} file={}/{}", version.epoch,
               version.generation, store.dir(), kTopologyFileName);
}

void Endpoint::Impl::execute(const failover::Acknowledge& a) {
  auto it = sessions.find(a.session);
  if (it == sessions.end()) return;
  std::string message = a.message;
  if (unsaved && unsaved->first == a.version) {
    message = "in use but not persisted: " + unsaved->second;
  }
  it->second.session->send(codec::TopologyAck{.epoch = a.version.epoch,
                                              .generation = a.version.generation,
                                              .outcome = a.outcome,
                                              .message = bounded_text(message)});
}

void Endpoint::Impl::on_push(SessionId id, const codec::TopologyPush& push) {
  const auto refuse = [&](TopologyRefusal reason, const std::string& message) {
    // The message may quote the document (a peer's bytes): escaped in the log, bounded on the
    // wire. Nothing of the push reaches the machine.
    spdlog::warn(
        "event=topology-rejected reason={} gateway={} epoch={} generation={} signed={} "
        "message={}",
        to_string(reason), session_address(id), push.epoch, push.generation,
        !push.signature.empty(), escaped(message));
    if (auto it = sessions.find(id); it != sessions.end()) {
      it->second.session->send(codec::TopologyAck{
          .epoch = push.epoch,
          .generation = push.generation,
          .outcome = TopologyOutcome::rejected,
          .message = bounded_text(std::string(to_string(reason)) + ": " + message)});
    }
  };
  auto trusted = check_issued(push.document, push.signature, trust,
                              std::chrono::system_clock::now(), "the pushed document");
  if (!trusted) return refuse(trusted.error().reason, trusted.error().message);
  const Topology& topology = trusted->issued.topology;
  if (version_of(topology) != TopologyVersion{push.epoch, push.generation}) {
    return refuse(TopologyRefusal::header_mismatch,
                  "the push names " + to_string(TopologyVersion{push.epoch, push.generation}) +
                      ", its document " + to_string(version_of(topology)));
  }
  spdlog::info(
      "event=topology-received gateway={} epoch={} generation={} signed_by={} primary={} "
      "failovers={}",
      session_address(id), topology.epoch, topology.generation,
      trusted->signed_by.empty() ? std::string("-") : trusted->signed_by,
      escaped(topology.primary.to_string()), topology.failover.size());
  auto document = std::make_shared<const IssuedDocument>(IssuedDocument{
      .bytes = push.document, .signature = push.signature, .signed_by = trusted->signed_by});
  dispatch(failover::TopologyPushed{id, topology, std::move(document)});
}

void Endpoint::Impl::on_message(SessionId id, const codec::Message& message) {
  if (const auto* push = std::get_if<codec::TopologyPush>(&message)) return on_push(id, *push);
  spdlog::debug("event=message-ignored gateway={} type={}", session_address(id),
                codec::to_string(codec::type_of(message)));
}

std::string Endpoint::Impl::session_address(SessionId id) const {
  auto it = sessions.find(id);
  return it == sessions.end() ? std::string("?")
                              : escaped(it->second.session->address().to_string());
}

}  // namespace gatelink
