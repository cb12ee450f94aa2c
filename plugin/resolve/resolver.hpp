#pragma once
// Name resolution that cannot stall failover: every lookup is asynchronous, has its own
// deadline, can be cancelled, and never waits behind another lookup.
//
// How (see docs/OPERATIONS.md, "Name resolution"):
// - An IP literal (`192.0.2.1`, `2001:db8::1`, also `[2001:db8::1]`) never reaches a
//   resolver: it completes at once with that one address.
// - A name is looked up by c-ares on the caller's executor: its sockets and timers are Asio
//   objects, so a lookup costs no thread, a DNS server that never answers only holds a socket,
//   and a lookup past its deadline is destroyed on the spot (socket closed, nothing late can
//   arrive). Each call reads /etc/resolv.conf, /etc/nsswitch.conf (its `hosts:` line gives the
//   order of `files` and `dns`) and /etc/hosts afresh: no cache, edits count from the next call.
//   Other NSS sources (mDNS, LDAP, nss-myhostname) are not consulted.
// - Address families, as glibc's AI_ADDRCONFIG does it: IPv4 addresses (A records) are asked for
//   only when the host has a non-loopback IPv4 address, IPv6 (AAAA) only when it has a global
//   (not loopback, not link-local) IPv6 address, both when it has neither. So a v4-only host
//   sends no AAAA queries (a DNS server that drops them cannot stall it) and gets no IPv6
//   address it cannot reach; a name it knows only as IPv6 is `resolve-failed` there.
// - Endpoints come back in the resolver's order (RFC 6724 sorting; several /etc/hosts lines of
//   one name in file order), each with the requested port.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatelink::resolve {

namespace asio = boost::asio;

/// Why a lookup gave no address.
enum class ResolveFailure {
  failed,     ///< `resolve-failed`: no such name, no address, or the resolver reported an error
  timeout,    ///< `resolve-timeout`: the deadline passed, or every DNS server timed out
  cancelled,  ///< `resolve-cancelled`: the caller cancelled the operation
};

/// The reason key as logged and shown in status: `resolve-failed`, `resolve-timeout`, ...
std::string_view to_string(ResolveFailure failure);

struct ResolveError {
  ResolveFailure reason = ResolveFailure::failed;
  std::string detail;  ///< the resolver's own words ("Domain name not found"); may be empty
};

using Endpoints = std::vector<asio::ip::tcp::endpoint>;

/// The addresses of a name in the resolver's order, or why there are none. Default-constructible
/// (co_spawn needs it) as a failure; endpoints given are never empty when ok().
class Resolution {
 public:
  Resolution() = default;
  Resolution(Endpoints endpoints);  // NOLINT(google-explicit-constructor): implicit by design
  Resolution(ResolveError error);   // NOLINT(google-explicit-constructor): implicit by design

  bool ok() const noexcept { return !endpoints_.empty(); }
  explicit operator bool() const noexcept { return ok(); }

  const Endpoints& endpoints() const { return endpoints_; }
  const Endpoints& operator*() const { return endpoints_; }
  const Endpoints* operator->() const { return &endpoints_; }
  /// Why there is no address; meaningful only when !ok().
  const ResolveError& error() const { return error_; }

 private:
  Endpoints endpoints_;
  ResolveError error_{.reason = ResolveFailure::failed, .detail = "not resolved"};
};

/// The address of an IP literal (IPv4, IPv6, or IPv6 in brackets), if `host` is one.
std::optional<asio::ip::address> parse_ip_literal(std::string_view host);

/// Resolves `host` to TCP endpoints with `port`, completing no later than `deadline` after the
/// call (an IP literal at once, whatever the deadline). Awaited on the caller's executor, which
/// must be a strand or a single-threaded io_context: the lookup's own handlers run on a strand
/// nested in it. Cancellable through the awaiting coroutine's cancellation slot (co_spawn with
/// bind_cancellation_slot, awaitable operators): it then completes at once, `resolve-cancelled`.
asio::awaitable<Resolution> resolve(std::string host, std::uint16_t port,
                                    std::chrono::milliseconds deadline);

}  // namespace gatelink::resolve
