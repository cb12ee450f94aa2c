#pragma once
// Integration-test harness: real gatelink processes on 127.0.0.1, the test PKI from the CTest
// fixture, and bounded waits on conditions (never sleeps as synchronisation).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gatelink::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// Folder of the test PKI (env GATELINK_TEST_PKI), with `file("gw1.pem")` helpers.
struct Pki {
  fs::path dir;
  std::string file(const std::string& name) const { return (dir / name).string(); }
};
Pki test_pki();
/// Where the built programs are (env GATELINK_BIN_DIR).
fs::path bin_dir();

/// A fresh folder under /tmp, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

/// A child process with stdout and stderr in a log file; killed (SIGKILL) when destroyed.
class Process {
 public:
  Process(std::vector<std::string> argv, fs::path log_file);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  /// Waits for the exit status within the deadline; nullopt if still running.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline);
  bool running();
  /// The log so far.
  std::string log() const;
  const fs::path& log_file() const { return log_file_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  fs::path log_file_;
};

/// Polls `condition` until it holds or the deadline passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline);

/// Runs a program to completion; returns exit status and stdout.
struct RunResult {
  int exit_status = -1;
  std::string out;
};
RunResult run_program(const std::vector<std::string>& argv,
                      std::chrono::milliseconds deadline = 10s);

/// A run timed from just before its spawn to its exit, woken at the exit itself (a pidfd, not a
/// poll period): what a user waits for when running the program.
struct TimedRun {
  RunResult result;
  std::chrono::nanoseconds took{};
};
/// Runs a program to completion and times it; killed (SIGKILL) if it outlives the deadline.
TimedRun run_program_timed(const std::vector<std::string>& argv,
                           std::chrono::milliseconds deadline = 10s);

/// A reference gateway started on 127.0.0.1 (or another loopback address) with a free port.
struct GatewayProcess {
  std::unique_ptr<Process> process;
  std::string name;     ///< e.g. gw1.example.test
  std::string address;  ///< HOST:PORT once listening, e.g. 127.0.0.1:PORT
  std::uint16_t port = 0;
};
/// Starts gatelink-gateway with `cert_base`.pem/.key from the PKI; port 0 picks a free one.
/// `host` is the IP literal it listens on: other loopback addresses (127.0.0.2, ...) are for
/// tests in the private network namespace of fixtures/in_private_net.sh, where 127/8 is theirs.
/// `launcher`: a command that runs the gateway in turn, e.g. {"prlimit", "--nofile=64:64", "--"}.
GatewayProcess start_gateway(const TempDir& dir, const std::string& name,
                             const std::string& cert_base, std::uint16_t port = 0,
                             const std::vector<std::string>& extra = {},
                             const std::string& host = "127.0.0.1",
                             const std::vector<std::string>& launcher = {});

/// What goes into an agent configuration written by a test.
struct AgentSetup {
  std::string name = "agent1.example.test";
  std::string cert_base = "agent";  ///< agent.pem / agent.key from the PKI
  bool with_crl = false;
  std::vector<std::pair<std::string, std::string>> gateways;  ///< (address, server-name)
  unsigned heartbeat_interval_ms = 200;
  unsigned misses = 3;
  unsigned handshake_timeout_ms = 1000;  ///< <timeouts handshake-ms>: raise it behind a delay
  /// <failback probe-interval-ms stable-probes/>; written only when one of them is set, so the
  /// configuration's defaults apply otherwise.
  std::optional<unsigned> probe_interval_ms;
  std::optional<unsigned> stable_probes;
  /// <timeouts resolve-ms>: written only when set, so the configuration's default applies
  /// otherwise.
  std::optional<unsigned> resolve_ms;
  /// The agent's management-group attribute (a pushed topology must carry the same).
  std::string management_group = "TEST";
  /// <backoff cap-ms/>: also the longest retry-after the agent honours from a busy answer.
  unsigned backoff_cap_ms = 500;
  /// <management-group-keys>: the public key files pinned; none: topologies are not checked.
  std::vector<std::string> management_group_keys;
  /// <warm-standby interval-ms/>: written only when set (no standby otherwise).
  std::optional<unsigned> standby_interval_ms;
  /// <resumption prefetch-within-ms/>: written only when set (the agent's default otherwise).
  std::optional<unsigned> prefetch_within_ms;
};
/// Writes agent.xml (and a 0600 copy of the key) into `dir`; returns the config path.
fs::path write_agent_config(const TempDir& dir, const AgentSetup& setup);

/// The agent's state folder (topology.xml, topology.lkg.xml) as write_agent_config sets it.
fs::path agent_state_dir(const TempDir& dir);

/// Starts gatelink-agent with that configuration; its log goes to `dir`/agent.log (appended to,
/// so a restarted agent's lines follow the ones before). `prefix` runs it (e.g. in a namespace).
/// `log_level`: the agent's --log-level (debug, so that tests see every step).
std::unique_ptr<Process> start_agent(const TempDir& dir, const fs::path& config,
                                     const std::vector<std::string>& prefix = {},
                                     const std::string& log_level = "debug");

/// Runs `gatelink-mg --store STORE ARGS...` (the management group's tool) to completion.
RunResult run_mg(const fs::path& store, const std::vector<std::string>& args,
                 std::chrono::milliseconds deadline = 10s);

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM); 0 when the process or field is missing.
std::size_t proc_status_kib(pid_t pid, const std::string& field);
/// utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15).
std::uint64_t proc_cpu_ticks(pid_t pid);
/// CPU time of all of a process's threads in nanoseconds (the first field of each
/// /proc/PID/task/TID/schedstat), finer than clock ticks; nullopt where the kernel has no
/// schedstat.
std::optional<std::uint64_t> proc_cpu_ns(pid_t pid);
/// How many threads a process has (entries of /proc/PID/task); 0 when it is gone.
std::size_t proc_thread_count(pid_t pid);
/// The fields of /proc/PID/smaps_rollup in KiB (Rss, Pss, Private_Clean, Private_Dirty,
/// Shared_Clean, ...); empty when the process is gone.
std::map<std::string, std::size_t> proc_smaps_rollup_kib(pid_t pid);

/// What one file, or one kind of anonymous memory, takes of a process's memory: its mappings
/// in /proc/PID/smaps added up.
struct MappingFootprint {
  std::string name;  ///< the path, or [heap], [stack], [thread stacks], [malloc arenas], [anon]
  std::size_t mappings = 0;
  std::size_t size_kib = 0;  ///< address space
  std::size_t rss_kib = 0;
  std::size_t pss_kib = 0;
  std::size_t private_kib = 0;  ///< Private_Clean + Private_Dirty
  std::size_t shared_kib = 0;   ///< Shared_Clean + Shared_Dirty
};
/// /proc/PID/smaps grouped by pathname, largest RSS first. Anonymous memory is told apart by
/// its shape: a glibc thread stack lies right above its inaccessible guard, a malloc arena is a
/// 64 MiB-aligned reservation whose used start is accessible; everything else is [anon].
std::vector<MappingFootprint> proc_smaps_by_name(pid_t pid);

/// The folder of the running program (/proc/self/exe), where the build puts every program; the
/// current folder if that cannot be read.
fs::path own_folder();
/// The 1-minute load average (/proc/loadavg).
double load_average();
/// Now in UTC, `2026-12-01T12:34:56Z`.
std::string utc_now();

/// A file's contents from byte `offset` on (empty if it is missing or shorter).
std::string read_text_file(const fs::path& path, std::size_t offset = 0);

/// Whether some line of `text` holds every one of `parts`.
bool any_line_has(const std::string& text, const std::vector<std::string>& parts);

/// The lines of `text` that hold every one of `parts`, in order.
std::vector<std::string> lines_with(const std::string& text, const std::vector<std::string>& parts);

/// When a gatelink log line was written: its leading UTC time (`2024-05-01T12:34:56.789Z`, the
/// agent's and the gateway's pattern), to the millisecond; nullopt for a line without one.
/// Lines of one process compare exactly; across processes, to the millisecond.
std::optional<std::chrono::system_clock::time_point> log_line_time(const std::string& line);

/// Asks the agent at `socket` for its status JSON; nullopt if it does not answer.
std::optional<nlohmann::json> agent_status(const fs::path& socket);

/// Polls the agent at `socket` until `done(status)` holds or the deadline passes, and returns
/// every state the agent showed meanwhile, each change once (make-before-break checks: a move
/// that only ever shows `connected` never left the agent without a gateway). nullopt: timed out.
std::optional<std::vector<std::string>> wait_status_recording_states(
    const fs::path& socket, const std::function<bool(const nlohmann::json&)>& done,
    std::chrono::milliseconds deadline);

}  // namespace gatelink::test
