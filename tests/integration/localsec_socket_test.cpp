// Who may ask the agent, and whom gatelinkctl believes (DESIGN "Local status", "Who may reach
// what"): the agent answers only root, its own user and group gatelink, whatever the socket's
// mode lets through; gatelinkctl believes only a server running as root, as the invoking user or
// as the agent's user, so a socket someone else bound first is never taken for the agent.

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "integration/localsec_support.hpp"
#include "status/status_snapshot.hpp"
#include "unit/status_samples.hpp"

namespace gatelink::test {
namespace {

constexpr int kExitConnected = 0;
constexpr int kExitNoAgent = 2;
constexpr int kExitNotConnected = 3;

TEST(LocalStatusAccess, unprivileged_user_is_refused_by_the_agent_and_logged) {
  if (auto why = cannot_switch_users()) GTEST_SKIP() << *why;
  LocalAgent agent;
  auto process = agent.start_serving();
  ASSERT_TRUE(process);
  // Let nobody reach the socket, as a wrong mode would: only the agent's own check remains.
  fs::permissions(agent.dir().path(), fs::perms(0755));
  fs::permissions(agent.socket(), fs::perms(0666));

  const ProcessResult refused = agent.ctl(as_nobody());
  EXPECT_EQ(refused.exit_code, kExitNoAgent) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("permission denied: uid " + std::to_string(nobody_uid())),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.out, "");
  EXPECT_TRUE(wait_until(
      [&] {
        return any_line_has(agent.log(),
                            {"event=status-client-refused", "reason=not-allowed",
                             "uid=" + std::to_string(nobody_uid()), "user=nobody", "pid="});
      },
      kLocalWait))
      << agent.log();

  const ProcessResult root = agent.ctl();  // and root is still answered
  EXPECT_EQ(root.exit_code, kExitNotConnected) << root.err;
}

// The on-site staff: a member of group gatelink is answered through the modes the agent sets
// itself (folder 0750 and socket 0660, group gatelink); the same user without the group is not.
TEST(LocalStatusAccess, member_of_the_gatelink_group_is_answered_and_others_are_not) {
  if (auto why = cannot_switch_users()) GTEST_SKIP() << *why;
  LocalAgent agent;
  const StatusGroup group = status_group(agent.dir());
  if (group.cannot) GTEST_SKIP() << *group.cannot;
  // Anyone may pass through the test's folder (as through /run); the agent makes run/ itself.
  fs::permissions(agent.dir().path(), fs::perms(0755));
  agent.set_socket(agent.dir() / "run" / "agent.sock");
  auto process = agent.start_serving(group.prefix);
  ASSERT_TRUE(process);

  struct stat folder {};
  struct stat socket {};
  ASSERT_EQ(::stat(agent.socket().parent_path().c_str(), &folder), 0);
  ASSERT_EQ(::stat(agent.socket().c_str(), &socket), 0);
  EXPECT_EQ(folder.st_mode & 07777, 0750u);
  EXPECT_EQ(folder.st_gid, group.gid);
  EXPECT_EQ(socket.st_mode & 07777, 0660u);
  EXPECT_EQ(socket.st_gid, group.gid);

  const ProcessResult staff = agent.ctl(as_nobody_in_group(group.gid));
  EXPECT_EQ(staff.exit_code, kExitNotConnected) << staff.out << staff.err << agent.log();
  const std::string state = nlohmann::json::parse(staff.out, nullptr, false).value("state", "");
  EXPECT_TRUE(state == "connecting" || state == "backoff") << staff.out;

  const ProcessResult outsider = agent.ctl(as_nobody());
  EXPECT_EQ(outsider.exit_code, kExitNoAgent) << outsider.out << outsider.err;
  EXPECT_EQ(outsider.out, "");
}

TEST(LocalStatusAccess, impostor_socket_is_not_believed_by_gatelinkctl) {
  if (auto why = cannot_switch_users()) GTEST_SKIP() << *why;
  TempDir dir;
  fs::permissions(dir.path(), fs::perms(0755));
  const fs::path shared = dir / "run";  // a socket folder anyone may write to
  fs::create_directory(shared);
  fs::permissions(shared, fs::perms(01777));
  const fs::path socket = shared / "agent.sock";
  const std::string connected = to_json(connected_snapshot(std::chrono::system_clock::now()));
  const ImpostorServer impostor(socket.string(), connected);
  ASSERT_TRUE(impostor.listening());

  const std::string ctl = (bin_dir() / "gatelinkctl").string();
  const ProcessResult believed_not =
      run_process({ctl, "--socket", socket.string(), "status", "--json"});
  EXPECT_EQ(believed_not.exit_code, kExitNoAgent) << believed_not.out << believed_not.err;
  EXPECT_EQ(believed_not.out, "") << "the impostor's document was printed";
  EXPECT_NE(believed_not.err.find("pid " + std::to_string(impostor.pid())), std::string::npos)
      << believed_not.err;
  EXPECT_NE(believed_not.err.find("uid " + std::to_string(nobody_uid())), std::string::npos)
      << believed_not.err;

  // Named as the agent's user, the same server is believed: the check is what refused it.
  const ProcessResult named =
      run_process({ctl, "--agent-user", "nobody", "--socket", socket.string(), "status", "--json"});
  EXPECT_EQ(named.exit_code, kExitConnected) << named.out << named.err;
  // gatelinkctl puts its own reading (summary) first; the rest is the server's document.
  nlohmann::json printed = nlohmann::json::parse(named.out, nullptr, false);
  printed.erase("summary");
  EXPECT_EQ(printed, nlohmann::json::parse(connected));
}

TEST(LocalStatusAccess, unknown_agent_user_is_an_error_not_a_silent_default) {
  const ProcessResult result =
      run_process({(bin_dir() / "gatelinkctl").string(), "--agent-user", "no-such-user-gatelink",
                   "--socket", "/nonexistent", "status"});
  EXPECT_EQ(result.exit_code, kExitNoAgent);
  EXPECT_NE(result.err.find("no such user no-such-user-gatelink"), std::string::npos) << result.err;
}

TEST(LocalStatusAccess, socket_folder_others_may_write_to_is_refused_even_when_sticky) {
  LocalAgent agent;
  const fs::path shared = agent.dir() / "run";
  fs::create_directory(shared);
  fs::permissions(shared, fs::perms(01777));
  agent.set_socket(shared / "agent.sock");
  auto process = start_agent(agent.dir(), agent.config());
  const auto exit_code = process->wait_exit(kLocalWait);
  ASSERT_TRUE(exit_code.has_value()) << agent.log();
  EXPECT_NE(*exit_code, 0);
  EXPECT_TRUE(any_line_has(
      agent.log(), {"event=start-failed", "status socket folder", shared.string(), "mode 1777"}))
      << agent.log();
  EXPECT_FALSE(fs::exists(fs::symlink_status(agent.socket())));

  const ProcessResult check = agent.check_config();
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.err.find("mode 1777"), std::string::npos) << check.err;
}

}  // namespace
}  // namespace gatelink::test
