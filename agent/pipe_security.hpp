#pragma once
// The security descriptors the Windows agent gives its status pipe and its log folder, as SDDL
// built from string SIDs (ConvertStringSecurityDescriptorToSecurityDescriptorW makes them
// binary). Pure, so that the rules are tested on Linux too.
//
// The pipe: owned by the agent's account (gatelinkctl checks the owner), a protected DACL that
// denies network logons, gives LocalSystem, Administrators and the agent's own account full
// control, and the status group read and write without FILE_CREATE_PIPE_INSTANCE: its members
// may ask but can never serve an instance of the pipe themselves. Administrators count only
// elevated (UAC leaves their SID deny-only in a filtered token), as sudo does on Linux.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace gatelink {

/// What a status client may do to the pipe: FILE_GENERIC_READ | FILE_GENERIC_WRITE without
/// FILE_CREATE_PIPE_INSTANCE (0x4, the bit FILE_APPEND_DATA is on a file). A client opens it
/// with GENERIC_READ | FILE_WRITE_DATA, which this grants.
inline constexpr unsigned long kPipeClientAccess = 0x0012019B;

/// Whether `sid` is a string SID (`S-1-5-18`, `S-1-5-21-1-2-3-1001`): `S-1-`, then
/// dash-separated decimal numbers. Nothing else goes into SDDL.
bool is_string_sid(std::string_view sid);

/// The status pipe's SDDL for an agent running as `agent_sid`, with `group_sid` (group
/// gatelink) where that group exists.
Result<std::string> status_pipe_sddl(const std::string& agent_sid,
                                     const std::optional<std::string>& group_sid);

/// The SDDL of a log folder the agent creates (`%ProgramData%\gatelink\log`): a protected DACL,
/// inherited by the files in it, full control for LocalSystem, Administrators and the agent's
/// own account, read for the status group where it exists. Nobody else reads the agent's log.
Result<std::string> log_folder_sddl(const std::string& agent_sid,
                                    const std::optional<std::string>& group_sid);

}  // namespace gatelink
