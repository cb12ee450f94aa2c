// The local status endpoint on a Windows named pipe (DESIGN "Local status"): `\\.\pipe\NAME`
// (status_pipe_name.hpp), local clients only (PIPE_REJECT_REMOTE_CLIENTS), a security
// descriptor that admits LocalSystem, Administrators, the agent's own account and group
// gatelink (pipe_security.hpp), and every client's token checked as well. The first instance is
// created with FILE_FLAG_FIRST_PIPE_INSTANCE, so a second agent, or a process that took the name
// first, is found out at start instead of sharing the name. Listening instances always wait
// for the next client (kListeningInstances of them, each replaced as soon as a client takes it),
// so a client never finds the pipe busy while the agent hands a connection over. The clients
// are served by StatusSessions, as on the Unix socket.

// Asio first: it includes winsock2.h, which must come before windows.h.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>
// windows.h (through Asio) before sddl.h, which needs its types.
#include <sddl.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "common/asio_tokens.hpp"
#include "common/escape.hpp"
#include "common/win32.hpp"
#include "peer_credentials.hpp"
#include "pipe_security.hpp"
#include "status/status_snapshot.hpp"
#include "status_endpoint.hpp"
#include "status_pipe_name.hpp"
#include "status_protocol.hpp"
#include "status_sessions.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;
using Pipe = asio::windows::stream_handle;
using ErrorCode = boost::system::error_code;
using Sessions = StatusSessions<Pipe>;

/// Instances waiting for a client at any time: while one hands its client over and makes its
/// successor, the other still listens.
constexpr int kListeningInstances = 2;
/// The pipe's buffers (advisory): a request line fits the inbound one, most answers the other.
constexpr DWORD kInBufferBytes = 4096;
constexpr DWORD kOutBufferBytes = 64 * 1024;
/// Pause after a failed instance or connect (out of resources, say) so a loop does not spin.
constexpr std::chrono::milliseconds kListenRetryDelay{100};

using win32::widen;

using win32::LocalFreer;

/// Waits, overlapped, for a client to connect to `pipe`: ConnectNamedPipe through the
/// io_context's completion port. A client that came between CreateNamedPipeW and this call
/// (ERROR_PIPE_CONNECTED) is a success like any other.
template <class Token>
auto async_connect_pipe(Pipe& pipe, Token&& token) {
  return asio::async_initiate<Token, void(ErrorCode)>(
      [&pipe](auto handler) {
        asio::windows::overlapped_ptr overlapped(
            pipe.get_executor(), [handler = std::move(handler)](ErrorCode ec, std::size_t) mutable {
              std::move(handler)(ec);
            });
        const BOOL connected = ::ConnectNamedPipe(pipe.native_handle(), overlapped.get());
        const DWORD error = connected != 0 ? ERROR_SUCCESS : ::GetLastError();
        if (error == ERROR_IO_PENDING) {
          overlapped.release();  // the completion port reports it
        } else if (error == ERROR_SUCCESS || error == ERROR_PIPE_CONNECTED) {
          overlapped.complete(ErrorCode(), 0);
        } else {
          overlapped.complete(
              ErrorCode(static_cast<int>(error), asio::error::get_system_category()), 0);
        }
      },
      token);
}

/// Whether the client may ask; a refusal names its account, SID and pid (escaped).
std::optional<StatusRefusal> admit(Pipe& pipe, const StatusAccessPolicy& policy) {
  Result<PeerCredentials> peer =
      read_pipe_client_credentials(pipe.native_handle(), policy.status_group_sid);
  if (!peer) {
    return StatusRefusal{
        .answer = status_error_line("permission denied: cannot tell who is asking"),
        .log_fields = "reason=no-credentials error=" + escaped(peer.error().message)};
  }
  if (policy.allows(*peer)) return std::nullopt;
  const std::string who = peer->user_name.empty() ? peer->user_sid : peer->user_name;
  return StatusRefusal{
      .answer = status_error_line("permission denied: " + who +
                                  " is not LocalSystem, an elevated administrator, the agent's "
                                  "account or a member of group " +
                                  kStatusGroupName),
      .log_fields = fmt::format(
          "reason=not-allowed user={} sid={} pid={} allowed=\"LocalSystem, Administrators "
          "(elevated), {}, group {}\"",
          escaped(peer->user_name), escaped(peer->user_sid), peer->pid, policy.agent_user_sid,
          policy.status_group_sid ? std::string(kStatusGroupName) : std::string("(none)"))};
}

/// The endpoint's state, shared with its listening loops so that it outlives every pending step.
class PipeEndpoint : public std::enable_shared_from_this<PipeEndpoint> {
 public:
  PipeEndpoint(asio::io_context& io, std::string configured, StatusProvider provider)
      : io_(io),
        configured_(std::move(configured)),
        provider_(std::move(provider)),
        policy_(StatusAccessPolicy::of_this_process()) {}

  /// Makes the security descriptor and the first instance (refusing a name already served).
  Status open() {
    Result<std::string> name = status_pipe_name(configured_);
    if (!name) return name.error();
    name_ = *name;
    wide_name_ = widen(name_);
    Result<std::string> sddl = status_pipe_sddl(policy_.agent_user_sid, policy_.status_group_sid);
    if (!sddl) return Error{"status pipe " + name_ + ": " + sddl.error().message};
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (::ConvertStringSecurityDescriptorToSecurityDescriptorW(
            widen(*sddl).c_str(), SDDL_REVISION_1, &descriptor, nullptr) == 0) {
      return Error{"status pipe " + name_ + ": cannot make its security descriptor " + *sddl +
                   ": " + win32::error_text(::GetLastError())};
    }
    descriptor_.reset(descriptor);
    // Looked at first without connecting (no noise at the other end): a pipe of that name
    // exists when an instance is free or when all are busy. FILE_FLAG_FIRST_PIPE_INSTANCE below
    // closes the race between this look and the create (wine does not enforce the flag; this
    // look it does).
    if (::WaitNamedPipeW(wide_name_.c_str(), 1) != 0 || ::GetLastError() != ERROR_FILE_NOT_FOUND) {
      return Error{"another agent (or another process) already serves the pipe " + name_};
    }
    Result<Pipe> first = create_instance(true);
    if (!first) return first.error();
    first_.emplace(std::move(*first));
    sessions_ = std::make_shared<Sessions>(
        name_, provider_, [policy = policy_](Pipe& pipe) { return admit(pipe, policy); },
        AdmitWhen::after_request);
    state_ = State::serving;
    spdlog::info("status endpoint listening pipe={} group={} max_clients={} request_deadline_ms={}",
                 escaped(name_), policy_.status_group_sid ? kStatusGroupName : "(none)",
                 kMaxStatusClients, kStatusRequestDeadline.count());
    return Ok{};
  }

  void start() {
    for (int i = 0; i < kListeningInstances; ++i) {
      std::optional<Pipe> instance;
      if (i == 0) instance = std::move(first_);
      asio::co_spawn(io_, listen_loop(shared_from_this(), std::move(instance)),
                     log_status_failure("listen"));
    }
    first_.reset();
  }

  void close() {
    if (state_ == State::closed) return;
    const bool was_serving = state_ == State::serving;
    state_ = State::closed;
    ErrorCode ignored;
    if (first_) first_->close(ignored);
    for (Pipe* listening : listening_) listening->close(ignored);  // ends ConnectNamedPipe
    if (sessions_) sessions_->close();
    if (was_serving) spdlog::info("status endpoint closed pipe={}", escaped(name_));
  }

 private:
  enum class State { opening, serving, closed };

  /// One more instance of the pipe, registered with the io_context.
  Result<Pipe> create_instance(bool first) {
    SECURITY_ATTRIBUTES attributes{.nLength = sizeof(SECURITY_ATTRIBUTES),
                                   .lpSecurityDescriptor = descriptor_.get(),
                                   .bInheritHandle = FALSE};
    const DWORD open_mode =
        PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    const DWORD pipe_mode =
        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    HANDLE handle =
        ::CreateNamedPipeW(wide_name_.c_str(), open_mode, pipe_mode, PIPE_UNLIMITED_INSTANCES,
                           kOutBufferBytes, kInBufferBytes, 0, &attributes);
    if (handle == INVALID_HANDLE_VALUE) {
      const DWORD error = ::GetLastError();
      if (first && (error == ERROR_ACCESS_DENIED || error == ERROR_PIPE_BUSY)) {
        return Error{"another agent (or another process) already serves the pipe " + name_};
      }
      return Error{"cannot create the status pipe " + name_ + ": " + win32::error_text(error)};
    }
    Pipe pipe(io_);
    ErrorCode ec;
    pipe.assign(handle, ec);  // on failure the handle is still ours to close
    if (ec) {
      ::CloseHandle(handle);
      return Error{"cannot serve the status pipe " + name_ + ": " + ec.message()};
    }
    return pipe;
  }

  /// Keeps one instance listening: waits for its client, hands the client over, starts again.
  static asio::awaitable<void> listen_loop(std::shared_ptr<PipeEndpoint> self,
                                           std::optional<Pipe> instance) {
    while (self->state_ == State::serving) {
      if (!instance) {
        Result<Pipe> made = self->create_instance(false);
        if (!made) {
          spdlog::warn("status endpoint instance failed pipe={} error={}", escaped(self->name_),
                       escaped(made.error().message));
          co_await self->pause();
          continue;
        }
        instance.emplace(std::move(*made));
      }
      self->listening_.insert(&*instance);
      auto [ec] = co_await async_connect_pipe(*instance, kUseTuple);
      self->listening_.erase(&*instance);
      if (self->state_ != State::serving) co_return;
      if (ec) {
        // ERROR_NO_DATA: the client came and went before the connect completed; no warning.
        if (ec.value() != ERROR_NO_DATA) {
          spdlog::warn("status endpoint connect failed pipe={} error=\"{}\"", escaped(self->name_),
                       ec.message());
          co_await self->pause();
        }
        instance.reset();
        continue;
      }
      self->sessions_->add(std::move(*instance));
      instance.reset();
    }
  }

  asio::awaitable<void> pause() {
    asio::steady_timer timer(io_, kListenRetryDelay);
    co_await timer.async_wait(kUseTuple);
  }

  asio::io_context& io_;
  const std::string configured_;
  const StatusProvider provider_;
  const StatusAccessPolicy policy_;
  std::string name_;
  std::wstring wide_name_;
  std::unique_ptr<void, LocalFreer> descriptor_;
  std::optional<Pipe> first_;  ///< made by open(), listened on by start()
  std::set<Pipe*> listening_;  ///< instances waiting for a client (closed by close())
  std::shared_ptr<Sessions> sessions_;
  State state_ = State::opening;
};

}  // namespace

EndpointPlaceCheck check_status_endpoint_place(const std::string& path) {
  EndpointPlaceCheck check;
  Result<std::string> name = status_pipe_name(path);
  if (!name) {
    check.problems.push_back(name.error().message);
  } else {
    check.notes.push_back("status pipe " + *name +
                          ": LocalSystem, Administrators and group gatelink may ask");
  }
  return check;
}

Result<std::unique_ptr<StatusEndpoint>> open_status_endpoint(boost::asio::io_context& io,
                                                             const std::string& path,
                                                             StatusProvider provider) {
  auto endpoint = std::make_shared<PipeEndpoint>(io, path, std::move(provider));
  if (Status opened = endpoint->open(); !opened) return opened.error();
  endpoint->start();
  return std::unique_ptr<StatusEndpoint>(std::make_unique<StatusEndpointHandle<PipeEndpoint>>(endpoint));
}

}  // namespace gatelink
