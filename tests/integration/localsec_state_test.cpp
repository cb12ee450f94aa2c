// The state folder is the agent's own (DESIGN "Who may reach what": local files; "Topology":
// one agent per state folder): one that others may write to is refused, what is not a regular
// file where a state file belongs is refused with a log line (and never opened blocking nor
// removed), a second agent on the folder refuses to start and names the first, and
// --check-config only reads: beside a running agent under a push loop it changes nothing.

#include <sys/stat.h>
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "integration/localsec_support.hpp"

namespace gatelink::test {
namespace {

/// Names in `dir` (not recursive).
std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.insert(it->path().filename().string());
  }
  return names;
}

TEST(LocalStateFolder, second_agent_on_the_same_state_folder_refuses_naming_the_first) {
  LocalAgent first;
  auto running = first.start_serving();
  ASSERT_TRUE(running);

  LocalAgent second;  // its own socket, the first one's state folder
  std::string text = read_text_file(second.config());
  const std::string own = "dir=\"" + second.state().string() + "\"";
  const auto at = text.find(own);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, own.size(), "dir=\"" + first.state().string() + "\"");
  std::ofstream(second.config()) << text;

  auto refused = start_agent(second.dir(), second.config());
  const auto exit_code = refused->wait_exit(kLocalWait);
  ASSERT_TRUE(exit_code.has_value()) << "the second agent runs beside the first:\n" << second.log();
  EXPECT_NE(*exit_code, 0);
  EXPECT_TRUE(
      any_line_has(second.log(), {"event=start-failed", "another agent holds the state folder",
                                  first.state().string(), "pid " + std::to_string(running->pid())}))
      << second.log();
  EXPECT_TRUE(running->running());
  EXPECT_TRUE(agent_status(first.socket()).has_value()) << "the first agent stopped answering";
}

TEST(LocalStateFolder, lock_is_released_when_the_agent_dies) {
  LocalAgent agent;
  {
    auto first = agent.start_serving();
    ASSERT_TRUE(first);
    first->signal(SIGKILL);
    ASSERT_TRUE(first->wait_exit(kLocalWait).has_value());
  }
  auto again = agent.start_serving();  // kill -9 left the lock file, not the lock
  EXPECT_TRUE(again) << agent.log();
}

TEST(LocalStateFolder, state_folder_others_may_write_to_is_refused_naming_folder_and_mode) {
  LocalAgent agent;
  fs::permissions(agent.state(), fs::perms(0777));
  auto process = start_agent(agent.dir(), agent.config());
  const auto exit_code = process->wait_exit(kLocalWait);
  ASSERT_TRUE(exit_code.has_value()) << agent.log();
  EXPECT_NE(*exit_code, 0);
  EXPECT_TRUE(any_line_has(agent.log(), {"event=start-failed", agent.state().string(),
                                         "has mode 0777", "group or others may write to it"}))
      << agent.log();
  EXPECT_EQ(names_in(agent.state()), std::set<std::string>{}) << "the refused folder was used";

  const ProcessResult check = agent.check_config();
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.err.find("has mode 0777"), std::string::npos) << check.err;
}

TEST(LocalStateFolder, agent_creates_its_state_folder_for_itself_only) {
  LocalAgent agent;
  fs::remove(agent.state());
  auto process = agent.start_serving();
  ASSERT_TRUE(process);
  struct stat info {};
  ASSERT_EQ(::stat(agent.state().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0700u);
}

TEST(LocalStateFolder, fifo_topology_xml_is_refused_with_a_log_line_and_the_agent_starts) {
  LocalAgent agent;
  const fs::path fifo = agent.state() / "topology.xml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto process = agent.start_serving();  // would hang in open() if the FIFO were opened
  ASSERT_TRUE(process);
  EXPECT_TRUE(any_line_has(agent.log(),
                           {"event=topology-skipped", fifo.string(), "a FIFO, not a regular file"}))
      << agent.log();
  EXPECT_TRUE(any_line_has(agent.log(), {"event=topology-loaded", "source=bootstrap"}))
      << agent.log();
  const auto status = agent_status(agent.socket());
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["topology"]["source"], "bootstrap");
  struct stat info {};
  ASSERT_EQ(::lstat(fifo.c_str(), &info), 0) << "the FIFO was removed";
  EXPECT_TRUE(S_ISFIFO(info.st_mode));

  const ProcessResult check = agent.check_config();  // and the check does not hang either
  EXPECT_FALSE(check.timed_out);
  EXPECT_NE(check.out.find("a FIFO, not a regular file"), std::string::npos) << check.out;
}

TEST(LocalStateFolder, check_config_creates_removes_and_locks_nothing_and_says_what_it_would_do) {
  LocalAgent agent;
  fs::remove(agent.state());
  ProcessResult check = agent.check_config();
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("state folder " + agent.state().string() + ": would create it"),
            std::string::npos)
      << check.out;
  EXPECT_FALSE(fs::exists(agent.state())) << "--check-config created the state folder";

  fs::create_directory(agent.state());
  fs::permissions(agent.state(), fs::perms(0700));
  const fs::path stale = agent.state() / "topology.xml.tmp.Ab12Cd";
  std::ofstream(stale) << "<topology";
  check = agent.check_config();
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("would remove 1 stale temporary files"), std::string::npos) << check.out;
  EXPECT_EQ(names_in(agent.state()), std::set<std::string>{stale.filename().string()})
      << "--check-config removed or created a file";
}

/// One gateway delivering from a store, and one agent connected to it.
class CheckConfigBesideAgent : public ::testing::Test {
 protected:
  static constexpr const char* kAgentName = "agent1.example.test";
  static constexpr const char* kGroup = "TEST";

  void SetUp() override {
    fs::create_directories(store_);
    gw_ = start_gateway(dir_, gateway_name(0), gateway_cert(0), 0,
                        {"--store", store_.string(), "--store-poll-ms", "20"});
    AgentSetup setup;
    setup.name = kAgentName;
    setup.management_group = kGroup;
    setup.gateways.emplace_back(gw_.address, gw_.name);
    config_ = write_agent_config(dir_, setup);
  }

  std::string agent_log() const { return read_text_file(dir_ / "agent.log"); }

  TempDir dir_;
  fs::path store_ = dir_ / "store";
  GatewayProcess gw_;
  fs::path config_;
};

TEST_F(CheckConfigBesideAgent, under_a_push_loop_changes_nothing_and_no_save_fails) {
  constexpr std::uint64_t kPushes = 20;
  auto agent = start_agent(dir_, config_);
  ASSERT_TRUE(wait_until(
      [&] {
        auto s = agent_status(dir_ / "agent.sock");
        return s && (*s)["state"] == "connected";
      },
      kLocalWait))
      << agent_log();

  // --check-config over and over while the agent saves generation after generation.
  std::atomic<bool> pushing{true};
  std::vector<ProcessResult> checks;
  std::thread checker([&] {
    while (pushing.load()) {
      checks.push_back(run_process({(bin_dir() / "gatelink-agent").string(), "--config",
                                    config_.string(), "--check-config"}));
    }
  });
  const std::string primary = cli_address(gw_);
  for (std::uint64_t generation = 1; generation <= kPushes; ++generation) {
    // The same primary, alternating failover lists: each push applies at once and is saved.
    std::vector<std::string> args = {
        "set-parent", "--agent", kAgentName, "--primary", primary, "--management-group", kGroup};
    if (generation % 2 == 0) args.insert(args.end(), {"--failover", "127.0.0.1:1"});
    const RunResult mg = run_mg(store_, args);
    ASSERT_EQ(mg.exit_status, 0) << mg.out;
    const bool persisted = wait_until(
        [&] {
          return any_line_has(agent_log(), {"event=topology-persisted",
                                            "generation=" + std::to_string(generation) + " "});
        },
        kLocalWait);
    if (!persisted) {
      pushing = false;
      checker.join();
      FAIL() << "generation " << generation << " not persisted:\n" << tail(agent_log());
    }
  }
  pushing = false;
  checker.join();

  EXPECT_FALSE(any_line_has(agent_log(), {"event=topology-persist-failed"})) << tail(agent_log());
  ASSERT_FALSE(checks.empty());
  for (const ProcessResult& check : checks) {
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_NE(check.out.find("an agent, pid " + std::to_string(agent->pid()) + ", holds it"),
              std::string::npos)
        << check.out;
  }
  const auto persisted = check_topology_file(agent_state_dir(dir_) / "topology.xml");
  ASSERT_TRUE(persisted.file) << persisted.problem;
  EXPECT_EQ(persisted.file->generation, kPushes);
  EXPECT_TRUE(temp_files(agent_state_dir(dir_)).empty());
  EXPECT_EQ(names_in(agent_state_dir(dir_)),
            (std::set<std::string>{"agent.lock", "topology.xml", "topology.lkg.xml"}));
  RecordProperty("check_config_runs", static_cast<int>(checks.size()));
}

}  // namespace
}  // namespace gatelink::test
