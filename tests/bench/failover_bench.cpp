// failover_bench: measures, with the real gatelink-agent and three real gatelink-gateway
// processes on 127.0.0.1, how long the agent takes to reach the next gateway when the one in use
// crashes, goes silent or drains, and how long it takes to fail back to a restarted primary.
// It measures against DESIGN "Performance budget" and always exits 0 once set up: a benchmark,
// not a timed test. How it measures: docs/BENCHMARKS.md.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "integration/harness.hpp"

#ifndef GATELINK_CERTS_TOOL
#error "GATELINK_CERTS_TOOL (path of certs/gatelink-certs) must be defined by the build"
#endif

namespace {

namespace fs = std::filesystem;
namespace gt = gatelink::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

struct Options {
  unsigned trials = 20;
  unsigned interval_ms = 200;
  unsigned misses = 3;
  unsigned probe_interval_ms = 200;
  unsigned stable_probes = 2;
  std::string bin_dir;
  std::string pki;
  std::string certs_tool = GATELINK_CERTS_TOOL;
  std::string out;
  std::string log_dir;
  unsigned seed = 0;  ///< of the random phases; 0 = a fresh one each run
};

// ---- bounds ---------------------------------------------------------------------------------
/// A crashed or drained gateway is dead at once; anything slower than this is a lost trial.
constexpr auto kMoveDeadline = 10s;
/// A gateway process must stop within this after SIGKILL, or after SIGTERM (its drain).
constexpr auto kExitDeadline = 5s;
/// The agent's first connection at start-up, and getting back to the primary after a lost trial.
constexpr auto kSettleDeadline = 20s;
/// Ceiling of one inotify wait, so that a lost notification costs at most this much.
constexpr int kPollCeilingMs = 20;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double epoch_ms(WallClock::time_point t) {
  return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

/// The agent's own timestamp of a log line (`2026-11-25T17:19:25.571Z ...`, UTC, ms) in ms
/// since the epoch; nullopt if the line does not start with one.
std::optional<double> log_time_ms(std::string_view line) {
  std::tm tm{};
  int ms = 0;
  const std::string head(line.substr(0, 24));
  if (std::sscanf(head.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000.0 + ms;
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

std::string utc_now() {
  const std::time_t now = WallClock::to_time_t(WallClock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text.data();
}

// ---- the agent's log, watched with inotify --------------------------------------------------
/// Follows a growing log file and reports the first new line that matches, with the moment it
/// was seen. inotify wakes the reader on every write, so that moment trails the write by a
/// scheduling delay rather than by a poll period.
class LogWatcher {
 public:
  explicit LogWatcher(const fs::path& file) {
    fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0 || inotify_ < 0 || ::inotify_add_watch(inotify_, file.c_str(), IN_MODIFY) < 0) {
      throw std::runtime_error("cannot watch " + file.string());
    }
  }
  ~LogWatcher() {
    if (fd_ >= 0) ::close(fd_);
    if (inotify_ >= 0) ::close(inotify_);
  }
  LogWatcher(const LogWatcher&) = delete;
  LogWatcher& operator=(const LogWatcher&) = delete;

  /// Forgets everything written so far: later waits only see lines written after this.
  void skip() {
    drain_events();
    read_more();
    pending_.clear();
  }

  struct Seen {
    std::string line;
    Clock::time_point at;        ///< when this program read it
    WallClock::time_point wall;  ///< the same moment on the wall clock
  };
  /// The first complete new line that `match` accepts, or nullopt once `until` has passed.
  std::optional<Seen> wait_for(const std::function<bool(std::string_view)>& match,
                               Clock::time_point until) {
    for (;;) {
      drain_events();
      read_more();
      const auto now = Clock::now();
      const auto wall = WallClock::now();
      for (std::size_t end = pending_.find('\n'); end != std::string::npos;
           end = pending_.find('\n')) {
        std::string line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        if (match(line)) return Seen{std::move(line), now, wall};
      }
      if (now >= until) return std::nullopt;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
      pollfd p{.fd = inotify_, .events = POLLIN, .revents = 0};
      ::poll(&p, 1, static_cast<int>(std::min<long long>(left, kPollCeilingMs)));
    }
  }

 private:
  void drain_events() {
    std::array<char, 4096> buffer{};
    while (::read(inotify_, buffer.data(), buffer.size()) > 0) {
    }
  }
  void read_more() {
    std::array<char, 16384> buffer{};
    for (;;) {
      const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
      if (n <= 0) return;
      pending_.append(buffer.data(), static_cast<std::size_t>(n));
    }
  }

  int fd_ = -1;
  int inotify_ = -1;
  std::string pending_;  ///< read, not yet matched; starts at a line boundary
};

// ---- figures --------------------------------------------------------------------------------
/// What a series must meet (DESIGN "Performance budget"); unset bounds do not apply.
struct Budget {
  std::string text;
  std::optional<double> median_below;
  std::optional<double> p99_below;
  std::optional<double> max_at_most;
};

struct Summary {
  std::size_t n = 0;
  double min = 0, median = 0, p99 = 0, max = 0;
};

/// min, median (mean of the middle two for an even count), p99 by nearest rank, max.
Summary summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(v.size())));
  s.p99 = v[std::max<std::size_t>(rank, 1) - 1];
  return s;
}

/// One measured quantity over the trials of a scenario.
struct Series {
  std::string name;
  Budget budget;
  std::vector<double> observed_ms;  ///< kill() → line read by this program (steady clock)
  std::vector<double> logged_ms;    ///< wall clock before kill() → the agent's log timestamp
  unsigned lost = 0;                ///< trials where the line never came within the deadline
  unsigned elsewhere = 0;           ///< moved, but not to the next gateway in order
  std::vector<std::string> notes;

  /// "PASS", or "MISS" with what missed and by how much.
  std::string verdict() const {
    const Summary s = summarize(observed_ms);
    std::string misses;
    auto add = [&misses](const std::string& what) {
      misses += (misses.empty() ? "" : ", ") + what;
    };
    auto by = [](const char* figure, double value, double bound) {
      std::array<char, 96> text{};
      std::snprintf(text.data(), text.size(), "%s %.1f ms is %.1f ms over %.0f", figure, value,
                    value - bound, bound);
      return std::string(text.data());
    };
    if (s.n == 0) add("no samples");
    if (lost > 0) add(std::to_string(lost) + " trial(s) lost");
    if (elsewhere > 0) add(std::to_string(elsewhere) + " move(s) to the wrong gateway");
    if (s.n > 0 && budget.median_below && s.median >= *budget.median_below) {
      add(by("median", s.median, *budget.median_below));
    }
    if (s.n > 0 && budget.p99_below && s.p99 >= *budget.p99_below) {
      add(by("p99", s.p99, *budget.p99_below));
    }
    if (s.n > 0 && budget.max_at_most && s.max > *budget.max_at_most) {
      add(by("max", s.max, *budget.max_at_most));
    }
    return misses.empty() ? "PASS" : "MISS (" + misses + ")";
  }

  nlohmann::json to_json() const {
    const Summary s = summarize(observed_ms);
    const Summary l = summarize(logged_ms);
    nlohmann::json j{{"name", name},
                     {"budget", budget.text},
                     {"trials", s.n + lost},
                     {"samples", s.n},
                     {"lost", lost},
                     {"elsewhere", elsewhere},
                     {"min_ms", s.min},
                     {"median_ms", s.median},
                     {"p99_ms", s.p99},
                     {"max_ms", s.max},
                     {"agent_log_median_ms", l.median},
                     {"agent_log_p99_ms", l.p99},
                     {"verdict", verdict()},
                     {"observed_ms", observed_ms},
                     {"agent_log_ms", logged_ms},
                     {"notes", notes}};
    return j;
  }
};

// ---- the processes --------------------------------------------------------------------------
enum class Death { crash, silent, drain };

int signal_of(Death death) {
  switch (death) {
    case Death::crash:
      return SIGKILL;
    case Death::silent:
      return SIGSTOP;
    case Death::drain:
      return SIGTERM;
  }
  return SIGKILL;
}

/// Three gateways (gw1 the primary, then gw2 and gw3) and one agent, kept across trials: the
/// primary is brought back on its port after each death and the agent fails back to it.
class Rig {
 public:
  Rig(const Options& options, const gt::TempDir& dir)
      : o_(options),
        dir_(dir),
        random_(options.seed != 0 ? options.seed : std::random_device{}()) {}

  void start() {
    for (int n = 1; n <= 3; ++n) gateways_.push_back(start_gateway(n, 0));
    write_agent_config();
    const auto log = dir_ / "agent.log";
    std::ofstream(log, std::ios::app).close();  // exists before the watch and the agent
    watcher_.emplace(log);
    agent_ = std::make_unique<gt::Process>(
        std::vector<std::string>{(gt::bin_dir() / "gatelink-agent").string(), "--config",
                                 (dir_ / "agent.xml").string(), "--log-level", "info"},
        log);
    if (!watcher_->wait_for(connected_to(0, "primary"), Clock::now() + kSettleDeadline)) {
      throw std::runtime_error("the agent did not connect to its primary:\n" + agent_->log());
    }
  }

  /// Kills the primary the way `death` says, times the agent's move to gw2 into `move`, brings
  /// the primary back and times the failback into `back`.
  void trial(Death death, Series& move, Series& back) {
    // Strike at a random moment of the heartbeat cycle (the failback just restarted it), so
    // that the silent case sees every phase rather than always the same one.
    pause(o_.interval_ms);
    watcher_->skip();
    const auto wall0 = WallClock::now();
    const auto t0 = Clock::now();
    gateways_[0].process->signal(signal_of(death));
    const auto moved = watcher_->wait_for(
        [](std::string_view line) {
          return line.find(" event=connected ") != std::string_view::npos &&
                 line.find(" role=failover") != std::string_view::npos;
        },
        t0 + move_deadline(death));
    if (moved) {
      move.observed_ms.push_back(ms_between(t0, moved->at));
      if (const auto logged = log_time_ms(moved->line)) {
        move.logged_ms.push_back(*logged - epoch_ms(wall0));
      }
      if (moved->line.find(" gateway=" + token(1) + " ") == std::string::npos) {
        ++move.elsewhere;
        move.notes.push_back(moved->line);
      }
    } else {
      ++move.lost;
      move.notes.push_back("no move within the deadline");
      check_agent();
    }

    end_primary(death, move);
    // Restart at a random moment of the failback probe cycle: once a probe has found the
    // primary down (if the log says so in time), after up to one more probe interval.
    watcher_->wait_for(
        [this](std::string_view line) {
          return line.find(" event=gateway-dead gateway=" + token(0) + " ") !=
                 std::string_view::npos;
        },
        Clock::now() + std::chrono::milliseconds(2 * o_.probe_interval_ms) + 1s);
    pause(o_.probe_interval_ms);
    const auto wall1 = WallClock::now();
    const std::size_t listened = listening_lines().size();
    gateways_[0] = start_gateway(1, gateways_[0].port);
    const double up = listening_since(listened);
    startup_ms_.push_back(up - epoch_ms(wall1));
    const auto home = watcher_->wait_for(
        [this](std::string_view line) {
          return (line.find(" event=failback ") != std::string_view::npos &&
                  line.find(" to=" + token(0) + " ") != std::string_view::npos) ||
                 connected_to(0, "primary")(line);
        },
        Clock::now() + failback_deadline());
    if (home && home->line.find(" event=failback ") != std::string::npos) {
      back.observed_ms.push_back(epoch_ms(home->wall) - up);
      if (const auto logged = log_time_ms(home->line)) back.logged_ms.push_back(*logged - up);
      return;
    }
    ++back.lost;
    back.notes.push_back(home ? "reconnected instead of failing back: " + home->line
                              : "no failback within the deadline");
    check_agent();
    if (!home && !watcher_->wait_for(connected_to(0, "primary"), Clock::now() + kSettleDeadline)) {
      throw std::runtime_error("the agent did not get back to its primary");
    }
  }

  const std::vector<double>& startup_ms() const { return startup_ms_; }
  std::optional<nlohmann::json> status() const { return gt::agent_status(dir_ / "agent.sock"); }

  Budget silent_budget() const {
    const double bound = o_.interval_ms * o_.misses * 1.1;
    return Budget{.text = "max <= interval x misses + 10 % = " + fmt(bound) + " ms",
                  .max_at_most = bound};
  }
  /// DESIGN sets no failback budget; ours: the stable window plus one probe's own connect,
  /// handshake and heartbeat answer, which kProbeAllowanceMs bounds on loopback.
  Budget failback_budget() const {
    constexpr double kProbeAllowanceMs = 50;
    const double bound = o_.probe_interval_ms * o_.stable_probes + kProbeAllowanceMs;
    return Budget{.text = "max <= probe-interval x stable-probes + 50 ms = " + fmt(bound) + " ms",
                  .max_at_most = bound};
  }

  void copy_logs(const fs::path& to) const {
    fs::create_directories(to);
    for (const auto& entry : fs::directory_iterator(dir_.path())) {
      if (entry.path().extension() == ".log") {
        fs::copy_file(entry.path(), to / entry.path().filename(),
                      fs::copy_options::overwrite_existing);
      }
    }
  }

 private:
  static std::string fmt(double ms) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.0f", ms);
    return text.data();
  }

  /// gwN.example.test on 127.0.0.1, with the PKI's gwN certificate.
  gt::GatewayProcess start_gateway(int n, std::uint16_t port) const {
    // The gateway holds each agent to the heartbeats it proposes (the welcome agrees them).
    return gt::start_gateway(dir_, "gw" + std::to_string(n) + ".example.test",
                             "gw" + std::to_string(n), port,
                             {"--min-heartbeat-interval-ms", "50"});
  }

  /// How the agent names gateway `i` in its log: server-name@host:port.
  std::string token(std::size_t i) const { return gateways_[i].name + "@" + gateways_[i].address; }

  std::function<bool(std::string_view)> connected_to(std::size_t i, const char* role) const {
    const std::string want = " event=connected gateway=" + token(i) + " role=" + role + " ";
    return [want](std::string_view line) { return line.find(want) != std::string_view::npos; };
  }

  std::chrono::milliseconds move_deadline(Death death) const {
    if (death != Death::silent) return kMoveDeadline;
    return std::chrono::milliseconds(3 * o_.interval_ms * o_.misses) + kMoveDeadline;
  }
  std::chrono::milliseconds failback_deadline() const {
    return std::chrono::milliseconds(10 * o_.probe_interval_ms * o_.stable_probes) + kMoveDeadline;
  }

  /// Sleeps a uniformly random time in [0, up_to_ms): a random phase, not a synchronisation.
  void pause(unsigned up_to_ms) {
    std::uniform_int_distribution<unsigned> pick(0, std::max(1U, up_to_ms) - 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(random_)));
  }

  /// The `event=listening` lines of the primary's log (one per start; the log is appended to).
  std::vector<std::string> listening_lines() const {
    std::ifstream in(dir_ / (gateways_[0].name + ".log"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      if (line.find(" event=listening ") != std::string::npos) lines.push_back(line);
    }
    return lines;
  }

  /// The restarted primary's own timestamp of its `event=listening` line (ms since the epoch;
  /// logged just after the socket listens), waiting for a line past the first `known` ones.
  double listening_since(std::size_t known) const {
    std::optional<double> at;
    gt::wait_until(
        [&] {
          const auto lines = listening_lines();
          if (lines.size() > known) at = log_time_ms(lines.back());
          return at.has_value();
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(kExitDeadline));
    if (!at) throw std::runtime_error("the restarted primary did not log event=listening");
    return *at;
  }

  /// Makes sure the old primary is gone so that its port is free again.
  void end_primary(Death death, Series& move) {
    auto& process = *gateways_[0].process;
    if (death == Death::drain && !process.wait_exit(kExitDeadline)) {
      move.notes.push_back("the drained gateway had not exited after 5 s; killed");
    }
    if (process.running()) process.signal(SIGKILL);  // a stopped process dies of SIGKILL too
    if (!process.wait_exit(kExitDeadline)) {
      throw std::runtime_error("gateway gw1 did not exit after SIGKILL");
    }
  }

  void check_agent() const {
    if (!agent_->running()) throw std::runtime_error("the agent exited:\n" + agent_->log());
  }

  void write_agent_config() const {
    const auto pki = gt::test_pki();
    std::ostringstream x;
    x << "<agent name=\"agent1.example.test\" management-group=\"BENCH\">\n"
      << "  <tls ca=\"" << pki.file("ca.pem") << "\" cert=\"" << pki.file("agent.pem")
      << "\" key=\"" << pki.file("agent.key") << "\"/>\n"
      << "  <gateways>\n";
    for (std::size_t i = 0; i < gateways_.size(); ++i) {
      x << "    <" << (i == 0 ? "primary" : "failover") << " address=\"" << gateways_[i].address
        << "\" server-name=\"" << gateways_[i].name << "\"/>\n";
    }
    x << "  </gateways>\n"
      << "  <heartbeat interval-ms=\"" << o_.interval_ms << "\" misses=\"" << o_.misses << "\"/>\n"
      << "  <failback probe-interval-ms=\"" << o_.probe_interval_ms << "\" stable-probes=\""
      << o_.stable_probes << "\"/>\n"
      << "  <backoff base-ms=\"50\" cap-ms=\"500\"/>\n"
      << "  <timeouts connect-ms=\"1000\" handshake-ms=\"1000\"/>\n"
      << "  <state dir=\"" << (dir_ / "state").string() << "\"/>\n"
      << "  <status socket=\"" << (dir_ / "agent.sock").string() << "\"/>\n"
      << "</agent>\n";
    fs::create_directories(dir_ / "state");
    std::ofstream(dir_ / "agent.xml") << x.str();
  }

  const Options& o_;
  const gt::TempDir& dir_;
  std::vector<gt::GatewayProcess> gateways_;
  std::optional<LogWatcher> watcher_;
  std::unique_ptr<gt::Process> agent_;  ///< declared last: stopped before the gateways
  std::vector<double> startup_ms_;      ///< restart of the primary → its `event=listening` line
  std::mt19937 random_;
};

// ---- set-up -----------------------------------------------------------------------------------
fs::path default_bin_dir() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
}

/// The few certificates this benchmark needs, made with certs/gatelink-certs.
void make_pki(const fs::path& tool, const fs::path& dir) {
  auto certs = [&](std::vector<std::string> args) {
    const std::string command = args.front();
    args.insert(args.begin(), {"/bin/bash", tool.string()});
    const auto r = gt::run_program(args, 60s);
    if (r.exit_status != 0) {
      throw std::runtime_error("gatelink-certs " + command + " failed: " + r.out);
    }
  };
  certs({"ca", "--dir", dir.string(), "--cn", "gatelink bench CA"});
  for (int n = 1; n <= 3; ++n) {
    const std::string base = "gw" + std::to_string(n);
    certs({"gateway", "--dir", dir.string(), "--name", base + ".example.test", "--ip", "127.0.0.1",
           "--out", base});
  }
  certs({"agent", "--dir", dir.string(), "--name", "agent1.example.test", "--out", "agent"});
}

void print_row(const Series& series) {
  const Summary s = summarize(series.observed_ms);
  const Summary l = summarize(series.logged_ms);
  std::printf("%-28s %3zu %8.1f %8.1f %8.1f %8.1f   %7.1f %7.1f   %s\n", series.name.c_str(),
              s.n + series.lost, s.min, s.median, s.p99, s.max, l.median, l.p99,
              series.budget.text.c_str());
  std::printf("%-28s %s\n", "", series.verdict().c_str());
}

int run(const Options& o) {
  const fs::path bin = o.bin_dir.empty() ? default_bin_dir() : fs::path(o.bin_dir);
  for (const char* program : {"gatelink-agent", "gatelink-gateway", "gatelinkctl"}) {
    if (!fs::exists(bin / program)) {
      throw std::runtime_error((bin / program).string() + " not found; pass --bin-dir");
    }
  }
  gt::TempDir dir;
  fs::path pki = o.pki;
  if (pki.empty()) {
    pki = dir / "pki";
    make_pki(o.certs_tool, pki);
  }
  ::setenv("GATELINK_BIN_DIR", fs::absolute(bin).c_str(), 1);
  ::setenv("GATELINK_TEST_PKI", fs::absolute(pki).c_str(), 1);

  const double load_before = load_average();
  const std::string started = utc_now();
  Rig rig(o, dir);
  rig.start();

  const Budget crash_budget{
      .text = "median < 10 ms, p99 < 50 ms", .median_below = 10.0, .p99_below = 50.0};
  std::vector<Series> moves = {
      Series{.name = "a) crash -> next", .budget = crash_budget},
      Series{.name = "b) silent -> next", .budget = rig.silent_budget()},
      Series{.name = "c) drained -> next", .budget = crash_budget},
  };
  std::vector<Series> backs = {
      Series{.name = "d) failback (after a)", .budget = rig.failback_budget()},
      Series{.name = "d) failback (after b)", .budget = rig.failback_budget()},
      Series{.name = "d) failback (after c)", .budget = rig.failback_budget()},
  };
  const std::array<Death, 3> deaths = {Death::crash, Death::silent, Death::drain};
  for (std::size_t k = 0; k < deaths.size(); ++k) {
    for (unsigned t = 0; t < o.trials; ++t) rig.trial(deaths[k], moves[k], backs[k]);
  }
  const double load_after = load_average();
  const auto status = rig.status();

  std::printf(
      "failover_bench %s: %u trials per scenario; heartbeat %u ms x %u misses; failback probe "
      "%u ms x %u; %u cores, load average %.2f before, %.2f after\n",
      started.c_str(), o.trials, o.interval_ms, o.misses, o.probe_interval_ms, o.stable_probes,
      std::thread::hardware_concurrency(), load_before, load_after);
  std::printf("%-28s %3s %8s %8s %8s %8s   %15s   %s\n", "ms (observed by inotify)", "n", "min",
              "median", "p99", "max", "agent log m/p99", "budget");
  for (const auto& s : moves) print_row(s);
  for (const auto& s : backs) print_row(s);
  const Summary startup = summarize(rig.startup_ms());
  std::printf(
      "restarted primary listening (spawn -> its event=listening; not part of d): median "
      "%.1f ms, max %.1f ms\n",
      startup.median, startup.max);
  nlohmann::json counters;
  if (status && status->contains("counters")) {
    counters = (*status)["counters"];
    std::printf("agent counters: %s (expected %u failovers and %u failbacks)\n",
                counters.dump().c_str(), 3 * o.trials, 3 * o.trials);
  } else {
    std::printf("agent counters: the agent did not answer gatelinkctl status\n");
  }
  for (const auto& group : {moves, backs}) {
    for (const auto& s : group) {
      for (const auto& note : s.notes) std::printf("note %s: %s\n", s.name.c_str(), note.c_str());
    }
  }

  if (!o.out.empty()) {
    nlohmann::json j{{"date", started},
                     {"cores", std::thread::hardware_concurrency()},
                     {"load_average_before", load_before},
                     {"load_average_after", load_after},
                     {"trials", o.trials},
                     {"interval_ms", o.interval_ms},
                     {"misses", o.misses},
                     {"probe_interval_ms", o.probe_interval_ms},
                     {"stable_probes", o.stable_probes},
                     {"primary_ready_median_ms", startup.median},
                     {"agent_counters", counters},
                     {"series", nlohmann::json::array()}};
    for (const auto& group : {moves, backs}) {
      for (const auto& s : group) j["series"].push_back(s.to_json());
    }
    std::ofstream(o.out) << j.dump(2) << "\n";
  }
  if (!o.log_dir.empty()) rig.copy_logs(o.log_dir);
  // Slow figures are reported, not failed; a scenario without a single sample means the
  // benchmark itself no longer works (a changed log line, a broken rig).
  int status_code = 0;
  for (const auto& group : {moves, backs}) {
    for (const auto& s : group) {
      if (s.observed_ms.empty()) {
        std::fprintf(stderr, "failover_bench: no sample at all for %s\n", s.name.c_str());
        status_code = 2;
      }
    }
  }
  return status_code;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "failover_bench: times the agent's failover and failback with real gatelink processes on "
      "127.0.0.1 against DESIGN's performance budget. Exits 0 whatever the figures; 1 if the "
      "set-up failed; 2 if a scenario got no sample at all."};
  app.add_option("--trials", o.trials, "trials per scenario")
      ->check(CLI::Range(1U, 10000U))
      ->capture_default_str();
  app.add_option("--interval-ms", o.interval_ms, "agent heartbeat interval-ms")
      ->check(CLI::Range(50U, 600000U))
      ->capture_default_str();
  app.add_option("--misses", o.misses, "agent heartbeat misses")
      ->check(CLI::Range(1U, 100U))
      ->capture_default_str();
  app.add_option("--probe-interval-ms", o.probe_interval_ms, "agent failback probe-interval-ms")
      ->check(CLI::Range(100U, 600000U))
      ->capture_default_str();
  app.add_option("--stable-probes", o.stable_probes, "agent failback stable-probes")
      ->check(CLI::Range(1U, 100U))
      ->capture_default_str();
  app.add_option("--bin-dir", o.bin_dir,
                 "folder with gatelink-agent, gatelink-gateway and gatelinkctl (default: this "
                 "program's folder)");
  app.add_option("--pki", o.pki,
                 "existing PKI folder (ca.pem, gw1..3.pem/.key, agent.pem/.key); default: make "
                 "one in a temporary folder")
      ->check(CLI::ExistingDirectory);
  app.add_option("--certs-tool", o.certs_tool, "certs/gatelink-certs, to make the PKI")
      ->capture_default_str();
  app.add_option("--out", o.out, "also write the figures and every sample to this JSON file");
  app.add_option("--log-dir", o.log_dir, "copy the agent and gateway logs to this folder");
  app.add_option("--seed", o.seed, "seed of the random phases (0: a fresh one)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "failover_bench: set-up failed: %s\n", e.what());
    return 1;
  }
}
