#pragma once
// Shared by the resolve tests: the guard that they run inside fixtures/in_private_net.sh, the
// namespace's /etc/hosts, a silent DNS server per test, and lookups started on an io_context
// thread of the test's own so that the test thread can wait on their futures.

#include <gtest/gtest.h>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fixtures/private_net.hpp"
#include "fixtures/silent_dns.hpp"
#include "resolve/resolver.hpp"

namespace gatelink::resolve {
/// gtest shows reasons by their keys (`resolve-timeout`), not as bytes.
inline void PrintTo(ResolveFailure failure, std::ostream* out) { *out << to_string(failure); }
}  // namespace gatelink::resolve

namespace gatelink::testing {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// "127.0.0.1:5723" or "resolve-timeout (no answer within the deadline)", for messages.
std::string describe(const resolve::Resolution& resolution);
/// The addresses of the endpoints, in order, as text.
std::vector<std::string> addresses(const resolve::Endpoints& endpoints);

class ResolveTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  /// Stops and destroys the io_context, with whatever lookups are still pending. Idempotent.
  void shut_down();

  /// Rewrites the namespace's /etc/hosts in place (it is a bind mount: no rename).
  static void write_hosts(std::string_view content);

  /// Starts resolve() on the test's io_context; `cancel`, if given, can cancel it (cancel()).
  std::future<resolve::Resolution> start(std::string host, std::uint16_t port,
                                         std::chrono::milliseconds deadline,
                                         asio::cancellation_signal* cancel = nullptr);
  resolve::Resolution resolve_now(std::string host, std::uint16_t port,
                                  std::chrono::milliseconds deadline) {
    return start(std::move(host), port, deadline).get();
  }
  /// Emits a terminal cancellation on the io_context's thread (signals are not thread-safe).
  void cancel(asio::cancellation_signal& signal);

  std::unique_ptr<SilentDns> dns_;

 private:
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace gatelink::testing
