// Linux: one inotify descriptor, a watch per folder, read through Asio on the endpoint's executor.

#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "common/escape.hpp"
#include "tls/file_watcher.hpp"
#include "tls/settle_timer.hpp"

namespace gatelink::tls {
namespace {

namespace asio = boost::asio;

/// A change to a name in a watched folder: written and closed, renamed in or out, created,
/// removed, or its mode or owner changed.
constexpr std::uint32_t kFolderEvents =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_ONLYDIR;
/// Room for many events per read (each is a header and a name of up to NAME_MAX bytes).
constexpr std::size_t kReadBuffer = 16 * 1024;

class InotifyWatcher final : public FileWatcher {
 public:
  InotifyWatcher(const asio::any_io_executor& executor, int fd,
                 std::map<int, std::set<std::string>> watches, std::chrono::milliseconds settle,
                 Handler on_change)
      : stream_(executor, fd),
        settle_(executor, settle, std::move(on_change)),
        watches_(std::move(watches)),
        buffer_(std::make_unique<Buffer>()) {}

  ~InotifyWatcher() override { close(); }

  void close() override {
    *alive_ = false;
    settle_.close();
    boost::system::error_code ignored;
    stream_.close(ignored);  // closing the inotify descriptor removes its watches
  }

  void read() {
    stream_.async_read_some(
        asio::buffer(buffer_->bytes),
        [this, alive = alive_](const boost::system::error_code& ec, std::size_t n) {
          if (!*alive) return;  // closed, perhaps gone: touch nothing
          if (ec) {
            spdlog::warn("event=certificate-watch-failed error={} fallback=sighup,next-connection",
                         escaped(ec.message()));
            return;
          }
          if (relevant(n)) settle_.change();
          read();
        });
  }

 private:
  struct Buffer {
    alignas(inotify_event) char bytes[kReadBuffer];
  };

  /// Whether the events read name one of the watched files (or the kernel's queue overflowed).
  bool relevant(std::size_t size) const {
    bool hit = false;
    for (std::size_t at = 0; at + sizeof(inotify_event) <= size;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer_->bytes + at);
      at += sizeof(inotify_event) + event->len;
      if ((event->mask & IN_Q_OVERFLOW) != 0) return true;
      if ((event->mask & IN_IGNORED) != 0) {
        spdlog::warn("event=certificate-watch-lost wd={} fallback=sighup,next-connection",
                     event->wd);
        continue;
      }
      const auto it = watches_.find(event->wd);
      if (it != watches_.end() && event->len > 0 && it->second.count(event->name) > 0) hit = true;
    }
    return hit;
  }

  asio::posix::stream_descriptor stream_;
  SettleTimer settle_;
  std::map<int, std::set<std::string>> watches_;  ///< watch descriptor → file names in it
  std::unique_ptr<Buffer> buffer_;
  /// Shared with the pending handlers: false once closed, so a late completion does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

Result<std::unique_ptr<FileWatcher>> FileWatcher::open(const asio::any_io_executor& executor,
                                                       const std::vector<std::string>& files,
                                                       std::chrono::milliseconds settle,
                                                       Handler on_change) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Error{"inotify: " + std::generic_category().message(errno)};
  std::map<int, std::set<std::string>> watches;
  for (const auto& file : files) {
    if (file.empty()) continue;
    const std::filesystem::path path(file);
    const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const int wd = ::inotify_add_watch(fd, folder.c_str(), kFolderEvents);
    if (wd < 0) {
      const int error = errno;
      ::close(fd);
      return Error{"inotify: folder " + folder.string() + ": " +
                   std::generic_category().message(error)};
    }
    watches[wd].insert(path.filename().string());
  }
  auto watcher = std::make_unique<InotifyWatcher>(executor, fd, std::move(watches), settle,
                                                  std::move(on_change));
  watcher->read();
  return std::unique_ptr<FileWatcher>(std::move(watcher));
}

}  // namespace gatelink::tls
