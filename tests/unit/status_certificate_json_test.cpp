// The certificate part of the status JSON: what a technician needs about the agent's
// certificate, its warnings, the CRL and a refused renewal.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "status/status_snapshot.hpp"
#include "status/status_time.hpp"

namespace gatelink {
namespace {

using Json = nlohmann::json;
using namespace std::chrono;

const WallTime kNow = sys_days{2026y / December / 1} + 12h;

StatusSnapshot with_certificate() {
  StatusSnapshot s;
  s.certificate.subject = "CN=agent1.example.test";
  s.certificate.issuer = "CN=gatelink test CA";
  s.certificate.not_after = kNow + days(9);
  s.certificate.days_left = 9;
  s.certificate.loaded_at = kNow - hours(1);
  return s;
}

TEST(StatusCertificateJson, healthy_certificate_has_no_warning_and_no_crl) {
  const Json cert = Json::parse(to_json(with_certificate()))["certificate"];
  EXPECT_EQ(cert["subject"], "CN=agent1.example.test");
  EXPECT_EQ(cert["issuer"], "CN=gatelink test CA");
  EXPECT_EQ(cert["days_left"], 9);
  EXPECT_EQ(cert["loaded_at"], format_utc_time(kNow - hours(1)));
  EXPECT_TRUE(cert["warning"].is_null());
  EXPECT_EQ(cert["warnings"], Json::array());
  EXPECT_TRUE(cert["crl"].is_null());
  EXPECT_TRUE(cert["reload_error"].is_null());
}

TEST(StatusCertificateJson, warnings_carry_reason_and_message_and_the_first_stands_alone) {
  auto s = with_certificate();
  s.certificate.warnings = {{"expires-soon", "the agent certificate expires in 9 days"},
                            {"crl-out-of-date", "the CRL was due to be replaced"}};
  s.certificate.crl = StatusSnapshot::Certificate::Crl{
      .issuer = "CN=gatelink test CA", .next_update = kNow - days(1), .expired = true};
  const Json cert = Json::parse(to_json(s))["certificate"];
  EXPECT_EQ(cert["warning"], "the agent certificate expires in 9 days");
  ASSERT_EQ(cert["warnings"].size(), 2u);
  EXPECT_EQ(cert["warnings"][1]["reason"], "crl-out-of-date");
  EXPECT_EQ(cert["warnings"][1]["message"], "the CRL was due to be replaced");
  EXPECT_EQ(cert["crl"]["next_update"], format_utc_time(kNow - days(1)));
  EXPECT_EQ(cert["crl"]["expired"], true);
  EXPECT_EQ(cert["crl"]["issuer"], "CN=gatelink test CA");
}

TEST(StatusCertificateJson, refused_renewal_names_file_and_reason) {
  auto s = with_certificate();
  s.certificate.reload_error = StatusSnapshot::Certificate::ReloadError{
      .file = "/etc/gatelink/agent.key",
      .reason = "key-mismatch",
      .message = "key file /etc/gatelink/agent.key: does not match the certificate"};
  const Json cert = Json::parse(to_json(s))["certificate"];
  EXPECT_EQ(cert["reload_error"]["file"], "/etc/gatelink/agent.key");
  EXPECT_EQ(cert["reload_error"]["reason"], "key-mismatch");
  EXPECT_NE(cert["reload_error"]["message"].get<std::string>().find("does not match"),
            std::string::npos);
}

}  // namespace
}  // namespace gatelink
