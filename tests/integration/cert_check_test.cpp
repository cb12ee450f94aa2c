// `gatelinkctl cert check` on the real test PKI (tests/fixtures/make_test_pki.sh), without an
// agent: each kind of bad material is named on its own line and exits 1; good material exits 0.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/harness.hpp"

namespace gatelink::test {
namespace {

constexpr int kExitUsable = 0;
constexpr int kExitNotUsable = 1;
/// Where the report's values start; wrapped lines continue there.
constexpr std::size_t kValueColumn = 13;

/// The files of one agent configuration, named by their test PKI base names.
struct Material {
  std::string cert = "agent";  ///< agent.pem, agent.key
  std::string crl = "ca.crl";  ///< empty: no CRL configured
  std::string key;             ///< a key path to use instead of <cert>.key
};

class CertCheck : public ::testing::Test {
 protected:
  RunResult check(const Material& material) {
    const Pki pki = test_pki();
    const auto config = dir_ / "agent.xml";
    std::ofstream out(config);
    out << "<agent name=\"agent1.example.test\" management-group=\"TEST\">\n"
        << "  <tls ca=\"" << pki.file("ca.pem") << "\" cert=\"" << pki.file(material.cert + ".pem")
        << "\" key=\"" << (material.key.empty() ? pki.file(material.cert + ".key") : material.key)
        << "\"" << (material.crl.empty() ? "" : " crl=\"" + pki.file(material.crl) + "\"")
        << "/>\n"
        << "  <gateways><primary address=\"127.0.0.1:15801\" server-name=\"gw1.example.test\"/>"
        << "</gateways>\n"
        << "</agent>\n";
    out.close();
    return unwrapped(run_program({(bin_dir() / "gatelinkctl").string(), "cert", "check",
                                  "--config", config.string()}));
  }

  /// The report with its wrapped lines joined again (paths in a build folder are long).
  static RunResult unwrapped(RunResult result) {
    const std::string continuation = std::string("\n").append(kValueColumn, ' ');
    for (std::size_t at; (at = result.out.find(continuation)) != std::string::npos;) {
      result.out.replace(at, continuation.size(), 1, ' ');
    }
    return result;
  }

  /// The lines of `text` that start with `label`.
  static std::vector<std::string> lines_labelled(const std::string& text, const std::string& label) {
    std::vector<std::string> found;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(label, 0) == 0) found.push_back(line);
    }
    return found;
  }

  TempDir dir_;
};

TEST_F(CertCheck, good_material_is_usable_and_every_fact_is_shown) {
  const RunResult result = check({});
  EXPECT_EQ(result.exit_status, kExitUsable) << result.out;
  for (const char* fact :
       {"certificate  ", "subject      CN=agent1.example.test\n", "issuer       CN=gatelink test CA\n",
        "names        DNS:agent1.example.test\n", "usages       clientAuth\n", "valid        ",
        "days left)", "mode 0600, matches the certificate\n", "chain        signed by CN=gatelink test CA",
        "crl          ", "next update ", "certificate not revoked\n",
        "usable: gatelink-agent can connect with these files\n"}) {
    EXPECT_NE(result.out.find(fact), std::string::npos) << fact << " in:\n" << result.out;
  }
  EXPECT_TRUE(lines_labelled(result.out, "PROBLEM").empty()) << result.out;
}

TEST_F(CertCheck, expired_certificate_is_not_usable) {
  const RunResult result = check({.cert = "agent-expired"});
  EXPECT_EQ(result.exit_status, kExitNotUsable) << result.out;
  const auto problems = lines_labelled(result.out, "PROBLEM");
  ASSERT_EQ(problems.size(), 1u) << result.out;
  EXPECT_NE(problems[0].find("the certificate expired on 2020-12-31 23:59:59Z"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("(expired)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("NOT usable: 1 problem\n"), std::string::npos) << result.out;
}

TEST_F(CertCheck, certificate_without_client_auth_is_not_usable) {
  const RunResult result = check({.cert = "agent-wrong-eku"});
  EXPECT_EQ(result.exit_status, kExitNotUsable) << result.out;
  EXPECT_NE(result.out.find("usages       serverAuth\n"), std::string::npos) << result.out;
  const auto problems = lines_labelled(result.out, "PROBLEM");
  ASSERT_EQ(problems.size(), 1u) << result.out;
  EXPECT_NE(problems[0].find("lacks the clientAuth extended key usage"), std::string::npos)
      << result.out;
}

TEST_F(CertCheck, key_of_another_certificate_is_not_usable) {
  const RunResult result = check({.cert = "agent-key-mismatch"});
  EXPECT_EQ(result.exit_status, kExitNotUsable) << result.out;
  EXPECT_NE(result.out.find("does NOT match the certificate"), std::string::npos) << result.out;
  const auto problems = lines_labelled(result.out, "PROBLEM");
  ASSERT_EQ(problems.size(), 1u) << result.out;
  EXPECT_NE(problems[0].find("agent-key-mismatch.key does not match the certificate"),
            std::string::npos)
      << result.out;
}

TEST_F(CertCheck, key_readable_by_others_is_not_usable) {
  const auto key = dir_ / "agent.key";
  std::filesystem::copy_file(test_pki().file("agent.key"), key);
  std::filesystem::permissions(key, std::filesystem::perms(0644));
  const RunResult result = check({.key = key.string()});
  EXPECT_EQ(result.exit_status, kExitNotUsable) << result.out;
  const auto problems = lines_labelled(result.out, "PROBLEM");
  ASSERT_EQ(problems.size(), 1u) << result.out;
  EXPECT_NE(problems[0].find("UNPROTECTED PRIVATE KEY FILE"), std::string::npos) << result.out;
}

TEST_F(CertCheck, certificate_of_another_ca_is_not_usable) {
  const RunResult result = check({.cert = "agent-other-ca", .crl = ""});
  EXPECT_EQ(result.exit_status, kExitNotUsable) << result.out;
  const auto problems = lines_labelled(result.out, "PROBLEM");
  ASSERT_EQ(problems.size(), 1u) << result.out;
  EXPECT_NE(problems[0].find("does not chain to the CA"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("none configured"), std::string::npos) << result.out;
}

TEST_F(CertCheck, revoked_certificate_and_stale_crl_are_each_named) {
  const RunResult revoked = check({.cert = "agent-revoked"});
  EXPECT_EQ(revoked.exit_status, kExitNotUsable) << revoked.out;
  EXPECT_NE(revoked.out.find("PROBLEM      the certificate is revoked"), std::string::npos)
      << revoked.out;
  const RunResult stale = check({.crl = "ca-expired.crl"});
  EXPECT_EQ(stale.exit_status, kExitNotUsable) << stale.out;
  EXPECT_NE(stale.out.find("PROBLEM      the CRL's next update 2020-02-01 00:00:00Z has passed"),
            std::string::npos)
      << stale.out;
}

TEST_F(CertCheck, several_problems_get_a_line_each) {
  // Expired and revoked-free, but with another CA's CRL and a key that is not its own.
  const RunResult result =
      check({.cert = "agent-expired", .crl = "other-ca.crl", .key = test_pki().file("agent2.key")});
  EXPECT_EQ(result.exit_status, kExitNotUsable) << result.out;
  EXPECT_EQ(lines_labelled(result.out, "PROBLEM").size(), 3u) << result.out;
  EXPECT_NE(result.out.find("NOT usable: 3 problems\n"), std::string::npos) << result.out;
}

TEST_F(CertCheck, certificate_expiring_soon_is_usable_with_a_warning) {
  const RunResult result = check({.cert = "agent-expiring"});
  EXPECT_EQ(result.exit_status, kExitUsable) << result.out;
  const auto warnings = lines_labelled(result.out, "warning");
  ASSERT_EQ(warnings.size(), 1u) << result.out;
  EXPECT_NE(warnings[0].find("expires in "), std::string::npos) << result.out;
}

TEST_F(CertCheck, configuration_that_does_not_load_is_named_and_not_usable) {
  const RunResult missing = unwrapped(run_program(
      {(bin_dir() / "gatelinkctl").string(), "cert", "check", "--config", (dir_ / "none.xml").string()}));
  EXPECT_EQ(missing.exit_status, kExitNotUsable) << missing.out;
  EXPECT_NE(missing.out.find("none.xml"), std::string::npos) << missing.out;
  const RunResult no_files = check({.cert = "no-such-cert"});
  EXPECT_EQ(no_files.exit_status, kExitNotUsable) << no_files.out;
  EXPECT_NE(no_files.out.find("no-such-cert.pem"), std::string::npos) << no_files.out;
}

}  // namespace
}  // namespace gatelink::test
