// Certificate facts for status, and the names the gateway matches an agent's hello against.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <chrono>

#include "tls/certificate_info.hpp"
#include "unit/tls_test_support.hpp"

namespace gatelink::tls {
namespace {

using namespace std::chrono;
using test::pki;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct X509Free {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

/// An unsigned certificate with subject CN=`cn`, the SAN `san` (OpenSSL config syntax, e.g.
/// "DNS:a.example,IP:127.0.0.1"; empty: none) and notAfter `not_after` (YYYYMMDDHHMMSSZ).
X509Ptr make_certificate(const char* cn, const char* san, const char* not_after) {
  X509Ptr cert{X509_new()};
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  ASN1_TIME_set_string(X509_getm_notAfter(cert.get()), not_after);
  if (*san != '\0') {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  return cert;
}

TEST(CertificateInfo, gateway_certificate_facts) {
  const auto info = read_certificate_info(pki("gw1.pem"));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->subject, "CN=gw1.example.test");
  EXPECT_EQ(info->common_name, "gw1.example.test");
  EXPECT_THAT(info->dns_names, ElementsAre("gw1.example.test"));  // the IP SAN is no DNS name
  EXPECT_GT(info->not_after, system_clock::now());
}

TEST(CertificateInfo, not_after_is_exact_utc) {
  const auto info = read_certificate_info(pki("gw-expired.pem"));
  ASSERT_TRUE(info.ok()) << info.error().message;
  const sys_seconds expected = sys_days{2020y / December / 31} + 23h + 59min + 59s;
  EXPECT_EQ(info->not_after, expected);
}

TEST(CertificateInfo, no_expiry_date_is_time_point_max) {
  const auto cert = make_certificate("a.example.test", "", "99991231235959Z");
  EXPECT_EQ(certificate_info(cert.get()).not_after, system_clock::time_point::max());
}

TEST(CertificateInfo, missing_file_is_named) {
  const auto info = read_certificate_info("/nonexistent/agent.pem");
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.error().message, HasSubstr("/nonexistent/agent.pem"));
}

TEST(CertificateInfo, file_without_certificate_is_refused) {
  const auto info = read_certificate_info(pki("ca.crl"));
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.error().message, HasSubstr("holds no PEM certificate"));
}

TEST(CertificateIdentities, agent_is_identified_by_cn_and_san_once) {
  const auto info = read_certificate_info(pki("agent.pem"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "agent1.example.test");
  const auto cert =
      make_certificate("agent1.example.test", "DNS:agent1.example.test", "20991231000000Z");
  EXPECT_THAT(certificate_identities(cert.get()), ElementsAre("agent1.example.test"));
}

TEST(CertificateIdentities, cn_comes_first_then_san_dns_names_without_ip) {
  const auto cert =
      make_certificate("web01", "DNS:web01.example.test,IP:10.0.0.1,DNS:WEB01", "20991231000000Z");
  EXPECT_THAT(certificate_identities(cert.get()), ElementsAre("web01", "web01.example.test"));
}

TEST(CertificateIdentities, names_match_case_insensitively_and_whole) {
  const std::vector<std::string> identities{"agent1.example.test"};
  EXPECT_TRUE(identity_matches(identities, "Agent1.Example.Test"));
  EXPECT_FALSE(identity_matches(identities, "agent1.example"));
  EXPECT_FALSE(identity_matches(identities, "agent1.example.test.evil"));
  EXPECT_FALSE(identity_matches({}, "agent1.example.test"));
}

}  // namespace
}  // namespace gatelink::tls
