#include "gateway_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <utility>
#include <spdlog/spdlog.h>

namespace gatelink::gateway {

GatewayServer::GatewayServer(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                             SessionSettings settings)
    : io_(io), tls_(std::move(tls)), settings_(std::move(settings)), acceptor_(io) {}

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

void GatewayServer::start() { accept(); }

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
    auto session = AgentSession::create(std::move(socket), *tls_, settings_,
                                        [this](AgentSession* s) { ended(s); });
    sessions_.emplace(session.get(), session);
    session->start();
    accept();
  });
}

void GatewayServer::ended(AgentSession* session) {
  sessions_.erase(session);
  if (draining_ && sessions_.empty() && on_drained_) std::exchange(on_drained_, nullptr)();
}

void GatewayServer::drain(const std::string& reason, std::function<void()> on_drained) {
  if (draining_) return;
  draining_ = true;
  on_drained_ = std::move(on_drained);
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
