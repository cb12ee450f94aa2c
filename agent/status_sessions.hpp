#pragma once
// The clients of a local status endpoint, whatever carries them (a Unix socket, a Windows named
// pipe): each is read as soon as it is accepted, has its deadlines, gets its answer
// (status_protocol.hpp) and is closed; their number is bounded by dropping the oldest one that
// has not asked yet. The platform's endpoint accepts connections, says who may ask (`Admit`)
// and hands every accepted stream to add(). Asio inside: include it only in endpoint files.

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/asio_tokens.hpp"
#include "status/status_snapshot.hpp"
#include "status_endpoint.hpp"
#include "status_protocol.hpp"
#include "status_request.hpp"

namespace gatelink {

/// Why a client may not ask: the line it gets, and the fields of the log line about it.
struct StatusRefusal {
  std::string answer;      ///< an error line (status_error_line)
  std::string log_fields;  ///< `reason=... uid=...`: logged after `event=status-client-refused`
};

/// When the endpoint asks who is at the other end.
enum class AdmitWhen {
  on_connect,    ///< at once (SO_PEERCRED holds the credentials of connect() itself)
  after_request  ///< once the request has been read (a named pipe's client can be impersonated
                 ///< only after data has been read from it: ERROR_CANNOT_IMPERSONATE)
};

/// Logs an exception that no caller can handle: a bug, never an expected I/O outcome.
inline void log_status_unexpected(const char* where, const std::exception& e) noexcept {
  try {
    spdlog::error("status endpoint {} failed error=\"{}\"", where, e.what());
  } catch (...) {  // logging itself failed: there is nowhere left to report it
  }
}

/// Completion of a coroutine: logs what escaped it.
inline auto log_status_failure(const char* loop) {
  return [loop](const std::exception_ptr& failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      log_status_unexpected(loop, e);
    }
  };
}

/// Serves the clients of one endpoint. `Stream` is an Asio stream (a local socket, a Windows
/// stream_handle). Owned through a shared_ptr: every client's coroutine keeps it alive.
template <class Stream>
class StatusSessions : public std::enable_shared_from_this<StatusSessions<Stream>> {
 public:
  /// nullopt: the peer may ask; else its refusal. Called once per client, on the io thread.
  using Admit = std::function<std::optional<StatusRefusal>(Stream&)>;

  /// `where` names the endpoint in log lines (its path or pipe name).
  StatusSessions(std::string where, StatusProvider provider, Admit admit, AdmitWhen when)
      : where_(std::move(where)),
        provider_(std::move(provider)),
        admit_(std::move(admit)),
        admit_when_(when) {}

  /// Serves one accepted client; at the limit an older client is dropped for it first.
  void add(Stream accepted) {
    if (closed_) return;
    make_room();
    auto client = std::make_shared<Client>(std::move(accepted));
    client->place = clients_.insert(clients_.end(), client);
    auto executor = client->stream.get_executor();
    boost::asio::co_spawn(executor, serve(this->shared_from_this(), std::move(client)),
                          log_status_failure("client"));
  }

  /// Drops every client being served and serves no more; idempotent.
  void close() {
    closed_ = true;
    for (const std::shared_ptr<Client>& client : clients_) {
      client->drop(StatusDrop::closing);
      client->deadline.cancel();
    }
  }

 private:
  using ErrorCode = boost::system::error_code;

  /// One connected client: its stream, the deadline that drops it, and its place in the queue
  /// of clients (oldest first).
  struct Client {
    explicit Client(Stream accepted)
        : stream(std::move(accepted)), deadline(stream.get_executor()) {}
    Stream stream;
    boost::asio::steady_timer deadline;
    bool asked = false;  ///< has sent its request (a line, too much, or the end)
    StatusDrop dropped = StatusDrop::none;
    typename std::list<std::shared_ptr<Client>>::iterator place;  ///< in clients_

    /// Closes the stream (pending steps end with an error) and says why.
    void drop(StatusDrop why) {
      if (dropped == StatusDrop::none) dropped = why;
      ErrorCode ignored;
      stream.close(ignored);
    }
  };

  /// Takes the client out of the list when serve() ends, however it ends.
  class Entry {
   public:
    Entry(StatusSessions& sessions, std::shared_ptr<Client> client)
        : sessions_(sessions), client_(std::move(client)) {}
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    ~Entry() { sessions_.clients_.erase(client_->place); }

   private:
    StatusSessions& sessions_;
    std::shared_ptr<Client> client_;
  };

  /// Makes room for one more client at the limit: drops the oldest one that has not asked yet,
  /// else the oldest one. Its serve() ends on its own and frees its entry.
  void make_room() {
    std::size_t live = 0;
    Client* oldest_idle = nullptr;
    Client* oldest = nullptr;
    for (const std::shared_ptr<Client>& client : clients_) {
      if (client->dropped != StatusDrop::none) continue;
      ++live;
      if (oldest == nullptr) oldest = client.get();
      if (oldest_idle == nullptr && !client->asked) oldest_idle = client.get();
    }
    if (live < kMaxStatusClients || oldest == nullptr) return;
    (oldest_idle != nullptr ? oldest_idle : oldest)->drop(StatusDrop::displaced);
    ++displaced_;
  }

  /// (Re)arms the client's deadline: at `timeout` from now its stream is closed.
  static void arm(const std::shared_ptr<Client>& client, std::chrono::milliseconds timeout,
                  StatusDrop why) {
    client->deadline.expires_after(timeout);
    client->deadline.async_wait([weak = std::weak_ptr<Client>(client), why](const ErrorCode& ec) {
      if (ec) return;  // re-armed, cancelled or the endpoint closed
      if (const std::shared_ptr<Client> late = weak.lock()) late->drop(why);
    });
  }

  /// nullopt when the peer may ask; else its refusal line (logged, rate-limited).
  std::optional<std::string> refusal_of(Stream& stream) {
    std::optional<StatusRefusal> refusal = admit_(stream);
    if (!refusal) return std::nullopt;
    if (std::uint64_t suppressed = 0; rejections_.should_log(suppressed)) {
      spdlog::warn("event=status-client-refused {} suppressed={}", refusal->log_fields, suppressed);
    }
    return std::move(refusal->answer);
  }

  static boost::asio::awaitable<void> serve(std::shared_ptr<StatusSessions> self,
                                            std::shared_ptr<Client> client) {
    namespace asio = boost::asio;
    const Entry entry(*self, client);
    arm(client, kStatusRequestDeadline, StatusDrop::request_deadline);

    // Who it is counts from the connect where the platform can tell; the answer waits for the
    // request line all the same, so that a refused client reads its refusal instead of a broken
    // pipe.
    std::optional<std::string> refusal;
    if (self->admit_when_ == AdmitWhen::on_connect) refusal = self->refusal_of(client->stream);
    std::string request;
    auto [read_ec, line_end] =
        co_await async_read_status_request(client->stream, request, kUseTuple);
    if (self->closed_) co_return;
    client->asked = true;
    if (client->dropped != StatusDrop::none) {
      self->log_dropped(*client, request.size());
      co_return;
    }
    arm(client, kStatusClientDeadline - kStatusRequestDeadline, StatusDrop::answer_deadline);
    const RequestRead read = classify_request_read(read_ec);
    if (self->admit_when_ == AdmitWhen::after_request &&
        !(read == RequestRead::ended && request.empty())) {
      refusal = self->refusal_of(client->stream);
    }
    const Reply reply = decide_reply(read, request, line_end, !refusal);
    std::string answer;
    switch (reply.kind) {
      case ReplyKind::leave:
        if (read == RequestRead::failed) {
          spdlog::debug("status request read failed error=\"{}\"", read_ec.message());
        } else {
          spdlog::debug("status client left without a request path={}", self->where_);
        }
        co_return;
      case ReplyKind::refuse:
        answer = std::move(*refusal);
        break;
      case ReplyKind::status:
        answer = self->status_line();
        break;
      case ReplyKind::rejected:
        if (std::uint64_t suppressed = 0; self->rejections_.should_log(suppressed)) {
          spdlog::warn("status request rejected reason=\"{}\" bytes={} request={} suppressed={}",
                       reply.reason, request.size(), loggable_request(request), suppressed);
        }
        answer = status_error_line(reply.reason);
        break;
    }

    auto [write_ec, written] =
        co_await asio::async_write(client->stream, asio::buffer(answer), kUseTuple);
    std::uint64_t suppressed = 0;
    if (write_ec && client->dropped != StatusDrop::none && client->dropped != StatusDrop::closing) {
      if (self->rejections_.should_log(suppressed)) {
        spdlog::warn("status answer dropped reason={} bytes_sent={} of={} suppressed={}",
                     to_string(client->dropped), written, answer.size(), suppressed);
      }
    } else if (write_ec && !self->closed_) {
      spdlog::debug("status answer not delivered bytes_sent={} of={} error=\"{}\"", written,
                    answer.size(), write_ec.message());
    }
    finish(client->stream);
    client->deadline.cancel();
  }

  /// Ends the exchange. A socket is shut down first, so the client sees the end at once; a pipe
  /// has no shutdown, and closing the server's handle leaves the answer readable (where
  /// DisconnectNamedPipe would discard what the client has not read yet).
  static void finish(Stream& stream) {
    ErrorCode ignored;
    if constexpr (requires { stream.shutdown(Stream::shutdown_both, ignored); }) {
      stream.shutdown(Stream::shutdown_both, ignored);
    }
    stream.close(ignored);
  }

  /// A client dropped before its request was complete: at its deadline (logged), or for a
  /// newcomer at the limit (counted, logged at debug: a flood must not flood the log).
  void log_dropped(const Client& client, std::size_t bytes) {
    if (client.dropped == StatusDrop::displaced) {
      spdlog::debug("status client dropped reason=displaced limit={} displaced_total={}",
                    kMaxStatusClients, displaced_);
    } else if (std::uint64_t suppressed = 0; client.dropped == StatusDrop::request_deadline &&
                                             rejections_.should_log(suppressed)) {
      spdlog::warn("status request rejected reason=timeout deadline_ms={} bytes={} suppressed={}",
                   kStatusRequestDeadline.count(), bytes, suppressed);
    }
  }

  /// The provider's document as one line, or an error line when it breaks the bound.
  std::string status_line() {
    std::string document = provider_();
    if (document.size() + 1 > kMaxStatusResponse) {
      spdlog::error("status document too large bytes={} limit={}", document.size(),
                    kMaxStatusResponse);
      return status_error_line("status document too large");
    }
    document.push_back('\n');
    return document;
  }

  const std::string where_;
  const StatusProvider provider_;
  const Admit admit_;
  const AdmitWhen admit_when_;
  std::list<std::shared_ptr<Client>> clients_;  ///< oldest first
  std::uint64_t displaced_ = 0;                 ///< clients dropped for a newcomer, ever
  RejectionLog rejections_;
  bool closed_ = false;
};

/// The handle the agent holds on a platform's endpoint (a Unix socket's, a named pipe's):
/// closing or dropping it ends the endpoint.
template <class Endpoint>
class StatusEndpointHandle final : public StatusEndpoint {
 public:
  explicit StatusEndpointHandle(std::shared_ptr<Endpoint> endpoint)
      : endpoint_(std::move(endpoint)) {}
  StatusEndpointHandle(const StatusEndpointHandle&) = delete;
  StatusEndpointHandle& operator=(const StatusEndpointHandle&) = delete;
  ~StatusEndpointHandle() override {
    try {
      endpoint_->close();
    } catch (const std::exception& e) {
      log_status_unexpected("close", e);
    }
  }

  void close() override { endpoint_->close(); }

 private:
  std::shared_ptr<Endpoint> endpoint_;
};

}  // namespace gatelink
