// The management group's topology store. Writers: gatelink-mg, one process per command, so two
// admins (or scripts) may run set-parent for the same agent at once; the exclusive flock() on
// DIR/.lock makes "read generation N, write N+1" one step, so no two of them write the same
// generation; new-epoch holds it while it issues every entry again. Readers: gateways polling, and
// get-parent; they take no lock because each file is only ever replaced by
// write_file_atomically()'s rename, so a reader sees the old or the new file, never a torn one.

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
#include <type_traits>
#include <utility>

#include "signature/signing_key.hpp"
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

/// What a writer planned, and the store's lock, held while it writes that.
template <class Plan>
struct Locked {
  UniqueFd lock;
  Plan plan;
};

/// `plan()` twice: as a dry run, so that a refused command creates nothing in the store (not
/// even the lock file), then holding the lock, since another writer may have written meanwhile.
template <class PlanFunction>
auto plan_locked(const std::string& dir, const PlanFunction& plan)
    -> Result<Locked<std::decay_t<decltype(plan().value())>>> {
  if (auto dry = plan(); !dry) return dry.error();
  auto lock = lock_writers(dir);
  if (!lock) return lock.error();
  auto planned = plan();
  if (!planned) return planned.error();
  return Locked<std::decay_t<decltype(plan().value())>>{std::move(*lock), std::move(*planned)};
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

/// The entry in `text`, agent `agent`'s file at `path`: a <stored-topology>, or a legacy
/// version-1 <topology> (parse_persisted_topology tells them apart).
Result<RegistryEntry> parse_entry(std::string_view text, const std::string& path,
                                  std::string_view agent) {
  auto persisted = parse_persisted_topology(text, path);
  if (!persisted) return persisted.error();
  auto& issued_document = persisted->issued;
  if (issued_document.bytes.empty()) {
    return RegistryEntry{.issued = {.agent = std::string(agent),
                                    .topology = std::move(persisted->topology),
                                    .issued_at = persisted->received_at}};
  }
  // Read again for what the agent's view of the file leaves out: whom the document is for.
  auto issued = parse_issued_topology(issued_document.bytes, path + " <document>");
  if (!issued) return issued.error();
  if (issued->agent != agent) {
    return Error{path + ": the document is issued for agent \"" + xml::echo(issued->agent) +
                 "\", not " + std::string(agent)};
  }
  return RegistryEntry{.issued = std::move(*issued),
                       .stored = {.document = std::move(issued_document.bytes),
                                  .signature = std::move(issued_document.signature),
                                  .key = std::move(issued_document.signed_by)}};
}

/// The key store.xml names, loaded now (its permissions checked); none when it names none.
Result<std::optional<signature::SigningKey>> load_signing_key(
    const std::optional<std::string>& path) {
  if (!path) return std::optional<signature::SigningKey>{};
  auto key = signature::SigningKey::load(*path);
  if (!key) return key.error();
  return std::optional<signature::SigningKey>(std::move(*key));
}

/// `issued` as its file at `path`, signed with `key` when there is one; read back as get() reads
/// it, so that what is written is what gateways push.
Result<IssuedEntry> issue(const IssuedTopology& issued,
                          const std::optional<signature::SigningKey>& key,
                          const std::string& path) {
  auto document = render_issued_topology(issued);
  if (!document) return document.error();
  StoredTopology stored{.document = std::move(*document)};
  if (key) {
    stored.signature = key->sign(stored.document);
    stored.key = key->public_key().fingerprint();
  }
  auto text = render_stored_topology(stored);
  if (!text) return text.error();
  auto entry = parse_entry(*text, path, issued.agent);
  if (!entry) return Error{"the entry would not read back: " + entry.error().message};
  return IssuedEntry{.entry = std::move(*entry), .text = std::move(*text)};
}

/// store.xml for `settings`, refused when it would not read back to the same.
Result<std::string> render_checked_settings(const StoreSettings& settings,
                                            const std::string& path) {
  auto text = render_store_settings(settings);
  auto reread = parse_store_settings(text, path);
  if (!reread) return Error{"store.xml would not read back: " + reread.error().message};
  if (!(*reread == settings)) return Error{"store.xml would not read back to the same settings"};
  return text;
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

Result<std::optional<RegistryEntry>> TopologyRegistry::get(std::string_view agent) const {
  if (auto bad = check_agent_name(agent)) return *bad;
  const auto path = path_of(agent);
  auto text = read_bounded(path);
  if (!text) return text.error();
  if (!*text) return std::optional<RegistryEntry>{};
  auto entry = parse_entry(**text, path, agent);
  if (!entry) return entry.error();
  return std::optional<RegistryEntry>(std::move(*entry));
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

std::uint64_t epoch_at(std::chrono::system_clock::time_point now) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  return seconds < 1 ? 1 : static_cast<std::uint64_t>(seconds);
}

Result<std::vector<RegistryEntry>> TopologyRegistry::entries() const {
  std::vector<std::string> agents;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(agents_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto file = it->path().filename().string();
    if (!file.ends_with(kSuffix) || file.find(kTempInfix) != std::string::npos) continue;
    auto agent = file.substr(0, file.size() - kSuffix.size());
    if (!check_agent_name(agent)) agents.push_back(std::move(agent));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Error{"cannot list " + agents_dir_ + ": " + ec.message()};
  }
  std::sort(agents.begin(), agents.end());
  std::vector<RegistryEntry> all;
  for (const auto& agent : agents) {
    auto stored = get(agent);
    if (!stored) return stored.error();
    if (*stored) all.push_back(std::move(**stored));  // gone since the listing
  }
  return all;
}

Result<std::string> TopologyRegistry::plan_init(const StoreSettings& settings) const {
  const auto refuse = [&](const std::string& why) {
    return Error{"refusing init of the store " + dir_ + ": " + why};
  };
  if (auto problem = validate_management_group(settings.management_group)) {
    return refuse(problem->message);
  }
  if (auto problem = check_store_epoch(settings.epoch)) return refuse(problem->message);
  auto text = render_checked_settings(settings, dir_ + "/" + std::string(kStoreSettingsFile));
  if (!text) return refuse(text.error().message);
  if (auto key = load_signing_key(settings.signing_key); !key) return refuse(key.error().message);
  auto existing = this->settings();
  if (!existing) return existing.error();
  if (*existing) {
    return refuse("it is initialised already, for management group \"" +
                  (*existing)->management_group + "\" (" + std::string(kStoreSettingsFile) + ")");
  }
  // Entries an older gatelink-mg wrote must all belong to the group the store now names.
  auto all = entries();
  if (!all) return refuse(all.error().message);
  for (const auto& entry : *all) {
    const auto& group = entry.issued.topology.management_group;
    if (group != settings.management_group) {
      return refuse("agent " + entry.issued.agent + " belongs to management group \"" + group +
                    "\", not \"" + xml::echo(settings.management_group) + "\"");
    }
  }
  return text;
}

Result<StoreSettings> TopologyRegistry::init(const StoreSettings& settings) {
  if (auto missing = check_folder()) return *missing;
  auto locked = plan_locked(dir_, [&] { return plan_init(settings); });
  if (!locked) return locked.error();
  if (auto written = write_file_atomically(dir_, std::string(kStoreSettingsFile), locked->plan);
      !written) {
    return written.error();
  }
  return settings;
}

Result<IssuedEntry> TopologyRegistry::plan(const SetParentRequest& request,
                                           Clock::time_point now) const {
  auto stored = get(request.agent);
  if (!stored) return stored.error();
  const auto& previous = stored.value();
  const auto refuse = [&](const std::string& why) {
    return Error{"refusing set-parent for agent " + request.agent + ": " + why};
  };
  auto store_settings = settings();
  if (!store_settings) return store_settings.error();
  const StoreSettings* kept = store_settings->has_value() ? &**store_settings : nullptr;
  std::optional<std::string> group = request.management_group;
  if (kept) {
    if (group && *group != kept->management_group) {
      return refuse("the store belongs to management group \"" + kept->management_group +
                    "\", not \"" + xml::echo(*group) + "\"");
    }
    group = kept->management_group;
  }

  // To the millisecond, as the document keeps it: what set_parent() returns is what get() reads.
  IssuedTopology next{.agent = request.agent,
                      .topology = {.primary = request.primary, .failover = request.failover},
                      .issued_at = std::chrono::floor<std::chrono::milliseconds>(now)};
  auto& topology = next.topology;
  // A store without store.xml issues in epoch 0, unsigned, as before epochs.
  topology.epoch = kept ? kept->epoch : 0;
  topology.generation = 1;
  if (previous) {
    const auto& held = previous->issued.topology;
    if (held.epoch > topology.epoch) {
      return refuse("its entry was written in a later epoch than " +
                    std::string(kStoreSettingsFile) + " holds (" + to_string(version_of(held)) +
                    "; the store's epoch is " + std::to_string(topology.epoch) +
                    "): was store.xml restored from an older backup? gatelink-mg --store " + dir_ +
                    " new-epoch moves the store past it");
    }
    // Legacy entries hold epoch 0: without store.xml their generations go on.
    if (held.epoch == topology.epoch) {
      constexpr auto kLast = std::numeric_limits<std::uint64_t>::max();
      topology.generation = held.generation == kLast ? kLast : held.generation + 1;
    }
    if (group && *group != held.management_group) {
      return refuse("it belongs to management group \"" + held.management_group + "\", not \"" +
                    xml::echo(*group) + "\"");
    }
    topology.management_group = held.management_group;
  } else if (group) {
    topology.management_group = *group;
  } else {
    return Error{"first set-parent for agent " + request.agent +
                 " needs --management-group (or, once for the store: gatelink-mg --store " + dir_ +
                 " init --management-group MG)"};
  }
  if (auto problem = check_issuable(version_of(topology))) {
    if (topology.generation == std::numeric_limits<std::uint64_t>::max()) {
      return refuse("the generation space of epoch " + std::to_string(topology.epoch) +
                    " is used up: start a new epoch with gatelink-mg --store " + dir_ +
                    (kept ? " new-epoch" : " init (then new-epoch when it is used up again)"));
    }
    return refuse(problem->message);
  }
  if (auto problem = validate_topology(topology)) return refuse(problem->message);
  auto key = load_signing_key(kept ? kept->signing_key : std::nullopt);
  if (!key) return refuse(key.error().message);
  auto issued = issue(next, *key, path_of(request.agent));
  if (!issued) return refuse(issued.error().message);
  return issued;
}

Result<RegistryEntry> TopologyRegistry::set_parent(const SetParentRequest& request,
                                                   Clock::time_point now) {
  if (auto bad = check_agent_name(request.agent)) return *bad;
  if (auto missing = check_folder()) return *missing;
  auto locked = plan_locked(dir_, [&] { return plan(request, now); });
  if (!locked) return locked.error();
  if (auto written = write_entry(locked->plan); !written) return written.error();
  return std::move(locked->plan.entry);
}

Result<TopologyRegistry::EpochPlan> TopologyRegistry::plan_epoch(const NewEpochRequest& request,
                                                                 Clock::time_point now) const {
  const auto refuse = [&](const std::string& why) {
    return Error{"refusing new-epoch for the store " + dir_ + ": " + why};
  };
  auto current = settings();
  if (!current) return current.error();
  if (!*current) {
    return refuse("it has no " + std::string(kStoreSettingsFile) + " (gatelink-mg --store " + dir_ +
                  " init --management-group MG first)");
  }
  auto all = entries();
  if (!all) return refuse(all.error().message);

  EpochPlan plan{.result = {.settings = **current}};
  auto& next = plan.result.settings;
  if (request.signing_key) next.signing_key = request.signing_key;
  // The new epoch must follow the store's and every entry's (one written under a store.xml
  // that has since been restored from an older backup, say).
  std::uint64_t highest = current->value().epoch;
  std::string highest_is = "the store's epoch " + std::to_string(highest);
  for (const auto& entry : *all) {
    if (entry.issued.topology.epoch > highest) {
      highest = entry.issued.topology.epoch;
      highest_is =
          "epoch " + std::to_string(highest) + " of agent " + entry.issued.agent + "'s entry";
    }
  }
  constexpr auto kLast = std::numeric_limits<std::uint64_t>::max();
  next.epoch =
      request.epoch.value_or(std::max(epoch_at(now), highest == kLast ? kLast : highest + 1));
  if (next.epoch <= highest) {
    return refuse("epoch " + std::to_string(next.epoch) + " is not greater than " + highest_is);
  }
  if (auto problem = check_store_epoch(next.epoch)) return refuse(problem->message);
  auto text = render_checked_settings(next, dir_ + "/" + std::string(kStoreSettingsFile));
  if (!text) return refuse(text.error().message);
  plan.settings_text = std::move(*text);
  auto key = load_signing_key(next.signing_key);
  if (!key) return refuse(key.error().message);
  if (*key) plan.result.signed_by = (*key)->public_key().fingerprint();

  const auto issued_at = std::chrono::floor<std::chrono::milliseconds>(now);
  for (const auto& entry : *all) {
    const auto& agent = entry.issued.agent;
    auto topology = entry.issued.topology;
    if (topology.management_group != next.management_group) {
      return refuse("agent " + agent + " belongs to management group \"" +
                    topology.management_group + "\", not the store's \"" + next.management_group +
                    "\"");
    }
    topology.epoch = next.epoch;
    topology.generation = 1;
    auto issued = issue({.agent = agent, .topology = std::move(topology), .issued_at = issued_at},
                        *key, path_of(agent));
    if (!issued) return refuse("agent " + agent + ": " + issued.error().message);
    plan.result.agents.push_back(agent);
    plan.issues.push_back(std::move(*issued));
  }
  return plan;
}

Result<NewEpochResult> TopologyRegistry::new_epoch(const NewEpochRequest& request,
                                                   Clock::time_point now) {
  if (auto missing = check_folder()) return *missing;
  auto locked = plan_locked(dir_, [&] { return plan_epoch(request, now); });
  if (!locked) return locked.error();
  const auto& plan = locked->plan;
  // store.xml first: a crash after it leaves entries of an older epoch, which set-parent
  // issues again at generation 1 and a second new-epoch moves on with the rest.
  if (auto written =
          write_file_atomically(dir_, std::string(kStoreSettingsFile), plan.settings_text);
      !written) {
    return written.error();
  }
  for (const auto& issued : plan.issues) {
    if (auto written = write_entry(issued); !written) return written.error();
  }
  return plan.result;
}

Status TopologyRegistry::write_entry(const IssuedEntry& issued) const {
  if (auto created = create_private_directory(agents_dir_); !created) return created.error();
  const auto& agent = issued.entry.issued.agent;
  remove_stale_temp_files(agent);
  return write_file_atomically(agents_dir_, agent + std::string(kSuffix), issued.text);
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
