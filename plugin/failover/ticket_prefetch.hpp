#pragma once
// Which gateway the agent fetches a TLS session ticket from next (Timings::ticket_prefetch_within,
// docs/SECURITY.md "session resumption"). A ticket is offered only to the gateway that issued
// it, so without this the first failover to a gateway is always a full handshake, when a whole
// fleet arrives at once. While connected, the agent fetches one from each gateway a failover
// would go to, one at a time, with a short session closed once welcomed. Pure: no sockets, no
// clock.

#include <cstddef>
#include <functional>
#include <optional>

namespace gatelink::failover {

/// The position (in the machine's ordered() list of `count` gateways) of the next gateway to
/// fetch a ticket from, or nullopt. None while the agent is on no gateway (`current`), or while
/// the one it is on holds no ticket itself (`holds_ticket`): that group shares no ticket keys,
/// and fetching would cost full handshakes for nothing. Otherwise the first gateway after
/// `current` in order (where a failover goes) to which no session is open (`has_session`: a warm
/// standby or a probe brings its own ticket) and for which no ticket worth keeping is held.
std::optional<std::size_t> next_ticket_fetch(std::size_t count, std::optional<std::size_t> current,
                                             const std::function<bool(std::size_t)>& has_session,
                                             const std::function<bool(std::size_t)>& holds_ticket);

}  // namespace gatelink::failover
