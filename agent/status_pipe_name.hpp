#pragma once
// Which named pipe the status endpoint is on Windows. The configuration's `<status socket=...>`
// names it: `\\.\pipe\NAME` as it is, or a bare `NAME` (no slash, no backslash) as
// `\\.\pipe\NAME`. The schema's default (`/run/gatelink/agent.sock`, what a configuration without
// `<status>` gets) means the default pipe `\\.\pipe\gatelink-agent`, so that one configuration
// file serves both platforms. Any other path is refused: a Unix path names nothing on Windows,
// and silently serving elsewhere would leave gatelinkctl asking the wrong pipe. Pure, so that it
// is tested on Linux too; gatelinkctl's `--socket` follows the same rule.

#include <string>

#include "common/result.hpp"

namespace gatelink {

/// The pipe a Windows agent serves when the configuration does not name one.
inline constexpr char kDefaultStatusPipe[] = R"(\\.\pipe\gatelink-agent)";
/// The Win32 limit on a pipe's full name, `\\.\pipe\` included.
inline constexpr std::size_t kMaxPipeNameLength = 256;

/// The pipe's full name for the configured value, or why the value names no pipe.
Result<std::string> status_pipe_name(const std::string& configured);

}  // namespace gatelink
