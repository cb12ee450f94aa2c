#include "link/gateway_session.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "resolve/resolver.hpp"
#include "tls/peer_verification.hpp"
#include "tls/client_stream.hpp"

namespace gatelink::link {

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
/// The plaintext admission frame is an admit or a goodbye: a few hundred bytes at most.
constexpr std::size_t kMaxAdmissionFrame = 512;

std::uint64_t monotonic_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

std::shared_ptr<GatewaySession> GatewaySession::create(asio::io_context& io,
                                                       std::shared_ptr<asio::ssl::context> tls,
                                                       Options options, Handlers handlers) {
  return std::shared_ptr<GatewaySession>(
      new GatewaySession(io, std::move(tls), std::move(options), std::move(handlers)));
}

GatewaySession::GatewaySession(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                               Options options, Handlers handlers)
    : strand_(asio::make_strand(io)),
      tls_(std::move(tls)),
      stream_(strand_, *tls_),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      writer_(strand_),
      deadline_(strand_),
      heartbeat_(strand_) {}

void GatewaySession::start() {
  asio::co_spawn(
      strand_,
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->establish(); },
      [self = shared_from_this()](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("event=session-error gateway={} error=\"{}\"",
                        self->options_.address.to_string(), ex.what());
          self->fail({.reason = "internal-error"});
        }
      });
}

void GatewaySession::arm_deadline(Millis after, std::string reason) {
  deadline_.expires_after(after);
  deadline_.async_wait([self = shared_from_this(), reason = std::move(reason)](auto ec) {
    if (ec || self->phase_ == Phase::up || self->phase_ == Phase::closed) return;
    // A completion queued before the deadline was re-armed for the next step is stale.
    if (self->deadline_.expiry() > asio::steady_timer::clock_type::now()) return;
    // Closing the socket makes the pending step fail; establish() reports this reason.
    self->deadline_reason_ = reason;
    boost::system::error_code ignored;
    self->stream_.lowest_layer().close(ignored);
  });
}

asio::awaitable<void> GatewaySession::establish() {
  const auto& address = options_.address;
  phase_ = Phase::connecting;
  // Resolution has its own deadline and reason; an IP literal needs no resolver at all.
  const auto resolution =
      co_await resolve::resolve(address.host, address.port, options_.resolve_timeout);
  if (phase_ == Phase::closed) co_return;
  if (!resolution) {
    const auto reason = std::string(resolve::to_string(resolution.error().reason));
    spdlog::warn("event={} gateway={} detail=\"{}\"", reason, address.to_string(),
                 resolution.error().detail);
    fail({.reason = reason});
    co_return;
  }
  arm_deadline(options_.connect_timeout, "connect-timeout");
  // Every address of the name, in the resolver's order, within the one connect deadline.
  auto [connect_ec, endpoint] =
      co_await asio::async_connect(stream_.lowest_layer(), *resolution, kUseTuple);
  if (phase_ == Phase::closed) co_return;
  if (connect_ec) {
    fail({.reason = deadline_reason_.empty() ? describe_error(connect_ec) : deadline_reason_});
    co_return;
  }
  boost::system::error_code nodelay_ec;  // best effort; a closed socket fails the next step
  stream_.lowest_layer().set_option(tcp::no_delay(true), nodelay_ec);

  phase_ = Phase::handshaking;
  arm_deadline(options_.handshake_timeout, "handshake-timeout");
  // The gateway's plaintext admission frame: go on, or busy (a goodbye) without a handshake.
  auto admission = co_await read_message(stream_.next_layer(), kMaxAdmissionFrame);
  if (phase_ == Phase::closed) co_return;
  if (admission.ec || !admission.protocol_error.empty()) {
    fail({.reason = !deadline_reason_.empty() ? deadline_reason_
                    : admission.ec            ? describe_error(admission.ec)
                                              : "protocol-error"});
    co_return;
  }
  if (auto* goodbye = std::get_if<codec::Goodbye>(&*admission.message)) {
    // Unauthenticated: honour "not now", but never for longer than our own backoff cap.
    if (goodbye->retry_after_ms > options_.max_unauthenticated_retry_after.count()) {
      goodbye->retry_after_ms =
          static_cast<std::uint32_t>(options_.max_unauthenticated_retry_after.count());
    }
    handle(*goodbye);
    co_return;
  }
  if (!std::holds_alternative<codec::Admit>(*admission.message)) {
    fail({.reason = "protocol-error"});
    co_return;
  }
  if (auto prepared = tls::prepare_client_stream(stream_.native_handle(), address.expected_name());
      !prepared) {
    fail({.reason = "tls-setup: " + prepared.error().message});
    co_return;
  }
  auto [hs_ec] = co_await stream_.async_handshake(asio::ssl::stream_base::client, kUseTuple);
  if (phase_ == Phase::closed) co_return;
  if (hs_ec) {
    std::string reason = deadline_reason_;
    if (reason.empty()) {
      reason = tls::handshake_rejection_reason(stream_.native_handle(),
                                               static_cast<unsigned long>(hs_ec.value()));
    }
    if (reason.empty()) reason = "handshake-failed";
    spdlog::warn("event=handshake-failed gateway={} reason={} detail=\"{}\"", address.to_string(),
                 reason, hs_ec.message());
    fail({.reason = reason});
    co_return;
  }

  phase_ = Phase::greeting;
  writer_.push(codec::Hello{.protocol_version = codec::kProtocolVersion,
                            .agent_name = options_.agent_name,
                            .management_group = options_.management_group,
                            .topology_generation = options_.topology_generation});
  asio::co_spawn(
      strand_,
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->write_loop(); },
      asio::detached);
  auto welcome = co_await read_message(stream_, options_.max_frame);
  if (phase_ == Phase::closed) co_return;
  if (welcome.ec || !welcome.protocol_error.empty()) {
    // In TLS 1.3 a gateway that refuses our certificate says so on our first read.
    std::string reason = deadline_reason_;
    if (reason.empty() && welcome.ec) {
      reason = tls::handshake_rejection_reason(stream_.native_handle(),
                                               static_cast<unsigned long>(welcome.ec.value()));
      if (reason.empty()) reason = describe_error(welcome.ec);
    }
    if (reason.empty()) reason = "protocol-error";
    fail({.reason = reason});
    co_return;
  }
  if (auto* goodbye = std::get_if<codec::Goodbye>(&*welcome.message)) {
    handle(*goodbye);  // a busy gateway answers a hello with a goodbye
    co_return;
  }
  auto* greeting = std::get_if<codec::Welcome>(&*welcome.message);
  if (greeting == nullptr) {
    spdlog::warn("event=protocol-error gateway={} detail=\"expected welcome, got {}\"",
                 address.to_string(), codec::to_string(codec::type_of(*welcome.message)));
    fail({.reason = "protocol-error"});
    co_return;
  }
  phase_ = Phase::up;
  deadline_.cancel();
  if (handlers_.on_connected) handlers_.on_connected(*greeting);
  if (phase_ != Phase::up) co_return;  // the owner may close from inside the handler

  asio::co_spawn(
      strand_,
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->heartbeat_loop(); },
      asio::detached);
  co_await read_loop();
}

asio::awaitable<void> GatewaySession::read_loop() {
  while (phase_ == Phase::up) {
    auto outcome = co_await read_message(stream_, options_.max_frame);
    if (phase_ != Phase::up) co_return;
    if (outcome.ec) {
      fail({.reason = describe_error(outcome.ec)});
      co_return;
    }
    if (!outcome.protocol_error.empty()) {
      spdlog::warn("event=protocol-error gateway={} detail=\"{}\"", options_.address.to_string(),
                   outcome.protocol_error);
      fail({.reason = "protocol-error"});
      co_return;
    }
    handle(*outcome.message);
  }
}

void GatewaySession::handle(const codec::Message& message) {
  if (const auto* ack = std::get_if<codec::HeartbeatAck>(&message)) {
    if (ack->sequence <= answered_sequence_ || ack->sequence >= next_sequence_) return;
    answered_sequence_ = ack->sequence;
    const auto rtt_us = monotonic_us() - ack->sent_at_us;
    if (handlers_.on_heartbeat_answered) {
      handlers_.on_heartbeat_answered(std::chrono::microseconds(rtt_us));
    }
    return;
  }
  if (const auto* hb = std::get_if<codec::Heartbeat>(&message)) {
    writer_.push(codec::HeartbeatAck{.sequence = hb->sequence, .sent_at_us = hb->sent_at_us});
    return;
  }
  if (const auto* goodbye = std::get_if<codec::Goodbye>(&message)) {
    std::optional<Millis> retry;
    if (goodbye->retry_after_ms > 0) retry = Millis(goodbye->retry_after_ms);
    spdlog::info("event=goodbye gateway={} reason={} retry_after_ms={}",
                 options_.address.to_string(), goodbye->reason, goodbye->retry_after_ms);
    fail({.reason = goodbye->reason, .goodbye = true, .retry_after = retry});
    return;
  }
  if (const auto* error = std::get_if<codec::ErrorMessage>(&message)) {
    spdlog::warn("event=gateway-error gateway={} code={} message=\"{}\"",
                 options_.address.to_string(), static_cast<int>(error->code), error->message);
    fail({.reason = "gateway-error"});
    return;
  }
  if (handlers_.on_message) handlers_.on_message(message);
}

asio::awaitable<void> GatewaySession::write_loop() {
  auto ec = co_await writer_.run(stream_);
  if (ec && phase_ != Phase::closed) {
    fail({.reason = describe_error(ec)});
    co_return;
  }
  boost::system::error_code ignored;
  stream_.lowest_layer().close(ignored);
  deadline_.cancel();
}

asio::awaitable<void> GatewaySession::heartbeat_loop() {
  // The first heartbeat goes out at once, so a fresh session proves itself within one RTT.
  // Each heartbeat must be answered within answer_deadline, else it is a miss: a gateway that
  // falls silent is then dead `misses` intervals (plus one deadline) after its last answer,
  // instead of up to one interval more if a miss were only noticed when the next one is sent.
  const auto answer_deadline = std::min(options_.heartbeat_answer_deadline,
                                        options_.heartbeat_interval);
  while (phase_ == Phase::up) {
    const auto sequence = next_sequence_++;
    writer_.push(codec::Heartbeat{.sequence = sequence, .sent_at_us = monotonic_us()});
    heartbeat_.expires_after(answer_deadline);
    if (auto [ec] = co_await heartbeat_.async_wait(kUseTuple); ec || phase_ != Phase::up) {
      co_return;
    }
    if (answered_sequence_ < sequence && handlers_.on_heartbeat_missed) {
      handlers_.on_heartbeat_missed();
      if (phase_ != Phase::up) co_return;
    }
    heartbeat_.expires_after(options_.heartbeat_interval - answer_deadline);
    if (auto [ec] = co_await heartbeat_.async_wait(kUseTuple); ec) co_return;
  }
}

void GatewaySession::send(codec::Message message) {
  asio::post(strand_, [self = shared_from_this(), message = std::move(message)]() {
    if (self->phase_ != Phase::up) return;
    if (!self->writer_.push(message)) self->fail({.reason = "send-queue-full"});
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
    self->writer_.push(codec::Goodbye{.reason = reason, .retry_after_ms = 0});
    self->writer_.stop();
    self->deadline_.expires_after(self->options_.handshake_timeout);
    self->deadline_.async_wait([self](auto) {
      boost::system::error_code ignored;
      self->stream_.lowest_layer().close(ignored);
    });
  });
}

void GatewaySession::fail(Ending ending) {
  if (phase_ == Phase::closed) return;
  auto handler = std::move(handlers_.on_closed);
  handlers_ = {};
  shut_down();
  if (handler) handler(ending);
}

void GatewaySession::shut_down() {
  phase_ = Phase::closed;
  deadline_.cancel();
  heartbeat_.cancel();
  writer_.stop();
  boost::system::error_code ignored;
  stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
}

}  // namespace gatelink::link
