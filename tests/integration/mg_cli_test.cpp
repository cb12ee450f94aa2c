// gatelink-mg as an admin runs it: init, set-parent, get-parent, new-epoch, keygen and ticket-keys,
// their output and exit codes, signed entries, and the store left byte for byte as it was by every
// command it refuses.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "integration/harness.hpp"
#include "signature/public_key.hpp"
#include "signature/signing_key.hpp"
#include "store/stored_topology.hpp"
#include "tls/ticket_keys.hpp"
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

  /// gatelink-mg keygen --out `key`, which must succeed; the public key it wrote beside it.
  signature::PublicKey keygen(const fs::path& key) const {
    const auto r =
        run_program({(bin_dir() / "gatelink-mg").string(), "keygen", "--out", key.string()});
    EXPECT_EQ(r.exit_status, 0) << r.out;
    auto pub = signature::PublicKey::load(fs::path(key).replace_extension(".pub").string());
    EXPECT_TRUE(pub.ok()) << pub.error().message;
    return *pub;
  }
  /// get-parent --json of the agent, which must succeed.
  nlohmann::json get_json(const std::string& agent = "web01.example.test") const {
    const auto r = mg({"get-parent", "--agent", agent, "--json"});
    EXPECT_EQ(r.exit_status, 0) << r.out;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  /// The agent's entry file, parsed.
  StoredTopology entry_file(const std::string& agent = "web01.example.test") const {
    const auto path = store_ / "agents" / (agent + ".xml");
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = parse_stored_topology(text, path.string());
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    return parsed.ok() ? *parsed : StoredTopology{};
  }

  TempDir dir_;
  fs::path store_ = dir_ / "store";
};

TEST_F(MgCli, set_parent_writes_generation_one_and_prints_it) {
  const auto r =
      set_parent({"--management-group", "EXAMPLE", "--primary", "gw1.example.test@127.0.0.1:15801",
                  "--failover", "127.0.0.1:15803,gw2.example.test", "--failover", "gw4:6000"});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("wrote epoch 0 generation 1 for agent web01.example.test"));
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
  EXPECT_EQ(json["epoch"], 0);
  EXPECT_TRUE(json["issued_at"].is_string());
  EXPECT_TRUE(json["signed_by"].is_null());
  EXPECT_EQ(json["legacy"], false);
  EXPECT_EQ(json["file"], (store_ / "agents" / "web01.example.test.xml").string());

  const auto text = mg({"get-parent", "--agent", "web01.example.test"});
  ASSERT_EQ(text.exit_status, 0) << text.out;
  EXPECT_THAT(text.out, HasSubstr("failover 2        gw3:7\n"));
  EXPECT_THAT(text.out, HasSubstr("issued-at         "));
  EXPECT_THAT(text.out, HasSubstr("signed-by         unsigned\n"));
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
  EXPECT_THAT(r.out, HasSubstr("gatelink-mg --store DIR init --management-group MG --signing-key " +
                               key.string()));

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

TEST_F(MgCli, ticket_keys_are_made_once_and_rotated_keeping_the_two_before) {
  const auto file = dir_ / "tickets.keys";
  const auto ticket_keys = [&file](bool rotate) {
    std::vector<std::string> argv = {(bin_dir() / "gatelink-mg").string(), "ticket-keys", "--file",
                                     file.string()};
    if (rotate) argv.emplace_back("--rotate");
    return run_program(argv);
  };
  const auto keys = [&file] {
    auto read = tls::read_ticket_keys(file.string());
    EXPECT_TRUE(read.ok()) << (read ? "" : read.error().message);
    return read ? *read : std::vector<tls::TicketKey>{};
  };
  const auto made = ticket_keys(false);
  ASSERT_EQ(made.exit_status, 0) << made.out;
  EXPECT_EQ(fs::status(file).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_THAT(made.out, HasSubstr("gatelink-gateway --ticket-keys FILE"));
  const auto first = keys();
  ASSERT_EQ(first.size(), 1u);

  // Never replaced silently: without --rotate the file stays as it was.
  const auto again = ticket_keys(false);
  EXPECT_EQ(again.exit_status, 1) << again.out;
  EXPECT_THAT(again.out, HasSubstr("exists; refusing to replace ticket keys"));
  EXPECT_EQ(keys(), first);

  std::vector<tls::TicketKey> history = first;
  for (int rotation = 0; rotation < 3; ++rotation) {
    const auto rotated = ticket_keys(true);
    ASSERT_EQ(rotated.exit_status, 0) << rotated.out;
    const auto now = keys();
    ASSERT_FALSE(now.empty());
    EXPECT_NE(now.front(), history.front()) << "a new key issues";
    history.insert(history.begin(), now.front());
    history.resize(std::min<std::size_t>(history.size(), 3));
    EXPECT_EQ(now, history) << "the new one first, then the two before it";
  }
}

TEST_F(MgCli, init_with_a_signing_key_signs_every_entry) {
  const auto key = dir_ / "mg.key";
  const auto pub = keygen(key);
  // A relative --signing-key is kept as an absolute path: later commands run from anywhere.
  const auto relative = fs::relative(key, fs::current_path()).string();
  const auto r =
      mg({"init", "--management-group", "EXAMPLE", "--signing-key", relative, "--epoch", "4000"});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("epoch        4000\n"));
  EXPECT_THAT(r.out, HasSubstr("signing-key  " + key.string() + "\n"));

  const auto set = set_parent({"--primary", "gw1", "--failover", "gw2"});
  ASSERT_EQ(set.exit_status, 0) << set.out;
  EXPECT_THAT(set.out, HasSubstr("wrote epoch 4000 generation 1 for agent web01.example.test"));
  EXPECT_THAT(set.out, HasSubstr("signed-by         " + pub.fingerprint() + "\n"));
  const auto stored = entry_file();
  EXPECT_EQ(stored.key, pub.fingerprint());
  EXPECT_TRUE(pub.verifies(stored.document, stored.signature));

  const auto json = get_json();
  EXPECT_EQ(json["epoch"], 4000);
  EXPECT_EQ(json["generation"], 1);
  EXPECT_EQ(json["signed_by"], pub.fingerprint());
  EXPECT_EQ(json["legacy"], false);
}

TEST_F(MgCli, init_takes_the_unix_time_as_its_first_epoch) {
  const auto seconds = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  };
  const auto before = seconds();
  ASSERT_EQ(mg({"init", "--management-group", "EXAMPLE"}).exit_status, 0);
  const auto after = seconds();
  ASSERT_EQ(set_parent({"--primary", "gw1"}).exit_status, 0);
  const auto epoch = get_json()["epoch"].get<std::uint64_t>();
  EXPECT_GE(epoch, before);
  EXPECT_LE(epoch, after);
  EXPECT_TRUE(get_json()["signed_by"].is_null());
}

TEST_F(MgCli, init_refusals_leave_the_store_unchanged) {
  const auto key = dir_ / "mg.key";
  keygen(key);
  expect_refused({"init", "--management-group", "EXAMPLE", "--epoch", "0"}, "epoch 0");
  expect_refused({"init", "--management-group", "EXAMPLE", "--epoch", "18446744073709551615"},
                 "is reserved");
  expect_refused({"init", "--management-group", "EXAMPLE", "--epoch", "x"}, "--epoch");
  expect_refused(
      {"init", "--management-group", "EXAMPLE", "--signing-key", (dir_ / "none.key").string()},
      "none.key");
  fs::permissions(key, fs::perms::others_read, fs::perm_options::add);
  expect_refused({"init", "--management-group", "EXAMPLE", "--signing-key", key.string()},
                 key.string());
  EXPECT_TRUE(fs::is_empty(store_));
}

TEST_F(MgCli, new_epoch_rotates_the_key_and_issues_every_agent_again) {
  const auto old_key = dir_ / "old.key";
  const auto new_key = dir_ / "new.key";
  const auto old_pub = keygen(old_key);
  const auto new_pub = keygen(new_key);
  ASSERT_EQ(mg({"init", "--management-group", "EXAMPLE", "--signing-key", old_key.string(),
                "--epoch", "4000"})
                .exit_status,
            0);
  ASSERT_EQ(set_parent({"--primary", "gw1"}).exit_status, 0);
  ASSERT_EQ(set_parent({"--primary", "gw2", "--failover", "gw1"}).exit_status, 0);
  ASSERT_EQ(mg({"set-parent", "--agent", "web02", "--primary", "gw3"}).exit_status, 0);

  expect_refused({"new-epoch", "--epoch", "4000"}, "epoch 4000 is not greater than");
  expect_refused({"new-epoch", "--epoch", "3999"}, "is not greater than the store's epoch 4000");
  expect_refused({"new-epoch", "--signing-key", (dir_ / "none.key").string()}, "none.key");

  const auto r = mg({"new-epoch", "--signing-key", new_key.string(), "--epoch", "5000"});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("began epoch 5000"));
  EXPECT_THAT(r.out, HasSubstr("signing-key  " + new_key.string() + "\n"));
  EXPECT_THAT(r.out, HasSubstr("signed-by    " + new_pub.fingerprint() + "\n"));
  EXPECT_THAT(r.out, HasSubstr("re-issued    2 agent(s)\n"));
  for (const std::string agent : {"web01.example.test", "web02"}) {
    const auto json = get_json(agent);
    EXPECT_EQ(json["epoch"], 5000) << agent;
    EXPECT_EQ(json["generation"], 1) << agent;
    EXPECT_EQ(json["signed_by"], new_pub.fingerprint()) << agent;
    const auto stored = entry_file(agent);
    EXPECT_TRUE(new_pub.verifies(stored.document, stored.signature)) << agent;
    EXPECT_FALSE(old_pub.verifies(stored.document, stored.signature)) << agent;
  }
  EXPECT_EQ(get_json()["primary"], "gw2:5723");
  EXPECT_EQ(get_json()["failover"], nlohmann::json::array({"gw1:5723"}));
  const auto next = set_parent({"--primary", "gw1"});
  ASSERT_EQ(next.exit_status, 0) << next.out;
  EXPECT_THAT(next.out, HasSubstr("wrote epoch 5000 generation 2"));
}

TEST_F(MgCli, new_epoch_needs_store_xml) {
  ASSERT_EQ(set_parent({"--management-group", "EXAMPLE", "--primary", "gw1"}).exit_status, 0);
  expect_refused({"new-epoch"}, "has no store.xml");
}

TEST_F(MgCli, a_legacy_entry_is_shown_and_issued_again_by_new_epoch) {
  fs::create_directories(store_ / "agents");
  std::ofstream(store_ / "agents" / "web01.example.test.xml")
      << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<topology version=\"1\" management-group=\"EXAMPLE\" generation=\"7\" "
         "received-at=\"2026-11-25T16:15:16.123Z\">\n"
         "  <primary address=\"gw1:5723\"/>\n"
         "</topology>\n";
  const auto text = mg({"get-parent", "--agent", "web01.example.test"});
  ASSERT_EQ(text.exit_status, 0) << text.out;
  EXPECT_THAT(text.out, HasSubstr("epoch             0\n"
                                  "generation        7\n"));
  EXPECT_THAT(text.out, HasSubstr("issued-at         2026-11-25T16:15:16.123Z\n"));
  EXPECT_THAT(text.out, HasSubstr("signed-by         none: written by an older gatelink-mg"));
  auto json = get_json();
  EXPECT_EQ(json["legacy"], true);
  EXPECT_TRUE(json["signed_by"].is_null());

  ASSERT_EQ(mg({"init", "--management-group", "EXAMPLE", "--epoch", "4000"}).exit_status, 0);
  const auto r = mg({"new-epoch"});
  ASSERT_EQ(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("signed-by    unsigned\n"));
  EXPECT_THAT(r.out, HasSubstr("re-issued    1 agent(s)\n"));
  json = get_json();
  EXPECT_EQ(json["legacy"], false);
  EXPECT_EQ(json["generation"], 1);
  EXPECT_GT(json["epoch"].get<std::uint64_t>(), 4000u);
  EXPECT_EQ(json["primary"], "gw1:5723");
}

TEST_F(MgCli, help_and_version_exit_0) {
  EXPECT_EQ(mg({"--help"}).exit_status, 0);
  EXPECT_EQ(run_program({(bin_dir() / "gatelink-mg").string(), "--version"}).exit_status, 0);
}

}  // namespace
}  // namespace gatelink::test
