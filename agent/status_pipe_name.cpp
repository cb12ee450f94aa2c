// Which named pipe the status endpoint is on Windows (status_pipe_name.hpp).

#include "status_pipe_name.hpp"

#include <algorithm>
#include <string_view>

#include "config/config_schema.hpp"

namespace gatelink {
namespace {

/// A pipe's own name: not empty, no backslash (Win32), no slash and no control character (they
/// would only ever be a mistake, or a trick on whoever reads the name in a log).
bool is_pipe_name(std::string_view name) {
  return !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
    return c == '\\' || c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

}  // namespace

Result<std::string> status_pipe_name(const std::string& configured) {
  std::string_view name = configured;
  if (has_windows_pipe_prefix(name)) name.remove_prefix(kWindowsPipePrefix.size());
  if (!is_pipe_name(name)) {
    return Error{"status endpoint \"" + configured + "\" is not a named pipe: on Windows give " +
                 std::string(kWindowsPipePrefix) + "NAME or a bare NAME (default " + kDefaultStatusPipe +
                 ")"};
  }
  std::string full = std::string(kWindowsPipePrefix) + std::string(name);
  if (full.size() > kMaxPipeNameLength) {
    return Error{"status pipe name " + full + " is longer than " +
                 std::to_string(kMaxPipeNameLength) + " characters"};
  }
  return full;
}

}  // namespace gatelink
