#pragma once
// The configuration's defaults that name places on the host, one set per platform (the one
// platform switch of the configuration): on Windows the state lives under ProgramData, where the
// MSI makes it, and the status endpoint is a named pipe. A Linux path would otherwise be read on
// Windows as a folder below the configuration's drive (C:\var\lib\gatelink), which any user may
// create first. kDefaultConfigFile: what `gatelinkctl cert check` reads when not told.

namespace gatelink {

/// The Windows agent's status pipe when the configuration names none (also where the rules of
/// the Windows agent are tested on Linux: agent/status_pipe_name.hpp).
inline constexpr char kDefaultStatusPipe[] = R"(\\.\pipe\gatelink-agent)";

#ifdef _WIN32
inline constexpr char kDefaultStateDir[] = R"(C:\ProgramData\gatelink\state)";
inline constexpr auto& kDefaultStatusSocket = kDefaultStatusPipe;
inline constexpr char kDefaultConfigFile[] = R"(C:\ProgramData\gatelink\agent.xml)";
#else
inline constexpr char kDefaultStateDir[] = "/var/lib/gatelink";
inline constexpr char kDefaultStatusSocket[] = "/run/gatelink/agent.sock";
inline constexpr char kDefaultConfigFile[] = "/etc/gatelink/agent.xml";
#endif

}  // namespace gatelink
