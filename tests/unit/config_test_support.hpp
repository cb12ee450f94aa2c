#pragma once
// Helpers shared by the config tests: the source tree, scratch folders, whole-file I/O, xmllint.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "fixtures/test_folders.hpp"

#ifndef GATELINK_SOURCE_DIR_DEFAULT
#error "config.cmake defines GATELINK_SOURCE_DIR_DEFAULT"
#endif

namespace gatelink::test {

/// Whether files have POSIX modes here. Not on Windows, where ACLs stand in for them (the state
/// folder's check, store/folder_safety_windows.cpp), which wine does not enforce.
#ifdef _WIN32
inline constexpr bool kPosixModes = false;
#else
inline constexpr bool kPosixModes = true;
#endif

/// The source tree: $GATELINK_SOURCE_DIR when ctest runs us, else the tree we were built from.
inline std::filesystem::path source_dir() {
  const char* from_env = std::getenv("GATELINK_SOURCE_DIR");
  return from_env && *from_env ? from_env : GATELINK_SOURCE_DIR_DEFAULT;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& path, std::string_view text) {
  make_folders(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

/// Whether xmllint is on PATH; the schema checks skip without it. std::system is fine here: the
/// tests run on one thread.
inline bool have_xmllint() {
  return std::system("command -v xmllint >/dev/null 2>&1") == 0;  // NOLINT(concurrency-mt-unsafe)
}

/// xmllint's exit code for `xml` checked against config/`xsd` of the source tree: 0 when valid.
inline int xmllint(const std::filesystem::path& xml, std::string_view xsd) {
  const auto schema = source_dir() / "config" / xsd;
  const auto command =
      "xmllint --noout --schema '" + schema.string() + "' '" + xml.string() + "' 2>/dev/null";
  return std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe)
}

/// A fresh folder named after the running test, removed again at the end.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    auto name = "gatelink-" + std::string(info->test_suite_name()) + "-" + info->name();
    std::replace(name.begin(), name.end(), '/', '_');  // parameterised tests have slashes
    path_ = std::filesystem::path(::testing::TempDir()) / name;
    std::filesystem::remove_all(path_);
    make_folders(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace gatelink::test
