// Topology delivery end to end: gatelink-mg writes the store, a real gatelink-gateway --store
// pushes to a real agent over real TLS on 127.0.0.1, after its hello and, without a restart,
// when the store changes while it is connected: signed entries, new epochs and key rotation
// included, and entries of older builds never pushed. What the agent does with a push is its
// side's business: these tests look at what the gateway pushed and that the agent answered.

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

constexpr char kAgent[] = "agent1.example.test";

class TopologyDelivery : public ::testing::Test {
 protected:
  TopologyDelivery() { fs::create_directories(store_); }

  GatewayProcess start_gateway_with_store() {
    return start_gateway(dir_, "gw1.example.test", "gw1", 0,
                         {"--store", store_.string(), "--store-poll-ms", "50"});
  }
  /// gatelink-mg set-parent for the test's agent; must succeed.
  void set_parent(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"set-parent", "--agent", kAgent};
    argv.insert(argv.end(), args.begin(), args.end());
    mg(argv);
  }
  /// gatelink-mg --store STORE ARGS...; must succeed.
  void mg(const std::vector<std::string>& args) const {
    const auto r = run_mg(store_, args);
    ASSERT_EQ(r.exit_status, 0) << r.out;
  }
  /// gatelink-mg keygen: the private key `name`.key and its public half `name`.pub in the
  /// test's folder.
  void keygen(const std::string& name) const {
    const auto r = run_program({(bin_dir() / "gatelink-mg").string(), "keygen", "--out",
                                (dir_ / (name + ".key")).string()});
    ASSERT_EQ(r.exit_status, 0) << r.out;
  }
  std::unique_ptr<Process> start_agent_on(const GatewayProcess& gateway) const {
    AgentSetup setup;
    setup.name = kAgent;
    setup.gateways = {{gateway.address, gateway.name}};
    return start_agent(dir_, write_agent_config(dir_, setup));
  }
  static bool logged(const GatewayProcess& gateway, const std::string& text) {
    return wait_until([&] { return gateway.process->log().find(text) != std::string::npos; }, 10s);
  }
  static std::size_t count(const std::string& log, const std::string& text) {
    std::size_t n = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  }

  TempDir dir_;
  fs::path store_ = dir_ / "store";
};

TEST_F(TopologyDelivery, pushed_after_hello_and_again_when_the_store_changes) {
  auto gw1 = start_gateway_with_store();
  const auto primary = "gw1.example.test@" + gw1.address;
  set_parent({"--management-group", "TEST", "--primary", primary});
  auto agent = start_agent_on(gw1);

  const std::string pushed = std::string("event=topology-pushed agent=") + kAgent;
  // No store.xml: epoch 0, unsigned.
  ASSERT_TRUE(logged(gw1, pushed + " epoch=0 generation=1 signed=false reason=hello"))
      << gw1.process->log() << agent->log();
  ASSERT_TRUE(logged(gw1, std::string("event=topology-ack agent=") + kAgent +
                              " epoch=0 generation=1 outcome=applied"))
      << gw1.process->log() << agent->log();

  // While the agent is connected: delivered by the gateway's poll, no restart.
  set_parent({"--primary", primary, "--failover", "gw2.example.test@127.0.0.1:1"});
  ASSERT_TRUE(logged(gw1, pushed + " epoch=0 generation=2 signed=false reason=store-changed"))
      << gw1.process->log() << agent->log();
  ASSERT_TRUE(logged(gw1, std::string("event=topology-ack agent=") + kAgent +
                              " epoch=0 generation=2 outcome=applied"))
      << gw1.process->log() << agent->log();
  EXPECT_EQ(count(gw1.process->log(), pushed + " epoch=0 generation=1 "), 1u) << gw1.process->log();
}

TEST_F(TopologyDelivery, signed_entries_new_epochs_and_a_key_rotation_reach_the_agent) {
  keygen("old");
  keygen("new");
  mg({"init", "--management-group", "TEST", "--signing-key", (dir_ / "old.key").string(), "--epoch",
      "1000"});
  auto gw1 = start_gateway_with_store();
  const auto primary = "gw1.example.test@" + gw1.address;
  set_parent({"--primary", primary});
  AgentSetup setup;
  setup.name = kAgent;
  setup.gateways = {{gw1.address, gw1.name}};
  // Both keys pinned, as for a rotation: the old one signs until new-epoch switches.
  setup.management_group_keys = {(dir_ / "old.pub").string(), (dir_ / "new.pub").string()};
  auto agent = start_agent(dir_, write_agent_config(dir_, setup));

  const std::string pushed = std::string("event=topology-pushed agent=") + kAgent;
  const std::string acked = std::string("event=topology-ack agent=") + kAgent;
  ASSERT_TRUE(logged(gw1, pushed + " epoch=1000 generation=1 signed=true reason=hello"))
      << gw1.process->log() << agent->log();
  ASSERT_TRUE(logged(gw1, acked + " epoch=1000 generation=1 outcome=applied"))
      << gw1.process->log() << agent->log();

  // A new epoch, signed with the new key, restarts generations: the agent takes (2000, 1) over
  // (1000, 2).
  set_parent({"--primary", primary, "--failover", "gw2.example.test@127.0.0.1:1"});
  ASSERT_TRUE(logged(gw1, acked + " epoch=1000 generation=2 outcome=applied"))
      << gw1.process->log() << agent->log();
  mg({"new-epoch", "--signing-key", (dir_ / "new.key").string(), "--epoch", "2000"});
  ASSERT_TRUE(logged(gw1, pushed + " epoch=2000 generation=1 signed=true reason=store-changed"))
      << gw1.process->log() << agent->log();
  ASSERT_TRUE(logged(gw1, acked + " epoch=2000 generation=1 outcome=applied"))
      << gw1.process->log() << agent->log();
}

TEST_F(TopologyDelivery, a_legacy_entry_is_logged_once_and_never_pushed) {
  // As a gatelink-mg before signed topologies wrote it: no issued document to relay.
  const auto file = store_ / "agents" / (std::string(kAgent) + ".xml");
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<topology version=\"1\" management-group=\"TEST\" generation=\"7\" "
                         "received-at=\"2026-11-25T16:15:16.123Z\">\n"
                         "  <primary address=\"127.0.0.1:1\"/>\n"
                         "</topology>\n";
  auto gw1 = start_gateway_with_store();
  auto agent = start_agent_on(gw1);
  ASSERT_TRUE(logged(gw1, std::string("event=store-error agent=") + kAgent + " error=\"" +
                              file.string() + " has no issued document (written by an older " +
                              "gatelink-mg): run gatelink-mg new-epoch to re-issue it\""))
      << gw1.process->log() << agent->log();

  // Issued again (no store.xml: epoch 0, its generations go on), it is delivered.
  set_parent({"--primary", "gw1.example.test@" + gw1.address});
  ASSERT_TRUE(logged(gw1, std::string("event=topology-ack agent=") + kAgent +
                              " epoch=0 generation=8 outcome=applied"))
      << gw1.process->log() << agent->log();
  const auto log = gw1.process->log();
  EXPECT_EQ(count(log, "event=store-error"), 1u) << log;
  EXPECT_EQ(count(log, "event=topology-pushed"), 1u) << log;
}

TEST_F(TopologyDelivery, with_a_key_pinned_an_unsigned_push_is_refused_and_nothing_changes) {
  auto gw1 = start_gateway_with_store();
  const auto primary = "gw1.example.test@" + gw1.address;
  set_parent({"--management-group", "TEST", "--primary", primary, "--failover",
              "gw2.example.test@127.0.0.1:1"});
  const auto key = dir_ / "mg.key";
  const auto keygen =
      run_program({(bin_dir() / "gatelink-mg").string(), "keygen", "--out", key.string()});
  ASSERT_EQ(keygen.exit_status, 0) << keygen.out;
  AgentSetup setup;
  setup.name = kAgent;
  setup.gateways = {{gw1.address, gw1.name}};
  setup.management_group_keys = {(dir_ / "mg.pub").string()};
  auto agent = start_agent(dir_, write_agent_config(dir_, setup));

  ASSERT_TRUE(logged(gw1, std::string("event=topology-ack agent=") + kAgent +
                              " epoch=0 generation=1 outcome=rejected message=\"unsigned: "))
      << gw1.process->log() << agent->log();
  EXPECT_TRUE(wait_until(
      [&] {
        return agent->log().find("event=topology-rejected reason=unsigned") != std::string::npos;
      },
      5s))
      << agent->log();
  EXPECT_NE(agent->log().find("event=topology-signatures required=true keys=SHA256:"),
            std::string::npos)
      << agent->log();
  // Nothing was applied or persisted: the agent keeps its bootstrap list.
  EXPECT_FALSE(fs::exists(agent_state_dir(dir_) / "topology.xml"));
  EXPECT_EQ(agent->log().find("event=topology-applied"), std::string::npos) << agent->log();
}

TEST_F(TopologyDelivery, corrupt_store_file_is_logged_once_and_nothing_is_pushed) {
  auto gw1 = start_gateway_with_store();
  const auto primary = "gw1.example.test@" + gw1.address;
  auto agent = start_agent_on(gw1);
  ASSERT_TRUE(logged(gw1, std::string("event=agent-connected agent=") + kAgent))
      << gw1.process->log() << agent->log();

  // Replaced whole, as any writer should: the poll sees the torn-free bad file, once.
  const auto file = store_ / "agents" / (std::string(kAgent) + ".xml");
  fs::create_directories(file.parent_path());
  std::ofstream(dir_ / "bad.xml") << "<topology version=\"1\"";
  fs::rename(dir_ / "bad.xml", file);
  ASSERT_TRUE(logged(
      gw1, std::string("event=store-error agent=") + kAgent + " error=\"" + file.string() + ":"))
      << gw1.process->log();

  // gatelink-mg refuses to build on a file it cannot read; a good file is then delivered.
  fs::remove(file);
  set_parent({"--management-group", "TEST", "--primary", primary});
  ASSERT_TRUE(logged(gw1, std::string("event=topology-pushed agent=") + kAgent +
                              " epoch=0 generation=1 signed=false reason=store-changed"))
      << gw1.process->log();
  const auto log = gw1.process->log();
  EXPECT_EQ(count(log, "event=store-error"), 1u) << log;
}

TEST_F(TopologyDelivery, pending_push_is_not_repeated_but_follows_a_reconnect) {
  auto gw1 =
      start_gateway(dir_, "gw1.example.test", "gw1", 0,
                    {"--store", store_.string(), "--store-poll-ms", "50", "--log-level", "debug"});
  auto agent = start_agent_on(gw1);
  const std::string connected = std::string("event=agent-connected agent=") + kAgent;
  ASSERT_TRUE(logged(gw1, connected)) << gw1.process->log() << agent->log();

  // A new primary that never answers: the agent holds generation 1 as pending on gw1.
  set_parent({"--management-group", "TEST", "--primary", "gw2.example.test@127.0.0.1:1",
              "--failover", "gw1.example.test@" + gw1.address});
  const std::string pushed =
      std::string("event=topology-pushed agent=") + kAgent + " epoch=0 generation=1 signed=false ";
  ASSERT_TRUE(logged(gw1, pushed + "reason=store-changed")) << gw1.process->log();
  ASSERT_TRUE(logged(gw1, std::string("event=topology-ack agent=") + kAgent +
                              " epoch=0 generation=1 outcome=pending"))
      << gw1.process->log() << agent->log();

  // The same generation written again (a new inode): read again, not pushed again.
  const auto file = store_ / "agents" / (std::string(kAgent) + ".xml");
  fs::copy_file(file, dir_ / "again.xml");
  fs::rename(dir_ / "again.xml", file);
  const std::string read =
      std::string("event=store-read agent=") + kAgent + " epoch=0 generation=1";
  ASSERT_TRUE(wait_until([&] { return count(gw1.process->log(), read) >= 2; }, 10s))
      << gw1.process->log();
  EXPECT_EQ(count(gw1.process->log(), pushed), 1u) << gw1.process->log();

  // A reconnecting agent says what it holds in its hello and gets the newer one again.
  agent.reset();  // SIGKILL
  agent = start_agent_on(gw1);
  ASSERT_TRUE(logged(gw1, pushed + "reason=hello")) << gw1.process->log() << agent->log();
}

TEST_F(TopologyDelivery, store_poll_period_is_bounded) {
  const auto r = run_program({(bin_dir() / "gatelink-gateway").string(), "--name", "gw", "--listen",
                              "127.0.0.1:0", "--cert", "c", "--key", "k", "--ca", "a", "--store",
                              store_.string(), "--store-poll-ms", "5000"});
  EXPECT_NE(r.exit_status, 0) << r.out;
  EXPECT_NE(r.out.find("--store-poll-ms"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gatelink::test
