// Windows: ReadDirectoryChangesW on each folder, overlapped, completed through the io_context's
// completion port (asio::windows::overlapped_ptr), the counterpart of file_watcher_inotify.cpp.
// The names it reports are compared with the watched ones without regard to case, as Windows
// compares file names.

#include <spdlog/spdlog.h>
#include <windows.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/escape.hpp"
#include "common/win32.hpp"
#include "tls/file_watcher.hpp"
#include "tls/settle_timer.hpp"

namespace gatelink::tls {
namespace {

namespace asio = boost::asio;

/// A change to a name in a watched folder: created, removed, renamed in or out, written, its
/// size, times, attributes or security changed.
constexpr DWORD kFolderEvents = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_LAST_WRITE |
                                FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_CREATION |
                                FILE_NOTIFY_CHANGE_ATTRIBUTES | FILE_NOTIFY_CHANGE_SECURITY;
/// Room for many records per read (the API's limit for folders on network shares is 64 KiB).
constexpr std::size_t kReadBuffer = 16 * 1024;

bool same_name(const std::wstring& a, const wchar_t* b, std::size_t b_length) {
  return ::CompareStringOrdinal(a.data(), static_cast<int>(a.size()), b, static_cast<int>(b_length),
                                TRUE) == CSTR_EQUAL;
}

class DirectoryChangeWatcher final : public FileWatcher {
 public:
  /// One watched folder: its handle (on the io_context's completion port) and the names in it.
  struct Folder {
    Folder(const asio::any_io_executor& executor, HANDLE folder, std::string name)
        : handle(executor, folder), path(std::move(name)) {}
    asio::windows::stream_handle handle;
    std::string path;  ///< for messages
    std::vector<std::wstring> names;
    struct alignas(DWORD) Buffer {
      char bytes[kReadBuffer];
    };
    /// Shared with the pending read, which the system may complete into it after close().
    std::shared_ptr<Buffer> buffer = std::make_shared<Buffer>();
  };

  DirectoryChangeWatcher(const asio::any_io_executor& executor,
                         std::vector<std::unique_ptr<Folder>> folders,
                         std::chrono::milliseconds settle, Handler on_change)
      : executor_(executor),
        settle_(executor, settle, std::move(on_change)),
        folders_(std::move(folders)) {}

  ~DirectoryChangeWatcher() override { close(); }

  void close() override {
    *alive_ = false;
    settle_.close();
    for (auto& folder : folders_) {
      boost::system::error_code ignored;
      folder->handle.close(ignored);  // ends the pending read (operation aborted)
    }
  }

  void start() {
    for (auto& folder : folders_) read(*folder);
  }

 private:
  void read(Folder& folder) {
    asio::windows::overlapped_ptr pending(
        executor_, [this, alive = alive_, &folder, buffer = folder.buffer](
                       const boost::system::error_code& ec, std::size_t n) {
          if (!*alive) return;  // closed, perhaps gone: touch nothing
          // ERROR_NOTIFY_ENUM_DIR: more changed than the buffer holds; n == 0 likewise.
          if (ec.value() == ERROR_NOTIFY_ENUM_DIR || (!ec && n == 0)) {
            settle_.change();
          } else if (ec) {
            spdlog::warn(
                "event=certificate-watch-failed folder={} error={} fallback=sighup,next-connection",
                escaped(folder.path), escaped(ec.message()));
            return;
          } else if (relevant(folder, n)) {
            settle_.change();
          }
          read(folder);
        });
    const BOOL queued = ::ReadDirectoryChangesW(folder.handle.native_handle(), folder.buffer->bytes,
                                                sizeof folder.buffer->bytes, FALSE, kFolderEvents,
                                                nullptr, pending.get(), nullptr);
    const DWORD error = ::GetLastError();
    if (!queued && error != ERROR_IO_PENDING) {
      pending.complete(boost::system::error_code(static_cast<int>(error),
                                                 boost::asio::error::get_system_category()),
                       0);
    } else {
      pending.release();  // the completion port delivers it
    }
  }

  /// Whether the records read name one of the folder's watched files.
  static bool relevant(const Folder& folder, std::size_t size) {
    for (std::size_t at = 0; at + sizeof(FILE_NOTIFY_INFORMATION) <= size;) {
      const auto* record =
          reinterpret_cast<const FILE_NOTIFY_INFORMATION*>(folder.buffer->bytes + at);
      const std::size_t length = record->FileNameLength / sizeof(wchar_t);
      for (const auto& name : folder.names) {
        if (same_name(name, record->FileName, length)) return true;
      }
      if (record->NextEntryOffset == 0) break;
      at += record->NextEntryOffset;
    }
    return false;
  }

  asio::any_io_executor executor_;
  SettleTimer settle_;
  std::vector<std::unique_ptr<Folder>> folders_;
  /// Shared with the pending handlers: false once closed, so a late completion does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

Result<std::unique_ptr<FileWatcher>> FileWatcher::open(const asio::any_io_executor& executor,
                                                       const std::vector<std::string>& files,
                                                       std::chrono::milliseconds settle,
                                                       Handler on_change) {
  std::map<std::wstring, std::unique_ptr<DirectoryChangeWatcher::Folder>> by_folder;
  for (const auto& file : files) {
    if (file.empty()) continue;
    const std::filesystem::path path(win32::widen(file));
    const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(L".");
    auto& watch = by_folder[folder.native()];
    if (!watch) {
      HANDLE handle =
          ::CreateFileW(folder.c_str(), FILE_LIST_DIRECTORY,
                        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                        OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr);
      if (handle == INVALID_HANDLE_VALUE) {
        return Error{"directory watch: folder " + win32::narrow(folder.native()) + ": " +
                     win32::error_text(::GetLastError())};
      }
      watch = std::make_unique<DirectoryChangeWatcher::Folder>(executor, handle,
                                                               win32::narrow(folder.native()));
    }
    watch->names.push_back(path.filename().native());
  }
  std::vector<std::unique_ptr<DirectoryChangeWatcher::Folder>> folders;
  for (auto& [name, watch] : by_folder) folders.push_back(std::move(watch));
  auto watcher = std::make_unique<DirectoryChangeWatcher>(executor, std::move(folders), settle,
                                                          std::move(on_change));
  watcher->start();
  return std::unique_ptr<FileWatcher>(std::move(watcher));
}

}  // namespace gatelink::tls
