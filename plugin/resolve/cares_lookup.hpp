#pragma once
// One name lookup on its own c-ares channel, driven by Asio on a strand: the channel's sockets
// are watched through SocketWatch (never owned: c-ares opens and closes them), its
// retry schedule and the caller's deadline run on steady_timers. Finishing destroys the
// channel at once, so nothing can arrive after the outcome has been delivered.

#include <ares.h>  // ares_socket_t: an int on POSIX, a SOCKET on Windows

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "resolve/resolver.hpp"

namespace gatelink::resolve {

class CaresLookup : public std::enable_shared_from_this<CaresLookup> {
 public:
  using Strand = asio::strand<asio::any_io_executor>;
  using Completion = std::function<void(Resolution)>;

  /// Lets a caller end a lookup from any thread without keeping it alive.
  class Handle {
   public:
    Handle(std::weak_ptr<CaresLookup> lookup, Strand strand)
        : lookup_(std::move(lookup)), strand_(std::move(strand)) {}
    /// Ends the lookup with `resolve-cancelled` if it has not finished yet.
    void cancel() const;

   private:
    std::weak_ptr<CaresLookup> lookup_;
    Strand strand_;
  };

  /// Starts looking `host` up (family AF_INET, AF_INET6 or AF_UNSPEC). `done` is called exactly
  /// once, on the lookup's strand, at the latest when `deadline` has passed; never if the
  /// executor's io_context is destroyed first.
  static Handle start(const asio::any_io_executor& executor, std::string host,
                      std::uint16_t port, int family, std::chrono::milliseconds deadline,
                      Completion done);

  CaresLookup(const CaresLookup&) = delete;
  CaresLookup& operator=(const CaresLookup&) = delete;
  ~CaresLookup();

 private:
  struct Watcher;
  enum class State { running, finished };

  CaresLookup(const asio::any_io_executor& executor, std::uint16_t port, Completion done);

  // c-ares callbacks: called from inside ares_* calls made on the strand.
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_result(void* arg, int status, int timeouts, ares_addrinfo* result);

  void begin(const std::string& host, int family);
  void arm(const std::shared_ptr<Watcher>& watcher);
  void on_ready(const std::shared_ptr<Watcher>& watcher, bool readable);
  /// After every call into c-ares: deliver an outcome, or wait for c-ares' next timeout.
  void after_ares();
  void finish(Resolution resolution);
  void destroy_channel();

  Strand strand_;
  std::uint16_t port_;
  Completion done_;
  State state_ = State::running;
  ares_channeldata* channel_ = nullptr;
  std::map<ares_socket_t, std::shared_ptr<Watcher>>
      watchers_;                                      ///< by socket, as c-ares reports them
  std::optional<Resolution> outcome_;                 ///< set inside on_result, delivered after
  asio::steady_timer deadline_;  ///< the caller's deadline
  asio::steady_timer tick_;      ///< c-ares' own retry and server-timeout schedule
};

}  // namespace gatelink::resolve
