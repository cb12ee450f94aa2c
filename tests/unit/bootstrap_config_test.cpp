// The first-install configuration: every value checked by the agent's own checks, every XML
// special escaped by the printer, the result read back by the agent's parser, and a file written
// whole with mode 0644 or not at all.

#include "bootstrap_config.hpp"

#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/agent_config.hpp"
#include "config/platform_defaults.hpp"
#include "config_test_support.hpp"

namespace gatelink {
namespace {

using test::read_file;
using test::ScratchDir;
namespace fs = std::filesystem;

/// An absolute path here: /etc/gatelink/ca.pem as it is, C:\etc\gatelink\ca.pem on Windows.
std::string absolute(std::string_view posix) {
#ifdef _WIN32
  std::string path = "C:" + std::string(posix);
  std::replace(path.begin(), path.end(), '/', '\\');
  return path;
#else
  return std::string(posix);
#endif
}

BootstrapSettings good_settings() {
  BootstrapSettings s;
  s.agent_name = "web01.example.test";
  s.management_group = "EXAMPLE";
  s.primary = "gw1.example.test:5723";
  s.failover = {"gw2.example.test:5723"};
  s.ca = absolute("/etc/gatelink/ca.pem");
  s.cert = absolute("/etc/gatelink/agent.pem");
  s.key = absolute("/etc/gatelink/agent.key");
  s.state_dir = absolute("/var/lib/gatelink");
  s.status_socket = kDefaultStatusSocket;
  return s;
}

AgentConfig parsed(const std::string& text) {
  auto config = parse_agent_config(text, "test");
  EXPECT_TRUE(config) << (config ? "" : config.error().message) << "\n" << text;
  return config ? *config : AgentConfig{};
}

/// The message of a refused settings value; fails the test when the settings were accepted.
std::string refusal(const BootstrapSettings& s) {
  auto text = render_bootstrap_config(s);
  EXPECT_FALSE(text) << "accepted:\n" << (text ? *text : "");
  return text ? "" : text.error().message;
}

TEST(BootstrapConfig, sample_settings_round_trip_through_the_agents_parser) {
  auto text = render_bootstrap_config(good_settings());
  ASSERT_TRUE(text) << text.error().message;
  const AgentConfig config = parsed(*text);
  EXPECT_EQ(config.name, "web01.example.test");
  EXPECT_EQ(config.management_group, "EXAMPLE");
  EXPECT_EQ(config.tls.key, absolute("/etc/gatelink/agent.key"));
  EXPECT_EQ(config.tls.crl, "");
  ASSERT_EQ(config.bootstrap.ordered().size(), 2u);
  EXPECT_EQ(config.bootstrap.failover[0].to_string(), "gw2.example.test:5723");
  EXPECT_EQ(config.state_dir, absolute("/var/lib/gatelink"));
}

TEST(BootstrapConfig, document_says_it_was_written_at_install_and_upgrades_keep_it) {
  auto text = render_bootstrap_config(good_settings());
  ASSERT_TRUE(text);
  EXPECT_EQ(text->rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u) << *text;
  EXPECT_NE(text->find("written at install"), std::string::npos);
  EXPECT_NE(text->find("upgrades keep this file"), std::string::npos);
}

TEST(BootstrapConfig, every_xml_special_is_escaped_and_reads_back) {
  BootstrapSettings s = good_settings();
  s.agent_name = "web\"01<&>'x";
  s.management_group = "A&B";
  s.ca = absolute("/etc/gatelink/<ca>.pem");
  s.key = absolute("/etc/gatelink/a\"b&c'd.key");
  s.crl = absolute("/etc/gatelink/ca&.crl");
  auto text = render_bootstrap_config(s);
  ASSERT_TRUE(text) << text.error().message;
  for (const char* entity : {"&quot;", "&lt;", "&amp;", "&gt;", "&apos;"}) {
    EXPECT_NE(text->find(entity), std::string::npos) << entity << " missing in\n" << *text;
  }
  EXPECT_EQ(text->find("web\"01"), std::string::npos) << *text;
  const AgentConfig config = parsed(*text);
  EXPECT_EQ(config.name, s.agent_name);
  EXPECT_EQ(config.management_group, "A&B");
  EXPECT_EQ(config.tls.ca, s.ca);
  EXPECT_EQ(config.tls.key, s.key);
  EXPECT_EQ(config.tls.crl, s.crl);
}

TEST(BootstrapConfig, rendered_documents_validate_against_the_xsd) {
  if (!test::have_xmllint()) GTEST_SKIP() << "xmllint is not on PATH";
  ScratchDir dir;
  BootstrapSettings specials = good_settings();
  specials.agent_name = "web\"01<&>'x";
  specials.management_group = "A&B";
  specials.key = absolute("/etc/gatelink/a\"b&c'd.key");
  specials.crl = absolute("/etc/gatelink/ca&.crl");
  specials.failover = {"[::1]:5724", "gw3.example.test@10.0.0.3"};
  BootstrapSettings minimal = good_settings();
  minimal.failover.clear();
  minimal.state_dir.clear();
  minimal.status_socket.clear();
  int index = 0;
  for (const auto& settings : {good_settings(), specials, minimal}) {
    auto text = render_bootstrap_config(settings);
    ASSERT_TRUE(text) << text.error().message;
    const auto path = dir.path() / ("agent" + std::to_string(index++) + ".xml");
    test::write_file(path, *text);
    EXPECT_EQ(test::xmllint(path, "agent.xsd"), 0) << *text;
  }
}

TEST(BootstrapConfig, ipv6_literals_and_server_names_keep_their_form) {
  BootstrapSettings s = good_settings();
  s.primary = "gw1.example.test@127.0.0.1:15801";
  s.failover = {"[::1]:5724", "gw3.example.test@[2001:DB8:0:0::1]:15803"};
  auto text = render_bootstrap_config(s);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->find("address=\"127.0.0.1:15801\" server-name=\"gw1.example.test\""),
            std::string::npos)
      << *text;
  EXPECT_NE(text->find("address=\"[::1]:5724\""), std::string::npos) << *text;
  const AgentConfig config = parsed(*text);
  EXPECT_EQ(config.bootstrap.primary.to_string(), "gw1.example.test@127.0.0.1:15801");
  ASSERT_EQ(config.bootstrap.failover.size(), 2u);
  EXPECT_EQ(config.bootstrap.failover[0].to_string(), "[::1]:5724");
  EXPECT_EQ(config.bootstrap.failover[1].to_string(), "gw3.example.test@[2001:db8::1]:15803");
}

TEST(BootstrapConfig, default_port_goes_to_gateways_without_a_port_only) {
  BootstrapSettings s = good_settings();
  s.default_port = 6000;
  s.primary = "gw1.example.test";
  s.failover = {"gw2.example.test:5723", "[::1]", "name.example.test@10.0.0.3", "[::2]:7"};
  auto text = render_bootstrap_config(s);
  ASSERT_TRUE(text) << text.error().message;
  const AgentConfig config = parsed(*text);
  std::vector<std::string> got;
  for (const auto& gateway : config.bootstrap.ordered()) got.push_back(gateway.to_string());
  EXPECT_EQ(
      got, (std::vector<std::string>{"gw1.example.test:6000", "gw2.example.test:5723", "[::1]:6000",
                                     "name.example.test@10.0.0.3:6000", "[::2]:7"}));
}

TEST(BootstrapConfig, state_and_status_left_out_take_the_agents_defaults) {
  BootstrapSettings s = good_settings();
  s.state_dir.clear();
  s.status_socket.clear();
  auto text = render_bootstrap_config(s);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("<state"), std::string::npos);
  EXPECT_EQ(text->find("<status"), std::string::npos);
  EXPECT_EQ(parsed(*text).state_dir, AgentConfig{}.state_dir);
}

TEST(BootstrapConfig, gateway_list_is_split_and_trimmed_with_empty_entries_kept) {
  EXPECT_EQ(split_gateway_list(""), std::vector<std::string>{});
  EXPECT_EQ(split_gateway_list("  "), std::vector<std::string>{});
  EXPECT_EQ(split_gateway_list("a:1, b ,c"), (std::vector<std::string>{"a:1", "b", "c"}));
  EXPECT_EQ(split_gateway_list("gw2,,gw3"), (std::vector<std::string>{"gw2", "", "gw3"}));
  EXPECT_EQ(split_gateway_list("gw2,"), (std::vector<std::string>{"gw2", ""}));
}

/// One bad value per case: the option that must be named, and a word of what is wrong.
struct BadValue {
  const char* what;
  void (*apply)(BootstrapSettings&);
  const char* option;
  const char* problem;
};

class BootstrapConfigRefuses : public ::testing::TestWithParam<BadValue> {};

TEST_P(BootstrapConfigRefuses, bad_value_names_its_option_and_problem) {
  BootstrapSettings s = good_settings();
  GetParam().apply(s);
  const std::string message = refusal(s);
  EXPECT_EQ(message.rfind(std::string(GetParam().option) + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(GetParam().problem), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Values, BootstrapConfigRefuses,
    ::testing::Values(
        BadValue{"name_with_space", [](BootstrapSettings& s) { s.agent_name = "two words"; },
                 "--agent", "printable ASCII"},
        BadValue{"empty_name", [](BootstrapSettings& s) { s.agent_name.clear(); }, "--agent",
                 "length"},
        BadValue{"group_with_space", [](BootstrapSettings& s) { s.management_group = "a b"; },
                 "--management-group", "printable ASCII"},
        BadValue{"markup_in_primary", [](BootstrapSettings& s) { s.primary = "gw1\"/><x a=\""; },
                 "--primary", "gateway address"},
        BadValue{"port_zero", [](BootstrapSettings& s) { s.primary = "gw1:0"; }, "--primary",
                 "1..65535"},
        BadValue{"port_too_large", [](BootstrapSettings& s) { s.primary = "gw1:65536"; },
                 "--primary", "1..65535"},
        BadValue{"no_primary", [](BootstrapSettings& s) { s.primary.clear(); }, "--primary",
                 "no primary"},
        BadValue{"empty_failover_entry",
                 [](BootstrapSettings& s) { s.failover = split_gateway_list("gw2,,gw3"); },
                 "--failover", "entry 2 is empty"},
        BadValue{"two_server_names", [](BootstrapSettings& s) { s.failover = {"a@b@c"}; },
                 "--failover", "more than one '@'"},
        BadValue{"duplicate_gateway",
                 [](BootstrapSettings& s) { s.failover = {"gw1.example.test"}; }, "--failover",
                 "duplicate"},
        BadValue{"seventeen_gateways",
                 [](BootstrapSettings& s) {
                   s.failover.clear();
                   for (int i = 0; i < 16; ++i) s.failover.push_back("g" + std::to_string(i));
                 },
                 "--failover", "at most 15"},
        BadValue{"relative_ca", [](BootstrapSettings& s) { s.ca = "relative/ca.pem"; }, "--ca",
                 "absolute"},
        BadValue{"newline_in_key", [](BootstrapSettings& s) { s.key = absolute("/etc/gatelink/a\nb"); },
                 "--key", "control characters"},
        BadValue{"relative_state_dir", [](BootstrapSettings& s) { s.state_dir = "state"; },
                 "--state-dir", "absolute"}),
    [](const ::testing::TestParamInfo<BadValue>& param) { return std::string(param.param.what); });

TEST(BootstrapConfig, refused_value_is_shown_escaped) {
  BootstrapSettings s = good_settings();
  s.agent_name = "web01\n\x1b[31mok";
  const std::string message = refusal(s);
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
  EXPECT_NE(message.find("web01\\n"), std::string::npos) << message;
}

TEST(BootstrapConfig, fifteen_failovers_are_the_most_the_agent_takes) {
  BootstrapSettings s = good_settings();
  s.failover.clear();
  for (int i = 0; i < 15; ++i) s.failover.push_back("g" + std::to_string(i));
  auto text = render_bootstrap_config(s);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(parsed(*text).bootstrap.ordered().size(), 16u);
}

TEST(BootstrapConfigFile, written_whole_with_mode_0644_and_no_leftovers) {
  ScratchDir dir;
  const fs::path out = dir.path() / "agent.xml";
  test::write_file(out, "old\n");
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_write);
  auto written = write_bootstrap_config(out.string(), good_settings());
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(read_file(out), *render_bootstrap_config(good_settings()));
  if (test::kPosixModes) {
    EXPECT_EQ(fs::status(out).permissions(), fs::perms::owner_read | fs::perms::owner_write |
                                                 fs::perms::group_read | fs::perms::others_read);
  }
  auto loaded = load_agent_config(out.string());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->name, "web01.example.test");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"agent.xml"});
}

TEST(BootstrapConfigFile, bad_value_writes_nothing) {
  ScratchDir dir;
  const fs::path out = dir.path() / "agent.xml";
  test::write_file(out, "before\n");
  BootstrapSettings s = good_settings();
  s.failover = split_gateway_list("gw2,,gw3");
  auto written = write_bootstrap_config(out.string(), s);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("nothing written"), std::string::npos);
  EXPECT_EQ(read_file(out), "before\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);

  const fs::path absent = dir.path() / "new.xml";
  ASSERT_FALSE(write_bootstrap_config(absent.string(), s));
  EXPECT_FALSE(fs::exists(absent));
}

TEST(BootstrapConfigFile, missing_folder_fails_without_writing) {
  ScratchDir dir;
  const fs::path out = dir.path() / "no-such-folder" / "agent.xml";
  auto written = write_bootstrap_config(out.string(), good_settings());
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("nothing written"), std::string::npos);
  EXPECT_FALSE(fs::exists(out.parent_path()));
}

}  // namespace
}  // namespace gatelink
