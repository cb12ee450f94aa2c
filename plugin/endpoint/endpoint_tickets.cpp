// Ticket prefetch (Timings::ticket_prefetch_within, failover/ticket_prefetch.hpp): while
// connected, a short session to each gateway a failover would go to, closed once welcomed,
// leaves that gateway's ticket with the agent, so that the first failover there resumes instead
// of making the gateway, busy with a whole fleet at that moment, do a full handshake.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/escape.hpp"
#include "endpoint_impl.hpp"
#include "failover/ticket_prefetch.hpp"

namespace gatelink {

using failover::Duration;

namespace {

/// After this many fetches in a row that left no ticket, the wait before the next stops
/// doubling: a gateway that sends none (another group's, or one without the group's keys)
/// costs a full handshake every 64 prefetch times at most.
constexpr unsigned kMaxFetchDoublings = 6;

}  // namespace

void Endpoint::Impl::arm_ticket_fetch(Duration after) {
  const Duration within = config.timings.ticket_prefetch_within;
  if (within <= Duration::zero() || ticket_fetch != TicketFetch::idle ||
      machine.state() != failover::State::connected) {
    return;
  }
  ticket_fetch = TicketFetch::waiting;
  const double draw = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  ticket_timer.expires_after(after + std::chrono::duration_cast<Duration>(within * draw));
  ticket_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec || ticket_fetch != TicketFetch::waiting) return;
    ticket_fetch = TicketFetch::idle;
    fetch_ticket();
  });
}

void Endpoint::Impl::fetch_ticket() {
  // Not connected: the event that connects the agent again arms the next fetch.
  if (machine.state() != failover::State::connected) return;
  const std::vector<GatewayAddress>& ordered = machine.ordered();
  auto context = certificates.context_for_connection();
  const auto holds = [&](std::size_t i) {
    return tickets->holds(ordered[i].to_string(), context->native_handle());
  };
  const auto has_session = [&](std::size_t i) {
    return std::any_of(sessions.begin(), sessions.end(), [&](const auto& entry) {
      return entry.second.session->address() == ordered[i];
    });
  };
  const auto target =
      failover::next_ticket_fetch(ordered.size(), machine.current_gateway(), has_session, holds);
  if (!target) return arm_ticket_fetch();  // a look again later: tickets age, topologies change

  const GatewayAddress address = ordered[*target];
  spdlog::debug("event=ticket-fetch gateway={} position={}", address.to_string(), *target);
  // Each outcome arms the next fetch: the next gateway that lacks a ticket, at another moment;
  // the same one again after a wait that doubles while fetches leave no ticket.
  const auto finish = [this](bool got, Duration at_least) {
    ticket_session.reset();
    ticket_fetch = TicketFetch::idle;
    ticket_fetch_misses = got ? 0 : std::min(ticket_fetch_misses + 1, kMaxFetchDoublings);
    const Duration wait = got ? Duration::zero()
                              : std::max(at_least, config.timings.ticket_prefetch_within *
                                                       (1U << ticket_fetch_misses));
    arm_ticket_fetch(wait);
  };
  link::GatewaySession::Handlers handlers{
      .on_connected =
          [this, address, context, finish](const codec::Welcome& welcome, const link::Liveness&) {
            const bool got = tickets->holds(address.to_string(), context->native_handle());
            spdlog::info("event=ticket-fetched gateway={} gateway_name={} ticket={}",
                         address.to_string(), escaped(welcome.gateway_name), got);
            if (ticket_session) ticket_session->close("ticket-fetched");
            finish(got, Duration::zero());
          },
      .on_heartbeat_answered = [](std::chrono::microseconds) {},
      .on_silence = [](unsigned) {},
      .on_message = [](const codec::Message&) {},  // a push on it is the active session's too
      .on_closed =
          [address, finish](const link::GatewaySession::Ending& ending) {
            // Peer data (a goodbye's reason): escaped.
            spdlog::info("event=ticket-fetch-failed gateway={} reason={} detail={}",
                         address.to_string(), ending.key(),
                         ending.detail.empty() ? std::string("-") : escaped(ending.detail));
            finish(false, ending.retry_after.value_or(Duration::zero()));
          },
  };
  ticket_fetch = TicketFetch::fetching;
  ticket_session = link::GatewaySession::create(executor, std::move(context),
                                                session_options(address), std::move(handlers));
  ticket_session->start();
}

void Endpoint::Impl::stop_ticket_fetch() {
  ticket_fetch = TicketFetch::idle;
  ticket_timer.cancel();
  if (ticket_session) ticket_session->close("shutdown");
  ticket_session.reset();
}

}  // namespace gatelink
