#include "agent_session.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <utility>
#include <algorithm>
#include <spdlog/spdlog.h>

#include "tls/certificate_info.hpp"
#include "tls/peer_verification.hpp"
#include "common/escape.hpp"
#include "common/asio_tokens.hpp"

namespace gatelink::gateway {

namespace {

std::string remote_of(const link::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  return ec ? std::string("?") : remote.address().to_string() + ":" + std::to_string(remote.port());
}

}  // namespace

std::shared_ptr<AgentSession> AgentSession::create(link::tcp::socket socket,
                                                   std::shared_ptr<asio::ssl::context> tls,
                                                   const SessionSettings& settings,
                                                   std::shared_ptr<link::BufferBudget> budget,
                                                   Hooks hooks) {
  return std::shared_ptr<AgentSession>(new AgentSession(
      std::move(socket), std::move(tls), settings, std::move(budget), std::move(hooks)));
}

AgentSession::AgentSession(link::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                           const SessionSettings& settings,
                           std::shared_ptr<link::BufferBudget> budget, Hooks hooks)
    : tls_(std::move(tls)),
      executor_(socket.get_executor()),
      peer_(remote_of(socket)),
      stream_(std::move(socket), *tls_),
      settings_(settings),
      budget_(std::move(budget)),
      hooks_(std::move(hooks)),
      writer_(executor_),
      deadline_(executor_) {
  // A rejected certificate's log line names the agent's endpoint.
  tls::set_peer_label(stream_.native_handle(), peer_);
}

void AgentSession::start() {
  asio::co_spawn(
      executor_, [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->run(); },
      [self = shared_from_this()](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("event=session-error peer={} agent={} error={}", self->peer_,
                        escaped(self->agent_name_), escaped(ex.what()));
          self->end(key(Reason::internal_error));
        }
      });
}

void AgentSession::watch(Millis after, Reason reason) {
  // The same deadline helper as the agent's sessions: expiry ends the session with the step's
  // reason; a late completion of an older deadline does nothing.
  deadline_.arm(after, reason, [self = shared_from_this(), reason] { self->end(key(reason)); });
}

asio::awaitable<void> AgentSession::run() {
  boost::system::error_code nodelay_ec;
  stream_.lowest_layer().set_option(link::tcp::no_delay(true), nodelay_ec);
  watch(settings_.handshake_timeout, Reason::handshake_timeout);
  // Plaintext admission first (see docs/PROTOCOL.md "Session"): this gateway takes the agent.
  const auto admit = codec::encode(codec::Admit{});
  auto [admit_ec, admit_n] =
      co_await asio::async_write(stream_.next_layer(), asio::buffer(admit), kUseTuple);
  if (phase_ == Phase::closing) co_return;
  if (admit_ec) {
    end(link::error_key(admit_ec));
    co_return;
  }
  auto [hs_ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (phase_ == Phase::closing) co_return;
  if (hs_ec) {
    std::string reason = tls::handshake_rejection_reason(
        stream_.native_handle(), static_cast<unsigned long>(hs_ec.value()));
    if (reason.empty()) reason = key(Reason::handshake_failed);
    spdlog::warn("event=agent-rejected peer={} reason={} detail={}", peer_, reason,
                 escaped(hs_ec.message()));
    end(reason);
    co_return;
  }

  phase_ = Phase::greeting;
  asio::co_spawn(
      executor_,
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->write_loop(); },
      asio::detached);
  auto hello = co_await read_frame();
  if (phase_ == Phase::closing) co_return;
  if (hello.ec || !hello.protocol_error.empty()) {
    end(hello.ec ? link::error_key(hello.ec) : "protocol-error: " + hello.protocol_error);
    co_return;
  }
  const auto* greeting = std::get_if<codec::Hello>(&*hello.message);
  if (greeting == nullptr || !accept_hello(*greeting)) co_return;

  phase_ = Phase::up;
  admitted();
  // The agent proposed its heartbeats; this gateway holds it to them within its own bounds, and
  // cuts it off after the same silence the agent allows the gateway.
  liveness_ = link::agree(greeting->heartbeat_interval_ms, greeting->heartbeat_misses,
                          settings_.liveness);
  writer_.push(codec::Welcome{
      .protocol_version = codec::kProtocolVersion,
      .gateway_name = settings_.gateway_name,
      .heartbeat_interval_ms = static_cast<std::uint32_t>(liveness_.interval.count()),
      .heartbeat_misses = static_cast<std::uint16_t>(liveness_.misses)});
  if (auto ec = link::apply_to_socket(stream_.next_layer(), liveness_)) {
    spdlog::debug("event=keepalive-not-set agent={} error={}", escaped(agent_name_),
                  escaped(ec.message()));
  }
  known_version_ = {greeting->topology_epoch, greeting->topology_generation};
  spdlog::info(
      "event=agent-connected agent={} peer={} epoch={} generation={} interval_ms={} misses={} "
      "resumed={}",
      escaped(agent_name_), peer_, known_version_.epoch, known_version_.generation,
      liveness_.interval.count(), liveness_.misses,
      SSL_session_reused(stream_.native_handle()) == 1);
  greeted();

  while (phase_ == Phase::up) {
    watch(liveness_.silence_limit(), Reason::idle_timeout);
    auto in = co_await read_frame();
    if (phase_ != Phase::up) co_return;
    if (in.ec) {
      end(link::error_key(in.ec));
      co_return;
    }
    if (!in.protocol_error.empty()) {
      writer_.push(codec::ErrorMessage{.code = codec::ErrorCode::protocol,
                                       .message = in.protocol_error});
      end("protocol-error: " + in.protocol_error);
      co_return;
    }
    handle(*in.message);
  }
}

asio::awaitable<link::ReadOutcome> AgentSession::read_frame() {
  auto in = co_await link::read_message(stream_, settings_.max_frame, budget_.get());
  if (in.ec == link::ReadErrc::over_budget) {
    // Every session's partly received frames together hold the whole budget: this one goes,
    // before the gateway's memory follows what peers announce.
    spdlog::warn("event=agent-dropped peer={} agent={} reason=buffer-budget buffered={} limit={}",
                 peer_, escaped(agent_name_), budget_->used(), budget_->limit());
  }
  co_return in;
}

bool AgentSession::accept_hello(const codec::Hello& hello) {
  if (hello.protocol_version != codec::kProtocolVersion) {
    writer_.push(codec::ErrorMessage{.code = codec::ErrorCode::unsupported_version,
                                     .message = "unsupported protocol version " +
                                                std::to_string(hello.protocol_version)});
    end(key(Reason::unsupported_version));
    return false;
  }
  // The name in the hello must be one the client certificate carries (CN or SAN).
  const auto identities =
      tls::certificate_identities(SSL_get0_peer_certificate(stream_.native_handle()));
  if (!tls::identity_matches(identities, hello.agent_name)) {
    spdlog::warn("event=agent-rejected peer={} agent={} reason=name-mismatch", peer_,
                 escaped(hello.agent_name));
    writer_.push(codec::ErrorMessage{.code = codec::ErrorCode::unauthorized,
                                     .message = "agent name does not match its certificate"});
    end(key(Reason::name_mismatch));
    return false;
  }
  agent_name_ = hello.agent_name;
  return true;
}

void AgentSession::handle(const codec::Message& message) {
  if (const auto* hb = std::get_if<codec::Heartbeat>(&message)) {
    const codec::HeartbeatAck ack{.sequence = hb->sequence, .sent_at_us = hb->sent_at_us};
    if (!writer_.push(ack)) end(key(Reason::send_queue_full));  // the agent sends but does not read
    return;
  }
  if (const auto* goodbye = std::get_if<codec::Goodbye>(&message)) {
    end("agent-goodbye:" + goodbye->reason);
    return;
  }
  if (const auto* ack = std::get_if<codec::TopologyAck>(&message)) {
    topology_acknowledged(*ack);
    return;
  }
  if (std::holds_alternative<codec::HeartbeatAck>(message)) return;
  // Anything else is not for a gateway to receive in this protocol version.
  writer_.push(codec::ErrorMessage{
      .code = codec::ErrorCode::bad_request,
      .message = std::string("unexpected ") +
                 std::string(codec::to_string(codec::type_of(message)))});
  end("protocol-error: unexpected " + std::string(codec::to_string(codec::type_of(message))));
}

asio::awaitable<void> AgentSession::write_loop() {
  auto ec = co_await writer_.run(stream_);
  if (ec && phase_ != Phase::closing) {
    end(link::error_key(ec));
    co_return;
  }
  // Everything queued (a goodbye, an error) is out: now the socket can go.
  boost::system::error_code ignored;
  stream_.lowest_layer().close(ignored);
  deadline_.disarm();
}

void AgentSession::say_goodbye(std::string reason, std::uint32_t retry_after_ms) {
  asio::post(executor_, [self = shared_from_this(), reason = std::move(reason), retry_after_ms] {
    if (self->phase_ == Phase::closing) return;
    if (self->phase_ != Phase::up) {
      self->end(reason);
      return;
    }
    self->writer_.push(codec::Goodbye{.reason = reason, .retry_after_ms = retry_after_ms});
    self->end(reason);
  });
}

void AgentSession::admitted() {
  if (auto callback = std::exchange(hooks_.on_admitted, nullptr)) callback(this);
}

void AgentSession::greeted() {
  if (auto callback = std::exchange(hooks_.on_greeted, nullptr)) callback(this);
}

void AgentSession::end(const std::string& reason) {
  boost::system::error_code ignored;
  if (phase_ == Phase::closing) {
    // Only the drain deadline gets here: the goodbye could not be written in time.
    stream_.lowest_layer().close(ignored);
    return;
  }
  const bool greeted = phase_ == Phase::up;
  const bool writing = phase_ != Phase::handshaking;
  phase_ = Phase::closing;
  if (greeted) {
    spdlog::info("event=agent-disconnected agent={} peer={} reason={}", escaped(agent_name_),
                 peer_, escaped(reason));
  }
  if (writing) {
    // Let the writer flush what is queued (goodbye, error); it closes the socket when done.
    writer_.stop();
    watch(settings_.drain_timeout, Reason::drain_timeout);
  } else {
    deadline_.disarm();
    stream_.lowest_layer().close(ignored);
  }
  admitted();
  hooks_.on_greeted = nullptr;  // a session that ends before its welcome is never greeted
  if (auto callback = std::exchange(hooks_.on_ended, nullptr)) callback(this);
}

}  // namespace gatelink::gateway
