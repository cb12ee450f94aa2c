// agent_footprint: what the real gatelink-agent costs at rest, connected to a real
// gatelink-gateway on 127.0.0.1 with 1 s heartbeats: its memory (RSS, PSS, private and shared,
// from /proc/PID/smaps_rollup, sampled over the window; the peak; at the end, where it goes, by
// mapping) and its CPU over the window, then the `gatelinkctl status` round trip (the process,
// and the same request in-process). It measures against DESIGN "Performance budget" and exits 0
// once set up, whatever the figures: a benchmark, not a timed test. docs/BENCHMARKS.md, "Agent
// at rest".

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.hpp"
#include "status_client.hpp"

#ifndef GATELINK_DEFAULT_PKI
#error "GATELINK_DEFAULT_PKI (the test PKI folder of the build) must be defined by the build"
#endif

namespace {

namespace fs = std::filesystem;
namespace gt = gatelink::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Options {
  unsigned seconds = 60;
  /// After the connection, before the window: the welcome's aftermath (the certificate
  /// monitor's first look, the first heartbeats) is behind it, so that the window is all rest.
  unsigned settle_seconds = 10;
  unsigned interval_ms = 1000;
  unsigned sample_ms = 1000;
  unsigned status_runs = 50;
  std::string agent_log_level = "info";
  std::string bin_dir;
  std::string pki = GATELINK_DEFAULT_PKI;
  std::string out;
  std::string log_dir;
};

// ---- DESIGN "Performance budget" --------------------------------------------------------------
constexpr double kRssBudgetKib = 8 * 1024;
constexpr double kCpuBudgetPercent = 0.1;
constexpr double kStatusBudgetMs = 5;

/// Bounds of the set-up: the gateway's start is the harness's; the agent's first connection.
constexpr auto kConnectDeadline = 20s;
/// One status request, of the process or in-process.
constexpr auto kStatusDeadline = 5s;

const char* verdict(bool within) { return within ? "PASS" : "MISS"; }

// ---- statistics -------------------------------------------------------------------------------
/// median (mean of the middle two for an even count), p90 by nearest rank, max.
struct Summary {
  std::size_t n = 0;
  double median = 0;
  double p90 = 0;
  double max = 0;
};

Summary summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  s.median = v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  const auto rank = static_cast<std::size_t>(static_cast<double>(v.size()) * 0.9 + 0.999999);
  s.p90 = v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
  s.max = v.back();
  return s;
}

nlohmann::json to_json(const Summary& s) {
  return {{"n", s.n}, {"median", s.median}, {"p90", s.p90}, {"max", s.max}};
}

// ---- the agent at rest ------------------------------------------------------------------------
struct MemorySample {
  double at_s = 0;  ///< since the window began
  std::size_t rss_kib = 0;
  std::size_t pss_kib = 0;
  std::size_t private_kib = 0;  ///< Private_Clean + Private_Dirty
  std::size_t shared_kib = 0;   ///< Shared_Clean + Shared_Dirty
  std::size_t anonymous_kib = 0;
  std::size_t threads = 0;
};

MemorySample sample_memory(pid_t pid, double at_s) {
  auto f = gt::proc_smaps_rollup_kib(pid);
  if (f.empty()) throw std::runtime_error("the agent is gone (no /proc/PID/smaps_rollup)");
  return MemorySample{.at_s = at_s,
                      .rss_kib = f["Rss"],
                      .pss_kib = f["Pss"],
                      .private_kib = f["Private_Clean"] + f["Private_Dirty"],
                      .shared_kib = f["Shared_Clean"] + f["Shared_Dirty"],
                      .anonymous_kib = f["Anonymous"],
                      .threads = gt::proc_thread_count(pid)};
}

nlohmann::json to_json(const MemorySample& s) {
  return {{"at_s", s.at_s},
          {"rss_kib", s.rss_kib},
          {"pss_kib", s.pss_kib},
          {"private_kib", s.private_kib},
          {"shared_kib", s.shared_kib},
          {"anonymous_kib", s.anonymous_kib},
          {"threads", s.threads}};
}

nlohmann::json to_json(const gt::MappingFootprint& m) {
  return {{"name", m.name},
          {"mappings", m.mappings},
          {"size_kib", m.size_kib},
          {"rss_kib", m.rss_kib},
          {"pss_kib", m.pss_kib},
          {"private_kib", m.private_kib},
          {"shared_kib", m.shared_kib}};
}

struct Rest {
  std::vector<MemorySample> samples;
  double window_s = 0;
  std::uint64_t ticks = 0;                       ///< utime + stime over the window
  std::optional<std::uint64_t> cpu_ns;           ///< the same by schedstat
  std::size_t peak_kib = 0;                      ///< VmHWM at the end of the window
  std::size_t log_bytes = 0;                     ///< what the agent logged in the window
  std::vector<gt::MappingFootprint> by_mapping;  ///< at the end of the window

  double cpu_percent_by_ticks() const {
    const auto per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return window_s > 0 ? 100.0 * static_cast<double>(ticks) / per_second / window_s : 0;
  }
  std::optional<double> cpu_percent_by_schedstat() const {
    if (!cpu_ns || window_s <= 0) return std::nullopt;
    return 100.0 * static_cast<double>(*cpu_ns) / 1e9 / window_s;
  }
  Summary of(std::size_t MemorySample::*field) const {
    std::vector<double> v;
    for (const auto& s : samples) v.push_back(static_cast<double>(s.*field));
    return summarize(v);
  }
};

/// Samples the agent every `sample_ms` for `seconds`: memory each time, CPU over the whole.
Rest measure_rest(const Options& o, gt::Process& agent) {
  const pid_t pid = agent.pid();
  Rest r;
  const auto log_before = fs::file_size(agent.log_file());
  const auto ticks_before = gt::proc_cpu_ticks(pid);
  const auto ns_before = gt::proc_cpu_ns(pid);
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(o.seconds);
  for (auto next = start;; next += std::chrono::milliseconds(o.sample_ms)) {
    if (next > end) next = end;
    std::this_thread::sleep_until(next);  // the sample period, not a synchronisation
    if (!agent.running()) throw std::runtime_error("the agent exited: " + agent.log());
    const double at = std::chrono::duration<double>(Clock::now() - start).count();
    r.samples.push_back(sample_memory(pid, at));
    if (next == end) break;
  }
  r.ticks = gt::proc_cpu_ticks(pid) - ticks_before;
  if (const auto ns_after = gt::proc_cpu_ns(pid); ns_before && ns_after) {
    r.cpu_ns = *ns_after - *ns_before;
  }
  r.window_s = std::chrono::duration<double>(Clock::now() - start).count();
  r.peak_kib = gt::proc_status_kib(pid, "VmHWM");
  r.log_bytes = fs::file_size(agent.log_file()) - log_before;
  r.by_mapping = gt::proc_smaps_by_name(pid);
  return r;
}

// ---- the status round trip --------------------------------------------------------------------
struct RoundTrips {
  std::vector<double> ctl_ms;      ///< `gatelinkctl --socket S status --json`, spawn to exit
  std::vector<double> inproc_ms;   ///< request_status (gatelinkctl's own client) in this process
  std::vector<double> version_ms;  ///< `gatelinkctl --version`: the program's start alone
  std::vector<double> true_ms;     ///< `/bin/true`: what starting any process costs here
  unsigned failed = 0;             ///< runs without an answer (reported, not timed)
};

double ms_of(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

/// Interleaved, so that the machine's load (other builds, here) weighs on each kind alike.
RoundTrips measure_status(const Options& o, const fs::path& socket) {
  RoundTrips r;
  const auto ctl = (gt::bin_dir() / "gatelinkctl").string();
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kStatusDeadline);
  for (unsigned i = 0; i < o.status_runs; ++i) {
    // 0: connected; 3: answered, not connected (docs/OPERATIONS.md "Exit codes").
    const auto status =
        gt::run_program_timed({ctl, "--socket", socket.string(), "status", "--json"}, timeout);
    if (status.result.exit_status == 0 || status.result.exit_status == 3) {
      r.ctl_ms.push_back(ms_of(status.took));
    } else {
      ++r.failed;
    }
    const auto start = Clock::now();
    const auto answer = gatelink::request_status(socket.string(), timeout);
    const auto took = Clock::now() - start;
    if (answer) {
      r.inproc_ms.push_back(ms_of(took));
    } else {
      ++r.failed;
    }
    const auto version = gt::run_program_timed({ctl, "--version"}, timeout);
    if (version.result.exit_status == 0) r.version_ms.push_back(ms_of(version.took));
    const auto bare = gt::run_program_timed({"/bin/true"}, timeout);
    if (bare.result.exit_status == 0) r.true_ms.push_back(ms_of(bare.took));
  }
  return r;
}

// ---- report -----------------------------------------------------------------------------------
std::string short_name(const std::string& name) {
  if (name.empty() || name.front() == '[') return name;
  return fs::path(name).filename().string();
}

void print_memory_row(const char* what, const Summary& s, const std::string& budget) {
  std::printf("  %-24s %9.0f %9.0f   %s\n", what, s.median, s.max, budget.c_str());
}

void print_round_trip_row(const char* what, const Summary& s, bool budgeted) {
  std::string budget = "(reference)";
  if (budgeted && s.n == 0) budget = "< 5 ms: no runs";
  if (budgeted && s.n > 0) {
    budget = std::string("< 5 ms: ") + verdict(s.median < kStatusBudgetMs) + " (median), " +
             verdict(s.p90 < kStatusBudgetMs) + " (p90)";
  }
  std::printf("  %-34s %4zu %8.2f %8.2f %8.2f   %s\n", what, s.n, s.median, s.p90, s.max,
              budget.c_str());
}

void report(const Options& o, const std::string& started, double load_before, double load_after,
            const Rest& rest, std::size_t rss_after_status_kib, const RoundTrips& trips) {
  const Summary rss = rest.of(&MemorySample::rss_kib);
  const Summary threads = rest.of(&MemorySample::threads);
  std::printf(
      "agent_footprint %s: gatelink-agent (--log-level %s) connected to gatelink-gateway on "
      "127.0.0.1, heartbeat %u ms; window %.1f s after %u s settled, a sample every %u ms; %u "
      "cores, load average %.2f before, %.2f after\n",
      started.c_str(), o.agent_log_level.c_str(), o.interval_ms, rest.window_s, o.settle_seconds,
      o.sample_ms, std::thread::hardware_concurrency(), load_before, load_after);
  std::printf("memory (KiB, /proc/PID/smaps_rollup)  median       max   budget\n");
  print_memory_row("Rss", rss, std::string("< 8192 (8 MiB): ") + verdict(rss.max < kRssBudgetKib));
  print_memory_row("Pss", rest.of(&MemorySample::pss_kib), "(this process's share)");
  print_memory_row("Private (clean + dirty)", rest.of(&MemorySample::private_kib), "");
  print_memory_row("Shared (clean + dirty)", rest.of(&MemorySample::shared_kib), "");
  print_memory_row("Anonymous", rest.of(&MemorySample::anonymous_kib), "");
  std::printf("  %-24s %9zu             (peak since the start)\n", "VmHWM", rest.peak_kib);
  std::printf("  %-24s %9zu             (after the status runs)\n", "Rss", rss_after_status_kib);
  std::printf("threads: %.0f (max %.0f)\n", threads.median, threads.max);
  const double by_ticks = rest.cpu_percent_by_ticks();
  const auto by_schedstat = rest.cpu_percent_by_schedstat();
  const double cpu = by_schedstat.value_or(by_ticks);
  std::printf(
      "cpu: %.4f %% of one core (schedstat: %s; ticks: %llu = %.4f %%)   < 0.1 %%: %s\n", cpu,
      by_schedstat ? (std::to_string(static_cast<double>(*rest.cpu_ns) / 1e6) + " ms").c_str()
                   : "n/a",
      static_cast<unsigned long long>(rest.ticks), by_ticks, verdict(cpu < kCpuBudgetPercent));
  std::printf("agent log in the window: %zu bytes\n", rest.log_bytes);
  std::printf("where it goes at the end of the window (KiB), by RSS:\n");
  std::printf("  %-36s %4s %9s %7s %7s %7s %7s\n", "mapping", "n", "size", "rss", "pss", "private",
              "shared");
  for (const auto& m : rest.by_mapping) {
    if (m.rss_kib == 0 && m.name.front() != '[') continue;  // reserved, never touched
    std::printf("  %-36s %4zu %9zu %7zu %7zu %7zu %7zu\n", short_name(m.name).c_str(), m.mappings,
                m.size_kib, m.rss_kib, m.pss_kib, m.private_kib, m.shared_kib);
  }
  std::printf("status round trip (ms)                  n   median      p90      max   budget\n");
  print_round_trip_row("gatelinkctl status --json (process)", summarize(trips.ctl_ms), true);
  print_round_trip_row("request_status (in-process)", summarize(trips.inproc_ms), true);
  print_round_trip_row("gatelinkctl --version (start alone)", summarize(trips.version_ms), false);
  print_round_trip_row("/bin/true (any process's start)", summarize(trips.true_ms), false);
  if (trips.failed > 0) std::printf("status requests without an answer: %u\n", trips.failed);

  if (o.out.empty()) return;
  nlohmann::json mappings = nlohmann::json::array();
  for (const auto& m : rest.by_mapping) mappings.push_back(to_json(m));
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& s : rest.samples) samples.push_back(to_json(s));
  const nlohmann::json j{
      {"date", started},
      {"cores", std::thread::hardware_concurrency()},
      {"load_average_before", load_before},
      {"load_average_after", load_after},
      {"interval_ms", o.interval_ms},
      {"agent_log_level", o.agent_log_level},
      {"window_s", rest.window_s},
      {"settle_s", o.settle_seconds},
      {"budget",
       {{"rss_kib", kRssBudgetKib},
        {"cpu_percent", kCpuBudgetPercent},
        {"status_ms", kStatusBudgetMs}}},
      {"rss_kib", to_json(rss)},
      {"pss_kib", to_json(rest.of(&MemorySample::pss_kib))},
      {"private_kib", to_json(rest.of(&MemorySample::private_kib))},
      {"shared_kib", to_json(rest.of(&MemorySample::shared_kib))},
      {"vm_hwm_kib", rest.peak_kib},
      {"rss_after_status_kib", rss_after_status_kib},
      {"threads", to_json(threads)},
      {"cpu_ticks", rest.ticks},
      {"cpu_ns", rest.cpu_ns ? nlohmann::json(*rest.cpu_ns) : nlohmann::json(nullptr)},
      {"cpu_percent", cpu},
      {"cpu_percent_by_ticks", by_ticks},
      {"log_bytes", rest.log_bytes},
      {"mappings", mappings},
      {"samples", samples},
      {"status_ms",
       {{"gatelinkctl", to_json(summarize(trips.ctl_ms))},
        {"in_process", to_json(summarize(trips.inproc_ms))},
        {"gatelinkctl_version", to_json(summarize(trips.version_ms))},
        {"bin_true", to_json(summarize(trips.true_ms))},
        {"failed", trips.failed},
        {"gatelinkctl_runs", trips.ctl_ms},
        {"in_process_runs", trips.inproc_ms}}}};
  std::ofstream(o.out) << j.dump(2) << "\n";
}

void copy_logs(const gt::TempDir& dir, const std::string& to) {
  if (to.empty()) return;
  fs::create_directories(to);
  for (const char* log : {"agent.log", "gw1.example.test.log"}) {
    std::error_code ec;
    fs::copy_file(dir / log, fs::path(to) / log, fs::copy_options::overwrite_existing, ec);
  }
}

int run(const Options& o) {
  const fs::path bin = o.bin_dir.empty() ? gt::own_folder() : fs::path(o.bin_dir);
  for (const char* program : {"gatelink-agent", "gatelink-gateway", "gatelinkctl"}) {
    if (!fs::exists(bin / program)) {
      throw std::runtime_error((bin / program).string() + " not found; pass --bin-dir");
    }
  }
  if (!fs::exists(fs::path(o.pki) / "ca.pem")) {
    throw std::runtime_error(o.pki + " holds no test PKI; run ctest -R pki_setup or pass --pki");
  }
  ::setenv("GATELINK_BIN_DIR", fs::absolute(bin).c_str(), 1);
  ::setenv("GATELINK_TEST_PKI", fs::absolute(o.pki).c_str(), 1);

  gt::TempDir dir;
  try {
    const double load_before = gt::load_average();
    const std::string started = gt::utc_now();
    const auto gateway = gt::start_gateway(dir, "gw1.example.test", "gw1");
    gt::AgentSetup setup;
    setup.gateways = {{gateway.address, gateway.name}};
    setup.heartbeat_interval_ms = o.interval_ms;
    const auto config = gt::write_agent_config(dir, setup);
    const auto agent = gt::start_agent(dir, config, {}, o.agent_log_level);
    const auto socket = dir / "agent.sock";
    if (!gt::wait_until(
            [&] {
              if (!agent->running()) return true;
              const auto status = gt::agent_status(socket);
              return status && (*status)["state"] == "connected";
            },
            kConnectDeadline) ||
        !agent->running()) {
      throw std::runtime_error("the agent did not connect: " + agent->log());
    }
    // The first seconds after the welcome are start-up, not rest (a phase, not a wait).
    std::this_thread::sleep_for(std::chrono::seconds(o.settle_seconds));
    const Rest rest = measure_rest(o, *agent);
    const RoundTrips trips = measure_status(o, socket);
    const std::size_t rss_after_status = gt::proc_smaps_rollup_kib(agent->pid())["Rss"];
    const double load_after = gt::load_average();
    if (trips.ctl_ms.empty() && trips.inproc_ms.empty() && o.status_runs > 0) {
      throw std::runtime_error("the agent never answered a status request");
    }
    report(o, started, load_before, load_after, rest, rss_after_status, trips);
  } catch (...) {
    copy_logs(dir, o.log_dir);  // what went wrong is in there
    throw;
  }
  copy_logs(dir, o.log_dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "agent_footprint: the real gatelink-agent at rest (memory, CPU) and the gatelinkctl status "
      "round trip, against DESIGN's performance budget. Exits 0 whatever the figures; 1 if the "
      "set-up failed."};
  app.add_option("--seconds", o.seconds, "length of the window at rest")
      ->check(CLI::Range(1U, 86400U))
      ->capture_default_str();
  app.add_option("--settle-seconds", o.settle_seconds,
                 "after the agent connected, before the window begins")
      ->check(CLI::Range(0U, 3600U))
      ->capture_default_str();
  app.add_option("--interval-ms", o.interval_ms, "agent heartbeat interval-ms")
      ->check(CLI::Range(50U, 600000U))
      ->capture_default_str();
  app.add_option("--sample-ms", o.sample_ms, "memory sample period")
      ->check(CLI::Range(100U, 60000U))
      ->capture_default_str();
  app.add_option("--status-runs", o.status_runs,
                 "runs of gatelinkctl status, of the in-process request and of gatelinkctl "
                 "--version")
      ->check(CLI::Range(0U, 100000U))
      ->capture_default_str();
  app.add_option("--agent-log-level", o.agent_log_level, "the agent's --log-level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--bin-dir", o.bin_dir,
                 "folder with gatelink-agent, gatelink-gateway and gatelinkctl (default: this "
                 "program's folder)");
  app.add_option("--pki", o.pki,
                 "test PKI folder (ca.pem, gw1.pem/.key, agent.pem/.key), as ctest's pki_setup "
                 "makes it")
      ->capture_default_str();
  app.add_option("--out", o.out, "also write the figures, samples and mappings to this JSON file");
  app.add_option("--log-dir", o.log_dir,
                 "copy the agent's and the gateway's logs to this folder (also when the set-up "
                 "fails)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "agent_footprint: set-up failed: %s\n", e.what());
    return 1;
  }
}
