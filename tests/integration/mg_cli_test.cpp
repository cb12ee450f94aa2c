// gatelink-mg as an admin runs it: set-parent and get-parent, their output and exit codes, and
// the store left byte for byte as it was by every command it refuses.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integration/harness.hpp"
#include "signature/public_key.hpp"
#include "signature/signing_key.hpp"
#include "unit/registry_tree_snapshot.hpp"

namespace gatelink::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class MgCli : public ::testing::Test {
 protected:
  MgCli() { fs::create_directories(store_); }

  RunResult mg(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {(bin_dir() / "gatelink-mg").string(), "--store",
                                     store_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv);
  }
  RunResult set_parent(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"set-parent", "--agent", "web01.example.test"};
    argv.insert(argv.end(), args.begin(), args.end());
    return mg(argv);
  }
  /// The command must exit 1 with `expected` in a `gatelink-mg: ` line and change nothing.
  void expect_refused(const std::vector<std::string>& args, const std::string& expected) const {
    const auto before = tree_snapshot(store_);
    const auto r = mg(args);
    EXPECT_EQ(r.exit_status, 1) << r.out;
    EXPECT_THAT(r.out, StartsWith("gatelink-mg: "));
    EXPECT_THAT(r.out, HasSubstr(expected));
    EXPECT_EQ(tree_snapshot(store_), before);
  }

  TempDir dir_;
  fs::path store_ = dir_ / "store";
};

TEST_F(MgCli, set_parent_writes_generation_one_and_prints_it) {
  const auto r =
      set_parent({"--management-group", "EXAMPLE", "--primary", "gw1.example.test@127.0.0.1:15801",
                  "--failover", "127.0.0.1:15803,gw2.example.test", "--failover", "gw4:6000"});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("wrote generation 1 for agent web01.example.test"));
  EXPECT_THAT(r.out, HasSubstr("primary           gw1.example.test@127.0.0.1:15801\n"
                               "failover 1        127.0.0.1:15803\n"
                               "failover 2        gw2.example.test:5723\n"
                               "failover 3        gw4:6000\n"));
  EXPECT_TRUE(fs::is_regular_file(store_ / "agents" / "web01.example.test.xml"));
}

TEST_F(MgCli, second_set_parent_is_the_next_generation_in_the_same_group) {
  ASSERT_EQ(set_parent({"--management-group", "EXAMPLE", "--primary", "gw1"}).exit_status, 0);
  const auto r = set_parent({"--primary", "gw2", "--failover", "gw1"});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("generation        2\n"));
  EXPECT_THAT(r.out, HasSubstr("management-group  EXAMPLE\n"));
}

TEST_F(MgCli, get_parent_json_holds_the_stored_topology) {
  ASSERT_EQ(set_parent({"--management-group", "EXAMPLE", "--primary",
                        "gw1.example.test@127.0.0.1:15801", "--failover", "gw2,gw3:7"})
                .exit_status,
            0);
  const auto r = mg({"get-parent", "--agent", "web01.example.test", "--json"});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  const auto json = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << r.out;
  EXPECT_EQ(json["agent"], "web01.example.test");
  EXPECT_EQ(json["management_group"], "EXAMPLE");
  EXPECT_EQ(json["generation"], 1);
  EXPECT_EQ(json["primary"], "gw1.example.test@127.0.0.1:15801");
  EXPECT_EQ(json["failover"], nlohmann::json::array({"gw2:5723", "gw3:7"}));
  EXPECT_TRUE(json["written_at"].is_string());
  EXPECT_EQ(json["file"], (store_ / "agents" / "web01.example.test.xml").string());

  const auto text = mg({"get-parent", "--agent", "web01.example.test"});
  ASSERT_EQ(text.exit_status, 0) << text.out;
  EXPECT_THAT(text.out, HasSubstr("failover 2        gw3:7\n"));
  EXPECT_THAT(text.out, HasSubstr("written-at        "));
}

TEST_F(MgCli, get_parent_of_an_unknown_agent_exits_1) {
  const auto r = mg({"get-parent", "--agent", "web02.example.test"});
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("gatelink-mg: no topology stored for agent web02.example.test"));
}

TEST_F(MgCli, get_parent_of_a_corrupt_file_names_it) {
  ASSERT_EQ(set_parent({"--management-group", "EXAMPLE", "--primary", "gw1"}).exit_status, 0);
  const auto file = store_ / "agents" / "web01.example.test.xml";
  fs::resize_file(file, 40);
  const auto r = mg({"get-parent", "--agent", "web01.example.test"});
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("gatelink-mg: " + file.string() + ":"));
}

TEST_F(MgCli, refused_commands_exit_1_and_leave_the_store_unchanged) {
  ASSERT_EQ(set_parent({"--management-group", "EXAMPLE", "--primary", "gw1", "--failover", "gw2"})
                .exit_status,
            0);
  const std::string agent = "web01.example.test";
  std::vector<std::string> seventeen = {"set-parent", "--agent", agent, "--primary", "gw0"};
  for (int i = 1; i <= 16; ++i)
    seventeen.insert(seventeen.end(), {"--failover", "gw" + std::to_string(i)});

  expect_refused({"set-parent", "--agent", agent}, "--primary is required");
  expect_refused({"set-parent", "--agent", agent, "--primary", "gw1", "--failover", "gw2,gw1"},
                 "duplicate of primary");
  expect_refused({"set-parent", "--agent", agent, "--primary", "gw1:0"}, "--primary \"gw1:0\"");
  expect_refused({"set-parent", "--agent", agent, "--primary", "gw1", "--failover", "a b"},
                 "--failover \"a b\"");
  expect_refused({"set-parent", "--agent", agent, "--primary", "gw1", "--failover", "gw2,,gw3"},
                 "--failover \"gw2,,gw3\": address 2 is empty");
  expect_refused({"set-parent", "--agent", agent, "--primary", "gw1", "--failover", "gw2,"},
                 "--failover \"gw2,\": address 2 is empty");
  expect_refused({"set-parent", "--agent", agent, "--primary", "gw1", "--failover", ""},
                 "--failover \"\": address 1 is empty");
  expect_refused(seventeen, "too many gateways: 17");
  expect_refused({"set-parent", "--agent", "../x", "--primary", "gw1"}, "agent name \"../x\"");
  expect_refused({"set-parent", "--agent", "a/b", "--primary", "gw1"}, "agent name \"a/b\"");
  expect_refused({"set-parent", "--agent", agent, "--primary", "gw1", "--management-group", "B"},
                 "belongs to management group \"EXAMPLE\"");
  expect_refused({"set-parent", "--agent", "web02", "--primary", "gw1"},
                 "first set-parent for agent web02 needs --management-group");
  expect_refused({"get-parent"}, "--agent is required");
  expect_refused({}, "subcommand is required");
}

TEST_F(MgCli, missing_store_is_refused_and_not_created) {
  const auto missing = dir_ / "nope";
  const auto r =
      run_program({(bin_dir() / "gatelink-mg").string(), "--store", missing.string(), "set-parent",
                   "--agent", "web01", "--primary", "gw1", "--management-group", "EXAMPLE"});
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("gatelink-mg: cannot use the store " + missing.string()));
  EXPECT_FALSE(fs::exists(missing));
  const auto get = run_program({(bin_dir() / "gatelink-mg").string(), "--store", missing.string(),
                                "get-parent", "--agent", "web01"});
  EXPECT_EQ(get.exit_status, 1) << get.out;
  EXPECT_THAT(get.out, HasSubstr("gatelink-mg: cannot use the store"));
}

TEST_F(MgCli, init_names_the_group_once_for_every_set_parent) {
  const auto r = mg({"init", "--management-group", "EXAMPLE"});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("is management group EXAMPLE's"));
  const auto set = set_parent({"--primary", "gw1", "--failover", "gw2"});
  ASSERT_EQ(set.exit_status, 0) << set.out;
  EXPECT_THAT(set.out, HasSubstr("management-group  EXAMPLE\n"));
  expect_refused({"init", "--management-group", "EXAMPLE"}, "initialised already");
  expect_refused(
      {"set-parent", "--agent", "web02", "--primary", "gw1", "--management-group", "OTHER"},
      "the store belongs to management group \"EXAMPLE\", not \"OTHER\"");
  expect_refused({"init"}, "--management-group is required");
}

TEST_F(MgCli, keygen_writes_a_private_key_only_its_owner_reads_and_its_public_half) {
  const auto key = dir_ / "mg.key";
  const auto r =
      run_program({(bin_dir() / "gatelink-mg").string(), "keygen", "--out", key.string()});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  const auto pub = dir_ / "mg.pub";
  EXPECT_EQ(fs::status(key).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(pub).permissions() & fs::perms::others_read, fs::perms::others_read);
  auto signing = signature::SigningKey::load(key.string());
  ASSERT_TRUE(signing.ok()) << signing.error().message;
  auto pinned = signature::PublicKey::load(pub.string());
  ASSERT_TRUE(pinned.ok()) << pinned.error().message;
  EXPECT_EQ(*pinned, signing->public_key());
  EXPECT_THAT(r.out, HasSubstr("fingerprint   " + pinned->fingerprint() + "\n"));
  EXPECT_THAT(r.out, HasSubstr("<management-group-keys><key file=\"/etc/gatelink/mg.pub\"/>"
                               "</management-group-keys>"));

  // A second keygen never replaces a key silently.
  const auto again =
      run_program({(bin_dir() / "gatelink-mg").string(), "keygen", "--out", key.string()});
  EXPECT_EQ(again.exit_status, 1) << again.out;
  EXPECT_THAT(again.out, HasSubstr(key.string() + " exists; refusing to replace a key"));
  auto unchanged = signature::PublicKey::load(pub.string());
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(*unchanged, *pinned);
  const auto forced = run_program(
      {(bin_dir() / "gatelink-mg").string(), "keygen", "--out", key.string(), "--force"});
  ASSERT_EQ(forced.exit_status, 0) << forced.out;
  auto replaced = signature::PublicKey::load(pub.string());
  ASSERT_TRUE(replaced.ok());
  EXPECT_NE(*replaced, *pinned);
}

TEST_F(MgCli, help_and_version_exit_0) {
  EXPECT_EQ(mg({"--help"}).exit_status, 0);
  EXPECT_EQ(run_program({(bin_dir() / "gatelink-mg").string(), "--version"}).exit_status, 0);
}

}  // namespace
}  // namespace gatelink::test
