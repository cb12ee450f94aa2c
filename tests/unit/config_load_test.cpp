// Loading the configuration from a file: bounds, missing files, relative path resolution.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "config/agent_config.hpp"
#include "config/platform_defaults.hpp"
#include "config_test_support.hpp"

namespace gatelink {
namespace {

using ::testing::StartsWith;

constexpr auto kRelativePaths = R"(<agent name="a1" management-group="MG">
  <tls ca="certs/ca.pem" cert="./certs/agent.pem" key="/abs/agent.key" crl="../shared/ca.crl"/>
  <management-group-keys><key file="keys/mg.pub"/></management-group-keys>
  <gateways><primary address="gw1"/></gateways>
  <state dir="state"/>
  <status socket="run/agent.sock"/>
</agent>
)";

constexpr auto kMinimalFile = R"(<agent name="a1" management-group="MG">
  <tls ca="/ca.pem" cert="/agent.pem" key="/agent.key"/>
  <gateways><primary address="gw1"/></gateways>
</agent>
)";

TEST(AgentConfigLoad, loads_a_file_and_records_where_it_came_from) {
  test::ScratchDir dir;
  const auto file = dir.path() / "agent.xml";
  test::write_file(file, kMinimalFile);
  const auto config = load_agent_config(file.string());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->source, file.string());
  EXPECT_EQ(config->name, "a1");
}

TEST(AgentConfigLoad, relative_paths_resolve_against_the_config_folder) {
  test::ScratchDir dir;
  const auto folder = dir.path() / "etc";
  test::write_file(folder / "agent.xml", kRelativePaths);
  const auto config = load_agent_config((folder / "agent.xml").string());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->tls.ca, (folder / "certs" / "ca.pem").string());
  EXPECT_EQ(config->tls.cert, (folder / "certs" / "agent.pem").string());
  EXPECT_EQ(config->tls.crl, (dir.path() / "shared" / "ca.crl").string());
  EXPECT_EQ(config->management_group_keys,
            std::vector<std::string>{(folder / "keys" / "mg.pub").string()});
  EXPECT_EQ(config->state_dir, (folder / "state").string());
  EXPECT_EQ(config->status_socket, (folder / "run" / "agent.sock").string());
}

TEST(AgentConfigLoad, absolute_paths_and_absolute_defaults_are_kept) {
  test::ScratchDir dir;
  test::write_file(dir.path() / "agent.xml", kRelativePaths);
  const auto config = load_agent_config((dir.path() / "agent.xml").string());
  ASSERT_TRUE(config) << config.error().message;
  // On Windows a rooted path without a drive is on the configuration's drive.
  EXPECT_EQ(config->tls.key, (dir.path().root_path() / "abs" / "agent.key").string());

  test::write_file(dir.path() / "minimal.xml", kMinimalFile);
  const auto minimal = load_agent_config((dir.path() / "minimal.xml").string());
  ASSERT_TRUE(minimal) << minimal.error().message;
  EXPECT_EQ(minimal->state_dir, kDefaultStateDir);
  EXPECT_EQ(minimal->status_socket, kDefaultStatusSocket);
  EXPECT_EQ(minimal->tls.crl, "");
}

TEST(AgentConfigLoad, a_windows_pipe_name_is_kept_as_written) {
  // The status endpoint on Windows is a named pipe, not a path beside the configuration.
  test::ScratchDir dir;
  test::write_file(dir.path() / "agent.xml", R"(<agent name="a1" management-group="MG">
  <tls ca="/ca.pem" cert="/agent.pem" key="/agent.key"/>
  <gateways><primary address="gw1"/></gateways>
  <status socket="\\.\PIPE\gatelink-test"/>
</agent>
)");
  const auto config = load_agent_config((dir.path() / "agent.xml").string());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->status_socket, R"(\\.\PIPE\gatelink-test)");
}

TEST(AgentConfigLoad, a_relative_unix_socket_path_still_resolves_against_the_config_folder) {
  // The endpoint type keeps only named pipes as written; a socket beside the file is a path.
  test::ScratchDir dir;
  const auto folder = dir.path() / "etc";
  test::write_file(folder / "agent.xml", R"(<agent name="a1" management-group="MG">
  <tls ca="/ca.pem" cert="/agent.pem" key="/agent.key"/>
  <gateways><primary address="gw1"/></gateways>
  <status socket="../run/agent.sock"/>
</agent>
)");
  const auto config = load_agent_config((folder / "agent.xml").string());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->status_socket, (dir.path() / "run" / "agent.sock").string());
}

TEST(AgentConfigLoad, config_given_by_a_relative_path_resolves_to_absolute_paths) {
  test::ScratchDir dir;
  test::write_file(dir.path() / "agent.xml", kRelativePaths);
  std::filesystem::create_directories(dir.path() / "state");
  // From the file's own folder (the working folder may be on another drive on Windows).
  const auto before = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const auto config = load_agent_config("agent.xml");
  std::filesystem::current_path(before);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(std::filesystem::path(config->state_dir).is_absolute()) << config->state_dir;
  EXPECT_TRUE(std::filesystem::equivalent(config->state_dir, dir.path() / "state"));
}

TEST(AgentConfigLoad, errors_from_a_file_name_the_file_and_line) {
  test::ScratchDir dir;
  const auto file = dir.path() / "agent.xml";
  test::write_file(file, "<agent name=\"a1\" management-group=\"MG\">\n  <tls/>\n</agent>\n");
  const auto config = load_agent_config(file.string());
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, file.string() + ":2: <tls>: missing required attribute \"ca\"");
}

TEST(AgentConfigLoad, missing_file_is_reported_with_the_reason) {
  test::ScratchDir dir;
  const auto file = (dir.path() / "absent.xml").string();
  const auto config = load_agent_config(file);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, file + ": cannot open: No such file or directory");
}

TEST(AgentConfigLoad, a_folder_is_not_a_configuration_file) {
  test::ScratchDir dir;
  const auto config = load_agent_config(dir.path().string());
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, StartsWith(dir.path().string() + ": cannot "));
}

TEST(AgentConfigLoad, file_of_exactly_256_KiB_is_read) {
  test::ScratchDir dir;
  std::string text = kMinimalFile;
  const std::string open = "<!--";
  const std::string close = "-->";
  text +=
      open + std::string(kMaxConfigBytes - text.size() - open.size() - close.size(), 'x') + close;
  ASSERT_EQ(text.size(), kMaxConfigBytes);
  test::write_file(dir.path() / "agent.xml", text);
  const auto config = load_agent_config((dir.path() / "agent.xml").string());
  EXPECT_TRUE(config) << config.error().message;
}

TEST(AgentConfigLoad, file_over_256_KiB_is_refused) {
  test::ScratchDir dir;
  const auto file = dir.path() / "agent.xml";
  test::write_file(file, std::string(kMinimalFile) + std::string(kMaxConfigBytes, ' '));
  const auto config = load_agent_config(file.string());
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message,
            file.string() + ": larger than 262144 bytes (256 KiB); refusing to parse it");
}

}  // namespace
}  // namespace gatelink
