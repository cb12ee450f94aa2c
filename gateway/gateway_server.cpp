#include "gateway_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <utility>
#include <spdlog/spdlog.h>

namespace gatelink::gateway {

GatewayServer::GatewayServer(asio::io_context& io, std::shared_ptr<tls::ReloadingContext> tls,
                             SessionSettings settings, Limits limits, const Store& store)
    : io_(io),
      tls_(std::move(tls)),
      settings_(std::move(settings)),
      limits_(limits),
      budget_(std::make_shared<link::BufferBudget>(limits.max_buffered_bytes)),
      acceptor_(io) {
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
  acceptor_.async_accept(asio::make_strand(io_), [this](boost::system::error_code ec,
                                                        link::tcp::socket socket) {
    if (draining_) return;
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        spdlog::warn("event=accept-failed error=\"{}\"", ec.message());
        accept();
      }
      return;
    }
    if (handshaking_ >= limits_.max_handshakes) {
      refuse_busy(std::move(socket));
      accept();
      return;
    }
    ++handshaking_;
    auto session = AgentSession::create(
        std::move(socket), tls_->current(), settings_, budget_,
        {.on_admitted = [this](AgentSession*) { --handshaking_; },
         .on_greeted =
             [this](AgentSession* s) {
               if (delivery_) delivery_->attach(s);
             },
         .on_ended = [this](AgentSession* s) { ended(s); }});
    sessions_.emplace(session.get(), session);
    session->start();
    accept();
  });
}

void GatewayServer::refuse_busy(link::tcp::socket socket) {
  // One small plaintext write, no handshake: this is what keeps a mass failover affordable.
  auto frame = std::make_shared<codec::Bytes>(codec::encode(codec::Goodbye{
      .reason = "busy",
      .retry_after_ms = static_cast<std::uint32_t>(limits_.busy_retry_after.count())}));
  auto sock = std::make_shared<link::tcp::socket>(std::move(socket));
  boost::system::error_code ec;
  const auto peer = sock->remote_endpoint(ec);
  spdlog::info("event=agent-refused peer={}:{} reason=busy handshaking={} retry_after_ms={}",
               peer.address().to_string(), peer.port(), handshaking_,
               limits_.busy_retry_after.count());
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
  spdlog::info("event=draining agents={} reason={}", sessions_.size(), reason);
  if (sessions_.empty()) {
    asio::post(io_, std::exchange(on_drained_, nullptr));
    return;
  }
  // say_goodbye() posts, so ended() cannot change the table while this loop walks it.
  for (auto& [ptr, session] : sessions_) session->say_goodbye(reason, 0);
}

}  // namespace gatelink::gateway
