#include "integration/ctl_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace gatelink::test {
namespace {

using Clock = std::chrono::steady_clock;

int milliseconds_left(Clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  EXPECT_LT(path.size(), sizeof(address.sun_path)) << path;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  return address;
}

const sockaddr* as_sockaddr(const sockaddr_un& address) {
  return reinterpret_cast<const sockaddr*>(&address);
}

/// Waits until `fd` is readable; false when the deadline passes first.
bool wait_readable(int fd, Clock::time_point until) {
  for (;;) {
    pollfd entry{fd, POLLIN, 0};
    const int ready = ::poll(&entry, 1, milliseconds_left(until));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& environment,
                          std::chrono::milliseconds deadline) {
  ProcessResult result;
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::generic_category().message(errno);
    return result;
  }

  std::vector<std::string> env_entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "GATELINK_SOCKET=", 16) != 0) env_entries.emplace_back(*entry);
  }
  env_entries.insert(env_entries.end(), environment.begin(), environment.end());
  std::vector<char*> env_pointers;
  for (std::string& entry : env_entries) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, args.front().c_str(), &actions, nullptr,
                                    arg_pointers.data(), env_pointers.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawned != 0) {
    ADD_FAILURE() << "posix_spawn " << args.front() << ": "
                  << std::generic_category().message(spawned);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return result;
  }

  const auto until = Clock::now() + deadline;
  std::array<pollfd, 2> streams{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_streams = 2;
  while (open_streams > 0) {
    const int ready = ::poll(streams.data(), streams.size(), milliseconds_left(until));
    if (ready == 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (streams[i].fd < 0 || streams[i].revents == 0) continue;
      std::array<char, 4096> chunk{};
      const ssize_t n = ::read(streams[i].fd, chunk.data(), chunk.size());
      if (n > 0) {
        sinks[i]->append(chunk.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(streams[i].fd);
        streams[i].fd = -1;  // poll ignores negative descriptors
        --open_streams;
      }
    }
  }
  for (const pollfd& stream : streams) {
    if (stream.fd >= 0) ::close(stream.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

RawClient::RawClient(const std::string& path)
    : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  const sockaddr_un address = unix_address(path);
  if (fd_ >= 0 && ::connect(fd_, as_sockaddr(address), sizeof(address)) != 0) close();
}

RawClient::~RawClient() { close(); }

RawClient::RawClient(RawClient&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawClient::finish_sending() { ::shutdown(fd_, SHUT_WR); }

std::optional<std::string> RawClient::read_line(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  std::string line;
  for (;;) {
    if (!wait_readable(fd_, until)) return std::nullopt;
    char c = 0;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') return line;  // end, reset or the line is complete
    line.push_back(c);
  }
}

bool RawClient::wait_closed(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (!wait_readable(fd_, until)) return false;
    std::array<char, 4096> chunk{};
    const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;  // end or reset: the endpoint let go
  }
}

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void make_stale_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  const sockaddr_un address = unix_address(path);
  ASSERT_EQ(::bind(fd, as_sockaddr(address), sizeof(address)), 0)
      << std::generic_category().message(errno);
  ::close(fd);  // the file stays, nobody listens: connecting is refused
}

SilentListener::SilentListener(const std::string& path)
    : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  const sockaddr_un address = unix_address(path);
  EXPECT_EQ(::bind(fd_, as_sockaddr(address), sizeof(address)), 0)
      << std::generic_category().message(errno);
  EXPECT_EQ(::listen(fd_, 8), 0) << std::generic_category().message(errno);
}

SilentListener::~SilentListener() {
  if (fd_ >= 0) ::close(fd_);
}

StatusEndpointTest::StatusEndpointTest()
    : socket_path_((dir_ / "run/gatelink/agent.sock").string()),
      work_(std::in_place, io_.get_executor()),
      io_thread_([this] { io_.run(); }) {}

StatusEndpointTest::~StatusEndpointTest() {
  close_endpoints();
  work_.reset();
  io_.stop();
  io_thread_.join();
}

void StatusEndpointTest::set_document(std::string document) {
  const std::lock_guard lock(mutex_);
  document_ = std::move(document);
}

Status StatusEndpointTest::open_endpoint(const std::string& path) {
  return on_io([this, &path]() -> Status {
    auto opened = open_status_endpoint(io_, path, [this] {
      const std::lock_guard lock(mutex_);
      return document_;
    });
    if (!opened) return opened.error();
    endpoints_.push_back(std::move(opened.value()));
    return Ok{};
  });
}

void StatusEndpointTest::close_endpoints() {
  on_io([this] { endpoints_.clear(); });
}

}  // namespace gatelink::test
