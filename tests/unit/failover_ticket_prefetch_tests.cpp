// Ticket prefetch: which gateway the agent fetches a session ticket from next, so that the first
// failover to it resumes. Only from a group whose gateways send tickets, only the gateways after
// the current one in order, none that already holds a session or a fresh ticket.

#include <gtest/gtest.h>

#include <set>

#include "failover/ticket_prefetch.hpp"

namespace gatelink::failover {
namespace {

struct Held {
  std::set<std::size_t> sessions;
  std::set<std::size_t> tickets;

  std::optional<std::size_t> next(std::size_t count, std::optional<std::size_t> current) const {
    return next_ticket_fetch(
        count, current, [&](std::size_t i) { return sessions.count(i) != 0; },
        [&](std::size_t i) { return tickets.count(i) != 0; });
  }
};

TEST(TicketPrefetch, fetches_from_the_gateways_after_the_current_one_in_order) {
  Held held{.sessions = {0}, .tickets = {0}};
  EXPECT_EQ(held.next(3, 0), 1u);
  held.tickets.insert(1);
  EXPECT_EQ(held.next(3, 0), 2u);
  held.tickets.insert(2);
  EXPECT_EQ(held.next(3, 0), std::nullopt) << "every failover gateway holds a ticket";
}

TEST(TicketPrefetch, none_from_a_group_whose_gateway_sent_no_ticket) {
  const Held held{.sessions = {0}, .tickets = {}};
  EXPECT_EQ(held.next(3, 0), std::nullopt);
}

TEST(TicketPrefetch, none_while_on_no_gateway_or_on_the_last_one) {
  const Held held{.sessions = {2}, .tickets = {0, 2}};
  EXPECT_EQ(held.next(3, std::nullopt), std::nullopt);
  EXPECT_EQ(held.next(3, 2), std::nullopt) << "a failback probe fetches the earlier ones' own";
  EXPECT_EQ(held.next(3, 3), std::nullopt) << "out of the list";
}

TEST(TicketPrefetch, skips_a_gateway_a_session_is_open_to) {
  // A warm standby (or a probe) to gw1 brings its own ticket with its handshake.
  const Held held{.sessions = {0, 1}, .tickets = {0}};
  EXPECT_EQ(held.next(3, 0), 2u);
}

TEST(TicketPrefetch, on_a_failover_gateway_only_the_ones_after_it) {
  const Held held{.sessions = {1}, .tickets = {1}};
  EXPECT_EQ(held.next(3, 1), 2u);
}

}  // namespace
}  // namespace gatelink::failover
