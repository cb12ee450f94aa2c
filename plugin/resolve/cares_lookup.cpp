#include "resolve/cares_lookup.hpp"

// ares.h brings the platform's socket headers (sockaddr_in, AF_INET, ntohl).
#include <ares.h>

#include <boost/asio/post.hpp>
#include <cstddef>
#include <exception>
#include <utility>

#include "resolve/socket_watch.hpp"

namespace gatelink::resolve {

namespace {

/// c-ares wants its library initialised once per process before the first channel.
int library_status() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  return status;
}

ResolveError ares_error(int status) {
  // The resolver gave up waiting (every server timed out) before our deadline did.
  const auto reason = status == ARES_ETIMEOUT ? ResolveFailure::timeout : ResolveFailure::failed;
  return {.reason = reason, .detail = ares_strerror(status)};
}

Endpoints to_endpoints(const ares_addrinfo* result, std::uint16_t port) {
  Endpoints endpoints;
  for (const auto* node = result->nodes; node != nullptr; node = node->ai_next) {
    // ares_socklen_t is an int on Windows, unsigned on POSIX.
    const auto length = static_cast<std::size_t>(node->ai_addrlen);
    if (node->ai_family == AF_INET && length >= sizeof(sockaddr_in)) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
      endpoints.emplace_back(asio::ip::address_v4(ntohl(v4->sin_addr.s_addr)), port);
    } else if (node->ai_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
      asio::ip::address_v6::bytes_type bytes;
      for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = v6->sin6_addr.s6_addr[i];
      endpoints.emplace_back(asio::ip::address_v6(bytes, v6->sin6_scope_id), port);
    }
  }
  return endpoints;
}

}  // namespace

/// A socket of the channel, watched (never owned: c-ares closes it) and what c-ares wants of it.
struct CaresLookup::Watcher {
  ares_socket_t socket = ARES_SOCKET_BAD;
  std::shared_ptr<SocketWatch> watch;
  bool want_read = false;   ///< c-ares wants to know when it is readable
  bool want_write = false;  ///< ... writable (a TCP connect or a blocked send)
  bool closed = false;  ///< c-ares is done with it; pending waits end without effect
};

void CaresLookup::Handle::cancel() const {
  asio::post(strand_, [lookup = lookup_] {
    if (auto self = lookup.lock()) {
      self->finish(ResolveError{.reason = ResolveFailure::cancelled, .detail = "cancelled"});
    }
  });
}

CaresLookup::Handle CaresLookup::start(const asio::any_io_executor& executor, std::string host,
                                       std::uint16_t port, int family,
                                       std::chrono::milliseconds deadline, Completion done) {
  auto lookup = std::shared_ptr<CaresLookup>(new CaresLookup(executor, port, std::move(done)));
  // The deadline counts from the call, not from when the strand gets to the lookup.
  lookup->deadline_.expires_after(deadline);
  asio::post(lookup->strand_,
             [lookup, host = std::move(host), family] { lookup->begin(host, family); });
  return Handle(lookup, lookup->strand_);
}

CaresLookup::CaresLookup(const asio::any_io_executor& executor, std::uint16_t port,
                         Completion done)
    : strand_(asio::make_strand(executor)),
      port_(port),
      done_(std::move(done)),
      deadline_(strand_),
      tick_(strand_) {}

CaresLookup::~CaresLookup() {
  // Reached without finish() only when the io_context is torn down with the lookup pending.
  state_ = State::finished;
  destroy_channel();
}

void CaresLookup::begin(const std::string& host, int family) {
  if (state_ != State::running) return;  // cancelled before the strand got here
  deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;
    self->finish(ResolveError{.reason = ResolveFailure::timeout,
                              .detail = "no answer within the deadline"});
  });
  if (const int status = library_status(); status != ARES_SUCCESS) {
    finish(ares_error(status));
    return;
  }
  ares_options options{};
  options.sock_state_cb = &CaresLookup::on_socket_state;
  options.sock_state_cb_data = this;
  // A channel per lookup: it reads resolv.conf and nsswitch.conf now, and dies with the lookup.
  ares_channel channel = nullptr;
  if (const int status = ares_init_options(&channel, &options, ARES_OPT_SOCK_STATE_CB);
      status != ARES_SUCCESS) {
    finish(ares_error(status));
    return;
  }
  channel_ = channel;
  ares_addrinfo_hints hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  // A name in /etc/hosts is answered inside this call.
  ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &CaresLookup::on_result, this);
  after_ares();
}

void CaresLookup::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<CaresLookup*>(data);
  auto found = self->watchers_.find(fd);
  if (readable == 0 && writable == 0) {
    // c-ares closes the socket right after this: stop watching it without closing it.
    if (found != self->watchers_.end()) {
      found->second->closed = true;
      found->second->watch->stop();
      self->watchers_.erase(found);
    }
    return;
  }
  if (self->state_ != State::running) return;
  try {
    if (found == self->watchers_.end()) {
      auto watch = SocketWatch::open(self->strand_, fd);
      if (!watch) {
        if (!self->outcome_) {
          self->outcome_ =
              ResolveError{.reason = ResolveFailure::failed, .detail = watch.error().message};
        }
        return;
      }
      auto watcher = std::make_shared<Watcher>();
      watcher->socket = fd;
      watcher->watch = std::move(*watch);
      found = self->watchers_.emplace(fd, std::move(watcher)).first;
    }
    found->second->want_read = readable != 0;
    found->second->want_write = writable != 0;
    self->arm(found->second);
  } catch (const std::exception& e) {  // nothing may unwind through c-ares
    if (!self->outcome_) {
      self->outcome_ = ResolveError{.reason = ResolveFailure::failed, .detail = e.what()};
    }
  }
}

void CaresLookup::on_result(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  auto* self = static_cast<CaresLookup*>(arg);
  // Destroying the channel (a deadline, a cancel) reports ARES_EDESTRUCTION: nobody waits.
  if (self->state_ == State::running && !self->outcome_) {
    try {
      if (status != ARES_SUCCESS) {
        self->outcome_ = ares_error(status);
      } else if (auto endpoints = to_endpoints(result, self->port_); endpoints.empty()) {
        self->outcome_ = ResolveError{.reason = ResolveFailure::failed, .detail = "no address"};
      } else {
        self->outcome_ = std::move(endpoints);
      }
    } catch (const std::exception& e) {
      self->outcome_ = ResolveError{.reason = ResolveFailure::failed, .detail = e.what()};
    }
  }
  if (result != nullptr) ares_freeaddrinfo(result);
}

void CaresLookup::arm(const std::shared_ptr<Watcher>& watcher) {
  watcher->watch->wait(
      watcher->want_read, watcher->want_write,
      [self = shared_from_this(), watcher](bool readable) { self->on_ready(watcher, readable); });
}

void CaresLookup::on_ready(const std::shared_ptr<Watcher>& watcher, bool readable) {
  if (watcher->closed || state_ != State::running) return;
  const ares_socket_t fd = watcher->socket;
  ares_process_fd(channel_, readable ? fd : ARES_SOCKET_BAD, readable ? ARES_SOCKET_BAD : fd);
  after_ares();
  // c-ares reports only changes of interest: keep waiting while it still wants this socket.
  if (state_ == State::running && !watcher->closed) arm(watcher);
}

void CaresLookup::after_ares() {
  if (state_ != State::running) return;
  if (outcome_) {
    auto outcome = std::move(*outcome_);
    outcome_.reset();
    finish(std::move(outcome));
    return;
  }
  timeval wait{};
  if (ares_timeout(channel_, nullptr, &wait) == nullptr) return;  // no query waits for time
  tick_.expires_after(std::chrono::seconds(wait.tv_sec) + std::chrono::microseconds(wait.tv_usec));
  tick_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->state_ != State::running) return;
    ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->after_ares();
  });
}

void CaresLookup::finish(Resolution resolution) {
  if (state_ != State::running) return;
  state_ = State::finished;
  destroy_channel();
  deadline_.cancel();
  tick_.cancel();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(resolution));
}

void CaresLookup::destroy_channel() {
  if (channel_ != nullptr) {
    // Ends its queries (on_result with ARES_EDESTRUCTION, ignored) and closes its sockets
    // (on_socket_state with nothing wanted releases their descriptors first).
    auto* channel = channel_;
    channel_ = nullptr;
    ares_destroy(channel);
  }
  for (auto& [fd, watcher] : watchers_) {
    watcher->closed = true;
    watcher->watch->stop();
  }
  watchers_.clear();
}

}  // namespace gatelink::resolve
