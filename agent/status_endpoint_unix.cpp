// The local status endpoint on a Unix socket (DESIGN "Local status"): mode 0660, group gatelink,
// in a folder nobody else may write to; the peer's credentials checked on every connection; one
// request line per connection, bounded in size and time. Every client is read as soon as it is
// accepted, so a slow or silent one never holds up another; their number is bounded by dropping
// the oldest one that has not asked yet.

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/escape.hpp"
#include "peer_credentials.hpp"
#include "status/status_snapshot.hpp"
#include "status_endpoint.hpp"
#include "store/durable_file.hpp"
#include "store/folder_safety.hpp"
#include "common/asio_tokens.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;
using LocalStream = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;

/// Root and the gatelink group may ask; the group's members are the on-site staff.
constexpr mode_t kSocketMode = 0660;
/// A folder the endpoint creates itself (`/run/gatelink`): the same people, plus traversal.
constexpr mode_t kFolderMode = 0750;
/// Pause after a failed accept (out of descriptors, say) so the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
/// How much of a rejected request goes into the log.
constexpr std::size_t kLoggedRequestBytes = 64;
/// Rejected clients logged per window at most; the others are counted into the next line logged,
/// so that no local client can fill the disk with the agent's log.
constexpr std::uint64_t kLoggedRejectionsPerWindow = 20;
constexpr std::chrono::seconds kRejectionLogWindow{10};

/// Decides which rejections are logged (kLoggedRejectionsPerWindow per kRejectionLogWindow).
class RejectionLog {
 public:
  /// Whether to log this rejection; if so, `suppressed` is how many went unlogged before it.
  bool should_log(std::uint64_t& suppressed) {
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= kRejectionLogWindow) {
      window_start_ = now;
      logged_ = 0;
    }
    if (logged_ >= kLoggedRejectionsPerWindow) {
      ++suppressed_;
      return false;
    }
    ++logged_;
    suppressed = std::exchange(suppressed_, 0);
    return true;
  }

 private:
  std::chrono::steady_clock::time_point window_start_{};
  std::uint64_t logged_ = 0;
  std::uint64_t suppressed_ = 0;
};

/// One JSON line `{"error": reason}`.
std::string error_line(const std::string& reason) {
  nlohmann::json answer = nlohmann::json::object();
  answer["error"] = reason;
  return answer.dump() + "\n";
}

/// The request as JSON string literal: quoted, escaped, cut; safe to put in one log line.
std::string loggable(std::string_view request) {
  const std::string cut(request.substr(0, kLoggedRequestBytes));
  return nlohmann::json(cut).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Error os_error(const std::string& what, const std::string& path, int error_number) {
  return Error{what + " " + path + ": " + std::generic_category().message(error_number)};
}

/// Hands `path` to the gatelink group where it exists; a failure leaves it root's only.
void give_to_status_group(const std::string& path, std::optional<gid_t> gid) {
  if (!gid) return;
  if (::chown(path.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
    spdlog::warn("status endpoint not shared with group path={} group={} error=\"{}\"", path,
                 kStatusGroupName, std::generic_category().message(errno));
  }
}

/// Creates the socket's folder when missing (0750, group gatelink), and refuses one that others
/// may write to: there anyone could bind the path first, or replace the socket.
Status ensure_folder(const std::filesystem::path& folder, std::optional<gid_t> gid) {
  namespace fs = std::filesystem;
  const fs::path where = folder.empty() ? fs::path(".") : folder;
  std::error_code ec;
  if (!fs::is_directory(where, ec)) {
    if (Status made = create_folder(where.string(), kFolderMode); !made) return made;
    give_to_status_group(where.string(), gid);
  }
  if (Status safe = check_folder_safety(where.string()); !safe) {
    return Error{"status socket folder " + where.string() + ": " + safe.error().message};
  }
  return Ok{};
}

/// What is found at the path where the endpoint is to be bound.
enum class PathUse { free, stale, live, foreign };

/// Looks at `path` without disturbing whoever serves there: a non-blocking connect answers at
/// once (accepted or queued: live; refused: a socket nobody listens on, left by a crash).
Result<PathUse> probe_path(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return PathUse::free;
    return os_error("cannot inspect", path, errno);
  }
  if (!S_ISSOCK(info.st_mode)) return PathUse::foreign;

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return os_error("cannot probe", path, errno);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  const int error_number = rc == 0 ? 0 : errno;
  ::close(fd);
  switch (error_number) {
    case 0:
    case EAGAIN:  // listen queue full: someone is there, just busy
    case EINPROGRESS:
      return PathUse::live;
    case ECONNREFUSED:
      return PathUse::stale;
    case ENOENT:  // removed since lstat
      return PathUse::free;
    default:
      return os_error("cannot probe", path, error_number);
  }
}

/// Logs an exception that no caller can handle: a bug, never an expected I/O outcome.
void log_unexpected(const char* where, const std::exception& e) noexcept {
  try {
    spdlog::error("status endpoint {} failed error=\"{}\"", where, e.what());
  } catch (...) {  // logging itself failed: there is nowhere left to report it
  }
}

/// Completion of a coroutine: logs what escaped it.
auto log_failure(const char* loop) {
  return [loop](const std::exception_ptr& failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      log_unexpected(loop, e);
    }
  };
}

/// Why the endpoint let a client go before answering it.
enum class Drop { none, request_deadline, answer_deadline, displaced, closing };

/// One connected client: its socket, the deadline that drops it, and its place in the queue of
/// clients (oldest first).
struct Client {
  explicit Client(LocalStream::socket accepted)
      : socket(std::move(accepted)), deadline(socket.get_executor()) {}
  LocalStream::socket socket;
  asio::steady_timer deadline;
  bool asked = false;  ///< has sent its request (a line, too much, or the end)
  Drop dropped = Drop::none;
  std::list<std::shared_ptr<Client>>::iterator place;  ///< in UnixEndpoint::clients_

  /// Closes the socket (pending steps end with an error) and says why.
  void drop(Drop why) {
    if (dropped == Drop::none) dropped = why;
    ErrorCode ignored;
    socket.close(ignored);
  }
};

/// The endpoint's state, shared with its coroutines so that it outlives every pending step.
class UnixEndpoint : public std::enable_shared_from_this<UnixEndpoint> {
 public:
  UnixEndpoint(asio::io_context& io, std::string path, StatusProvider provider)
      : path_(std::move(path)),
        provider_(std::move(provider)),
        policy_(StatusAccessPolicy::of_this_process()),
        acceptor_(io) {}

  /// Takes the path over (refusing a live one), binds, listens and sets owner and mode.
  Status open() {
    constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
    if (path_.empty()) return Error{"status socket path is empty"};
    if (path_.size() > kMaxPath) {
      return Error{"status socket path " + path_ + " is longer than " + std::to_string(kMaxPath) +
                   " bytes"};
    }
    const std::filesystem::path folder = std::filesystem::path(path_).parent_path();
    if (Status safe = ensure_folder(folder, policy_.status_group); !safe) return safe;
    Result<PathUse> use = probe_path(path_);
    if (!use) return use.error();
    switch (*use) {
      case PathUse::live:
        return Error{"another agent already answers on " + path_};
      case PathUse::foreign:
        return Error{path_ + " exists and is not a socket; not replacing it"};
      case PathUse::stale:
        if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
          return os_error("cannot remove stale socket", path_, errno);
        }
        spdlog::info("removed stale status socket path={}", path_);
        break;
      case PathUse::free:
        break;
    }

    ErrorCode ec;
    acceptor_.open(LocalStream(), ec);
    if (!ec) acceptor_.bind(LocalStream::endpoint(path_), ec);
    if (ec) return Error{"cannot bind status socket " + path_ + ": " + ec.message()};
    // From bind on the file is ours: remove it again on any later failure.
    struct stat info {};
    if (::stat(path_.c_str(), &info) != 0) return fail_after_bind("cannot inspect", errno);
    bound_ = FileId{info.st_dev, info.st_ino};
    // bind created the file under the umask; the folder (0750) keeps others out until chmod.
    if (::chmod(path_.c_str(), kSocketMode) != 0) return fail_after_bind("cannot chmod", errno);
    give_to_status_group(path_, policy_.status_group);
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail_after_bind("cannot listen on", ec.value());
    state_ = State::serving;
    spdlog::info("status endpoint listening path={} max_clients={} request_deadline_ms={}", path_,
                 kMaxStatusClients, kStatusRequestDeadline.count());
    return Ok{};
  }

  void start() {
    asio::co_spawn(acceptor_.get_executor(), accept_loop(shared_from_this()),
                   log_failure("accept"));
  }

  void close() {
    if (state_ == State::closed) return;
    const bool was_serving = state_ == State::serving;
    state_ = State::closed;
    ErrorCode ignored;
    acceptor_.close(ignored);
    for (const std::shared_ptr<Client>& client : clients_) {
      client->drop(Drop::closing);
      client->deadline.cancel();
    }
    remove_socket_file();
    if (was_serving) spdlog::info("status endpoint closed path={}", path_);
  }

 private:
  enum class State { opening, serving, closed };
  struct FileId {
    dev_t device;
    ino_t inode;
  };

  Status fail_after_bind(const std::string& what, int error_number) {
    Error error = os_error(what, path_, error_number);
    close();
    return error;
  }

  /// Removes the socket file, unless it is no longer the one this endpoint bound (an operator
  /// or a second agent replaced it): never pull the endpoint out from under someone else.
  void remove_socket_file() {
    if (!bound_) return;
    struct stat info {};
    if (::lstat(path_.c_str(), &info) == 0 && info.st_dev == bound_->device &&
        info.st_ino == bound_->inode) {
      ::unlink(path_.c_str());
    }
    bound_.reset();
  }

  /// Makes room for one more client at the limit: drops the oldest one that has not asked yet,
  /// else the oldest one. Its serve() ends on its own and frees its entry.
  void make_room() {
    std::size_t live = 0;
    Client* oldest_idle = nullptr;
    Client* oldest = nullptr;
    for (const std::shared_ptr<Client>& client : clients_) {
      if (client->dropped != Drop::none) continue;
      ++live;
      if (oldest == nullptr) oldest = client.get();
      if (oldest_idle == nullptr && !client->asked) oldest_idle = client.get();
    }
    if (live < kMaxStatusClients || oldest == nullptr) return;
    (oldest_idle != nullptr ? oldest_idle : oldest)->drop(Drop::displaced);
    ++displaced_;
  }

  /// (Re)arms the client's deadline: at `timeout` from now its socket is closed.
  static void arm(const std::shared_ptr<Client>& client, std::chrono::milliseconds timeout,
                  Drop why) {
    client->deadline.expires_after(timeout);
    client->deadline.async_wait([weak = std::weak_ptr<Client>(client), why](const ErrorCode& ec) {
      if (ec) return;  // re-armed, cancelled or the endpoint closed
      if (const std::shared_ptr<Client> late = weak.lock()) late->drop(why);
    });
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<UnixEndpoint> self) {
    while (self->state_ == State::serving) {
      auto [ec, socket] = co_await self->acceptor_.async_accept(kUseTuple);
      if (self->state_ != State::serving) co_return;
      if (ec) {
        spdlog::warn("status endpoint accept failed path={} error=\"{}\"", self->path_,
                     ec.message());
        asio::steady_timer pause(self->acceptor_.get_executor(), kAcceptRetryDelay);
        co_await pause.async_wait(kUseTuple);
        continue;
      }
      self->make_room();
      auto client = std::make_shared<Client>(std::move(socket));
      client->place = self->clients_.insert(self->clients_.end(), client);
      asio::co_spawn(self->acceptor_.get_executor(), serve(self, std::move(client)),
                     log_failure("client"));
    }
  }

  /// Takes the client out of the endpoint's list when serve() ends, however it ends.
  class Entry {
   public:
    Entry(UnixEndpoint& endpoint, std::shared_ptr<Client> client)
        : endpoint_(endpoint), client_(std::move(client)) {}
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    ~Entry() { endpoint_.clients_.erase(client_->place); }

   private:
    UnixEndpoint& endpoint_;
    std::shared_ptr<Client> client_;
  };

  /// Whether the peer may ask; a refused one is logged (uid, pid, user name escaped) and gets
  /// the error line in `refusal`.
  bool admit(LocalStream::socket& socket, std::string& refusal) {
    Result<PeerCredentials> peer = read_peer_credentials(socket.native_handle(), true);
    std::uint64_t suppressed = 0;
    if (!peer) {
      if (rejections_.should_log(suppressed)) {
        spdlog::warn("event=status-client-refused reason=no-credentials error={} suppressed={}",
                     escaped(peer.error().message), suppressed);
      }
      refusal = error_line("permission denied: cannot tell who is asking");
      return false;
    }
    if (policy_.allows(*peer)) return true;
    if (rejections_.should_log(suppressed)) {
      spdlog::warn(
          "event=status-client-refused reason=not-allowed uid={} user={} pid={} gid={} "
          "allowed=\"root, uid {}, group {}\" suppressed={}",
          peer->uid, escaped(user_name(peer->uid)), peer->pid, peer->gid, policy_.agent_user,
          policy_.status_group ? std::string(kStatusGroupName) : std::string("(none)"), suppressed);
    }
    refusal = error_line("permission denied: uid " + std::to_string(peer->uid) +
                         " is not root, the agent's user or a member of group " + kStatusGroupName);
    return false;
  }

  static asio::awaitable<void> serve(std::shared_ptr<UnixEndpoint> self,
                                     std::shared_ptr<Client> client) {
    const Entry entry(*self, client);
    arm(client, kStatusRequestDeadline, Drop::request_deadline);

    // Who it is counts from the connect; the answer waits for the request line all the same,
    // so that a refused client reads its refusal instead of a broken pipe.
    std::string refusal;
    const bool admitted = self->admit(client->socket, refusal);
    std::string request;
    auto [read_ec, line_end] = co_await asio::async_read_until(
        client->socket, asio::dynamic_buffer(request, kMaxStatusRequest), '\n', kUseTuple);
    if (self->state_ == State::closed) co_return;
    client->asked = true;
    if (client->dropped != Drop::none) {
      self->log_dropped(*client, request.size());
      co_return;
    }
    arm(client, kStatusClientDeadline - kStatusRequestDeadline, Drop::answer_deadline);
    std::string answer;
    if (read_ec == asio::error::eof && request.empty()) {
      // Connected and left without asking: a probe such as a second agent's start-up check.
      spdlog::debug("status client left without a request path={}", self->path_);
      co_return;
    } else if (!admitted) {
      answer = std::move(refusal);
    } else if (!read_ec && std::string_view(request).substr(0, line_end) == kStatusRequestLine) {
      answer = self->status_line();
    } else if (read_ec && read_ec != asio::error::eof && read_ec != asio::error::not_found) {
      spdlog::debug("status request read failed error=\"{}\"", read_ec.message());
      co_return;
    } else {
      const std::string reason = read_ec == asio::error::not_found ? "request too long"
                                 : read_ec                         ? "incomplete request"
                                                                   : "unknown request";
      if (std::uint64_t suppressed = 0; self->rejections_.should_log(suppressed)) {
        spdlog::warn("status request rejected reason=\"{}\" bytes={} request={} suppressed={}",
                     reason, request.size(), loggable(request), suppressed);
      }
      answer = error_line(reason);
    }

    auto [write_ec, written] =
        co_await asio::async_write(client->socket, asio::buffer(answer), kUseTuple);
    std::uint64_t suppressed = 0;
    if (write_ec && client->dropped != Drop::none && client->dropped != Drop::closing) {
      if (self->rejections_.should_log(suppressed)) {
        spdlog::warn("status answer dropped reason={} bytes_sent={} of={} suppressed={}",
                     to_string(client->dropped), written, answer.size(), suppressed);
      }
    } else if (write_ec && self->state_ != State::closed) {
      spdlog::debug("status answer not delivered bytes_sent={} of={} error=\"{}\"", written,
                    answer.size(), write_ec.message());
    }
    ErrorCode ignored;
    client->socket.shutdown(LocalStream::socket::shutdown_both, ignored);
    client->socket.close(ignored);
    client->deadline.cancel();
  }

  static const char* to_string(Drop why) {
    switch (why) {
      case Drop::none:
        return "none";
      case Drop::request_deadline:
        return "request-timeout";
      case Drop::answer_deadline:
        return "answer-timeout";
      case Drop::displaced:
        return "displaced";
      case Drop::closing:
        return "closing";
    }
    return "unknown";
  }

  /// A client dropped before its request was complete: at its deadline (logged), or for a
  /// newcomer at the limit (counted, logged at debug: a flood must not flood the log).
  void log_dropped(const Client& client, std::size_t bytes) {
    if (client.dropped == Drop::displaced) {
      spdlog::debug("status client dropped reason=displaced limit={} displaced_total={}",
                    kMaxStatusClients, displaced_);
    } else if (std::uint64_t suppressed = 0;
               client.dropped == Drop::request_deadline && rejections_.should_log(suppressed)) {
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
      return error_line("status document too large");
    }
    document.push_back('\n');
    return document;
  }

  const std::string path_;
  const StatusProvider provider_;
  const StatusAccessPolicy policy_;
  LocalStream::acceptor acceptor_;
  std::list<std::shared_ptr<Client>> clients_;  ///< oldest first
  std::uint64_t displaced_ = 0;                 ///< clients dropped for a newcomer, ever
  RejectionLog rejections_;
  std::optional<FileId> bound_;  ///< the socket file this endpoint created
  State state_ = State::opening;
};

/// The handle the agent holds; closing or dropping it ends the endpoint.
class UnixStatusEndpoint final : public StatusEndpoint {
 public:
  explicit UnixStatusEndpoint(std::shared_ptr<UnixEndpoint> endpoint)
      : endpoint_(std::move(endpoint)) {}
  UnixStatusEndpoint(const UnixStatusEndpoint&) = delete;
  UnixStatusEndpoint& operator=(const UnixStatusEndpoint&) = delete;
  ~UnixStatusEndpoint() override {
    try {
      endpoint_->close();
    } catch (const std::exception& e) {
      log_unexpected("close", e);
    }
  }

  void close() override { endpoint_->close(); }

 private:
  std::shared_ptr<UnixEndpoint> endpoint_;
};

}  // namespace

Result<std::unique_ptr<StatusEndpoint>> open_status_endpoint(boost::asio::io_context& io,
                                                             const std::string& path,
                                                             StatusProvider provider) {
  auto endpoint = std::make_shared<UnixEndpoint>(io, path, std::move(provider));
  if (Status opened = endpoint->open(); !opened) return opened.error();
  endpoint->start();
  return std::unique_ptr<StatusEndpoint>(std::make_unique<UnixStatusEndpoint>(endpoint));
}

}  // namespace gatelink
