// SDDL of the status pipe and the log folder, from string SIDs (pipe_security.hpp).

#include "pipe_security.hpp"

#include <cctype>
#include <cstdio>

namespace gatelink {
namespace {

constexpr std::string_view kLocalSystem = "S-1-5-18";

/// `(A;flags;rights;;;sid)`
std::string allow(std::string_view flags, std::string_view rights, std::string_view sid) {
  std::string ace = "(A;";
  ace += flags;
  ace += ';';
  ace += rights;
  ace += ";;;";
  ace += sid;
  ace += ')';
  return ace;
}

Status check_sids(const std::string& agent_sid, const std::optional<std::string>& group_sid) {
  if (!is_string_sid(agent_sid)) return Error{"not a SID: \"" + agent_sid + "\" (agent account)"};
  if (group_sid && !is_string_sid(*group_sid)) {
    return Error{"not a SID: \"" + *group_sid + "\" (group)"};
  }
  return Ok{};
}

std::string hex_rights(unsigned long rights) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%lx", rights);
  return text;
}

}  // namespace

bool is_string_sid(std::string_view sid) {
  constexpr std::string_view kPrefix = "S-1-";
  if (!sid.starts_with(kPrefix)) return false;
  sid.remove_prefix(kPrefix.size());
  bool digit_seen = false;
  for (const char c : sid) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      digit_seen = true;
    } else if (c == '-' && digit_seen) {
      digit_seen = false;
    } else {
      return false;
    }
  }
  return digit_seen;
}

Result<std::string> status_pipe_sddl(const std::string& agent_sid,
                                     const std::optional<std::string>& group_sid) {
  if (Status sids = check_sids(agent_sid, group_sid); !sids) return sids.error();
  // Deny first (canonical order): a network logon never gets in, whatever group it is in.
  std::string sddl = "O:" + agent_sid + "D:P(D;;GA;;;NU)";
  sddl += allow("", "GA", "SY");
  sddl += allow("", "GA", "BA");
  if (agent_sid != kLocalSystem) sddl += allow("", "GA", agent_sid);
  if (group_sid) sddl += allow("", hex_rights(kPipeClientAccess), *group_sid);
  return sddl;
}

Result<std::string> log_folder_sddl(const std::string& agent_sid,
                                    const std::optional<std::string>& group_sid) {
  if (Status sids = check_sids(agent_sid, group_sid); !sids) return sids.error();
  // OICI: files and folders made in it inherit the same entries.
  std::string sddl = "D:P";
  sddl += allow("OICI", "FA", "SY");
  sddl += allow("OICI", "FA", "BA");
  if (agent_sid != kLocalSystem) sddl += allow("OICI", "FA", agent_sid);
  if (group_sid) sddl += allow("OICI", "FR", *group_sid);
  return sddl;
}

}  // namespace gatelink
