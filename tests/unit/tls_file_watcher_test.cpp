// The file watch behind renewals: a file replaced by rename in a watched folder is reported once
// the burst has settled; other files in the folder are not.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "tls/file_watcher.hpp"

namespace gatelink::tls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kSettle = 50ms;
/// Bound on every wait for the watch to report.
constexpr auto kDeadline = 5s;

class FileWatcherTest : public ::testing::Test {
 protected:
  FileWatcherTest() {
    std::string pattern = (fs::temp_directory_path() / "gatelink-watch-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    folder_ = pattern;
    write("agent.pem", "old");
    write("agent.key", "old");
  }
  ~FileWatcherTest() override {
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(folder_ / (name + ".tmp")) << text;
    fs::rename(folder_ / (name + ".tmp"), folder_ / name);
  }
  std::string path(const std::string& name) const { return (folder_ / name).string(); }

  void watch() {
    auto watcher = FileWatcher::open(io_.get_executor(), {path("agent.pem"), path("agent.key")},
                                     kSettle, [this] { ++changes_; });
    ASSERT_TRUE(watcher.ok()) << watcher.error().message;
    watcher_ = std::move(*watcher);
  }
  /// Runs the io_context until `changes` reports have come or the deadline passes.
  void run_until(int changes, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (changes_ < changes && std::chrono::steady_clock::now() < until) io_.run_for(10ms);
  }

  boost::asio::io_context io_;
  fs::path folder_;
  std::unique_ptr<FileWatcher> watcher_;
  int changes_ = 0;
};

TEST_F(FileWatcherTest, certificate_and_key_replaced_together_are_reported_once) {
  watch();
  write("agent.pem", "new");
  write("agent.key", "new");
  run_until(1, kDeadline);
  EXPECT_EQ(changes_, 1);
  run_until(2, kSettle * 6);  // nothing more is coming: a second report would be a bug
  EXPECT_EQ(changes_, 1);
}

TEST_F(FileWatcherTest, mode_change_is_reported) {
  watch();
  fs::permissions(path("agent.key"), fs::perms::others_read, fs::perm_options::add);
  run_until(1, kDeadline);
  EXPECT_EQ(changes_, 1);
}

TEST_F(FileWatcherTest, other_files_in_the_folder_are_ignored) {
  watch();
  write("topology.xml", "x");
  write("agent.pem", "new");  // the marker that the watch works at all
  run_until(1, kDeadline);
  EXPECT_EQ(changes_, 1);
  write("unrelated.pem", "x");
  run_until(2, kSettle * 6);
  EXPECT_EQ(changes_, 1);
}

TEST_F(FileWatcherTest, closed_watch_reports_nothing) {
  watch();
  watcher_->close();
  write("agent.pem", "new");
  run_until(1, kSettle * 6);
  EXPECT_EQ(changes_, 0);
}

TEST_F(FileWatcherTest, missing_folder_is_an_error_naming_it) {
  auto watcher = FileWatcher::open(io_.get_executor(), {(folder_ / "gone" / "agent.pem").string()},
                                   kSettle, [] {});
  ASSERT_FALSE(watcher.ok());
  EXPECT_NE(watcher.error().message.find((folder_ / "gone").string()), std::string::npos);
}

}  // namespace
}  // namespace gatelink::tls
