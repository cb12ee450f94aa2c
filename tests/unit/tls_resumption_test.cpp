// Session resumption: the ticket key file (strict parsing, owner-only), tickets that a gateway
// of the same keys accepts after a restart, and every check a resumed handshake skips done
// again: revocation and the agent's certificate on the gateway, the expected name on the agent,
// and no ticket of an earlier own certificate offered.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tls/client_stream.hpp"
#include "tls/session_tickets.hpp"
#include "tls/ticket_keys.hpp"
#include "unit/tls_test_support.hpp"

namespace gatelink::tls {
namespace {

using test::CapturedLog;
using test::MemoryHandshake;
using test::pki_files;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

constexpr char kGateway[] = "gw1.example.test@127.0.0.1:5723";

std::string hex_line(char digit) { return std::string(160, digit); }

TEST(TicketKeyFile, holds_keys_in_order_with_comments_and_blank_lines) {
  const auto keys =
      parse_ticket_keys("# comment\n\n" + hex_line('a') + "\r\n  " + hex_line('B') + "  \n", "f");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].name[0], 0xaa);
  EXPECT_EQ((*keys)[0].aes[31], 0xaa);
  EXPECT_EQ((*keys)[1].hmac[0], 0xbb);
}

TEST(TicketKeyFile, format_and_parse_agree) {
  std::vector<TicketKey> keys;
  for (int i = 0; i < 3; ++i) {
    auto key = generate_ticket_key();
    ASSERT_TRUE(key.ok());
    keys.push_back(*key);
  }
  const auto parsed = parse_ticket_keys(format_ticket_keys(keys), "f");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, keys);
}

TEST(TicketKeyFile, anything_else_is_refused_with_its_line) {
  const std::string key = hex_line('1');
  const std::pair<std::string, std::string> cases[] = {
      {"", "f: holds no ticket key"},
      {"# only a comment\n", "f: holds no ticket key"},
      {key.substr(1) + "\n", "f:1: not a ticket key"},
      {key + "0\n", "f:1: not a ticket key"},
      {"\n" + key.substr(0, 159) + "g\n", "f:2: not a ticket key"},
      {key + "\n" + key + "\n", "f:2: a key name seen before"},
      {std::string("x\0y", 3), "f: holds a NUL byte"},
  };
  for (const auto& [text, error] : cases) {
    const auto keys = parse_ticket_keys(text, "f");
    ASSERT_FALSE(keys.ok()) << text;
    EXPECT_THAT(keys.error().message, HasSubstr(error)) << text;
  }
  std::string many;
  for (char digit : std::string("0123456789")) many += hex_line(digit) + "\n";
  const auto keys = parse_ticket_keys(many, "f");
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(keys.error().message, HasSubstr("f:9: more than 8 keys"));
}

/// A ticket key file in a folder of its own, gone with the object.
class KeyFile {
 public:
  explicit KeyFile(const std::vector<TicketKey>& keys,
                   fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
    folder_ = fs::temp_directory_path() /
              ("gatelink-tickets-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(folder_);
    path_ = (folder_ / "tickets.keys").string();
    std::ofstream(path_) << format_ticket_keys(keys);
    fs::permissions(path_, mode);
  }
  ~KeyFile() {
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }
  KeyFile(const KeyFile&) = delete;
  KeyFile& operator=(const KeyFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path folder_;
  std::string path_;
};

std::vector<TicketKey> new_keys(std::size_t count = 1) {
  std::vector<TicketKey> keys;
  while (keys.size() < count) keys.push_back(generate_ticket_key().value());
  return keys;
}

TEST(TicketKeyFile, one_others_may_read_is_refused) {
  const KeyFile file(new_keys(), fs::perms::owner_read | fs::perms::owner_write |
                                     fs::perms::group_read | fs::perms::others_read);
  const auto keys = read_ticket_keys(file.path());
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(keys.error().message, HasSubstr(file.path()));
  Files files = pki_files("gw1");
  files.ticket_keys = file.path();
  const auto context = make_server_context(files);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.error().problem, MaterialProblem::ticket_keys_invalid);
  EXPECT_EQ(context.error().file, file.path());
}

/// An agent and gateways built from the test PKI; each connect() is one handshake in memory.
class Resumption : public ::testing::Test {
 protected:
  static ContextPtr server(const std::string& base, const std::string& key_file,
                           const std::string& crl = "") {
    Files files = pki_files(base, crl);
    files.ticket_keys = key_file;
    auto context = make_server_context(files);
    EXPECT_TRUE(context.ok()) << (context ? "" : context.error().message);
    return context ? *context : nullptr;
  }
  static ContextPtr client(const std::string& base = "agent", const std::string& crl = "") {
    auto context = make_client_context(pki_files(base, crl));
    EXPECT_TRUE(context.ok()) << (context ? "" : context.error().message);
    return context ? *context : nullptr;
  }

  struct Outcome {
    bool offered = false;
    bool client_ok = false;
    bool server_ok = false;
    bool resumed = false;  ///< both ends say so
    std::string server_reason;
  };
  Outcome connect(const ContextPtr& agent, const ContextPtr& gateway,
                  const std::string& expected_name = "gw1.example.test",
                  const std::string& key = kGateway) {
    Outcome outcome;
    if (!agent || !gateway) return outcome;
    std::shared_ptr<void> slot;  // declared first: outlives the SSL of `pair`
    MemoryHandshake pair(agent, gateway);
    EXPECT_TRUE(prepare_client_stream(pair.client(), expected_name).ok());
    outcome.offered = tickets->attach(pair.client(), key, slot);
    pair.run();
    outcome.client_ok = pair.client_outcome().ok;
    outcome.server_ok = pair.server_outcome().ok;
    outcome.server_reason = pair.server_outcome().reason;
    outcome.resumed =
        SSL_session_reused(pair.client()) == 1 && SSL_session_reused(pair.server()) == 1;
    return outcome;
  }

  std::shared_ptr<SessionTickets> tickets = SessionTickets::create();
};

TEST_F(Resumption, a_gateway_of_the_same_keys_resumes_after_a_restart) {
  const KeyFile keys(new_keys());
  const auto agent = client();
  const Outcome first = connect(agent, server("gw1", keys.path()));
  ASSERT_TRUE(first.client_ok && first.server_ok);
  EXPECT_FALSE(first.offered);
  EXPECT_FALSE(first.resumed);
  EXPECT_EQ(tickets->size(), 1u);
  // A context built anew from the same files: the gateway restarted (or another one with them).
  const Outcome second = connect(agent, server("gw1", keys.path()));
  EXPECT_TRUE(second.offered);
  EXPECT_TRUE(second.client_ok && second.server_ok);
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(tickets->size(), 1u) << "every handshake leaves a fresh ticket";
  EXPECT_TRUE(connect(agent, server("gw1", keys.path())).resumed);
}

TEST_F(Resumption, a_rotated_file_still_opens_tickets_of_the_key_before) {
  const auto old_keys = new_keys();
  const KeyFile before(old_keys);
  auto rotated = new_keys();
  rotated.push_back(old_keys.front());
  const KeyFile after(rotated);
  const auto agent = client();
  ASSERT_TRUE(connect(agent, server("gw1", before.path())).server_ok);
  EXPECT_TRUE(connect(agent, server("gw1", after.path())).resumed);
}

TEST_F(Resumption, other_keys_or_none_mean_a_full_handshake) {
  const KeyFile mine(new_keys());
  const KeyFile theirs(new_keys());
  const auto agent = client();
  ASSERT_TRUE(connect(agent, server("gw1", mine.path())).server_ok);
  const Outcome other = connect(agent, server("gw1", theirs.path()));
  EXPECT_TRUE(other.offered);
  EXPECT_TRUE(other.client_ok && other.server_ok);
  EXPECT_FALSE(other.resumed);

  const auto fresh = SessionTickets::create();
  tickets = fresh;
  const Outcome untickted = connect(agent, server("gw1", ""));
  EXPECT_TRUE(untickted.client_ok && untickted.server_ok);
  EXPECT_EQ(tickets->size(), 0u) << "a gateway without ticket keys sends none";
}

TEST_F(Resumption, the_gateway_checks_the_agent_again_and_a_revoked_one_is_refused) {
  const KeyFile keys(new_keys());
  const auto agent = client("agent-revoked");
  // Before the CRL revoking it reached the gateway: a ticket.
  ASSERT_TRUE(connect(agent, server("gw1", keys.path())).server_ok);
  ASSERT_EQ(tickets->size(), 1u);
  const CapturedLog log;
  const Outcome after = connect(agent, server("gw1", keys.path(), "ca.crl"));
  EXPECT_TRUE(after.offered);
  EXPECT_FALSE(after.resumed);
  EXPECT_FALSE(after.server_ok);
  EXPECT_EQ(after.server_reason, "revoked");
  bool said = false;
  for (const auto& line : log.lines()) {
    said = said || (line.find("event=resumption-refused") != std::string::npos &&
                    line.find("reason=revoked") != std::string::npos);
  }
  EXPECT_TRUE(said);
}

TEST_F(Resumption, the_agent_offers_a_ticket_only_for_the_name_it_expects) {
  const KeyFile keys(new_keys());
  const auto agent = client();
  ASSERT_TRUE(connect(agent, server("gw1", keys.path())).server_ok);
  // The same key in the store, but gw2's name expected: gw1's ticket must not stand for gw2.
  const Outcome other = connect(agent, server("gw2", keys.path()), "gw2.example.test");
  EXPECT_FALSE(other.offered);
  EXPECT_FALSE(other.resumed);
  EXPECT_TRUE(other.client_ok && other.server_ok) << "a full handshake with gw2 instead";
}

TEST_F(Resumption, tickets_are_kept_per_gateway_and_used_once) {
  const KeyFile keys(new_keys());
  const auto agent = client();
  ASSERT_TRUE(connect(agent, server("gw1", keys.path())).server_ok);
  const Outcome elsewhere =
      connect(agent, server("gw1", keys.path()), "gw1.example.test", "gw1.example.test@other:1");
  EXPECT_FALSE(elsewhere.offered) << "no ticket kept for that address";
  EXPECT_EQ(tickets->size(), 2u);
}

TEST_F(Resumption, no_ticket_of_an_earlier_own_certificate_is_offered) {
  const KeyFile keys(new_keys());
  ASSERT_TRUE(connect(client(), server("gw1", keys.path())).server_ok);
  // The agent's files renewed: a new context. The gateway would see the old certificate.
  const Outcome renewed = connect(client(), server("gw1", keys.path()));
  EXPECT_FALSE(renewed.offered);
  EXPECT_FALSE(renewed.resumed);
  EXPECT_TRUE(renewed.client_ok && renewed.server_ok);
}

TEST_F(Resumption, holds_tells_whether_a_ticket_worth_keeping_is_there_for_a_gateway) {
  const KeyFile keys(new_keys());
  const auto agent = client();
  EXPECT_FALSE(tickets->holds(kGateway, agent->native_handle()));
  ASSERT_TRUE(connect(agent, server("gw1", keys.path())).server_ok);
  EXPECT_TRUE(tickets->holds(kGateway, agent->native_handle())) << "a fresh one, of this context";
  EXPECT_FALSE(tickets->holds("gw2.example.test@127.0.0.1:5724", agent->native_handle()));
  EXPECT_FALSE(tickets->holds(kGateway, client()->native_handle()))
      << "a renewed certificate's context would not offer it";
  // Offered (used once), and the gateway of the next handshake sends none: none is held.
  ASSERT_TRUE(connect(agent, server("gw1", "")).server_ok);
  EXPECT_FALSE(tickets->holds(kGateway, agent->native_handle()));
}

}  // namespace
}  // namespace gatelink::tls
