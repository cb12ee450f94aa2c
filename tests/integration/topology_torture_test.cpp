// kill -9 of the agent at random moments while the management group pushes topologies to it
// (DESIGN "Topology: push, change, persistence": "A power cut or kill -9 at any moment leaves
// either the old or the new file, never a torn one"). Two real gateways deliver from one store;
// each round gatelink-mg writes the next generation and the agent is killed after a random
// delay: before the push, while it persists, after the ack, or while it is still starting and
// receives the push after its hello. One run keeps the primary (every push applies at once), the
// other moves it between gw1 and gw2 (every push goes through the pending topology and the
// handover). After every kill the state folder is read with a parser of the test's own (and
// xmllint against topology.xsd): both files complete and valid, the generation never lower than
// before nor lower than any generation a gateway heard acknowledged `applied`, and the restarted
// agent loads exactly that file. At the end the agent converges to the store.
// Each round draws how the kill is aimed: at a random moment up to 200 ms after the write (the
// agent connected, or still starting), or within a few milliseconds after the agent logged that
// the push arrived, which is when it writes its files.
//
//   GATELINK_TORTURE_ITERATIONS  kills in each run (default 100 and 50, a few seconds each on
//                                loopback); GATELINK_TORTURE_ITERATIONS=500 ctest -R
//                                topology_torture runs the long one.
//   GATELINK_TORTURE_SEED        replays the random choices of an earlier run (each run prints
//                                its seed); the timing of the processes stays the machine's.
// The random delay is the kill moment being drawn, not synchronisation: every wait for the agent
// or a gateway is a bounded wait on a condition. kill -9 leaves the page cache intact, so this
// proves the rename protocol and the order of the writes, not the fsyncs (a power cut would).

#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.hpp"
#include "integration/topology_support.hpp"

namespace gatelink::test {
namespace {

constexpr const char* kAgentName = "agent1.example.test";
constexpr const char* kGroup = "TEST";
constexpr auto kWait = 10s;
constexpr unsigned kDefaultIterations = 100;
/// A random kill comes this long after gatelink-mg wrote the next generation, drawn uniformly.
constexpr int kMinKillDelayMs = 2;
constexpr int kMaxKillDelayMs = 200;
/// An aimed kill comes this long after the agent logged the push's arrival, drawn uniformly:
/// about as long as it takes to write and flush both files.
constexpr int kMaxAimedDelayUs = 1500;
/// Same, when the push changes the primary: the write follows the handover to the new primary.
constexpr int kMaxAimedHandoverDelayUs = 6000;
/// Rounds of the primary-change run: each costs a handover, and the same-primary run is the
/// main one.
constexpr unsigned kDefaultPrimaryChangeIterations = 50;
/// How often an aimed kill looks for that log line: finer than the write it aims at.
constexpr auto kAimPollPeriod = std::chrono::microseconds(200);

/// How a round aims its kill.
enum class Aim {
  random_while_connected,  ///< agent connected; kill at a random moment after the write
  random_while_starting,   ///< agent just restarted; the push may come after its hello
  at_the_write,            ///< agent connected; kill just after the push arrived
};
/// Shares of the rounds, in Aim's order.
constexpr std::array<double, 3> kAimWeights = {0.35, 0.25, 0.40};

/// Where the kill landed, from the agent's log of that run.
enum class Landed { before_push, during_write, after_write };

unsigned env_unsigned(const char* name, unsigned fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return static_cast<unsigned>(std::stoul(value));
}

std::uint64_t seed_from_env() {
  const char* value = std::getenv("GATELINK_TORTURE_SEED");
  if (value != nullptr && *value != '\0') return std::stoull(value);
  return std::random_device{}();
}

/// Highest generation the gateway logged as acknowledged `applied` by the agent.
std::uint64_t highest_applied_ack(const std::string& gateway_log) {
  // Plain string search: <regex> trips GCC 12's -Wmaybe-uninitialized in sanitizer builds.
  // The store has no store.xml: every generation is of epoch 0.
  const std::string prefix =
      std::string("event=topology-ack agent=") + kAgentName + " epoch=0 generation=";
  std::uint64_t highest = 0;
  std::istringstream in(gateway_log);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(prefix);
    if (at == std::string::npos) continue;
    const auto digits = at + prefix.size();
    const auto end = line.find(' ', digits);
    if (end == std::string::npos || line.compare(end, 16, " outcome=applied") != 0) continue;
    const std::string number = line.substr(digits, end - digits);
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;
    highest = std::max<std::uint64_t>(highest, std::stoull(number));
  }
  return highest;
}

/// Polls `condition` every kAimPollPeriod until it holds or `deadline` passes (wait_until's
/// period is too coarse to aim a kill at a write that lasts milliseconds).
bool wait_closely(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(kAimPollPeriod);
  }
}

/// What the rounds of one run write.
struct Scenario {
  /// false: the primary stays gw1 and only the failover list changes, so every push applies at
  /// once; true: the primary moves between gw1 and gw2, so pushes go through the pending
  /// topology and the handover (the agent persists when it commits).
  bool primary_moves = false;
  unsigned default_rounds = kDefaultIterations;
  /// Upper bound of an aimed kill's delay after the push arrived.
  std::chrono::microseconds max_aimed_delay{kMaxAimedDelayUs};
};

class TopologyTorture : public ::testing::Test {
 protected:
  static constexpr std::size_t kGateways = 2;

  void SetUp() override {
    fs::create_directories(store_);
    // A short store poll, so that many pushes land inside the kill window.
    for (std::size_t i = 0; i < kGateways; ++i) {
      gw_[i] = start_gateway(dir_, gateway_name(i), gateway_cert(i), 0,
                             {"--store", store_.string(), "--store-poll-ms", "20"});
    }
    // A third gateway that is never needed (gw1 and gw2 stay up) and refuses at once if dialled.
    spare_address_ = gateway_name(2) + "@127.0.0.1:" + std::to_string(spare_.port());
    AgentSetup setup;
    setup.name = kAgentName;
    setup.management_group = kGroup;
    for (const auto& gw : gw_) setup.gateways.emplace_back(gw.address, gw.name);
    config_ = write_agent_config(dir_, setup);
  }

  std::size_t start() {
    const std::size_t offset = read_text_file(dir_ / "agent.log").size();
    agent_ = start_agent(dir_, config_);
    return offset;
  }

  /// Generation `round` + 1 of `scenario`.
  RunResult write_next(const Scenario& scenario, unsigned round) const {
    std::string primary, failover;
    if (scenario.primary_moves) {
      primary = cli_address(gw_[(round + 1) % 2]);
      failover = cli_address(gw_[round % 2]);
    } else {
      primary = cli_address(gw_[0]);
      failover = round % 2 == 0 ? cli_address(gw_[1])
                                : spare_address_ + "," + cli_address(gw_[1]);
    }
    return run_mg(store_, {"set-parent", "--agent", kAgentName, "--primary", primary,
                           "--failover", failover, "--management-group", kGroup});
  }

  std::optional<nlohmann::json> stored() const {
    auto r = run_mg(store_, {"get-parent", "--agent", kAgentName, "--json"});
    if (r.exit_status != 0) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  }

  /// Highest generation any gateway logged as acknowledged `applied` (the new primary hears the
  /// ack of a committed handover).
  std::uint64_t acked() const {
    std::uint64_t highest = 0;
    for (const auto& gw : gw_) {
      highest = std::max(highest, highest_applied_ack(read_text_file(dir_ / (gw.name + ".log"))));
    }
    return highest;
  }

  std::optional<nlohmann::json> status() const { return agent_status(dir_ / "agent.sock"); }

  fs::path state_file(const std::string& name) const { return agent_state_dir(dir_) / name; }

  std::string logs(std::size_t agent_from = 0) const {
    std::ostringstream out;
    out << "\n--- agent log (this run) ---\n"
        << tail(read_text_file(dir_ / "agent.log", agent_from), 12000);
    for (const auto& gw : gw_) {
      out << "\n--- " << gw.name << " log ---\n"
          << tail(read_text_file(dir_ / (gw.name + ".log")), 4000);
    }
    out << "\n--- state folder ---\n";
    std::error_code ec;
    for (fs::directory_iterator it(agent_state_dir(dir_), ec), end; !ec && it != end;
         it.increment(ec)) {
      out << it->path().filename().string() << "\n";
    }
    return out.str();
  }

  void run(const Scenario& scenario);

  TempDir dir_;
  fs::path store_ = dir_ / "store";
  std::array<GatewayProcess, kGateways> gw_;
  ReservedPort spare_;
  std::string spare_address_;
  fs::path config_;
  std::unique_ptr<Process> agent_;
};

void TopologyTorture::run(const Scenario& scenario) {
  const unsigned iterations =
      env_unsigned("GATELINK_TORTURE_ITERATIONS", scenario.default_rounds);
  const std::uint64_t seed = seed_from_env();
  std::cout << "topology torture: " << iterations << " kills, GATELINK_TORTURE_SEED=" << seed
            << "\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::discrete_distribution<int> aim_of(kAimWeights.begin(), kAimWeights.end());
  std::uniform_int_distribution<int> random_delay_ms(kMinKillDelayMs, kMaxKillDelayMs);
  std::uniform_int_distribution<long> aimed_delay_us(0, scenario.max_aimed_delay.count());

  std::uint64_t highest_seen = 0;  // in topology.xml after any kill so far
  unsigned rounds_with_new_generation = 0, rounds_with_temp_files = 0, rounds_with_lkg = 0;
  std::array<unsigned, 3> landed_count{};
  std::size_t run_from = start();

  for (unsigned round = 0; round < iterations; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + ", GATELINK_TORTURE_SEED=" +
                 std::to_string(seed));
    const auto aim = static_cast<Aim>(aim_of(rng));
    const std::string generation_field = "generation=" + std::to_string(round + 1) + " ";
    if (aim != Aim::random_while_starting) {
      ASSERT_TRUE(wait_until(
          [&] {
            auto s = status();
            return s && (*s)["state"] == "connected";
          },
          kWait))
          << logs(run_from);
    }
    auto mg = write_next(scenario, round);
    ASSERT_EQ(mg.exit_status, 0) << mg.out;
    std::chrono::microseconds delay{0};
    if (aim == Aim::at_the_write) {
      ASSERT_TRUE(wait_closely(
          [&] {
            return any_line_has(read_text_file(dir_ / "agent.log", run_from),
                                {"event=topology-received", generation_field});
          },
          kWait))
          << logs(run_from);
      delay = std::chrono::microseconds(aimed_delay_us(rng));
    } else {
      delay = std::chrono::milliseconds(random_delay_ms(rng));
    }
    std::this_thread::sleep_for(delay);  // the kill moment, drawn at random
    const std::string kill_moment =
        std::to_string(delay.count()) + " us after " +
        (aim == Aim::at_the_write ? "the push arrived" : "gatelink-mg wrote it");
    agent_->signal(SIGKILL);
    ASSERT_TRUE(agent_->wait_exit(kWait).has_value()) << logs(run_from);
    {
      const auto run_log = read_text_file(dir_ / "agent.log", run_from);
      const auto landed =
          !any_line_has(run_log, {"event=topology-received", generation_field})
              ? Landed::before_push
              : any_line_has(run_log, {"event=topology-persisted", generation_field})
                    ? Landed::after_write
                    : Landed::during_write;
      ++landed_count[static_cast<std::size_t>(landed)];
    }

    // What the dead agent left: complete files, never older than before or than an ack.
    const std::uint64_t acked_applied = acked();
    std::optional<std::uint64_t> generation;
    if (fs::exists(state_file("topology.xml"))) {
      const auto current = check_topology_file(state_file("topology.xml"));
      ASSERT_TRUE(current.file) << "topology.xml after a kill " << kill_moment << ": "
                                << current.problem << logs(run_from);
      generation = current.file->generation;
      EXPECT_EQ(current.file->management_group, kGroup);
    }
    const std::uint64_t now_seen = generation.value_or(0);
    ASSERT_GE(now_seen, highest_seen) << "topology.xml went back" << logs(run_from);
    ASSERT_GE(now_seen, acked_applied)
        << "generation " << acked_applied << " was acknowledged applied but is not on disk"
        << logs(run_from);
    ASSERT_LE(now_seen, round + 1u) << logs(run_from);
    if (fs::exists(state_file("topology.lkg.xml"))) {
      ++rounds_with_lkg;
      const auto lkg = check_topology_file(state_file("topology.lkg.xml"));
      ASSERT_TRUE(lkg.file) << "topology.lkg.xml after a kill " << kill_moment << ": "
                            << lkg.problem << logs(run_from);
      ASSERT_TRUE(generation.has_value()) << "last-known-good without topology.xml"
                                          << logs(run_from);
      // Equal when the kill came between keeping the old file and writing the new one.
      EXPECT_LE(lkg.file->generation, *generation) << logs(run_from);
    }
    if (now_seen > highest_seen) ++rounds_with_new_generation;
    highest_seen = now_seen;
    const bool temp_left = !temp_files(agent_state_dir(dir_)).empty();
    if (temp_left) ++rounds_with_temp_files;

    // The restarted agent starts from exactly that file (and clears what the kill left).
    run_from = start();
    std::string loaded;
    ASSERT_TRUE(wait_until(
        [&] {
          loaded = read_text_file(dir_ / "agent.log", run_from);
          return any_line_has(loaded, {"event=topology-loaded"});
        },
        kWait))
        << logs(run_from);
    if (generation) {
      EXPECT_TRUE(any_line_has(loaded, {"event=topology-loaded", "source=persisted",
                                        "generation=" + std::to_string(*generation) + " "}))
          << logs(run_from);
    } else {
      EXPECT_TRUE(any_line_has(loaded, {"event=topology-loaded", "source=bootstrap"}))
          << logs(run_from);
    }
    EXPECT_FALSE(any_line_has(loaded, {"event=topology-skipped"})) << logs(run_from);
    if (temp_left) {
      EXPECT_TRUE(any_line_has(loaded, {"event=stale-temp-removed"})) << logs(run_from);
    }
    if (HasFailure()) return;
  }

  // Left alone, the agent converges to what the store holds, and no temporary file is left.
  const auto entry = stored();
  ASSERT_TRUE(entry.has_value());
  const auto stored_generation = (*entry)["generation"].get<std::uint64_t>();
  ASSERT_EQ(stored_generation, iterations);
  const auto stored_primary = (*entry)["primary"].get<std::string>();
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = status();
        return s && (*s)["state"] == "connected" &&
               (*s)["topology"]["generation"] == stored_generation &&
               (*s)["topology"]["pending"].is_null() && (*s)["gateway"] == stored_primary;
      },
      kWait))
      << logs(run_from);
  const auto current = check_topology_file(state_file("topology.xml"));
  ASSERT_TRUE(current.file) << current.problem;
  EXPECT_EQ(current.file->generation, stored_generation);
  EXPECT_EQ(current.file->primary, stored_primary);
  EXPECT_TRUE(temp_files(agent_state_dir(dir_)).empty()) << logs(run_from);
  // The management group hears it: an `applied` ack, or, when the kill came between the write
  // and the ack, the generation in the restarted agent's hello.
  EXPECT_TRUE(wait_until(
      [&] {
        if (acked() == stored_generation) return true;
        for (const auto& gw : gw_) {
          if (any_line_has(read_text_file(dir_ / (gw.name + ".log")),
                           {"event=agent-connected", std::string("agent=") + kAgentName,
                            "generation=" + std::to_string(stored_generation)})) {
            return true;
          }
        }
        return false;
      },
      kWait))
      << logs(run_from);

  std::cout << "topology torture: " << iterations << " kills: before the push arrived "
            << landed_count[0] << ", between its arrival and topology-persisted "
            << landed_count[1] << ", after " << landed_count[2] << "; topology.xml moved on in "
            << rounds_with_new_generation << ", last-known-good present in " << rounds_with_lkg
            << ", temporary files left behind in " << rounds_with_temp_files << "\n";
  RecordProperty("kills_during_write", std::to_string(landed_count[1]));
  RecordProperty("rounds_with_temp_files", std::to_string(rounds_with_temp_files));
}

TEST_F(TopologyTorture, kill_9_at_random_moments_never_tears_or_loses_the_persisted_topology) {
  run(Scenario{.primary_moves = false});
}

TEST_F(TopologyTorture, kill_9_during_primary_changes_never_tears_or_loses_the_persisted_topology) {
  // The write comes after the handover: a connect, a TLS handshake and a heartbeat later.
  run(Scenario{.primary_moves = true,
               .default_rounds = kDefaultPrimaryChangeIterations,
               .max_aimed_delay = std::chrono::microseconds(kMaxAimedHandoverDelayUs)});
}

}  // namespace
}  // namespace gatelink::test
