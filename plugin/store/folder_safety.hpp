#pragma once
// Whether a folder the agent keeps its state or its status socket in is safe from other local
// users (DESIGN "Who may reach what": local files and sockets), decided like ssh's StrictModes:
// the folder and every folder above it (symbolic links resolved) must be owned by root or by
// the agent's user, and nobody else may write to the folder itself. Above it, a folder others
// may write to is accepted only with the sticky bit (/tmp): there others may add entries of
// their own but cannot rename or remove ours. One implementation per platform:
// folder_safety_posix.cpp (owners and modes); Windows adds an ACL variant.

#include <string>

#include "common/result.hpp"

namespace gatelink {

/// Ok when `dir` (an existing folder) is safe; otherwise why not, naming the folder (or the one
/// above it that is the problem), its mode or owner, and what to fix. The caller says which
/// folder it is ("state folder /var/lib/gatelink: ...").
Status check_folder_safety(const std::string& dir);

/// The same check for a folder that does not exist yet: the folders above it that exist must be
/// safe as folders above one (the agent creates the rest itself, for its user only).
Status check_parents_safety(const std::string& dir);

/// Whether a folder exists at `dir` (a symbolic link to one counts).
bool folder_exists(const std::string& dir);

}  // namespace gatelink
