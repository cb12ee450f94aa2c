// The local status endpoint's guarantees (DESIGN "Local status", "Bad input"): who may read it,
// what it accepts, that bad clients never stop it serving, and one agent per path.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "integration/ctl_support.hpp"
#include "fixtures/test_folders.hpp"
#include "status_client.hpp"
#include "unit/status_samples.hpp"

namespace gatelink::test {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;
namespace fs = std::filesystem;

/// How long request_status() waits where no answer can ever come (a listener that never
/// accepts): short, since only the client's own timeout ends the wait.
constexpr milliseconds kNoAnswerTimeout{300};

StatusSnapshot some_snapshot() {
  static const StatusSnapshot snapshot = connected_snapshot(system_clock::now());
  return snapshot;
}

mode_t mode_of(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode;
}

/// The `error` of an error answer, or "" when `line` is not one.
std::string error_of(const std::optional<std::string>& line) {
  if (!line) return "";
  const Json doc = Json::parse(*line, nullptr, false);
  return doc.is_object() && doc.contains("error") && doc["error"].is_string()
             ? doc["error"].get<std::string>()
             : "";
}

class StatusEndpointServes : public StatusEndpointTest {
 protected:
  void SetUp() override { set_snapshot(some_snapshot()); }

  /// The endpoint still answers a well-behaved client with the current document.
  void expect_serving() {
    const Result<std::string> answer = request_status(socket_path(), kTestDeadline);
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    EXPECT_EQ(*answer, to_json(some_snapshot()));
  }
};

TEST_F(StatusEndpointServes, socket_is_root_and_group_only_in_a_folder_it_creates) {
  ASSERT_TRUE(open_endpoint().ok());
  const mode_t socket_mode = mode_of(socket_path());
  EXPECT_TRUE(S_ISSOCK(socket_mode));
  EXPECT_EQ(socket_mode & 07777, 0660u);
  const mode_t folder_mode = mode_of(fs::path(socket_path()).parent_path());
  EXPECT_TRUE(S_ISDIR(folder_mode));
  EXPECT_EQ(folder_mode & 07777, 0750u);
}

TEST_F(StatusEndpointServes, answers_one_status_line_then_closes) {
  ASSERT_TRUE(open_endpoint().ok());
  RawClient client(socket_path());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("status\n"));
  EXPECT_EQ(client.read_line(), to_json(some_snapshot()));
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(StatusEndpointServes, unknown_request_gets_an_error_and_the_next_client_is_served) {
  ASSERT_TRUE(open_endpoint().ok());
  for (const char* request : {"hello\n", "STATUS\n", "status \n", "status\r\n", "\n"}) {
    RawClient client(socket_path());
    ASSERT_TRUE(client.send(request));
    EXPECT_EQ(error_of(client.read_line()), "unknown request") << request;
    EXPECT_TRUE(client.wait_closed());
  }
  expect_serving();
}

TEST_F(StatusEndpointServes, over_long_request_gets_an_error_and_the_next_client_is_served) {
  ASSERT_TRUE(open_endpoint().ok());
  for (const std::string& request :
       {std::string(kMaxStatusRequest + 1, 'x'), std::string(4 * kMaxStatusRequest, 'x') + "\n",
        "status" + std::string(kMaxStatusRequest, ' ') + "\n"}) {
    RawClient client(socket_path());
    client.send(request);  // may fail part-way: the endpoint stops reading at the bound
    EXPECT_EQ(error_of(client.read_line()), "request too long") << request.size();
  }
  expect_serving();
}

TEST_F(StatusEndpointServes, request_cut_short_gets_an_error) {
  ASSERT_TRUE(open_endpoint().ok());
  RawClient client(socket_path());
  ASSERT_TRUE(client.send("stat"));
  client.finish_sending();
  EXPECT_EQ(error_of(client.read_line()), "incomplete request");
  expect_serving();
}

TEST_F(StatusEndpointServes, silent_client_is_dropped_at_the_deadline_while_others_are_served) {
  ASSERT_TRUE(open_endpoint().ok());
  RawClient silent(socket_path());
  ASSERT_TRUE(silent.connected());
  expect_serving();
  EXPECT_TRUE(silent.wait_closed(kStatusRequestDeadline + kTestDeadline));
  expect_serving();
}

/// Whether none of `clients` has been let go by the endpoint.
bool all_still_connected(std::vector<RawClient>& clients) {
  for (RawClient& client : clients) {
    if (client.wait_closed(milliseconds{0})) return false;
  }
  return true;
}

TEST_F(StatusEndpointServes, fifty_idle_clients_never_delay_gatelinkctl) {
  constexpr std::size_t kIdle = 50;
  ASSERT_TRUE(open_endpoint().ok());
  const auto first_connected = steady_clock::now();
  std::vector<RawClient> idle;
  for (std::size_t i = 0; i < kIdle; ++i) {
    idle.emplace_back(socket_path());
    ASSERT_TRUE(idle.back().connected());
  }
  const ProcessResult ctl = run_process(
      {(bin_dir() / "gatelinkctl").string(), "--socket", socket_path(), "status", "--json"});
  ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
  // gatelinkctl puts its own reading (summary) first; the rest is the agent's document.
  Json printed = Json::parse(ctl.out, nullptr, false);
  printed.erase("summary");
  EXPECT_EQ(printed, Json::parse(to_json(some_snapshot())));
  // The answer did not wait for any idle client to go: all of them are still connected. (Only
  // their request deadline could have let one go; on a machine so slow that it passed, this
  // cannot tell.)
  const bool within_deadline = steady_clock::now() - first_connected < kStatusRequestDeadline;
  const bool none_let_go = all_still_connected(idle);
  if (!within_deadline) GTEST_SKIP() << "the idle clients' request deadline passed meanwhile";
  EXPECT_TRUE(none_let_go) << "an idle client was dropped before the answer";
}

TEST_F(StatusEndpointServes, at_the_limit_the_oldest_idle_client_makes_room_for_a_newcomer) {
  ASSERT_TRUE(open_endpoint().ok());
  const auto first_connected = steady_clock::now();
  std::vector<RawClient> idle;
  for (std::size_t i = 0; i < kMaxStatusClients; ++i) {
    idle.emplace_back(socket_path());
    ASSERT_TRUE(idle.back().connected()) << i;
  }
  // One more client at the limit is served at once: the oldest idle client is dropped for it.
  const Result<std::string> answer = request_status(socket_path(), kTestDeadline);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(*answer, to_json(some_snapshot()));
  // Dropped when the newcomer came, so before the answer: already closed now.
  EXPECT_TRUE(idle.front().wait_closed(milliseconds{0})) << "the oldest idle client is connected";
  std::vector<RawClient> younger;
  for (std::size_t i = 1; i < idle.size(); ++i) younger.push_back(std::move(idle[i]));
  const bool within_deadline = steady_clock::now() - first_connected < kStatusRequestDeadline;
  const bool none_let_go = all_still_connected(younger);
  if (!within_deadline) GTEST_SKIP() << "the idle clients' request deadline passed meanwhile";
  // Only the one was dropped, and only for the newcomer: the others never had to go.
  EXPECT_TRUE(none_let_go) << "more than the oldest idle client was dropped";
}

TEST_F(StatusEndpointServes, second_endpoint_on_a_live_path_is_refused) {
  ASSERT_TRUE(open_endpoint().ok());
  const Status second = open_endpoint();
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("already answers"), std::string::npos)
      << second.error().message;
  expect_serving();  // the refused one left the first one's socket in place
}

TEST_F(StatusEndpointServes, stale_socket_file_is_replaced) {
  make_folders(fs::path(socket_path()).parent_path());
  make_stale_socket(socket_path());
  const Result<std::string> stale = request_status(socket_path(), kTestDeadline);
  ASSERT_FALSE(stale.ok());
  ASSERT_NE(stale.error().message.find("connection refused"), std::string::npos)
      << stale.error().message;
  ASSERT_TRUE(open_endpoint().ok());
  expect_serving();
  EXPECT_EQ(mode_of(socket_path()) & 07777, 0660u);
}

TEST_F(StatusEndpointServes, a_file_that_is_not_a_socket_is_left_alone) {
  make_folders(fs::path(socket_path()).parent_path());
  std::ofstream(socket_path()) << "not a socket";
  const Status opened = open_endpoint();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("not a socket"), std::string::npos)
      << opened.error().message;
  std::ifstream kept(socket_path());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "not a socket");
}

TEST_F(StatusEndpointServes, close_removes_the_socket_and_may_be_repeated) {
  ASSERT_TRUE(open_endpoint().ok());
  ASSERT_TRUE(fs::exists(socket_path()));
  close_endpoints();
  EXPECT_FALSE(fs::exists(socket_path()));
  close_endpoints();
  const Result<std::string> closed = request_status(socket_path(), kTestDeadline);
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.error().message.find("no status socket"), std::string::npos)
      << closed.error().message;
  ASSERT_TRUE(open_endpoint().ok());  // and the path can be served again
  expect_serving();
}

TEST_F(StatusEndpointServes, close_does_not_remove_a_socket_someone_else_put_there) {
  ASSERT_TRUE(open_endpoint().ok());
  fs::remove(socket_path());
  make_stale_socket(socket_path());
  close_endpoints();
  EXPECT_TRUE(fs::exists(fs::symlink_status(socket_path())));
}

TEST_F(StatusEndpointServes, document_over_the_bound_is_answered_with_an_error) {
  ASSERT_TRUE(open_endpoint().ok());
  set_document(std::string(kMaxStatusResponse, 'x'));
  const Result<std::string> answer = request_status(socket_path(), kTestDeadline);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(error_of(*answer), "status document too large");
}

TEST_F(StatusEndpointServes, client_reports_why_no_answer_came) {
  const Result<std::string> missing = request_status(socket_path(), kTestDeadline);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no status socket"), std::string::npos);

  make_folders(fs::path(socket_path()).parent_path());
  const SilentListener listener(socket_path());
  const Result<std::string> silent = request_status(socket_path(), kNoAnswerTimeout);
  ASSERT_FALSE(silent.ok());
  EXPECT_NE(silent.error().message.find("no answer within"), std::string::npos);

  EXPECT_FALSE(request_status(std::string(200, 'x'), kTestDeadline).ok());
}

}  // namespace
}  // namespace gatelink::test
