#include "unit/resolve_test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

namespace gatelink::testing {

std::string describe(const resolve::Resolution& resolution) {
  if (!resolution) {
    return std::string(resolve::to_string(resolution.error().reason)) + " (" +
           resolution.error().detail + ")";
  }
  std::string text;
  for (const auto& endpoint : *resolution) {
    if (!text.empty()) text += ", ";
    text += endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }
  return text;
}

std::vector<std::string> addresses(const resolve::Endpoints& endpoints) {
  std::vector<std::string> out;
  for (const auto& endpoint : endpoints) out.push_back(endpoint.address().to_string());
  return out;
}

void ResolveTest::SetUp() {
  const auto problem = private_net_problem();
  ASSERT_TRUE(problem.empty()) << problem;
  write_hosts(kLocalhostOnlyHosts);
  dns_ = std::make_unique<SilentDns>();
  io_ = std::make_unique<asio::io_context>();
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      io_->get_executor());
  thread_ = std::thread([this] { io_->run(); });
}

void ResolveTest::TearDown() { shut_down(); }

void ResolveTest::shut_down() {
  work_.reset();
  if (thread_.joinable()) {
    io_->stop();
    thread_.join();
  }
  // Lookups still pending are destroyed with it, as in an agent shutting down.
  io_.reset();
}

void ResolveTest::write_hosts(std::string_view content) {
  const auto problem = rewrite_hosts(content);
  ASSERT_TRUE(problem.empty()) << problem;
}

std::future<resolve::Resolution> ResolveTest::start(std::string host, std::uint16_t port,
                                                    std::chrono::milliseconds deadline,
                                                    asio::cancellation_signal* cancel) {
  auto lookup = resolve::resolve(std::move(host), port, deadline);
  if (cancel == nullptr) return asio::co_spawn(*io_, std::move(lookup), asio::use_future);
  return asio::co_spawn(*io_, std::move(lookup),
                        asio::bind_cancellation_slot(cancel->slot(), asio::use_future));
}

void ResolveTest::cancel(asio::cancellation_signal& signal) {
  std::promise<void> emitted;
  asio::post(*io_, [&] {
    signal.emit(asio::cancellation_type::terminal);
    emitted.set_value();
  });
  emitted.get_future().wait();
}

}  // namespace gatelink::testing
