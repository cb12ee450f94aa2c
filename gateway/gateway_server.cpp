#include "gateway_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <utility>

namespace gatelink::gateway {

using WaitingClock = WaitingRoom<link::tcp::socket>::Clock;

GatewayServer::GatewayServer(asio::io_context& io, std::shared_ptr<tls::ReloadingContext> tls,
                             SessionSettings settings, Limits limits, const Store& store)
    : io_(io),
      tls_(std::move(tls)),
      settings_(std::move(settings)),
      limits_(limits),
      handshakes_(limits.max_handshakes, limits.max_handshakes_per_address),
      waiting_(limits.handshake_queue,
               std::max<std::size_t>(
                   1, limits.handshake_queue * handshakes_.per_source() / handshakes_.total()),
               limits.handshake_queue_wait),
      waiting_timer_(io),
      busy_retry_(limits.busy_retry_after_floor, limits.busy_retry_after),
      refusal_log_(limits.refusal_log_period),
      budget_(std::make_shared<link::BufferBudget>(limits.max_buffered_bytes)),
      acceptor_(io),
      accept_backoff_(limits.accept_backoff_first, limits.accept_backoff_cap),
      accept_log_(limits.accept_log_period),
      accept_timer_(io) {
  if (!store.dir.empty()) {
    delivery_ = std::make_unique<TopologyDelivery>(io, store.dir, store.poll_period);
  }
}

Result<link::tcp::endpoint> GatewayServer::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Error{"listen address must be an IP literal: " + host};
  link::tcp::endpoint endpoint(address, port);
  if (acceptor_.open(endpoint.protocol(), ec); ec) return Error{"open: " + ec.message()};
  acceptor_.set_option(link::tcp::acceptor::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); ec) {
    return Error{"bind " + host + ":" + std::to_string(port) + ": " + ec.message()};
  }
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Error{"listen: " + ec.message()};
  }
  return acceptor_.local_endpoint();
}

void GatewayServer::start() {
  accept();
  if (delivery_) delivery_->start();
}

void GatewayServer::accept() {
  // Each agent's socket gets its own strand, so sessions never need locks.
  acceptor_.async_accept(
      asio::make_strand(io_), [this](boost::system::error_code ec, link::tcp::socket socket) {
        if (draining_ || ec == asio::error::operation_aborted) return;
        if (ec) {
          accept_failed(ec);
          return;
        }
        accept_backoff_.succeeded();
        admit(std::move(socket));
        accept();
      });
}

void GatewayServer::accept_failed(const boost::system::error_code& ec) {
  // The connection waits in the listen backlog meanwhile; accepting again at once would fail
  // again at once, as fast as the core allows.
  const auto wait = accept_backoff_.failed();
  if (const auto errors = accept_log_.event(LogThrottle::Clock::now())) {
    spdlog::warn("event=accept-failed error=\"{}\" errors={} retry_in_ms={} agents={}",
                 ec.message(), *errors, wait.count(), sessions_.size());
  }
  accept_timer_.expires_after(wait);
  accept_timer_.async_wait([this](boost::system::error_code timer_ec) {
    if (timer_ec || draining_) return;
    accept();
  });
}

namespace {

SourceKey source_of(const asio::ip::address& address) {
  if (address.is_v4()) return source_key(address.to_v4().to_bytes());
  return source_key(address.to_v6().to_bytes());
}

std::string_view to_string(HandshakeSlots::Verdict verdict) {
  switch (verdict) {
    case HandshakeSlots::Verdict::admitted:
      return "admitted";
    case HandshakeSlots::Verdict::busy_total:
      return "total";
    case HandshakeSlots::Verdict::busy_source:
      return "address";
  }
  return "?";
}

}  // namespace

void GatewayServer::admit(link::tcp::socket socket) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // gone before we got to it: the socket closes here
  const SourceKey source = source_of(peer.address());
  const auto verdict = handshakes_.acquire(source);
  if (verdict == HandshakeSlots::Verdict::busy_total && waiting_.capacity() > 0) {
    // Wait for a slot rather than be sent on to the next gateway within milliseconds.
    auto full = waiting_.enter(std::move(socket), source, WaitingClock::now());
    if (!full) {
      spdlog::debug("event=agent-waiting peer={}:{} handshaking={} waiting={}",
                    peer.address().to_string(), peer.port(), handshakes_.in_use(), waiting_.size());
      serve_waiting();
      return;
    }
    socket = std::move(*full);
  }
  if (verdict != HandshakeSlots::Verdict::admitted) {
    refuse_busy(std::move(socket), verdict, source);
    return;
  }
  start_session(std::move(socket), source);
}

void GatewayServer::start_session(link::tcp::socket socket, const SourceKey& source) {
  auto session = AgentSession::create(std::move(socket), tls_->current(), settings_, budget_,
                                      {.on_admitted =
                                           [this, source](AgentSession*) {
                                             handshakes_.release(source);
                                             busy_retry_.finished(BusyRetry::Clock::now());
                                             if (waiting_.size() > 0) serve_waiting();
                                           },
                                       .on_greeted =
                                           [this](AgentSession* s) {
                                             if (delivery_) delivery_->attach(s);
                                           },
                                       .on_ended = [this](AgentSession* s) { ended(s); }});
  sessions_.emplace(session.get(), session);
  session->start();
}

void GatewayServer::serve_waiting() {
  const auto now = WaitingClock::now();
  for (auto& late : waiting_.expire(now)) {
    refuse_busy(std::move(late.item), HandshakeSlots::Verdict::busy_total, late.source);
  }
  while (waiting_.size() > 0 && handshakes_.in_use() < handshakes_.total() && !draining_) {
    auto next = waiting_.take();
    const auto verdict = handshakes_.acquire(next->source);
    if (verdict != HandshakeSlots::Verdict::admitted) {
      refuse_busy(std::move(next->item), verdict, next->source);
      continue;
    }
    start_session(std::move(next->item), next->source);
  }
  const auto expiry = waiting_.next_expiry();
  if (!expiry) {
    waiting_timer_.cancel();
    return;
  }
  if (waiting_timer_.expiry() == *expiry) return;  // already set for it
  waiting_timer_.expires_at(*expiry);
  waiting_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !draining_) serve_waiting();
  });
}

void GatewayServer::refuse_busy(link::tcp::socket socket, HandshakeSlots::Verdict verdict,
                                const SourceKey& source) {
  // One small plaintext write, no handshake: this is what keeps a mass failover affordable,
  // and what a source beyond its share gets too. An agent behind a NAT that shares the address
  // with many others is told "not now" rather than cut off like a dead gateway.
  // Come back when those ahead are through, at the pace the slots have been freeing up.
  const auto retry_after =
      busy_retry_.retry_after(handshakes_.in_use() + waiting_.size(), BusyRetry::Clock::now());
  auto frame = std::make_shared<codec::Bytes>(codec::encode(codec::Goodbye{
      .reason = "busy", .retry_after_ms = static_cast<std::uint32_t>(retry_after.count())}));
  auto sock = std::make_shared<link::tcp::socket>(std::move(socket));
  // A flood is refused as fast as it connects: one line per period, with the count it stands for.
  if (const auto refused = refusal_log_.event(LogThrottle::Clock::now())) {
    boost::system::error_code ec;
    const auto peer = sock->remote_endpoint(ec);
    spdlog::info(
        "event=agent-refused peer={}:{} reason=busy limit={} handshaking={} "
        "address_handshaking={} waiting={} retry_after_ms={} refused={}",
        peer.address().to_string(), peer.port(), to_string(verdict), handshakes_.in_use(),
        handshakes_.in_use(source), waiting_.size(), retry_after.count(), *refused);
  }
  asio::async_write(*sock, asio::buffer(*frame), [sock, frame](auto, auto) {
    boost::system::error_code ignored;
    sock->shutdown(link::tcp::socket::shutdown_both, ignored);
    sock->close(ignored);
  });
}

void GatewayServer::ended(AgentSession* session) {
  if (delivery_) delivery_->detach(session);
  sessions_.erase(session);
  if (draining_ && sessions_.empty() && on_drained_) std::exchange(on_drained_, nullptr)();
}

void GatewayServer::drain(const std::string& reason, std::function<void()> on_drained) {
  if (draining_) return;
  draining_ = true;
  on_drained_ = std::move(on_drained);
  if (delivery_) delivery_->stop();  // or its timer would keep run() from returning
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_timer_.cancel();
  // Those still waiting never got in: closed, they move on to their next gateway at once.
  waiting_timer_.cancel();
  for (auto& waiting : waiting_.clear()) waiting.item.close(ignored);
  spdlog::info("event=draining agents={} reason={}", sessions_.size(), reason);
  if (sessions_.empty()) {
    asio::post(io_, std::exchange(on_drained_, nullptr));
    return;
  }
  // say_goodbye() posts, so ended() cannot change the table while this loop walks it.
  for (auto& [ptr, session] : sessions_) session->say_goodbye(reason, 0);
}

}  // namespace gatelink::gateway
