// Folder safety on POSIX: owners and mode bits of the folder and every folder above it, after
// OpenSSH's safe_path() (auth.c), which walks from the file up to the root in the same way.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "store/folder_safety.hpp"

namespace gatelink {
namespace {

namespace fs = std::filesystem;

/// What a folder is to the one being checked.
enum class Place { itself, above };

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

/// Ok when `folder` may be trusted in its place: owned by root or us, and writable by nobody
/// else (above the checked folder: unless sticky).
Status check_one(const fs::path& folder, Place place) {
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0) {
    return Error{"cannot inspect " + folder.string() + ": " +
                 std::generic_category().message(errno)};
  }
  const std::string where =
      place == Place::itself ? folder.string() : "the folder above it, " + folder.string() + ",";
  const uid_t agent_user = ::geteuid();
  if (info.st_uid != 0 && info.st_uid != agent_user) {
    return Error{where + " is owned by uid " + std::to_string(info.st_uid) +
                 ", neither root nor the agent's user (uid " + std::to_string(agent_user) +
                 "); refusing it: that user could replace what the agent keeps there"};
  }
  const bool others_write = (info.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  const bool sticky = (info.st_mode & S_ISVTX) != 0;
  if (others_write && (place == Place::itself || !sticky)) {
    return Error{where + " has mode " + octal_mode(info.st_mode) +
                 ": group or others may write to it; refusing it (chmod go-w " + folder.string() +
                 ")"};
  }
  return Ok{};
}

/// Checks every folder from the root down to `real` (a canonical path), `real` as `last`.
Status check_chain(const fs::path& real, Place last) {
  fs::path walked;
  for (auto part = real.begin(); part != real.end(); ++part) {
    walked /= *part;
    const bool is_last = std::next(part) == real.end();
    if (Status one = check_one(walked, is_last ? last : Place::above); !one) return one;
  }
  return Ok{};
}

}  // namespace

Status check_folder_safety(const std::string& dir) {
  std::error_code ec;
  const fs::path real = fs::canonical(dir, ec);
  if (ec) return Error{"cannot resolve " + dir + ": " + ec.message()};
  if (!fs::is_directory(real, ec)) return Error{dir + " exists and is not a folder"};
  return check_chain(real, Place::itself);
}

Status check_parents_safety(const std::string& dir) {
  fs::path parent = fs::absolute(fs::path(dir)).lexically_normal();
  if (!parent.has_filename()) parent = parent.parent_path();  // "a/b/" names the folder "a/b"
  std::error_code ec;
  while (parent.has_relative_path() && !fs::exists(parent, ec)) parent = parent.parent_path();
  const fs::path real = fs::canonical(parent, ec);
  if (ec) return Error{"cannot resolve " + parent.string() + ": " + ec.message()};
  return check_chain(real, Place::above);
}

bool folder_exists(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec);
}

}  // namespace gatelink
