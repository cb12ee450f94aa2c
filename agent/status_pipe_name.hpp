#pragma once
// Which named pipe the status endpoint is on Windows. The configuration's `<status socket=...>`
// names it: `\\.\pipe\NAME` as it is, or a bare `NAME` (no slash, no backslash) as
// `\\.\pipe\NAME`; without `<status>` the Windows build's default is the pipe
// kDefaultStatusPipe (config/platform_defaults.hpp). Any other path is refused: a Unix path names
// nothing on Windows, and silently serving elsewhere would leave gatelinkctl asking the wrong
// pipe. Pure, so that it is tested on Linux too; gatelinkctl's `--socket` follows the same rule.

#include <string>

#include "common/result.hpp"
#include "config/platform_defaults.hpp"

namespace gatelink {

/// The Win32 limit on a pipe's full name, `\\.\pipe\` included.
inline constexpr std::size_t kMaxPipeNameLength = 256;

/// The pipe's full name for the configured value, or why the value names no pipe.
Result<std::string> status_pipe_name(const std::string& configured);

}  // namespace gatelink
