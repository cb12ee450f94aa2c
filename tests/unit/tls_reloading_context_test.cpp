// Renewed files taken up when asked, and renewed files that cannot be used refused with the file
// and the reason while the context in use stays: the certificate lifecycle of DESIGN
// "Connection and trust", without processes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "tls/client_stream.hpp"
#include "tls/reloading_context.hpp"
#include "unit/tls_test_support.hpp"

namespace gatelink::tls {
namespace {

namespace fs = std::filesystem;
using test::CapturedLog;
using test::pki;
using ::testing::HasSubstr;

/// The agent's four files, copied into a folder of their own; replaced the way renewal tools do
/// (write a temporary file, rename it over the old one).
class MaterialFolder {
 public:
  MaterialFolder() {
    std::string pattern = (fs::temp_directory_path() / "gatelink-reload-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    folder_ = pattern;
  }
  ~MaterialFolder() {
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }
  MaterialFolder(const MaterialFolder&) = delete;
  MaterialFolder& operator=(const MaterialFolder&) = delete;

  /// ca.pem, agent.pem, agent.key (0600) and, if named, the CRL as ca.crl, from the PKI.
  Files install(const std::string& base, const std::string& crl = "") {
    replace("ca.pem", "ca.pem");
    replace("agent.pem", base + ".pem");
    replace("agent.key", base + ".key");
    if (!crl.empty()) replace("ca.crl", crl);
    return Files{path("ca.pem"), path("agent.pem"), path("agent.key"),
                 crl.empty() ? "" : path("ca.crl")};
  }
  /// Puts a copy of the PKI file `from` in place of `name`, by rename; keys get mode 0600.
  void replace(const std::string& name, const std::string& from) {
    std::ifstream in(pki(from), std::ios::binary);
    write(name, std::string(std::istreambuf_iterator<char>(in), {}));
  }
  void write(const std::string& name, const std::string& content) {
    const fs::path temporary = folder_ / (name + ".new");
    std::ofstream(temporary, std::ios::binary) << content;
    fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write);
    fs::rename(temporary, folder_ / name);
  }
  std::string path(const std::string& name) const { return (folder_ / name).string(); }

 private:
  fs::path folder_;
};

std::shared_ptr<ReloadingContext> create(const Files& files) {
  auto context = ReloadingContext::create(files, &make_client_context);
  EXPECT_TRUE(context.ok()) << (context ? "" : context.error().message);
  return context ? *context : nullptr;
}

bool any_line(const std::vector<std::string>& lines, const std::vector<std::string>& parts) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
    return std::all_of(parts.begin(), parts.end(),
                       [&](const std::string& part) { return line.find(part) != line.npos; });
  });
}

TEST(ReloadingContext, unchanged_files_keep_the_context) {
  MaterialFolder folder;
  auto tls = create(folder.install("agent"));
  ASSERT_TRUE(tls);
  const auto before = tls->material().context;
  EXPECT_EQ(tls->reload(), ReloadingContext::Outcome::unchanged);
  EXPECT_EQ(tls->current(), before);
  EXPECT_FALSE(tls->refusal());
}

TEST(ReloadingContext, renewed_certificate_and_key_are_taken_up_and_logged) {
  MaterialFolder folder;
  auto tls = create(folder.install("agent"));
  ASSERT_TRUE(tls);
  const auto before = tls->material();
  CapturedLog log;
  folder.replace("agent.pem", "agent-renewed.pem");
  folder.replace("agent.key", "agent-renewed.key");
  EXPECT_EQ(tls->reload(), ReloadingContext::Outcome::reloaded);
  const auto after = tls->material();
  EXPECT_NE(after.context, before.context);
  EXPECT_GT(after.certificate.not_after, before.certificate.not_after);
  EXPECT_EQ(after.certificate.subject, "CN=agent1.example.test");
  EXPECT_EQ(after.certificate.issuer, "CN=gatelink test CA");
  EXPECT_TRUE(any_line(log.lines(), {"event=certificate-reloaded", "subject=",
                                     "not_after=", folder.path("agent.pem")}));
}

TEST(ReloadingContext, forced_reload_rebuilds_unchanged_files) {
  MaterialFolder folder;
  auto tls = create(folder.install("agent"));
  ASSERT_TRUE(tls);
  const auto before = tls->material().context;
  EXPECT_EQ(tls->reload(true), ReloadingContext::Outcome::reloaded);
  EXPECT_NE(tls->material().context, before);
}

struct BrokenRenewal {
  const char* name;
  void (*renew)(MaterialFolder&);
  const char* file;  ///< in the folder
  MaterialProblem problem;
};

class BrokenRenewalTest : public ::testing::TestWithParam<BrokenRenewal> {};

TEST_P(BrokenRenewalTest, is_refused_naming_file_and_reason_and_the_old_context_stays) {
  MaterialFolder folder;
  auto tls = create(folder.install("agent"));
  ASSERT_TRUE(tls);
  const auto before = tls->material();
  CapturedLog log;
  GetParam().renew(folder);
  EXPECT_EQ(tls->reload(), ReloadingContext::Outcome::refused);
  const auto refusal = tls->refusal();
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->file, folder.path(GetParam().file));
  EXPECT_EQ(refusal->problem, GetParam().problem);
  EXPECT_THAT(refusal->message, HasSubstr(folder.path(GetParam().file)));
  EXPECT_TRUE(any_line(log.lines(), {"event=certificate-refused",
                                     "file=" + folder.path(GetParam().file),
                                     "reason=" + std::string(to_string(GetParam().problem)),
                                     "action=keep-previous"}));
  // The old material stays in use, also for the next connection, and is not rebuilt again
  // from the same bad files.
  EXPECT_EQ(tls->material().context, before.context);
  EXPECT_EQ(tls->current(), before.context);
  EXPECT_EQ(tls->reload(), ReloadingContext::Outcome::unchanged);
  EXPECT_EQ(tls->material().certificate.not_after, before.certificate.not_after);

  // Good files clear the refusal.
  folder.install("agent-renewed");
  EXPECT_EQ(tls->reload(), ReloadingContext::Outcome::reloaded);
  EXPECT_FALSE(tls->refusal());
}

INSTANTIATE_TEST_SUITE_P(
    Tls, BrokenRenewalTest,
    ::testing::Values(
        BrokenRenewal{"garbage_certificate",
                      [](MaterialFolder& f) { f.write("agent.pem", "not a certificate\n"); },
                      "agent.pem", MaterialProblem::certificate_invalid},
        BrokenRenewal{"certificate_without_its_key",
                      [](MaterialFolder& f) { f.replace("agent.pem", "agent-renewed.pem"); },
                      "agent.key", MaterialProblem::key_mismatch},
        BrokenRenewal{"garbage_key",
                      [](MaterialFolder& f) { f.write("agent.key", "-----BEGIN PRIVATE"); },
                      "agent.key", MaterialProblem::key_invalid},
        BrokenRenewal{"key_readable_by_others",
                      [](MaterialFolder& f) {
                        fs::permissions(f.path("agent.key"), fs::perms::others_read,
                                        fs::perm_options::add);
                      },
                      "agent.key", MaterialProblem::key_exposed},
        BrokenRenewal{"missing_ca",
                      [](MaterialFolder& f) { fs::remove(f.path("ca.pem")); }, "ca.pem",
                      MaterialProblem::ca_invalid}),
    [](const auto& row) { return std::string(row.param.name); });

// The CRL case needs a CRL from the start.
TEST(ReloadingContext, refused_crl_keeps_the_crl_in_use) {
  MaterialFolder folder;
  auto tls = create(folder.install("agent", "ca.crl"));
  ASSERT_TRUE(tls);
  folder.replace("ca.crl", "other-ca.crl");
  EXPECT_EQ(tls->reload(), ReloadingContext::Outcome::refused);
  ASSERT_TRUE(tls->refusal());
  EXPECT_EQ(tls->refusal()->file, folder.path("ca.crl"));
  EXPECT_EQ(tls->refusal()->problem, MaterialProblem::crl_invalid);
  ASSERT_TRUE(tls->material().crl);
  EXPECT_EQ(tls->material().crl->issuer, "CN=gatelink test CA");
}

TEST(ReloadingContext, replaced_crl_applies_to_the_next_handshake) {
  MaterialFolder folder;
  auto tls = create(folder.install("agent", "ca-empty.crl"));
  ASSERT_TRUE(tls);
  auto server = make_server_context(test::pki_files("gw-revoked"));
  ASSERT_TRUE(server.ok());
  const auto verdict = [&] {
    test::MemoryHandshake pair(tls->current(), *server);
    EXPECT_TRUE(prepare_client_stream(pair.client(), "gw1.example.test").ok());
    pair.run();
    return pair.client_outcome().ok ? std::string("accepted") : pair.client_outcome().reason;
  };
  EXPECT_EQ(verdict(), "accepted");
  folder.replace("ca.crl", "ca.crl");  // revokes gw-revoked
  EXPECT_EQ(tls->reload(), ReloadingContext::Outcome::reloaded);
  EXPECT_EQ(verdict(), "revoked");
}

TEST(ReloadingContext, material_tells_the_crl_next_update) {
  MaterialFolder folder;
  auto tls = create(folder.install("agent", "ca-expired.crl"));
  ASSERT_TRUE(tls);
  ASSERT_TRUE(tls->material().crl);
  ASSERT_TRUE(tls->material().crl->next_update);
  EXPECT_LT(*tls->material().crl->next_update, std::chrono::system_clock::now());
  folder.replace("ca.crl", "ca.crl");
  EXPECT_EQ(tls->reload(), ReloadingContext::Outcome::reloaded);
  EXPECT_GT(*tls->material().crl->next_update, std::chrono::system_clock::now());
}

}  // namespace
}  // namespace gatelink::tls
