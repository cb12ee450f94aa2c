#include "integration/harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gatelink::test {

namespace {

std::string env_or_throw(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string("environment variable not set: ") + name);
  }
  return value;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Poll period of wait_until: short enough not to slow tests, long enough not to spin.
constexpr auto kPollPeriod = 5ms;

/// argv[0]: a path, or a program looked up on PATH.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& out_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

}  // namespace

Pki test_pki() { return Pki{env_or_throw("GATELINK_TEST_PKI")}; }
fs::path bin_dir() { return env_or_throw("GATELINK_BIN_DIR"); }

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "gatelink-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Process::Process(std::vector<std::string> argv, fs::path log_file)
    : log_file_(std::move(log_file)) {
  pid_ = spawn(argv, log_file_);
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(5s);
  }
}

void Process::signal(int signo) const { ::kill(pid_, signo); }

bool Process::running() {
  if (exit_status_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds deadline) {
  wait_until([this] { return !running(); }, deadline);
  return exit_status_;
}

std::string Process::log() const { return read_file(log_file_); }

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(kPollPeriod);
  }
}

RunResult run_program(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
  TempDir dir;
  Process p(argv, dir / "out");
  RunResult r;
  auto status = p.wait_exit(deadline);
  r.exit_status = status.value_or(-1);
  r.out = p.log();
  return r;
}

TimedRun run_program_timed(const std::vector<std::string>& argv,
                           std::chrono::milliseconds deadline) {
  TempDir dir;
  const auto out = dir / "out";
  TimedRun run;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = spawn(argv, out);
  // syscall(): glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
  const int exited = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (exited < 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw std::runtime_error("pidfd_open failed for " + argv[0]);
  }
  pollfd p{.fd = exited, .events = POLLIN, .revents = 0};
  const bool in_time = ::poll(&p, 1, static_cast<int>(deadline.count())) == 1;
  run.took = std::chrono::steady_clock::now() - start;
  ::close(exited);
  if (!in_time) ::kill(pid, SIGKILL);
  int status = 0;
  if (::waitpid(pid, &status, 0) == pid && in_time) {
    run.result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  run.result.out = read_file(out);
  return run;
}

GatewayProcess start_gateway(const TempDir& dir, const std::string& name,
                             const std::string& cert_base, std::uint16_t port,
                             const std::vector<std::string>& extra, const std::string& host,
                             const std::vector<std::string>& launcher) {
  const auto pki = test_pki();
  const auto ready = dir / (name + ".ready");
  fs::remove(ready);
  std::vector<std::string> argv = {(bin_dir() / "gatelink-gateway").string(),
                                   "--name", name,
                                   "--listen", host + ":" + std::to_string(port),
                                   "--cert", pki.file(cert_base + ".pem"),
                                   "--key", pki.file(cert_base + ".key"),
                                   "--ca", pki.file("ca.pem"),
                                   "--ready-file", ready.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.begin(), launcher.begin(), launcher.end());
  GatewayProcess g;
  g.name = name;
  g.process = std::make_unique<Process>(argv, dir / (name + ".log"));
  if (!wait_until(
          [&] {
            return !g.process->running() || (fs::exists(ready) && fs::file_size(ready) > 0);
          },
          10s) ||
      !g.process->running()) {
    throw std::runtime_error("gateway " + name + " did not start: " + g.process->log());
  }
  std::string where = read_file(ready);
  where.erase(where.find_last_not_of("\r\n") + 1);
  g.address = where;
  g.port = static_cast<std::uint16_t>(std::stoi(where.substr(where.rfind(':') + 1)));
  return g;
}

fs::path write_agent_config(const TempDir& dir, const AgentSetup& s) {
  const auto pki = test_pki();
  std::ostringstream x;
  x << "<agent name=\"" << s.name << "\" management-group=\"" << s.management_group << "\">\n"
    << "  <tls ca=\"" << pki.file("ca.pem") << "\" cert=\"" << pki.file(s.cert_base + ".pem")
    << "\" key=\"" << pki.file(s.cert_base + ".key") << "\"";
  if (s.with_crl) x << " crl=\"" << pki.file("ca.crl") << "\"";
  x << "/>\n";
  if (!s.management_group_keys.empty()) {
    x << "  <management-group-keys>\n";
    for (const auto& key : s.management_group_keys) x << "    <key file=\"" << key << "\"/>\n";
    x << "  </management-group-keys>\n";
  }
  x << "  <gateways>\n";
  for (std::size_t i = 0; i < s.gateways.size(); ++i) {
    x << "    <" << (i == 0 ? "primary" : "failover") << " address=\"" << s.gateways[i].first
      << "\"";
    if (!s.gateways[i].second.empty()) x << " server-name=\"" << s.gateways[i].second << "\"";
    x << "/>\n";
  }
  x << "  </gateways>\n"
    << "  <heartbeat interval-ms=\"" << s.heartbeat_interval_ms << "\" misses=\"" << s.misses
    << "\"/>\n";
  if (s.probe_interval_ms || s.stable_probes) {
    x << "  <failback";
    if (s.probe_interval_ms) x << " probe-interval-ms=\"" << *s.probe_interval_ms << "\"";
    if (s.stable_probes) x << " stable-probes=\"" << *s.stable_probes << "\"";
    x << "/>\n";
  }
  if (s.standby_interval_ms) {
    x << "  <warm-standby interval-ms=\"" << *s.standby_interval_ms << "\"/>\n";
  }
  if (s.prefetch_within_ms) {
    x << "  <resumption prefetch-within-ms=\"" << *s.prefetch_within_ms << "\"/>\n";
  }
  x << "  <backoff base-ms=\"50\" cap-ms=\"" << s.backoff_cap_ms << "\"/>\n"
    << "  <timeouts connect-ms=\"1000\" handshake-ms=\"" << s.handshake_timeout_ms << "\"";
  if (s.resolve_ms) x << " resolve-ms=\"" << *s.resolve_ms << "\"";
  x << "/>\n"
    << "  <state dir=\"" << agent_state_dir(dir).string() << "\"/>\n"
    << "  <status socket=\"" << (dir / "agent.sock").string() << "\"/>\n"
    << "</agent>\n";
  const auto path = dir / "agent.xml";
  std::ofstream(path) << x.str();
  // As the agent makes it: the folder is refused when others may write to it, whatever the umask.
  fs::create_directories(agent_state_dir(dir));
  fs::permissions(agent_state_dir(dir), fs::perms::owner_all);
  return path;
}

fs::path agent_state_dir(const TempDir& dir) { return dir / "state"; }

std::unique_ptr<Process> start_agent(const TempDir& dir, const fs::path& config,
                                     const std::vector<std::string>& prefix,
                                     const std::string& log_level) {
  std::vector<std::string> argv = prefix;
  argv.insert(argv.end(), {(bin_dir() / "gatelink-agent").string(), "--config", config.string(),
                           "--log-level", log_level});
  return std::make_unique<Process>(std::move(argv), dir / "agent.log");
}

std::optional<std::vector<std::string>> wait_status_recording_states(
    const fs::path& socket, const std::function<bool(const nlohmann::json&)>& done,
    std::chrono::milliseconds deadline) {
  std::vector<std::string> states;
  const bool reached = wait_until(
      [&] {
        auto status = agent_status(socket);
        if (!status) return false;
        const auto state = (*status)["state"].get<std::string>();
        if (states.empty() || states.back() != state) states.push_back(state);
        return done(*status);
      },
      deadline);
  if (!reached) return std::nullopt;
  return states;
}

RunResult run_mg(const fs::path& store, const std::vector<std::string>& args,
                 std::chrono::milliseconds deadline) {
  std::vector<std::string> argv = {(bin_dir() / "gatelink-mg").string(), "--store",
                                   store.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, deadline);
}

std::size_t proc_status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoul(line.substr(field.size() + 1));
  }
  return 0;
}

std::uint64_t proc_cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // the name may hold spaces
  std::string field;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return utime + stime;
}

std::optional<std::uint64_t> proc_cpu_ns(pid_t pid) {
  std::error_code ec;
  std::uint64_t total = 0;
  bool any = false;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    std::uint64_t on_cpu = 0;
    if (in >> on_cpu) {
      total += on_cpu;
      any = true;
    }
  }
  if (!any) return std::nullopt;
  return total;
}

std::size_t proc_thread_count(pid_t pid) {
  std::error_code ec;
  std::size_t threads = 0;
  for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++threads;
  }
  return threads;
}

namespace {

/// A `Name:   123 kB` line of smaps: the name and the number; nullopt for any other line.
std::optional<std::pair<std::string, std::size_t>> smaps_field(const std::string& line) {
  const auto colon = line.find(':');
  if (colon == std::string::npos || colon == 0 || line.find(' ') < colon) return std::nullopt;
  std::istringstream value(line.substr(colon + 1));
  std::size_t kib = 0;
  std::string unit;
  if (!(value >> kib >> unit) || unit != "kB") return std::nullopt;
  return std::pair{line.substr(0, colon), kib};
}

/// One mapping of /proc/PID/smaps: its range, permissions, path and fields.
struct Mapping {
  std::uintptr_t start = 0;
  std::uintptr_t end = 0;
  std::string perms;
  std::string path;
  std::map<std::string, std::size_t> kib;
  bool anonymous() const { return path.empty(); }
  bool inaccessible() const { return perms.rfind("---", 0) == 0; }
};

std::vector<Mapping> read_smaps(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
  std::vector<Mapping> maps;
  for (std::string line; std::getline(in, line);) {
    if (auto field = smaps_field(line)) {
      if (!maps.empty()) maps.back().kib[field->first] = field->second;
      continue;
    }
    // A mapping's first line: `start-end perms offset dev inode [path]`.
    std::istringstream header(line);
    std::string range, offset, device, inode;
    Mapping m;
    if (!(header >> range >> m.perms >> offset >> device >> inode)) continue;
    const auto dash = range.find('-');
    if (dash == std::string::npos || m.perms.size() != 4) continue;
    m.start = std::stoull(range.substr(0, dash), nullptr, 16);
    m.end = std::stoull(range.substr(dash + 1), nullptr, 16);
    std::getline(header >> std::ws, m.path);
    maps.push_back(std::move(m));
  }
  return maps;
}

/// glibc's HEAP_MAX_SIZE on 64-bit: each thread arena reserves (and is aligned to) this much.
constexpr std::uintptr_t kArenaReservation = 64u << 20;

/// What anonymous mapping `i` is, by its shape and its neighbours (see proc_smaps_by_name).
std::string anonymous_kind(const std::vector<Mapping>& maps, std::size_t i) {
  const Mapping& m = maps[i];
  const auto below = [&](std::size_t j) {
    return j > 0 && maps[j - 1].anonymous() && maps[j - 1].end == maps[j].start;
  };
  const auto above = [&](std::size_t j) {
    return j + 1 < maps.size() && maps[j + 1].anonymous() && maps[j + 1].start == maps[j].end;
  };
  // An arena: the accessible part at the reservation's aligned start, the rest inaccessible.
  const auto arena_start = [&](std::size_t j) {
    return !maps[j].inaccessible() && maps[j].start % kArenaReservation == 0 && above(j) &&
           maps[j + 1].inaccessible();
  };
  if (arena_start(i) || (m.inaccessible() && below(i) && arena_start(i - 1))) {
    return "[malloc arenas]";
  }
  // A thread stack: accessible, right above its inaccessible guard (and the guard itself).
  if (!m.inaccessible() && below(i) && maps[i - 1].inaccessible()) return "[thread stacks]";
  if (m.inaccessible() && above(i) && !maps[i + 1].inaccessible() && !arena_start(i + 1)) {
    return "[thread stacks]";
  }
  return "[anon]";
}

}  // namespace

std::map<std::string, std::size_t> proc_smaps_rollup_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::map<std::string, std::size_t> fields;
  for (std::string line; std::getline(in, line);) {
    if (auto field = smaps_field(line)) fields[field->first] = field->second;
  }
  return fields;
}

std::vector<MappingFootprint> proc_smaps_by_name(pid_t pid) {
  const auto maps = read_smaps(pid);
  std::map<std::string, MappingFootprint> by_name;
  for (std::size_t i = 0; i < maps.size(); ++i) {
    const Mapping& m = maps[i];
    const std::string name = m.anonymous() ? anonymous_kind(maps, i) : m.path;
    auto& f = by_name[name];
    f.name = name;
    const auto kib = [&m](const char* field) {
      const auto it = m.kib.find(field);
      return it == m.kib.end() ? std::size_t{0} : it->second;
    };
    ++f.mappings;
    f.size_kib += kib("Size");
    f.rss_kib += kib("Rss");
    f.pss_kib += kib("Pss");
    f.private_kib += kib("Private_Clean") + kib("Private_Dirty");
    f.shared_kib += kib("Shared_Clean") + kib("Shared_Dirty");
  }
  std::vector<MappingFootprint> out;
  for (auto& [name, f] : by_name) out.push_back(std::move(f));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.rss_kib != b.rss_kib ? a.rss_kib > b.rss_kib : a.size_kib > b.size_kib;
  });
  return out;
}

fs::path own_folder() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text.data();
}

std::string read_text_file(const fs::path& path, std::size_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool any_line_has(const std::string& text, const std::vector<std::string>& parts) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& part : parts) all = all && line.find(part) != std::string::npos;
    if (all) return true;
  }
  return false;
}

std::vector<std::string> lines_with(const std::string& text,
                                    const std::vector<std::string>& parts) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& part : parts) all = all && line.find(part) != std::string::npos;
    if (all) found.push_back(line);
  }
  return found;
}

std::optional<std::chrono::system_clock::time_point> log_line_time(const std::string& line) {
  std::tm fields{};
  int millis = -1;
  char zone = '\0';
  if (std::sscanf(line.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &fields.tm_year, &fields.tm_mon,
                  &fields.tm_mday, &fields.tm_hour, &fields.tm_min, &fields.tm_sec, &millis,
                  &zone) != 8 ||
      zone != 'Z') {
    return std::nullopt;
  }
  fields.tm_year -= 1900;
  fields.tm_mon -= 1;
  const std::time_t seconds = ::timegm(&fields);
  if (seconds == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

std::optional<nlohmann::json> agent_status(const fs::path& socket) {
  auto r = run_program({(bin_dir() / "gatelinkctl").string(), "--socket", socket.string(),
                        "status", "--json"},
                       5s);
  if (r.exit_status != 0 && r.exit_status != 3) return std::nullopt;
  auto parsed = nlohmann::json::parse(r.out, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

}  // namespace gatelink::test
