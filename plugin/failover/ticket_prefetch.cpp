#include "failover/ticket_prefetch.hpp"

namespace gatelink::failover {

std::optional<std::size_t> next_ticket_fetch(std::size_t count, std::optional<std::size_t> current,
                                             const std::function<bool(std::size_t)>& has_session,
                                             const std::function<bool(std::size_t)>& holds_ticket) {
  if (!current || *current >= count || !holds_ticket(*current)) return std::nullopt;
  for (std::size_t i = *current + 1; i < count; ++i) {
    if (!has_session(i) && !holds_ticket(i)) return i;
  }
  return std::nullopt;
}

}  // namespace gatelink::failover
