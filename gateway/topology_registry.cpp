// The management group's topology store. Writers: gatelink-mg, one process per command, so two
// admins (or scripts) may run set-parent for the same agent at once; the exclusive flock() on
// DIR/.lock makes "read generation N, write N+1" one step, so no two of them write the same
// generation. Readers: gateways polling, and get-parent; they take no lock because each file is
// only ever replaced by write_file_atomically()'s rename, so a reader sees the old or the new
// file, never a torn one.

#include "topology_registry.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>

#include "store/durable_file.hpp"
#include "xml/strict_xml.hpp"

namespace gatelink::gateway {
namespace {

constexpr std::size_t kMaxAgentName = 255;
constexpr std::string_view kAgentsFolder = "agents";
constexpr std::string_view kLockFile = ".lock";
constexpr std::string_view kSuffix = ".xml";
/// write_file_atomically() names its temporary files "<name>.tmp.XXXXXX".
constexpr std::string_view kTempInfix = ".tmp.";
constexpr std::size_t kTempRandomChars = 6;

std::string errno_text(int error) { return std::generic_category().message(error); }

/// Owns a file descriptor; closing it also releases a flock() taken on it.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

/// Blocks until this process is the store's only writer; released when the result is dropped.
Result<UniqueFd> lock_writers(const std::string& dir) {
  const auto path = dir + "/" + std::string(kLockFile);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (fd.get() < 0) {
    return Error{"cannot open the store's lock file " + path + ": " + errno_text(errno)};
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Error{"cannot lock " + path + ": " + errno_text(errno)};
  }
  return fd;
}

/// The file's bytes, nullopt when it does not exist. Bounded by kMaxTopologyDocumentBytes before
/// anything is read, and only regular files: a FIFO put there must not block a gateway.
Result<std::optional<std::string>> read_bounded(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return Error{path + ": cannot open: " + errno_text(errno)};
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return Error{path + ": cannot stat: " + errno_text(errno)};
  if (!S_ISREG(info.st_mode)) return Error{path + ": not a regular file"};
  const auto too_large = [&] { return xml::too_large(path, kMaxTopologyDocumentBytes); };
  if (static_cast<std::size_t>(info.st_size) > kMaxTopologyDocumentBytes) return too_large();
  // One byte more than allowed tells a file at the limit from one that grew since fstat().
  std::string text(kMaxTopologyDocumentBytes + 1, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const auto n = ::read(fd.get(), text.data() + size, text.size() - size);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{path + ": cannot read: " + errno_text(errno)};
    }
    size += static_cast<std::size_t>(n);
  }
  if (size > kMaxTopologyDocumentBytes) return too_large();
  text.resize(size);
  return std::optional<std::string>(std::move(text));
}

bool allowed_in_agent_name(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::optional<Error> check_agent_name(std::string_view name) {
  if (name.empty()) return Error{"agent name is empty"};
  const auto quoted = "agent name \"" + xml::echo(name) + "\"";
  if (name.size() > kMaxAgentName) {
    return Error{quoted + " is longer than " + std::to_string(kMaxAgentName) + " characters"};
  }
  if (name.front() == '.') return Error{quoted + " starts with '.'"};
  const auto bad = std::find_if_not(name.begin(), name.end(), allowed_in_agent_name);
  if (bad != name.end()) {
    return Error{quoted + " has a character other than letters, digits, '.', '_' and '-' at " +
                 "position " + std::to_string(bad - name.begin() + 1)};
  }
  return std::nullopt;
}

TopologyRegistry::TopologyRegistry(std::string dir)
    : dir_(std::move(dir)), agents_dir_(dir_ + "/" + std::string(kAgentsFolder)) {}

std::optional<Error> TopologyRegistry::check_folder() const {
  struct stat info {};
  if (::stat(dir_.c_str(), &info) != 0) {
    return Error{"cannot use the store " + dir_ + ": " + errno_text(errno)};
  }
  if (!S_ISDIR(info.st_mode)) return Error{"cannot use the store " + dir_ + ": not a folder"};
  return std::nullopt;
}

std::string TopologyRegistry::path_of(std::string_view agent) const {
  return agents_dir_ + "/" + std::string(agent) + std::string(kSuffix);
}

FileSignature TopologyRegistry::signature(std::string_view agent) const {
  struct stat info {};
  if (::stat(path_of(agent).c_str(), &info) != 0) return FileSignature{.stat_error = errno};
  return FileSignature{.device = static_cast<std::uint64_t>(info.st_dev),
                       .inode = static_cast<std::uint64_t>(info.st_ino),
                       .size = static_cast<std::int64_t>(info.st_size),
                       .mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                                   static_cast<std::int64_t>(info.st_mtim.tv_nsec)};
}

Result<std::optional<PersistedTopology>> TopologyRegistry::get(std::string_view agent) const {
  if (auto bad = check_agent_name(agent)) return *bad;
  const auto path = path_of(agent);
  auto text = read_bounded(path);
  if (!text) return text.error();
  if (!*text) return std::optional<PersistedTopology>{};
  auto parsed = parse_topology_xml(**text, path);
  if (!parsed) return parsed.error();
  return std::optional<PersistedTopology>(std::move(*parsed));
}

Result<std::optional<StoreSettings>> TopologyRegistry::settings() const {
  const auto path = dir_ + "/" + std::string(kStoreSettingsFile);
  auto text = read_bounded(path);
  if (!text) return text.error();
  if (!*text) return std::optional<StoreSettings>{};
  auto parsed = parse_store_settings(**text, path);
  if (!parsed) return parsed.error();
  return std::optional<StoreSettings>(std::move(*parsed));
}

std::optional<Error> TopologyRegistry::check_init(const StoreSettings& settings) const {
  const auto refuse = [&](const std::string& why) {
    return Error{"refusing init of the store " + dir_ + ": " + why};
  };
  if (auto problem = validate_management_group(settings.management_group)) {
    return refuse(problem->message);
  }
  auto existing = this->settings();
  if (!existing) return existing.error();
  if (*existing) {
    return refuse("it is initialised already, for management group \"" +
                  (*existing)->management_group + "\" (" + std::string(kStoreSettingsFile) + ")");
  }
  // Entries an older gatelink-mg wrote must all belong to the group the store now names.
  std::error_code ec;
  for (std::filesystem::directory_iterator it(agents_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto file = it->path().filename().string();
    if (!file.ends_with(kSuffix) || file.find(kTempInfix) != std::string::npos) continue;
    const auto agent = file.substr(0, file.size() - kSuffix.size());
    if (check_agent_name(agent)) continue;
    auto stored = get(agent);
    if (!stored) return refuse(stored.error().message);
    if (*stored && (*stored)->topology.management_group != settings.management_group) {
      return refuse("agent " + agent + " belongs to management group \"" +
                    (*stored)->topology.management_group + "\", not \"" +
                    xml::echo(settings.management_group) + "\"");
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return refuse("cannot list " + agents_dir_ + ": " + ec.message());
  }
  return std::nullopt;
}

Result<StoreSettings> TopologyRegistry::init(const StoreSettings& settings) {
  if (auto missing = check_folder()) return *missing;
  // A dry run first, so that a refused init leaves not even a lock file behind.
  if (auto refused = check_init(settings)) return *refused;
  auto lock = lock_writers(dir_);
  if (!lock) return lock.error();
  if (auto refused = check_init(settings)) return *refused;
  if (auto written = write_file_atomically(dir_, std::string(kStoreSettingsFile),
                                           render_store_settings(settings));
      !written) {
    return written.error();
  }
  return settings;
}

Result<PersistedTopology> TopologyRegistry::plan(const SetParentRequest& request,
                                                 Clock::time_point now) const {
  auto stored = get(request.agent);
  if (!stored) return stored.error();
  const auto& previous = stored.value();
  const auto refuse = [&](const std::string& why) {
    return Error{"refusing set-parent for agent " + request.agent + ": " + why};
  };
  auto store_settings = settings();
  if (!store_settings) return store_settings.error();
  std::optional<std::string> group = request.management_group;
  if (const auto& kept = *store_settings) {
    if (group && *group != kept->management_group) {
      return refuse("the store belongs to management group \"" + kept->management_group +
                    "\", not \"" + xml::echo(*group) + "\"");
    }
    group = kept->management_group;
  }

  // To the millisecond, as the document keeps it: what set_parent() returns is what get() reads.
  PersistedTopology next{.topology = {.primary = request.primary, .failover = request.failover},
                         .received_at = std::chrono::floor<std::chrono::milliseconds>(now)};
  auto& topology = next.topology;
  if (previous) {
    const auto& held = previous->topology;
    if (held.generation == std::numeric_limits<std::uint64_t>::max()) {
      return refuse("generation " + std::to_string(held.generation) + " is the last one");
    }
    topology.generation = held.generation + 1;
    if (group && *group != held.management_group) {
      return refuse("it belongs to management group \"" + held.management_group + "\", not \"" +
                    xml::echo(*group) + "\"");
    }
    topology.management_group = held.management_group;
  } else if (group) {
    topology.generation = 1;
    topology.management_group = *group;
  } else {
    return Error{"first set-parent for agent " + request.agent +
                 " needs --management-group (or, once for the store: gatelink-mg --store " + dir_ +
                 " init --management-group MG)"};
  }
  if (auto problem = validate_topology(topology)) return refuse(problem->message);
  // What a gateway could not read back would never be delivered: check it before writing.
  if (auto reread = parse_topology_xml(render_topology_xml(next), path_of(request.agent));
      !reread) {
    return refuse("the document would not read back: " + reread.error().message);
  }
  return next;
}

Result<PersistedTopology> TopologyRegistry::set_parent(const SetParentRequest& request,
                                                       Clock::time_point now) {
  if (auto bad = check_agent_name(request.agent)) return *bad;
  if (auto missing = check_folder()) return *missing;
  // A dry run before anything is created: a refused request leaves the store as it was, not
  // even with a lock file in it.
  if (auto dry = plan(request, now); !dry) return dry.error();

  auto lock = lock_writers(dir_);
  if (!lock) return lock.error();
  // Again under the lock: another writer may have stored a generation since the dry run.
  auto next = plan(request, now);
  if (!next) return next.error();
  if (auto created = create_private_directory(agents_dir_); !created) return created.error();
  remove_stale_temp_files(request.agent);
  const auto name = std::string(request.agent) + std::string(kSuffix);
  if (auto written = write_file_atomically(agents_dir_, name, render_topology_xml(*next));
      !written) {
    return written.error();
  }
  return next;
}

void TopologyRegistry::remove_stale_temp_files(std::string_view agent) const {
  // Only this agent's, and only while holding the lock: then no writer is using them. mkstemp's
  // six characters are letters and digits, so no entry "<name>.xml" (which ends in ".xml") of
  // another agent, such as "web01.xml.tmp.ab.xml", looks like one of them.
  const auto prefix = std::string(agent) + std::string(kSuffix) + std::string(kTempInfix);
  const auto is_temp = [&](std::string_view file) {
    return file.size() == prefix.size() + kTempRandomChars && file.starts_with(prefix) &&
           std::all_of(file.begin() + static_cast<std::ptrdiff_t>(prefix.size()), file.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
  };
  std::error_code ec;
  std::vector<std::filesystem::path> stale;
  for (std::filesystem::directory_iterator it(agents_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (is_temp(it->path().filename().string())) stale.push_back(it->path());
  }
  // Best effort: a temporary file left behind costs disk space, never correctness.
  for (const auto& path : stale) std::filesystem::remove(path, ec);
}

}  // namespace gatelink::gateway
