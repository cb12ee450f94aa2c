#include "link/gateway_session.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/asio_tokens.hpp"
#include "common/escape.hpp"
#include "link/admission.hpp"
#include "resolve/resolver.hpp"
#include "tls/client_stream.hpp"
#include "tls/peer_verification.hpp"

namespace gatelink::link {

namespace {

/// Heartbeats remembered for matching answers; older ones are long past the silence limit.
constexpr std::size_t kMaxOutstanding = 128;

std::uint64_t monotonic_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

std::string GatewaySession::Ending::key() const {
  if (reason == Reason::certificate && !detail.empty()) return detail;
  return std::string(to_string(reason));
}

std::shared_ptr<GatewaySession> GatewaySession::create(const asio::any_io_executor& executor,
                                                       std::shared_ptr<asio::ssl::context> tls,
                                                       Options options, Handlers handlers) {
  return std::shared_ptr<GatewaySession>(
      new GatewaySession(executor, std::move(tls), std::move(options), std::move(handlers)));
}

GatewaySession::GatewaySession(const asio::any_io_executor& executor,
                               std::shared_ptr<asio::ssl::context> tls, Options options,
                               Handlers handlers)
    : strand_(asio::make_strand(executor)),
      tls_(std::move(tls)),
      stream_(strand_, *tls_),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      writer_(strand_),
      deadline_(strand_),
      heartbeat_(strand_),
      liveness_(strand_) {}

void GatewaySession::start() {
  asio::co_spawn(
      strand_,
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->establish(); },
      [self = shared_from_this()](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("event=session-error gateway={} error={}",
                        self->options_.address.to_string(), escaped(ex.what()));
          self->fail({.reason = Reason::internal_error});
        }
      });
}

void GatewaySession::step(Phase phase, Millis deadline, Reason reason) {
  phase_ = phase;
  deadline_.arm(deadline, reason, [self = shared_from_this()] {
    if (self->phase_ == Phase::up || self->phase_ == Phase::closed) return;
    // Closing makes the pending operation complete with an error; establish() then reports
    // the step's reason.
    boost::system::error_code ignored;
    self->stream_.lowest_layer().close(ignored);
  });
}

Reason GatewaySession::step_failure(Reason otherwise) const {
  return deadline_.expired().value_or(otherwise);
}

asio::awaitable<std::optional<resolve::Endpoints>> GatewaySession::resolve() {
  const auto& address = options_.address;
  phase_ = Phase::resolving;
  // An IP literal never reaches a resolver; a name is looked up afresh, with its own deadline,
  // without waiting behind any other lookup (plugin/resolve). close() cancels it at once.
  auto resolution = co_await asio::co_spawn(
      strand_, resolve::resolve(address.host, address.port, options_.timings.resolve_timeout),
      asio::bind_cancellation_slot(cancel_resolve_.slot(), asio::use_awaitable));
  if (phase_ == Phase::closed) co_return std::nullopt;
  if (!resolution) {
    const auto& error = resolution.error();
    const Reason reason = error.reason == resolve::ResolveFailure::timeout ? Reason::resolve_timeout
                          : error.reason == resolve::ResolveFailure::failed ? Reason::resolve_failed
                                                                            : Reason::cancelled;
    fail({.reason = reason, .detail = error.detail});
    co_return std::nullopt;
  }
  co_return *resolution;
}

asio::awaitable<void> GatewaySession::establish() {
  const auto& address = options_.address;
  const Timings& timings = options_.timings;
  auto endpoints = co_await resolve();
  if (!endpoints) co_return;

  // Every address of the name, in order, within one connect deadline.
  step(Phase::connecting, timings.connect_timeout, Reason::connect_timeout);
  auto [connect_ec, endpoint] =
      co_await asio::async_connect(stream_.lowest_layer(), *endpoints, kUseTuple);
  if (phase_ == Phase::closed) co_return;
  if (connect_ec) {
    const auto [reason, detail] = describe_error(connect_ec);
    fail({.reason = step_failure(reason), .detail = detail});
    co_return;
  }
  boost::system::error_code nodelay_ec;  // best effort; a closed socket fails the next step
  stream_.lowest_layer().set_option(tcp::no_delay(true), nodelay_ec);

  step(Phase::handshaking, timings.handshake_timeout, Reason::handshake_timeout);
  // The gateway's plaintext admission frame: go on, or busy (a goodbye) without a handshake.
  auto admission = co_await read_message(stream_.next_layer(), kMaxAdmissionFrame);
  if (phase_ == Phase::closed) co_return;
  if (admission.ec || !admission.protocol_error.empty()) {
    if (admission.ec) {
      const auto [reason, detail] = describe_error(admission.ec);
      fail({.reason = step_failure(reason), .detail = detail});
    } else {
      fail({.reason = step_failure(Reason::protocol_error), .detail = admission.protocol_error});
    }
    co_return;
  }
  switch (const auto decision =
              decide_admission(*admission.message, options_.max_unauthenticated_retry_after);
          decision.kind) {
    case AdmissionDecision::Kind::handshake:
      break;
    case AdmissionDecision::Kind::goodbye:
      handle(decision.goodbye);
      co_return;
    case AdmissionDecision::Kind::refused:
      fail({.reason = Reason::protocol_error, .detail = decision.detail});
      co_return;
  }
  if (auto prepared = tls::prepare_client_stream(stream_.native_handle(), address.expected_name());
      !prepared) {
    fail({.reason = Reason::tls_setup, .detail = prepared.error().message});
    co_return;
  }
  // Keyed by all the address says (name, host, port): a ticket only goes back to its issuer.
  if (options_.tickets) {
    options_.tickets->attach(stream_.native_handle(), address.to_string(), ticket_slot_);
  }
  auto [hs_ec] = co_await stream_.async_handshake(asio::ssl::stream_base::client, kUseTuple);
  if (phase_ == Phase::closed) co_return;
  resumed_ = !hs_ec && SSL_session_reused(stream_.native_handle()) == 1;
  if (hs_ec) {
    if (auto expired = deadline_.expired()) {
      fail({.reason = *expired});
      co_return;
    }
    const std::string rejected = tls::handshake_rejection_reason(
        stream_.native_handle(), static_cast<unsigned long>(hs_ec.value()));
    spdlog::warn("event=handshake-failed gateway={} reason={} detail={}", address.to_string(),
                 rejected.empty() ? "handshake-failed" : rejected, escaped(hs_ec.message()));
    fail({.reason = rejected.empty() ? Reason::handshake_failed : Reason::certificate,
          .detail = rejected});
    co_return;
  }

  step(Phase::greeting, timings.welcome_timeout, Reason::welcome_timeout);
  const auto hello_sent = SteadyClock::now();
  writer_.push(codec::Hello{
      .protocol_version = codec::kProtocolVersion,
      .agent_name = options_.agent_name,
      .management_group = options_.management_group,
      .topology_epoch = options_.topology_version.epoch,
      .topology_generation = options_.topology_version.generation,
      .heartbeat_interval_ms = static_cast<std::uint32_t>(timings.heartbeat_interval.count()),
      .heartbeat_misses = static_cast<std::uint16_t>(timings.heartbeat_misses)});
  asio::co_spawn(
      strand_,
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->write_loop(); },
      asio::detached);
  auto welcome = co_await read_message(stream_, options_.max_frame);
  if (phase_ == Phase::closed) co_return;
  if (welcome.ec || !welcome.protocol_error.empty()) {
    if (auto expired = deadline_.expired()) {
      fail({.reason = *expired});
    } else if (welcome.ec) {
      // In TLS 1.3 a gateway that refuses our certificate says so on our first read.
      const std::string rejected = tls::handshake_rejection_reason(
          stream_.native_handle(), static_cast<unsigned long>(welcome.ec.value()));
      if (!rejected.empty()) {
        fail({.reason = Reason::certificate, .detail = rejected});
      } else {
        const auto [reason, detail] = describe_error(welcome.ec);
        fail({.reason = reason, .detail = detail});
      }
    } else {
      fail({.reason = Reason::protocol_error, .detail = welcome.protocol_error});
    }
    co_return;
  }
  if (auto* goodbye = std::get_if<codec::Goodbye>(&*welcome.message)) {
    handle(*goodbye);  // a busy gateway answers a hello with a goodbye
    co_return;
  }
  auto* greeting = std::get_if<codec::Welcome>(&*welcome.message);
  if (greeting == nullptr) {
    fail({.reason = Reason::protocol_error,
          .detail = "expected welcome, got " +
                    std::string(codec::to_string(codec::type_of(*welcome.message)))});
    co_return;
  }
  const Liveness agreed{Millis(greeting->heartbeat_interval_ms), greeting->heartbeat_misses};
  if (!acceptable(agreed)) {
    fail({.reason = Reason::protocol_error,
          .detail = "welcome asks for heartbeats every " +
                    std::to_string(greeting->heartbeat_interval_ms) + " ms, " +
                    std::to_string(greeting->heartbeat_misses) + " misses"});
    co_return;
  }
  agreed_ = agreed;
  if (pace_) agreed_.interval = std::min(agreed_.interval, *pace_);
  welcome_round_trip_ = SteadyClock::now() - hello_sent;
  deadline_.disarm();
  phase_ = Phase::up;
  if (auto ec = apply_to_socket(stream_.next_layer(), agreed_)) {
    spdlog::debug("event=keepalive-not-set gateway={} error={}", address.to_string(),
                  escaped(ec.message()));
  }
  received();
  if (handlers_.on_connected) handlers_.on_connected(*greeting, agreed_);
  if (phase_ != Phase::up) co_return;  // the owner may close from inside the handler

  asio::co_spawn(
      strand_,
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->heartbeat_loop(); },
      asio::detached);
  asio::co_spawn(
      strand_,
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->liveness_loop(); },
      asio::detached);
  co_await read_loop();
}

asio::awaitable<void> GatewaySession::read_loop() {
  while (phase_ == Phase::up) {
    auto outcome = co_await read_message(stream_, options_.max_frame);
    if (phase_ != Phase::up) co_return;
    if (outcome.ec) {
      const auto [reason, detail] = describe_error(outcome.ec);
      fail({.reason = reason, .detail = detail});
      co_return;
    }
    if (!outcome.protocol_error.empty()) {
      fail({.reason = Reason::protocol_error, .detail = outcome.protocol_error});
      co_return;
    }
    received();
    handle(*outcome.message);
  }
}

void GatewaySession::received() {
  last_received_ = SteadyClock::now();
  silence_reported_ = 0;
}

GatewaySession::SteadyClock::time_point GatewaySession::silence_check(unsigned missed) const {
  // The last report comes exactly at the silence limit; the ones before, half an interval after
  // each due answer, so that an answer that is merely slow (or jittered) is never a miss.
  const auto interval = agreed_.interval;
  const auto limit = last_received_ + interval * agreed_.misses;
  if (missed >= agreed_.misses) return limit;
  // Before the first answer, the first heartbeat is still on its way: one more round trip (as
  // the hello/welcome exchange measured it) before a distant gateway is late. Never past the
  // silence limit itself, which stays exact.
  const auto in_flight = answered_any_ ? SteadyClock::duration::zero() : welcome_round_trip_;
  return std::min(limit, last_received_ + in_flight + interval * missed + interval / 2);
}

asio::awaitable<void> GatewaySession::liveness_loop() {
  while (phase_ == Phase::up) {
    liveness_.expires_at(silence_check(silence_reported_ + 1));
    // Cancelled while up: heartbeat_every() changed the interval silence is judged by.
    co_await liveness_.async_wait(kUseTuple);
    if (phase_ != Phase::up) co_return;
    // A frame that arrived meanwhile moved the check on.
    if (SteadyClock::now() < silence_check(silence_reported_ + 1)) continue;
    ++silence_reported_;
    // The owner decides: the failover machine closes the session at the agreed misses.
    if (handlers_.on_silence) handlers_.on_silence(silence_reported_);
  }
}

void GatewaySession::handle(const codec::Message& message) {
  if (const auto* ack = std::get_if<codec::HeartbeatAck>(&message)) return answered(*ack);
  if (const auto* hb = std::get_if<codec::Heartbeat>(&message)) {
    writer_.push(codec::HeartbeatAck{.sequence = hb->sequence, .sent_at_us = hb->sent_at_us});
    return;
  }
  if (const auto* goodbye = std::get_if<codec::Goodbye>(&message)) {
    std::optional<Millis> retry;
    if (goodbye->retry_after_ms > 0) retry = Millis(goodbye->retry_after_ms);
    // The codec admits only a safe alphabet in a reason key; it is logged as data all the same.
    spdlog::info("event=goodbye gateway={} reason={} retry_after_ms={}",
                 options_.address.to_string(), escaped(goodbye->reason), goodbye->retry_after_ms);
    fail({.reason = Reason::goodbye, .detail = goodbye->reason, .retry_after = retry});
    return;
  }
  if (const auto* error = std::get_if<codec::ErrorMessage>(&message)) {
    spdlog::warn("event=gateway-error gateway={} code={} message={}",
                 options_.address.to_string(), static_cast<int>(error->code),
                 escaped(error->message));
    fail({.reason = Reason::gateway_error, .detail = std::string(codec::to_string(error->code))});
    return;
  }
  if (handlers_.on_message) handlers_.on_message(message);
}

void GatewaySession::answered(const codec::HeartbeatAck& ack) {
  if (ack.sequence >= next_sequence_) {
    return fail({.reason = Reason::protocol_error,
                 .detail = "answer to heartbeat " + std::to_string(ack.sequence) +
                           ", which was never sent"});
  }
  // Older ones were answered already (or forgotten): a late duplicate means nothing.
  while (!outstanding_.empty() && outstanding_.front().first < ack.sequence) {
    outstanding_.pop_front();
  }
  if (outstanding_.empty() || outstanding_.front().first != ack.sequence) return;
  const std::uint64_t sent_at_us = outstanding_.front().second;
  outstanding_.pop_front();
  // The echo must be what we sent: a time from the future (or any other) is a lie, and the
  // round-trip time comes from our own clock either way.
  if (ack.sent_at_us != sent_at_us) {
    return fail({.reason = Reason::protocol_error,
                 .detail = "answer to heartbeat " + std::to_string(ack.sequence) +
                           " echoes another send time"});
  }
  const auto rtt = std::chrono::microseconds(monotonic_us() - sent_at_us);
  answered_any_ = true;
  if (handlers_.on_heartbeat_answered) handlers_.on_heartbeat_answered(rtt);
}

asio::awaitable<void> GatewaySession::write_loop() {
  auto ec = co_await writer_.run(stream_);
  if (ec && phase_ != Phase::closed) {
    const auto [reason, detail] = describe_error(ec);
    fail({.reason = reason, .detail = detail});
    co_return;
  }
  boost::system::error_code ignored;
  stream_.lowest_layer().close(ignored);
  deadline_.disarm();
}

asio::awaitable<void> GatewaySession::heartbeat_loop() {
  // The first heartbeat goes out at once, so a fresh session proves itself within one RTT;
  // then one per agreed interval, whether or not the last one was answered yet: a slow answer
  // is a round-trip time, and liveness is watched by liveness_loop().
  while (phase_ == Phase::up) {
    const auto sequence = next_sequence_++;
    const auto sent_at = monotonic_us();
    outstanding_.emplace_back(sequence, sent_at);
    if (outstanding_.size() > kMaxOutstanding) outstanding_.pop_front();
    writer_.push(codec::Heartbeat{.sequence = sequence, .sent_at_us = sent_at});
    heartbeat_.expires_after(agreed_.interval);
    // Cancelled while up: heartbeat_every() changed the pace; the next one goes out now.
    if (auto [ec] = co_await heartbeat_.async_wait(kUseTuple); ec && phase_ != Phase::up) {
      co_return;
    }
  }
}

void GatewaySession::send(codec::Message message) {
  asio::post(strand_, [self = shared_from_this(), message = std::move(message)]() {
    if (self->phase_ != Phase::up) return;
    if (!self->writer_.push(message)) self->fail({.reason = Reason::send_queue_full});
  });
}

void GatewaySession::heartbeat_every(Millis interval) {
  asio::post(strand_, [self = shared_from_this(), interval]() {
    self->pace_ = interval;
    if (self->phase_ != Phase::up || interval >= self->agreed_.interval) return;
    self->agreed_.interval = interval;
    // Keepalive and TCP_USER_TIMEOUT follow, best effort, as at the welcome.
    [[maybe_unused]] const auto ec = apply_to_socket(self->stream_.next_layer(), self->agreed_);
    self->heartbeat_.cancel();
    self->liveness_.cancel();
  });
}

void GatewaySession::close(std::string reason) {
  asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)]() {
    if (self->phase_ == Phase::closed) return;
    self->handlers_ = {};
    if (self->phase_ != Phase::up) {
      self->shut_down();
      return;
    }
    // Say goodbye, then close once it is written (write_loop closes the socket when the queue
    // is drained); a peer that does not read gets the socket closed after the deadline.
    self->phase_ = Phase::closed;
    self->heartbeat_.cancel();
    self->liveness_.cancel();
    self->writer_.push(codec::Goodbye{.reason = reason, .retry_after_ms = 0});
    self->writer_.stop();
    self->deadline_.arm(self->options_.timings.welcome_timeout, Reason::cancelled, [self] {
      boost::system::error_code ignored;
      self->stream_.lowest_layer().close(ignored);
    });
  });
}

void GatewaySession::fail(Ending ending) {
  if (phase_ == Phase::closed) return;
  if (ending.reason == Reason::protocol_error) {
    // What the gateway broke is its own data: escaped.
    spdlog::warn("event=protocol-error gateway={} detail={}", options_.address.to_string(),
                 escaped(ending.detail));
  }
  auto handler = std::move(handlers_.on_closed);
  handlers_ = {};
  shut_down();
  if (handler) handler(ending);
}

void GatewaySession::shut_down() {
  phase_ = Phase::closed;
  deadline_.disarm();
  heartbeat_.cancel();
  liveness_.cancel();
  cancel_resolve_.emit(asio::cancellation_type::terminal);
  writer_.stop();
  boost::system::error_code ignored;
  stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
}

}  // namespace gatelink::link
