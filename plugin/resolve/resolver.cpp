#include "resolve/resolver.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <utility>

#include "resolve/address_config.hpp"
#include "resolve/cares_lookup.hpp"

namespace gatelink::resolve {

std::string_view to_string(ResolveFailure failure) {
  switch (failure) {
    case ResolveFailure::failed:
      return "resolve-failed";
    case ResolveFailure::timeout:
      return "resolve-timeout";
    case ResolveFailure::cancelled:
      return "resolve-cancelled";
  }
  return "resolve-failed";
}

Resolution::Resolution(Endpoints endpoints) : endpoints_(std::move(endpoints)) {
  if (endpoints_.empty()) error_ = {.reason = ResolveFailure::failed, .detail = "no address"};
}

Resolution::Resolution(ResolveError error) : error_(std::move(error)) {}

std::optional<asio::ip::address> parse_ip_literal(std::string_view host) {
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  // inet_pton underneath: four decimal octets for IPv4 ("127.1" is a name), RFC 4291 for IPv6.
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec || (bracketed && !address.is_v6())) return std::nullopt;
  return address;
}

asio::awaitable<Resolution> resolve(std::string host, std::uint16_t port,
                                    std::chrono::milliseconds deadline) {
  if (const auto literal = parse_ip_literal(host)) {
    co_return Endpoints{asio::ip::tcp::endpoint(*literal, port)};
  }
  const auto executor = co_await asio::this_coro::executor;
  const int family = lookup_family(current_address_config());
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Resolution)>(
      [&](auto handler) {
        using Handler = decltype(handler);
        auto slot = asio::get_associated_cancellation_slot(handler);
        auto shared = std::make_shared<Handler>(std::move(handler));
        auto lookup = CaresLookup::start(
            executor, std::move(host), port, family, deadline,
            [shared, slot](Resolution resolution) mutable {
              if (slot.is_connected()) slot.clear();
              // Resume the caller on its own executor, not inside the lookup's strand.
              const auto caller = asio::get_associated_executor(*shared);
              asio::post(caller, [shared, resolution = std::move(resolution)]() mutable {
                std::move(*shared)(std::move(resolution));
              });
            });
        if (slot.is_connected()) {
          slot.assign([lookup](asio::cancellation_type) { lookup.cancel(); });
        }
      },
      asio::use_awaitable);
}

}  // namespace gatelink::resolve
