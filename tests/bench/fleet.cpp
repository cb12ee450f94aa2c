// gatelink-fleet: a fleet of agents failing over together. N real libgatelink endpoints, each
// with its own identity (fleet_pki.hpp), run on EndpointRuntime lanes against real reference
// gateway processes on 127.0.0.1: the fleet connects to its primary A, A is killed (SIGKILL),
// every agent re-homes to B or C, A comes back and the fleet fails back after its stable
// window. It reports per-agent re-home times, connected agents per gateway and arrivals per
// 100 ms, the gateways' CPU and memory, and OpenSSL's own full-handshake rate here
// (s_server + s_time) to compare B with; it writes them as CSV and JSON and draws the chart of
// docs/BENCHMARKS.md with gnuplot. A benchmark: it exits 0 once set up, whatever the figures.
//
// The agents run in worker processes (fork) of at most --agents-per-worker each: a process
// here may hold 20,000 descriptors and root cannot raise that, while an agent holds its session,
// its state folder's lock and, while failing back, a second session. Each worker runs its
// agents on --lanes threads; the state changes come to this process over a pipe, stamped with
// CLOCK_MONOTONIC, which every process shares.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/fleet_pki.hpp"
#include "config/agent_config.hpp"
#include "endpoint/endpoint.hpp"
#include "endpoint/endpoint_runtime.hpp"
#include "integration/harness.hpp"
#include "store/durable_file.hpp"
#include "store/topology_store.hpp"
#include "tls/ticket_keys.hpp"
#include "topology_registry.hpp"

namespace {

namespace fs = std::filesystem;
namespace gt = gatelink::test;
namespace fleet = gatelink::fleet;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

struct Options {
  std::size_t agents = 1000;
  std::size_t agents_per_worker = 2500;
  unsigned lanes = 1;  ///< per worker
  unsigned gateways = 3;
  unsigned interval_ms = 1000;
  unsigned misses = 3;
  unsigned probe_interval_ms = 1000;
  unsigned stable_probes = 3;
  unsigned handshake_timeout_ms = 3000;
  unsigned backoff_cap_ms = 5000;
  unsigned max_handshakes = 256;  ///< per gateway; all agents come from 127.0.0.1, so also the
                                  ///< per-address share
  unsigned busy_retry_after_ms = 5000;  ///< the gateways' retry-after of a busy answer
  unsigned handshake_queue = 1024;      ///< the gateways' --handshake-queue (0: none wait)
  unsigned handshake_queue_wait_ms = 1000;
  bool failback = true;
  /// Times A is killed and comes back; from the second on, the agents have been on B and C
  /// before (and hold their tickets, with --ticket-keys).
  unsigned crashes = 1;
  /// The gateways share a ticket key file: failbacks and later failovers resume.
  bool ticket_keys = false;
  /// The agents' <resumption prefetch-within-ms>: with --ticket-keys, each fetches a ticket from
  /// B and C at random moments within it, and the crash waits until all have; 0: none.
  unsigned ticket_prefetch_ms = 0;
  /// The agents keep a warm standby heartbeating every this many ms; 0: none.
  unsigned standby_interval_ms = 0;
  /// Every agent gets a topology from the gateways' store before the crash (generation 1, the
  /// bootstrap's gateways); after the last phase each agent's topology.xml must still hold it.
  bool topology = true;
  /// Agents the fleet starts a second (0: all at once, a cold-start herd). A fleet in the field
  /// came up over time: the crash is measured from a settled fleet, not from its own start.
  unsigned start_per_s = 150;
  unsigned rest_seconds = 10;  ///< the fleet at rest on A before the crash: CPU, memory per agent
  unsigned phase_deadline_s = 120;
  unsigned reference_seconds = 3;  ///< of openssl s_time; 0: not measured
  std::string pki;
  std::string bin_dir;
  std::string out = "fleet-out";
  std::string log_level = "error";
};

// ---- worker processes --------------------------------------------------------------------

/// One state change of one agent, from a worker to this process: one write() each, far under
/// PIPE_BUF, so records of one worker never interleave.
struct Record {
  std::uint32_t agent = 0;    ///< kWorkerReady: the worker has opened all its endpoints
  std::int32_t gateway = -1;  ///< index in the agents' order (0 = A, the primary); -1: none
  std::int64_t t_ns = 0;      ///< steady clock
};
constexpr std::uint32_t kWorkerReady = UINT32_MAX;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

void write_record(int fd, const Record& r) {
  while (::write(fd, &r, sizeof r) < 0 && errno == EINTR) {
  }
}

struct WorkerSpec {
  std::size_t first = 0;
  std::size_t count = 0;
  std::size_t index = 0;    ///< of this worker: its agents start interleaved with the others'
  std::size_t workers = 1;  ///< in all
  int events_fd = -1;   ///< records to the coordinator
  int control_fd = -1;  ///< end of file: stop
};

/// The worker's life: open its agents on one runtime, start them, tell every connection
/// change, and stop them all when the coordinator closes the control pipe. Never returns: a
/// forked copy must not run the coordinator's destructors (they would kill the gateways).
[[noreturn]] void run_worker(const Options& o, const gatelink::AgentConfig& base,
                             const fleet::FleetIdentities& ids, const fs::path& state_root,
                             const WorkerSpec& spec) {
  ::signal(SIGPIPE, SIG_IGN);
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  auto runtime = std::make_shared<gatelink::EndpointRuntime>(o.lanes);
  std::vector<std::unique_ptr<gatelink::Endpoint>> endpoints;
  // The address each agent is connected to (touched on its lane only): a dead report about
  // another session, a probe's, leaves the agent where it is.
  std::vector<std::string> current(spec.count);
  for (std::size_t k = 0; k < spec.count; ++k) {
    const auto agent = spec.first + k;
    auto config = base;
    config.name = fleet::agent_name(agent);
    config.tls.cert = ids.certificate(agent).string();
    config.tls.key = ids.key.string();
    const auto state = state_root / fleet::agent_name(agent);
    fs::create_directories(state);
    fs::permissions(state, fs::perms::owner_all);
    config.state_dir = state.string();
    auto endpoint = gatelink::Endpoint::open(std::move(config), runtime);
    if (!endpoint) {
      std::fprintf(stderr, "fleet: agent %zu: %s\n", agent, endpoint.error().message.c_str());
      ::_exit(2);
    }
    (*endpoint)->set_state_handler(
        [fd = spec.events_fd, agent, &here = current[k]](const gatelink::StateChange& change) {
          using Kind = gatelink::failover::Report::Kind;
          Record r{.agent = static_cast<std::uint32_t>(agent), .gateway = -1, .t_ns = now_ns()};
          switch (change.kind) {
            case Kind::connected:  // welcomed
            case Kind::failback:   // the probe session, welcomed and stable, takes the traffic
              if (!change.position || !change.gateway) return;
              r.gateway = static_cast<std::int32_t>(*change.position);
              here = *change.gateway;
              break;
            case Kind::failover:   // on its way to the next gateway: connected once welcomed
            case Kind::reconnect:  // on its way back to the same one
            case Kind::backoff:
              here.clear();
              break;
            case Kind::dead:  // of the session in use, not of a probe
              if (!change.from || *change.from != here) return;
              here.clear();
              break;
            default:
              return;
          }
          write_record(fd, r);
        });
    endpoints.push_back(std::move(*endpoint));
  }
  write_record(spec.events_fd, Record{.agent = kWorkerReady});
  // Agent k of this worker is the fleet's (k * workers + index)-th to start, at start_per_s.
  const auto started_at = Clock::now();
  const auto due = [&](std::size_t k) {
    const auto nth = static_cast<double>(k * spec.workers + spec.index);
    return started_at + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(nth / o.start_per_s));
  };
  std::size_t started = 0;
  for (;;) {
    while (started < endpoints.size() && (o.start_per_s == 0 || due(started) <= Clock::now())) {
      endpoints[started++]->start();
    }
    int timeout_ms = -1;
    if (started < endpoints.size()) {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(due(started) - Clock::now());
      timeout_ms = static_cast<int>(std::max<std::int64_t>(wait.count(), 0));
    }
    pollfd control{.fd = spec.control_fd, .events = POLLIN, .revents = 0};
    if (::poll(&control, 1, timeout_ms) <= 0) continue;  // a start due, or EINTR
    char byte = 0;
    const auto n = ::read(spec.control_fd, &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  endpoints.clear();  // each stops: goodbyes
  runtime.reset();
  ::_exit(0);
}

struct Worker {
  pid_t pid = -1;
  int events_fd = -1;
  int control_fd = -1;
  bool ready = false;
  std::string pending;  ///< a record's bytes read in part
};

// ---- the gateways' resources -------------------------------------------------------------

struct ProcStats {
  double cpu_s = 0;  ///< user + system
  std::size_t rss_kib = 0;
  std::size_t peak_kib = 0;  ///< VmHWM
};

ProcStats proc_stats(pid_t pid) {
  return ProcStats{.cpu_s = static_cast<double>(gt::proc_cpu_ticks(pid)) /
                            static_cast<double>(::sysconf(_SC_CLK_TCK)),
                   .rss_kib = gt::proc_status_kib(pid, "VmRSS"),
                   .peak_kib = gt::proc_status_kib(pid, "VmHWM")};
}

// ---- percentiles -------------------------------------------------------------------------

Json distribution_ms(std::vector<double> v) {
  if (v.empty()) return Json{{"count", 0}};
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  const auto round1 = [](double x) { return std::round(x * 10) / 10; };
  return Json{{"count", v.size()},
              {"p50_ms", round1(at(0.50))},
              {"p90_ms", round1(at(0.90))},
              {"p99_ms", round1(at(0.99))},
              {"max_ms", round1(v.back())}};
}

// ---- OpenSSL's own handshake rate --------------------------------------------------------

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

/// Full mutual TLS 1.3 handshakes a second that `openssl s_server` serves to `openssl s_time`
/// here, with the gateway's certificate and an agent's: what B is compared with.
std::optional<double> openssl_handshake_rate(const Options& o, const gt::TempDir& dir,
                                             const fleet::FleetIdentities& ids) {
  if (o.reference_seconds == 0) return std::nullopt;
  const auto pki = gt::test_pki();
  const auto port = std::to_string(free_port());
  gt::Process server({"openssl", "s_server", "-quiet", "-tls1_3", "-accept", "127.0.0.1:" + port,
                      "-cert", pki.file("gw2.pem"), "-key", pki.file("gw2.key"), "-CAfile",
                      pki.file("ca.pem"), "-Verify", "1"},
                     dir / "s_server.log");
  if (!gt::wait_until(
          [&] {
            return gt::run_program({"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port}, 2s)
                       .exit_status == 0;
          },
          5s)) {
    return std::nullopt;
  }
  const auto run = gt::run_program(
      {"openssl", "s_time", "-connect", "127.0.0.1:" + port, "-new", "-tls1_3", "-time",
       std::to_string(o.reference_seconds), "-cert", ids.certificate(0).string(), "-key",
       ids.key.string(), "-CAfile", pki.file("ca.pem")},
      std::chrono::seconds(o.reference_seconds + 20));
  // s_time's summary: "N connections in T real seconds, B bytes read per connection".
  if (run.exit_status != 0) return std::nullopt;
  std::istringstream lines(run.out);
  double count = 0;
  double seconds = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("real seconds") == std::string::npos) continue;
    if (std::sscanf(line.c_str(), "%lf connections in %lf real seconds", &count, &seconds) == 2) {
      break;
    }
  }
  return seconds > 0 ? std::optional(count / seconds) : std::nullopt;
}

/// The handshakes a gateway's log tells of so far: full ones and resumed ones.
struct Handshakes {
  std::size_t full = 0;
  std::size_t resumed = 0;
};
Handshakes handshakes_in(const gt::GatewayProcess& gateway) {
  Handshakes h;
  for (const auto& line : gt::lines_with(gateway.process->log(), {"event=agent-connected"})) {
    ++(line.find("resumed=true") != std::string::npos ? h.resumed : h.full);
  }
  return h;
}

/// A ticket key file for the gateways (what `gatelink-mg ticket-keys` writes).
fs::path write_ticket_keys(const fs::path& dir) {
  auto key = gatelink::tls::generate_ticket_key();
  if (!key) throw std::runtime_error(key.error().message);
  if (auto written = gatelink::write_file_atomically(dir.string(), "tickets.keys",
                                                     gatelink::tls::format_ticket_keys({*key}));
      !written) {
    throw std::runtime_error(written.error().message);
  }
  return dir / "tickets.keys";
}

// ---- the topology the gateways deliver, and what the agents keep of it --------------------

/// Writes every agent's topology to the gateways' store, as `gatelink-mg set-parent` does for
/// one: A the primary, the others failovers in order (the bootstrap's gateways, so applying it
/// moves nobody). Returns the version issued (the same for every agent).
gatelink::Topology write_store(const fs::path& store, const std::string& group, std::size_t agents,
                               const gt::AgentSetup& setup) {
  namespace gw = gatelink::gateway;
  fs::create_directories(store);
  gw::TopologyRegistry registry(store.string());
  if (auto made = registry.init({.management_group = group, .epoch = 1}); !made) {
    throw std::runtime_error("store: " + made.error().message);
  }
  gw::SetParentRequest request;
  for (const auto& [address, name] : setup.gateways) {
    auto parsed = gatelink::parse_gateway_address(name + "@" + address);
    if (!parsed) throw std::runtime_error("store: " + parsed.error().message);
    if (request.primary.host.empty()) {
      request.primary = std::move(*parsed);
    } else {
      request.failover.push_back(std::move(*parsed));
    }
  }
  gatelink::Topology issued;
  for (std::size_t a = 0; a < agents; ++a) {
    request.agent = fleet::agent_name(a);
    auto written = registry.set_parent(request, std::chrono::system_clock::now());
    if (!written) throw std::runtime_error("store: " + written.error().message);
    issued = written->issued.topology;
  }
  return issued;
}

/// How many agents' state folders hold `expected` (epoch, generation) as topology.xml, and what
/// is wrong with the first few that do not (missing, unreadable, fallen back, another version).
struct TopologyCheck {
  std::size_t kept = 0;
  std::size_t lost = 0;
  std::vector<std::string> problems;  ///< the first few
};
TopologyCheck check_topologies(const fs::path& state_root, std::size_t agents,
                               const gatelink::Topology& expected) {
  TopologyCheck check;
  const auto problem = [&check](std::string what) {
    ++check.lost;
    if (check.problems.size() < 5) check.problems.push_back(std::move(what));
  };
  for (std::size_t a = 0; a < agents; ++a) {
    const auto name = fleet::agent_name(a);
    // inspect(): reads without the folder's lock, which a running agent holds.
    const auto inspection = gatelink::TopologyStore::inspect((state_root / name).string());
    const auto loaded = inspection.store.load();
    if (!loaded) {
      problem(name + ": " + loaded.error().message);
    } else if (loaded->source != gatelink::TopologyStore::Loaded::Source::current) {
      problem(name + ": topology.xml skipped, last-known-good used");
    } else if (loaded->value.topology.epoch != expected.epoch ||
               loaded->value.topology.generation != expected.generation) {
      problem(name + ": holds epoch " + std::to_string(loaded->value.topology.epoch) +
              " generation " + std::to_string(loaded->value.topology.generation));
    } else {
      ++check.kept;
    }
  }
  return check;
}

Json to_json(const TopologyCheck& c) {
  return Json{{"kept", c.kept}, {"lost", c.lost}, {"problems", c.problems}};
}

// ---- the coordinator ---------------------------------------------------------------------

class Fleet {
 public:
  Fleet(const Options& o, std::size_t gateways)
      : o_(o), at_(o.agents, -1), connected_(gateways, 0), arrivals_(gateways, 0) {}

  /// Forks the workers; the agents' configuration and identities are theirs to open.
  void spawn(const gatelink::AgentConfig& base, const fleet::FleetIdentities& ids,
             const fs::path& state_root) {
    // As many workers as --agents-per-worker asks for, their shares equal within one.
    const auto workers = (o_.agents + o_.agents_per_worker - 1) / o_.agents_per_worker;
    for (std::size_t i = 0, first = 0; i < workers; ++i) {
      const auto count = o_.agents / workers + (i < o_.agents % workers ? 1 : 0);
      int events[2];
      int control[2];
      if (::pipe2(events, O_CLOEXEC) != 0 || ::pipe2(control, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
      }
      const WorkerSpec spec{.first = first,
                            .count = count,
                            .index = i,
                            .workers = workers,
                            .events_fd = events[1],
                            .control_fd = control[0]};
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
      if (pid == 0) {
        for (auto& w : workers_) {
          ::close(w.events_fd);
          ::close(w.control_fd);
        }
        ::close(events[0]);
        ::close(control[1]);
        run_worker(o_, base, ids, state_root, spec);
      }
      ::close(events[1]);
      ::close(control[0]);
      workers_.push_back(Worker{.pid = pid, .events_fd = events[0], .control_fd = control[1]});
      first += count;
    }
  }

  /// Closes the control pipes (the workers stop their agents) and waits for the workers. The
  /// timeline ends here: the agents' goodbyes are not part of it.
  void stop() {
    sampling_ = false;
    for (auto& w : workers_) {
      if (w.control_fd >= 0) ::close(w.control_fd);
      w.control_fd = -1;
    }
    const auto until = Clock::now() + 60s;
    for (auto& w : workers_) {
      while (Clock::now() < until) {
        int status = 0;
        const auto r = ::waitpid(w.pid, &status, WNOHANG);
        if (r == w.pid || (r < 0 && errno != EINTR)) break;
        drain(50ms);  // keep the pipes flowing while they say goodbye
      }
      if (::waitpid(w.pid, nullptr, WNOHANG) == 0) {
        ::kill(w.pid, SIGKILL);
        ::waitpid(w.pid, nullptr, 0);
      }
      ::close(w.events_fd);
    }
    workers_.clear();
  }

  ~Fleet() {
    for (auto& w : workers_) {
      ::kill(w.pid, SIGKILL);
      ::waitpid(w.pid, nullptr, 0);
    }
  }

  std::vector<pid_t> worker_pids() const {
    std::vector<pid_t> pids;
    for (const auto& w : workers_) pids.push_back(w.pid);
    return pids;
  }

  bool all_ready() const {
    return std::all_of(workers_.begin(), workers_.end(), [](const Worker& w) { return w.ready; });
  }

  /// Starts a phase: from now on each agent's first arrival where `goal` holds is its time.
  void begin_phase(std::string name, std::function<bool(int)> goal) {
    phase_ = std::move(name);
    goal_ = std::move(goal);
    phase_start_ns_ = now_ns();
    reached_.assign(o_.agents, -1);
    for (std::size_t a = 0; a < o_.agents; ++a) {
      if (goal_(at_[a])) reached_[a] = 0;
    }
    marks_.push_back({elapsed_s(phase_start_ns_), phase_});
  }
  bool phase_done() const {
    return std::all_of(reached_.begin(), reached_.end(), [](double t) { return t >= 0; });
  }
  /// Per-agent times of the phase (ms after its start); agents that never got there left out.
  std::vector<double> phase_times() const {
    std::vector<double> v;
    for (double t : reached_) {
      if (t >= 0) v.push_back(t);
    }
    return v;
  }
  std::size_t phase_missing() const {
    return static_cast<std::size_t>(
        std::count_if(reached_.begin(), reached_.end(), [](double t) { return t < 0; }));
  }

  /// Reads records and samples every 100 ms until `done` holds or `deadline` passes.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    while (!done()) {
      if (Clock::now() >= until) return false;
      drain(10ms);
    }
    return true;
  }

  const std::vector<std::size_t>& connected() const { return connected_; }
  const std::vector<std::pair<double, std::string>>& marks() const { return marks_; }

  /// Arrivals at `gateway` in the samples of [from_s, until_s]: the peak 100 ms and the total.
  std::pair<std::size_t, std::size_t> arrivals_between(double from_s, double until_s,
                                                       std::size_t gateway) const {
    std::size_t peak = 0;
    std::size_t total = 0;
    for (const auto& s : samples_) {
      if (s.t_s < from_s || s.t_s > until_s) continue;
      peak = std::max(peak, s.arrivals[gateway]);
      total += s.arrivals[gateway];
    }
    return {peak, total};
  }
  /// The most arrivals at `gateway` in any second (ten samples in a row) of [from_s, until_s].
  std::size_t peak_per_second(double from_s, double until_s, std::size_t gateway) const {
    std::size_t best = 0;
    std::size_t window = 0;
    std::vector<std::size_t> in_range;
    for (const auto& s : samples_) {
      if (s.t_s >= from_s && s.t_s <= until_s) in_range.push_back(s.arrivals[gateway]);
    }
    for (std::size_t i = 0; i < in_range.size(); ++i) {
      window += in_range[i];
      if (i >= 10) window -= in_range[i - 10];
      best = std::max(best, window);
    }
    return best;
  }

  void write_timeline(const fs::path& path) const {
    std::ofstream out(path);
    out << "t_s";
    for (std::size_t g = 0; g < connected_.size(); ++g) out << ",connected_" << g;
    for (std::size_t g = 0; g < connected_.size(); ++g) out << ",arrivals_" << g;
    out << "\n";
    for (const auto& s : samples_) {
      out << s.t_s;
      for (auto n : s.connected) out << "," << n;
      for (auto n : s.arrivals) out << "," << n;
      out << "\n";
    }
  }

  double elapsed_s(std::int64_t t_ns) const { return static_cast<double>(t_ns - start_ns_) / 1e9; }
  double now_s() const { return elapsed_s(now_ns()); }

 private:
  struct Sample {
    double t_s = 0;
    std::vector<std::size_t> connected;
    std::vector<std::size_t> arrivals;  ///< in the 100 ms before t_s
  };

  void apply(const Record& r) {
    if (r.agent == kWorkerReady) return;
    if (r.agent >= at_.size()) return;
    auto& here = at_[r.agent];
    if (here >= 0) --connected_[static_cast<std::size_t>(here)];
    here =
        r.gateway >= 0 && static_cast<std::size_t>(r.gateway) < connected_.size() ? r.gateway : -1;
    if (here >= 0) {
      ++connected_[static_cast<std::size_t>(here)];
      ++arrivals_[static_cast<std::size_t>(here)];
    }
    if (goal_ && reached_[r.agent] < 0 && goal_(here)) {
      reached_[r.agent] = static_cast<double>(r.t_ns - phase_start_ns_) / 1e6;
    }
  }

  /// Reads what the workers sent within `wait`, taking a sample at every 100 ms boundary.
  void drain(std::chrono::milliseconds wait) {
    std::vector<pollfd> fds;
    for (auto& w : workers_) fds.push_back({.fd = w.events_fd, .events = POLLIN, .revents = 0});
    const auto until_sample = std::max<std::int64_t>(0, (next_sample_ns_ - now_ns()) / 1'000'000);
    const int timeout = static_cast<int>(std::min<std::int64_t>(wait.count(), until_sample));
    if (::poll(fds.data(), fds.size(), timeout) > 0) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
        char buffer[64 * sizeof(Record)];
        const auto n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n <= 0) continue;
        auto& w = workers_[i];
        w.pending.append(buffer, static_cast<std::size_t>(n));
        std::size_t used = 0;
        for (; used + sizeof(Record) <= w.pending.size(); used += sizeof(Record)) {
          Record r;
          std::memcpy(&r, w.pending.data() + used, sizeof r);
          if (r.agent == kWorkerReady) w.ready = true;
          apply(r);
        }
        w.pending.erase(0, used);
      }
    }
    while (sampling_ && now_ns() >= next_sample_ns_) {
      samples_.push_back(
          {.t_s = elapsed_s(next_sample_ns_), .connected = connected_, .arrivals = arrivals_});
      std::fill(arrivals_.begin(), arrivals_.end(), 0);
      next_sample_ns_ += 100'000'000;
    }
  }

  const Options& o_;
  std::vector<Worker> workers_;
  std::vector<int> at_;  ///< per agent: the gateway it is connected to, -1 none
  std::vector<std::size_t> connected_;
  std::vector<std::size_t> arrivals_;  ///< since the last sample
  std::vector<Sample> samples_;
  std::int64_t start_ns_ = now_ns();
  std::int64_t next_sample_ns_ = start_ns_ + 100'000'000;
  std::string phase_;
  std::function<bool(int)> goal_;
  std::int64_t phase_start_ns_ = 0;
  std::vector<double> reached_;  ///< per agent: ms into the phase it got there; -1 not yet
  std::vector<std::pair<double, std::string>> marks_;
  bool sampling_ = true;
};

/// The chart of docs/BENCHMARKS.md: connected agents per gateway over time, and arrivals per
/// 100 ms, the phases marked. Needs gnuplot (scripts/deps.sh installs it); false without.
bool draw_chart(const fs::path& out, std::size_t gateways, const Fleet& f,
                const std::string& title) {
  std::ostringstream p;
  p << "set terminal png size 960,640\n"
    << "set output '" << (out / "fleet.png").string() << "'\n"
    << "set datafile separator ','\nset key outside right top\nset grid ytics\n"
    << "set multiplot layout 2,1 title \"" << title << "\"\n";
  for (const auto& [t, name] : f.marks()) {
    p << "set arrow from " << t << ", graph 0 to " << t << ", graph 1 nohead dt 2 lc 'gray'\n"
      << "set label '" << name << "' at " << t << ", graph 1.04 font 'sans,10'\n";
  }
  const auto series = [&](std::size_t first_column, const char* style) {
    std::ostringstream s;
    s << "plot ";
    for (std::size_t g = 0; g < gateways; ++g) {
      s << (g ? ", " : "") << "'" << (out / "timeline.csv").string()
        << "' using 1:" << first_column + g << " with " << style << " lw 2 title '"
        << static_cast<char>('A' + g) << "'";
    }
    return s.str();
  };
  p << "set ylabel 'connected agents'\nunset xlabel\n"
    << series(2, "lines") << "\n"
    << "set ylabel 'arrivals per 100 ms'\nset xlabel 'seconds'\n"
    << series(2 + gateways, "steps") << "\nunset multiplot\n";
  const auto script = out / "fleet.gp";
  std::ofstream(script) << p.str();
  return gt::run_program({"gnuplot", script.string()}, 60s).exit_status == 0;
}

int run(const Options& o) {
  ::signal(SIGPIPE, SIG_IGN);
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  ::setenv("GATELINK_BIN_DIR", fs::absolute(o.bin_dir).c_str(), 1);
  ::setenv("GATELINK_TEST_PKI", fs::absolute(o.pki).c_str(), 1);
  const fs::path out = fs::absolute(o.out);
  fs::create_directories(out);
  gt::TempDir dir;

  const auto made = Clock::now();
  const auto ids = fleet::make_fleet_identities(o.pki, dir / "ids", o.agents);
  const double identities_s = std::chrono::duration<double>(Clock::now() - made).count();
  const auto reference = openssl_handshake_rate(o, dir, ids);

  const auto limit = std::to_string(o.max_handshakes);
  // At info the gateways log each agent's arrival, resumed or not: the handshake counts.
  std::vector<std::string> gateway_options = {"--max-handshakes",
                                              limit,
                                              "--max-handshakes-per-address",
                                              limit,
                                              "--busy-retry-after-ms",
                                              std::to_string(o.busy_retry_after_ms),
                                              "--handshake-queue",
                                              std::to_string(o.handshake_queue),
                                              "--handshake-queue-wait-ms",
                                              std::to_string(o.handshake_queue_wait_ms),
                                              "--log-level",
                                              "info"};
  if (o.ticket_keys) {
    gateway_options.insert(gateway_options.end(),
                           {"--ticket-keys", write_ticket_keys(dir.path()).string()});
  }
  const fs::path store = dir / "store";
  if (o.topology) {
    fs::create_directories(store);
    gateway_options.insert(gateway_options.end(), {"--store", store.string()});
  }
  std::vector<gt::GatewayProcess> gateways;
  const auto start_gateway = [&](std::size_t g, std::uint16_t port) {
    const auto n = std::to_string(g + 1);
    return gt::start_gateway(dir, "gw" + n + ".example.test", "gw" + n, port, gateway_options);
  };
  for (std::size_t g = 0; g < o.gateways; ++g) gateways.push_back(start_gateway(g, 0));

  gt::AgentSetup setup;
  for (const auto& g : gateways) setup.gateways.emplace_back(g.address, g.name);
  setup.heartbeat_interval_ms = o.interval_ms;
  setup.misses = o.misses;
  setup.probe_interval_ms = o.probe_interval_ms;
  setup.stable_probes = o.stable_probes;
  setup.handshake_timeout_ms = o.handshake_timeout_ms;
  setup.backoff_cap_ms = o.backoff_cap_ms;
  if (o.standby_interval_ms != 0) setup.standby_interval_ms = o.standby_interval_ms;
  setup.prefetch_within_ms = o.ticket_prefetch_ms;
  auto base = gatelink::load_agent_config(gt::write_agent_config(dir, setup).string());
  if (!base) throw std::runtime_error("agent configuration: " + base.error().message);
  std::optional<gatelink::Topology> issued;
  double store_s = 0;
  if (o.topology) {
    const auto writing = Clock::now();
    issued = write_store(store, setup.management_group, o.agents, setup);
    store_s = std::chrono::duration<double>(Clock::now() - writing).count();
  }

  Json summary;
  const auto gateway_stats = [&](const std::string& when) {
    for (std::size_t g = 0; g < gateways.size(); ++g) {
      if (!gateways[g].process->running()) continue;
      const auto s = proc_stats(gateways[g].process->pid());
      summary["gateways"][std::string(1, static_cast<char>('A' + g))][when] = {
          {"cpu_s", std::round(s.cpu_s * 100) / 100},
          {"rss_mib", std::round(static_cast<double>(s.rss_kib) / 1024 * 10) / 10},
          {"peak_rss_mib", std::round(static_cast<double>(s.peak_kib) / 1024 * 10) / 10}};
    }
  };
  gateway_stats("idle");  // before any agent: what the per-agent memory is counted from
  std::vector<ProcStats> idle;
  for (const auto& g : gateways) idle.push_back(proc_stats(g.process->pid()));

  Fleet f(o, gateways.size());
  f.spawn(*base, ids, dir / "state");
  const auto phase_deadline = std::chrono::seconds(o.phase_deadline_s);
  summary["agents"] = o.agents;
  summary["workers"] = (o.agents + o.agents_per_worker - 1) / o.agents_per_worker;
  summary["lanes_per_worker"] = o.lanes;
  summary["identities_s"] = std::round(identities_s * 100) / 100;
  summary["settings"] = {{"interval_ms", o.interval_ms},
                         {"misses", o.misses},
                         {"probe_interval_ms", o.probe_interval_ms},
                         {"stable_probes", o.stable_probes},
                         {"max_handshakes", o.max_handshakes},
                         {"busy_retry_after_ms", o.busy_retry_after_ms},
                         {"handshake_queue", o.handshake_queue},
                         {"handshake_queue_wait_ms", o.handshake_queue_wait_ms},
                         {"backoff_cap_ms", o.backoff_cap_ms},
                         {"start_per_s", o.start_per_s},
                         {"ticket_keys", o.ticket_keys},
                         {"ticket_prefetch_ms", o.ticket_prefetch_ms},
                         {"standby_interval_ms", o.standby_interval_ms}};
  if (reference) summary["openssl_full_handshakes_per_s"] = std::round(*reference);
  if (issued) summary["topology"]["store_written_s"] = std::round(store_s * 100) / 100;
  // Each phase: per-agent times, and the handshakes each gateway made in it (from its log).
  std::vector<Handshakes> before(gateways.size());
  const auto begin_phase = [&](const std::string& name, std::function<bool(int)> goal) {
    for (std::size_t g = 0; g < gateways.size(); ++g) before[g] = handshakes_in(gateways[g]);
    f.begin_phase(name, std::move(goal));
  };
  const auto record_phase = [&](const std::string& name, bool done) {
    summary["phases"][name] = distribution_ms(f.phase_times());
    summary["phases"][name]["all_there"] = done;
    summary["phases"][name]["missing"] = f.phase_missing();
    for (std::size_t g = 0; g < gateways.size(); ++g) {
      const Handshakes now = handshakes_in(gateways[g]);
      // A gateway restarted in the phase logs anew.
      const Handshakes was =
          now.full + now.resumed >= before[g].full + before[g].resumed ? before[g] : Handshakes{};
      summary["phases"][name]["handshakes"][std::string(1, static_cast<char>('A' + g))] = {
          {"full", now.full - was.full}, {"resumed", now.resumed - was.resumed}};
    }
  };

  if (!f.run_until([&] { return f.all_ready(); }, phase_deadline)) {
    throw std::runtime_error("the workers did not open their agents in time");
  }
  // 1. Every agent on its primary A, started at --start-per-s (all at once: a herd of its own,
  // the busy ones fail back to A).
  begin_phase("connect", [](int g) { return g == 0; });
  const auto all_on_a = [&] { return f.connected()[0] == o.agents; };
  record_phase("connect", f.run_until(all_on_a, phase_deadline));
  gateway_stats("at_rest");
  // Every agent holds the delivered topology on disk before anything dies.
  if (issued) {
    const auto waiting = Clock::now();
    TopologyCheck applied;
    auto next_scan = Clock::now();
    f.run_until(
        [&] {
          if (Clock::now() < next_scan) return false;
          applied = check_topologies(dir / "state", o.agents, *issued);
          next_scan = Clock::now() + 2s;
          return applied.kept == o.agents;
        },
        phase_deadline);
    summary["topology"]["epoch"] = issued->epoch;
    summary["topology"]["generation"] = issued->generation;
    summary["topology"]["before_crash"] = to_json(applied);
    summary["topology"]["before_crash"]["waited_s"] =
        std::round(std::chrono::duration<double>(Clock::now() - waiting).count() * 10) / 10;
  }
  // With --ticket-prefetch-ms: every agent has fetched its tickets from B and C (a full
  // handshake at each, at a random moment within the prefetch time) before anything dies.
  if (o.ticket_keys && o.ticket_prefetch_ms > 0) {
    const auto fetching = Clock::now();
    auto next_scan = Clock::now();
    const bool fetched = f.run_until(
        [&] {
          if (Clock::now() < next_scan) return false;
          next_scan = Clock::now() + 2s;
          return std::all_of(gateways.begin() + 1, gateways.end(),
                             [&](const auto& g) { return handshakes_in(g).full >= o.agents; });
        },
        phase_deadline + std::chrono::milliseconds(o.ticket_prefetch_ms));
    summary["ticket_prefetch"] = {
        {"all_fetched", fetched},
        {"waited_s",
         std::round(std::chrono::duration<double>(Clock::now() - fetching).count() * 10) / 10}};
  }
  // The fleet at rest: what each gateway spends on the agents it holds (A all of them; B their
  // standbys, with --warm-standby-ms), and what the simulator spends on them.
  if (o.rest_seconds > 0) {
    std::vector<ProcStats> from;
    for (const auto& g : gateways) from.push_back(proc_stats(g.process->pid()));
    const auto workers = f.worker_pids();
    double workers_from = 0;
    for (const pid_t pid : workers) workers_from += proc_stats(pid).cpu_s;
    const auto resting = Clock::now();
    f.run_until([] { return false; }, std::chrono::seconds(o.rest_seconds));
    const double seconds = std::chrono::duration<double>(Clock::now() - resting).count();
    for (std::size_t g = 0; g < gateways.size(); ++g) {
      const auto now = proc_stats(gateways[g].process->pid());
      const double cpu = (now.cpu_s - from[g].cpu_s) / seconds;
      const auto held = f.connected()[g];
      const double grown_kib =
          static_cast<double>(now.rss_kib) - static_cast<double>(idle[g].rss_kib);
      Json rest{{"seconds", std::round(seconds * 10) / 10},
                {"agents_connected", held},
                {"cpu_percent_of_a_core", std::round(cpu * 1000) / 10},
                {"rss_mib", std::round(static_cast<double>(now.rss_kib) / 1024 * 10) / 10},
                {"rss_over_idle_mib", std::round(grown_kib / 1024 * 10) / 10}};
      if (held > 0) {
        rest["cpu_us_per_agent_per_s"] =
            std::round(cpu * 1e6 / static_cast<double>(held) * 10) / 10;
        rest["rss_kib_per_agent"] = std::round(grown_kib / static_cast<double>(held) * 10) / 10;
      }
      summary["gateways"][std::string(1, static_cast<char>('A' + g))]["rest"] = rest;
    }
    double workers_to = 0;
    for (const pid_t pid : workers) workers_to += proc_stats(pid).cpu_s;
    summary["simulator_rest_cpu_percent_of_a_core"] =
        std::round((workers_to - workers_from) / seconds * 1000) / 10;
  }

  // 2. A dies: every agent to B or C. 3. A comes back on its port: the fleet fails back once A
  // has held for the stable window. Again for --crashes.
  const auto elsewhere = [&] {
    std::size_t n = 0;
    for (std::size_t g = 1; g < gateways.size(); ++g) n += f.connected()[g];
    return n;
  };
  struct Window {
    std::string suffix;  ///< "" for the first crash, "2", "3", ...
    double from_s = 0;
    double until_s = -1;  ///< -1: until the end
  };
  std::vector<Window> crash_windows;
  double killed_s = 0;
  for (unsigned round = 1; round <= o.crashes; ++round) {
    const std::string suffix = round == 1 ? "" : std::to_string(round);
    gateways[0].process->signal(SIGKILL);
    killed_s = f.now_s();
    crash_windows.push_back({.suffix = suffix, .from_s = killed_s});
    begin_phase("crash" + suffix, [](int g) { return g > 0; });
    const bool rehomed =
        f.run_until([&] { return f.phase_done() && elsewhere() == o.agents; }, phase_deadline);
    record_phase("crash" + suffix, rehomed);
    gateways[0].process->wait_exit(5s);
    gateway_stats("after_crash" + suffix);
    if (!o.failback) break;
    crash_windows.back().until_s = f.now_s() + 0.1;
    gateways[0] = start_gateway(0, gateways[0].port);
    begin_phase("failback" + suffix, [](int g) { return g == 0; });
    record_phase("failback" + suffix, f.run_until(all_on_a, phase_deadline));
    gateway_stats("after_failback" + suffix);
  }
  f.run_until([] { return false; }, 500ms);  // the tail of the chart
  f.stop();
  if (issued)
    summary["topology"]["at_end"] = to_json(check_topologies(dir / "state", o.agents, *issued));
  // What B and C received, from the samples once the phases are over (a sample holds the 100 ms
  // before it): arrivals from each kill until A is back.
  for (const Window& w : crash_windows) {
    const double until_s = w.until_s < 0 ? f.now_s() : w.until_s;
    for (std::size_t g = 1; g < gateways.size(); ++g) {
      const auto [peak, total] = f.arrivals_between(w.from_s, until_s, g);
      auto& j = summary["gateways"][std::string(1, static_cast<char>('A' + g))];
      j["crash" + w.suffix + "_arrivals"] = total;
      j["crash" + w.suffix + "_peak_arrivals_per_100ms"] = peak;
      const auto per_second = f.peak_per_second(w.from_s, until_s, g);
      j["crash" + w.suffix + "_peak_arrivals_per_s"] = per_second;
      if (reference) {
        j["crash" + w.suffix + "_ratio_to_openssl"] =
            std::round(static_cast<double>(per_second) / *reference * 100) / 100;
      }
    }
  }

  f.write_timeline(out / "timeline.csv");
  std::ostringstream title;
  title << o.agents << " agents, heartbeat " << o.interval_ms << " ms, A killed at "
        << std::round(crash_windows.front().from_s * 10) / 10 << " s";
  summary["chart"] = draw_chart(out, gateways.size(), f, title.str())
                         ? Json((out / "fleet.png").string())
                         : Json(nullptr);
  std::ofstream(out / "summary.json") << summary.dump(2) << "\n";
  std::printf("%s\n", summary.dump(2).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gatelink-fleet: N agents fail over together (docs/BENCHMARKS.md)"};
  Options o;
  app.add_option("--agents", o.agents, "agents in the fleet")->check(CLI::Range(1, 100000));
  app.add_option("--agents-per-worker", o.agents_per_worker,
                 "agents per worker process (a process holds at most 20,000 descriptors here)")
      ->check(CLI::Range(1, 5000));
  app.add_option("--lanes", o.lanes, "threads per worker the agents run on")
      ->check(CLI::Range(1, 64));
  app.add_option("--gateways", o.gateways, "gateways, A first (the primary)")
      ->check(CLI::Range(2, 9));
  app.add_option("--interval-ms", o.interval_ms, "heartbeat interval")->capture_default_str();
  app.add_option("--misses", o.misses, "heartbeat misses")->capture_default_str();
  app.add_option("--probe-interval-ms", o.probe_interval_ms, "failback probe interval")
      ->capture_default_str();
  app.add_option("--stable-probes", o.stable_probes, "failback stable probes")
      ->capture_default_str();
  app.add_option("--handshake-timeout-ms", o.handshake_timeout_ms, "agents' handshake deadline")
      ->capture_default_str();
  app.add_option("--backoff-cap-ms", o.backoff_cap_ms, "agents' backoff cap")
      ->capture_default_str();
  app.add_option("--max-handshakes", o.max_handshakes,
                 "each gateway's --max-handshakes (and its per-address share: the fleet is "
                 "all on 127.0.0.1)")
      ->capture_default_str();
  app.add_option("--busy-retry-after-ms", o.busy_retry_after_ms,
                 "each gateway's retry-after of a busy answer")
      ->capture_default_str();
  app.add_option("--handshake-queue", o.handshake_queue,
                 "each gateway's --handshake-queue: agents that wait for a slot rather than be "
                 "told busy at once (0: none wait)")
      ->capture_default_str();
  app.add_option("--handshake-queue-wait-ms", o.handshake_queue_wait_ms,
                 "each gateway's --handshake-queue-wait-ms")
      ->capture_default_str();
  app.add_flag("!--no-failback", o.failback, "leave A dead: measure the crash only");
  app.add_option("--crashes", o.crashes,
                 "times A is killed and comes back (the second on: agents that have been on B "
                 "and C)")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  app.add_option("--ticket-prefetch-ms", o.ticket_prefetch_ms,
                 "with --ticket-keys: the agents fetch a ticket from B and C within this many ms "
                 "of connecting (<resumption prefetch-within-ms>), and the crash waits for it; 0: "
                 "none")
      ->capture_default_str();
  app.add_option("--warm-standby-ms", o.standby_interval_ms,
                 "the agents keep a warm standby heartbeating this often (0: none)")
      ->capture_default_str();
  app.add_flag("!--no-topology", o.topology,
               "deliver no topology: skip the store and the check that every agent kept it");
  app.add_option("--start-per-s", o.start_per_s,
                 "agents started a second, interleaved over the workers (0: all at once, a "
                 "cold-start herd)")
      ->capture_default_str();
  app.add_option("--rest-seconds", o.rest_seconds,
                 "seconds the fleet rests on A before the crash, for the gateways' CPU and memory "
                 "per agent (0: none)")
      ->capture_default_str();
  app.add_flag("--ticket-keys", o.ticket_keys,
               "the gateways share a ticket key file: failbacks and later failovers resume");
  app.add_option("--phase-deadline-s", o.phase_deadline_s, "longest wait for a phase")
      ->capture_default_str();
  app.add_option("--reference-seconds", o.reference_seconds,
                 "seconds of openssl s_time for the reference rate (0: none)")
      ->capture_default_str();
  app.add_option("--pki", o.pki, "folder with ca.pem, ca.key and gw1..gwN .pem/.key")->required();
  app.add_option("--bin-dir", o.bin_dir, "folder of gatelink-gateway")->required();
  app.add_option("--out", o.out, "folder for summary.json, timeline.csv, fleet.png")
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "the agents' log level")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gatelink-fleet: %s\n", e.what());
    return 1;
  }
}
