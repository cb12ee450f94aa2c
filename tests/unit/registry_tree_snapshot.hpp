#pragma once
// A whole store folder as a map, to prove that a refused command changed nothing in it: used by
// the registry unit tests and by the gatelink-mg integration tests alike.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

namespace gatelink::test {

/// Every entry below `dir` by relative path: a file's bytes, or "<folder>" for a folder.
inline std::map<std::string, std::string> tree_snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> entries;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    auto& content = entries[std::filesystem::relative(entry.path(), dir).string()];
    if (entry.is_directory()) {
      content = "<folder>";
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  return entries;
}

}  // namespace gatelink::test
