// Hosts of libgatelink in other processes, each against a real gateway: the C example of
// docs/PLUGIN.md built against the installed tree (pkg-config and find_package), Python through
// ctypes, a host that loads and unloads the library 100 times, and a host with its own Asio.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "integration/harness.hpp"
#include "plugin/plugin_test_support.hpp"

namespace gatelink::test {
namespace {

/// A value the build hands the tests through the environment.
std::string build_setting(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

/// `path` in single quotes, for a shell script (the test's paths have no quote in them).
/// Appended rather than `"'" + ...`, which GCC 12 at -O3 warns on falsely (-Wrestrict, bug 105329).
std::string quoted(const fs::path& path) {
  return std::string("'").append(path.string()).append("'");
}

/// `command` run as a host that the sanitizers did not instrument (a C host built here against
/// the installed library, Python): in a sanitizer build the library needs its runtime loaded
/// first (GATELINK_HOST_PRELOAD, set by plugin.cmake), and the host's own leaks are not ours.
std::string uninstrumented(const std::string& command) {
  const std::string preload = build_setting("GATELINK_HOST_PRELOAD");
  if (preload.empty()) return command;
  return "env LD_PRELOAD=" + quoted(fs::path(preload)) + " ASAN_OPTIONS=detect_leaks=0 " + command;
}

/// Runs `script` with sh; its stdout and stderr both come back in `out`.
RunResult shell(const std::string& script, std::chrono::milliseconds deadline = 120s) {
  return run_program({"/bin/sh", "-c", "{ " + script + "; } 2>&1"}, deadline);
}

/// `cmake --install` of this build into `prefix`.
void install_into(const fs::path& prefix) {
  const auto installed =
      shell("cmake --install " + quoted(fs::path(build_setting("GATELINK_BUILD_DIR"))) +
            " --prefix " + quoted(prefix));
  ASSERT_EQ(installed.exit_status, 0) << installed.out;
}

/// The C example host of docs/PLUGIN.md, written to `file`: the docs' code is what is tested.
void write_example_host(const fs::path& file) {
  const auto extracted =
      shell("awk '/^```c$/{code=1; next} /^```$/{code=0} code' '" +
            build_setting("GATELINK_SOURCE_DIR") + "/docs/PLUGIN.md' > '" + file.string() + "'");
  ASSERT_EQ(extracted.exit_status, 0) << extracted.out;
  ASSERT_GT(fs::file_size(file), 0u) << "no ```c block in docs/PLUGIN.md";
}

/// What the example host prints when it ran as it should.
void expect_example_host_connected(const RunResult& run) {
  EXPECT_EQ(run.exit_status, 0) << run.out;
  EXPECT_TRUE(any_line_has(run.out, {"state event=connected", "position=0 of 1"})) << run.out;
  EXPECT_TRUE(any_line_has(run.out, {"log level=2", "event=connected"})) << run.out;
  EXPECT_TRUE(any_line_has(run.out, {"status {", "\"state\":\"connected\""})) << run.out;
  // The host owns the log: with its callback set, nothing of the library's reached stderr.
  EXPECT_FALSE(any_line_has(run.out, {"Z info event="})) << run.out;
}

TEST(PluginHosts, installed_c_host_built_through_pkg_config_connects) {
  OneGateway setup;
  const fs::path prefix = setup.dir / "prefix";
  install_into(prefix);
  write_example_host(setup.dir / "host.c");
  const std::string pc =
      "PKG_CONFIG_PATH='" +
      (prefix / build_setting("GATELINK_INSTALL_LIBDIR") / "pkgconfig").string() + "' ";
  const auto built = shell("cd '" + setup.dir.path().string() + "' && cc -Wall -Werror host.c $(" +
                           pc + "pkg-config --cflags --libs gatelink) -Wl,-rpath,$(" + pc +
                           "pkg-config --variable=libdir gatelink) -o host");
  ASSERT_EQ(built.exit_status, 0) << built.out;
  // The host found the installed library, not the build tree's.
  const auto linked = shell("ldd " + quoted(setup.dir / "host"));
  EXPECT_NE(linked.out.find("libgatelink.so.0 => " + prefix.string() + "/"), std::string::npos)
      << linked.out;
  expect_example_host_connected(shell(uninstrumented(quoted(setup.dir / "host")) + " " +
                                      quoted(setup.config) + " 2>" +
                                      quoted(setup.dir / "stderr.txt")));
  EXPECT_EQ(read_text_file(setup.dir / "stderr.txt"), "");
}

TEST(PluginHosts, installed_cmake_package_builds_a_host_that_connects) {
  OneGateway setup;
  const fs::path prefix = setup.dir / "prefix";
  install_into(prefix);
  const fs::path project = setup.dir / "consumer";
  fs::create_directories(project);
  write_example_host(project / "host.c");
  std::ofstream(project / "CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.25)\nproject(consumer C)\n"
         "find_package(gatelink 0.1 REQUIRED)\nadd_executable(host host.c)\n"
         "target_link_libraries(host PRIVATE gatelink::gatelink)\n";
  const auto built = shell("cmake -S " + quoted(project) + " -B " + quoted(project / "build") +
                           " -DCMAKE_PREFIX_PATH=" + quoted(prefix) +
                           " >/dev/null && cmake --build " + quoted(project / "build"));
  ASSERT_EQ(built.exit_status, 0) << built.out;
  expect_example_host_connected(
      shell(uninstrumented(quoted(project / "build" / "host")) + " " + quoted(setup.config)));
}

TEST(PluginHosts, python_ctypes_host_connects_and_reads_status) {
  if (build_setting("GATELINK_SANITIZE") == "thread") {
    // TSan's runtime works only linked into the main program: preloaded into Python, which
    // was not built with it, Python crashes before the library is loaded.
    GTEST_SKIP() << "the ctypes host cannot run under ThreadSanitizer";
  }
  OneGateway setup;
  const auto run =
      shell(uninstrumented("python3 ") +
            quoted(fs::path(build_setting("GATELINK_SOURCE_DIR")) / "tests/plugin/ctypes_host.py") +
            " " + quoted(fs::path(build_setting("GATELINK_LIBRARY"))) + " " + quoted(setup.config) +
            " 2>" + quoted(setup.dir / "stderr.txt"));
  EXPECT_EQ(run.exit_status, 0) << run.out << read_text_file(setup.dir / "stderr.txt");
  EXPECT_TRUE(any_line_has(run.out, {"abi 1 version"})) << run.out;
  EXPECT_TRUE(any_line_has(run.out, {"log level=2", "event=connected"})) << run.out;
  EXPECT_TRUE(any_line_has(run.out, {"status state=connected", setup.gw.address})) << run.out;
  EXPECT_EQ(read_text_file(setup.dir / "stderr.txt"), "");
}

TEST(PluginHosts, library_unloads_after_each_of_100_dlclose) {
  constexpr int kRounds = 100;
  OneGateway setup;
  const auto run =
      run_program({(bin_dir() / "plugin_dlopen_host").string(), build_setting("GATELINK_LIBRARY"),
                   setup.config.string(), std::to_string(kRounds)},
                  300s);
  EXPECT_EQ(run.exit_status, 0) << run.out;
  EXPECT_NE(run.out.find("rounds=100 unloaded=100"), std::string::npos) << run.out;
}

TEST(PluginHosts, host_with_its_own_differently_built_asio_connects) {
  OneGateway setup;
  const auto run = shell(quoted(bin_dir() / "plugin_asio_host") + " " + quoted(setup.config));
  EXPECT_EQ(run.exit_status, 0) << run.out;
  EXPECT_NE(run.out.find("connected=1"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace gatelink::test
