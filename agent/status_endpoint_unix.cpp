// The local status endpoint on a Unix socket (DESIGN "Local status"): mode 0660, group gatelink,
// in a folder nobody else may write to; the peer's credentials checked on every connection. The
// clients themselves (one request line each, bounded in size and time, read as soon as they are
// accepted, their number bounded) are served by StatusSessions, as on the Windows named pipe.

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "common/escape.hpp"
#include "peer_credentials.hpp"
#include "status_endpoint.hpp"
#include "status_protocol.hpp"
#include "status_sessions.hpp"
#include "store/durable_file.hpp"
#include "store/folder_safety.hpp"
#include "common/asio_tokens.hpp"

namespace gatelink {
namespace {

namespace asio = boost::asio;
using LocalStream = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;
using Sessions = StatusSessions<LocalStream::socket>;

/// Root and the gatelink group may ask; the group's members are the on-site staff.
constexpr mode_t kSocketMode = 0660;
/// A folder the endpoint creates itself (`/run/gatelink`): the same people, plus traversal.
constexpr mode_t kFolderMode = 0750;
/// Pause after a failed accept (out of descriptors, say) so the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

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

/// Whether the peer may ask; a refusal names uid, pid and user name (escaped).
std::optional<StatusRefusal> admit(LocalStream::socket& socket, const StatusAccessPolicy& policy) {
  Result<PeerCredentials> peer = read_peer_credentials(socket.native_handle(), true);
  if (!peer) {
    return StatusRefusal{
        .answer = status_error_line("permission denied: cannot tell who is asking"),
        .log_fields = "reason=no-credentials error=" + escaped(peer.error().message)};
  }
  if (policy.allows(*peer)) return std::nullopt;
  return StatusRefusal{
      .answer = status_error_line("permission denied: uid " + std::to_string(peer->uid) +
                                  " is not root, the agent's user or a member of group " +
                                  kStatusGroupName),
      .log_fields = fmt::format(
          "reason=not-allowed uid={} user={} pid={} gid={} allowed=\"root, uid {}, group {}\"",
          peer->uid, escaped(user_name(peer->uid)), peer->pid, peer->gid, policy.agent_user,
          policy.status_group ? std::string(kStatusGroupName) : std::string("(none)"))};
}

/// The endpoint's state, shared with its accept loop so that it outlives every pending step.
class UnixEndpoint : public std::enable_shared_from_this<UnixEndpoint> {
 public:
  UnixEndpoint(asio::io_context& io, std::string path, StatusProvider provider)
      : path_(std::move(path)),
        policy_(StatusAccessPolicy::of_this_process()),
        acceptor_(io),
        sessions_(std::make_shared<Sessions>(
            path_, std::move(provider),
            [policy = policy_](LocalStream::socket& socket) { return admit(socket, policy); },
            AdmitWhen::on_connect)) {}

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
                   log_status_failure("accept"));
  }

  void close() {
    if (state_ == State::closed) return;
    const bool was_serving = state_ == State::serving;
    state_ = State::closed;
    ErrorCode ignored;
    acceptor_.close(ignored);
    sessions_->close();
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
      self->sessions_->add(std::move(socket));
    }
  }

  const std::string path_;
  const StatusAccessPolicy policy_;
  LocalStream::acceptor acceptor_;
  const std::shared_ptr<Sessions> sessions_;
  std::optional<FileId> bound_;  ///< the socket file this endpoint created
  State state_ = State::opening;
};

}  // namespace

EndpointPlaceCheck check_status_endpoint_place(const std::string& path) {
  EndpointPlaceCheck check;
  const std::string folder = std::filesystem::path(path).parent_path();
  if (!folder_exists(folder)) {
    if (auto safe = check_parents_safety(folder); !safe) {
      check.problems.push_back("status socket folder " + folder + ": " + safe.error().message);
    } else {
      check.notes.push_back("status socket folder " + folder + ": would create it (mode 0750)");
    }
  } else if (auto safe = check_folder_safety(folder); !safe) {
    check.problems.push_back("status socket folder " + folder + ": " + safe.error().message +
                             " (the agent would refuse to start)");
  }
  return check;
}

Result<std::unique_ptr<StatusEndpoint>> open_status_endpoint(boost::asio::io_context& io,
                                                             const std::string& path,
                                                             StatusProvider provider) {
  auto endpoint = std::make_shared<UnixEndpoint>(io, path, std::move(provider));
  if (Status opened = endpoint->open(); !opened) return opened.error();
  endpoint->start();
  return std::unique_ptr<StatusEndpoint>(std::make_unique<StatusEndpointHandle<UnixEndpoint>>(endpoint));
}

}  // namespace gatelink
