#pragma once
// A file's path from its folder and its name, joined with the platform's separator, so that a
// message on Windows names C:\ProgramData\gatelink\state\topology.xml rather than
// ...\state/topology.xml. Paths stay UTF-8 strings on both platforms (no std::filesystem::path
// round trip, which on Windows goes through the ANSI code page).

#include <string>
#include <string_view>

namespace gatelink {

#ifdef _WIN32
inline constexpr char kPathSeparator = '\\';
#else
inline constexpr char kPathSeparator = '/';
#endif

/// `dir` followed by `name`, with one separator between them.
inline std::string join_path(std::string_view dir, std::string_view name) {
  std::string path(dir);
  if (!path.empty() && path.back() != kPathSeparator && path.back() != '/') path += kPathSeparator;
  path += name;
  return path;
}

}  // namespace gatelink
