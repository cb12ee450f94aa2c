// The pure judgement of the agent's certificate and CRL from the times passed in, and when a
// standing warning is logged again.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tls/certificate_health.hpp"

namespace gatelink::tls {
namespace {

using namespace std::chrono;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const WallTimePoint kNow = sys_days{2026y / December / 1} + 12h;

TEST(CertificateHealth, certificate_far_from_expiry_has_no_warning) {
  const auto health = assess_certificate(kNow + days(200), std::nullopt, 30, kNow);
  EXPECT_EQ(health.days_left, 200);
  EXPECT_THAT(health.warnings, IsEmpty());
  EXPECT_FALSE(health.crl_expired);
}

TEST(CertificateHealth, certificate_inside_the_window_expires_soon) {
  const auto health = assess_certificate(kNow + days(9) + 3h, std::nullopt, 30, kNow);
  EXPECT_EQ(health.days_left, 9);
  EXPECT_THAT(health.kinds(), ElementsAre(CertificateWarning::expires_soon));
  EXPECT_THAT(health.warnings[0].message, HasSubstr("expires in 9 days, on 2026-12-10 15:00 UTC"));
}

TEST(CertificateHealth, window_is_exclusive_at_exactly_n_days) {
  EXPECT_THAT(assess_certificate(kNow + days(30), std::nullopt, 30, kNow).warnings, IsEmpty());
  EXPECT_THAT(assess_certificate(kNow + days(30) - 1s, std::nullopt, 30, kNow).kinds(),
              ElementsAre(CertificateWarning::expires_soon));
}

TEST(CertificateHealth, zero_days_turns_the_early_warning_off_but_not_expiry) {
  EXPECT_THAT(assess_certificate(kNow + 1h, std::nullopt, 0, kNow).warnings, IsEmpty());
  EXPECT_THAT(assess_certificate(kNow - 1h, std::nullopt, 0, kNow).kinds(),
              ElementsAre(CertificateWarning::expired));
}

TEST(CertificateHealth, expired_certificate_counts_negative_days) {
  const auto health = assess_certificate(kNow - 1h, std::nullopt, 30, kNow);
  EXPECT_EQ(health.days_left, -1);  // rounded down: expired an hour ago is not "0 days left"
  EXPECT_THAT(health.kinds(), ElementsAre(CertificateWarning::expired));
  EXPECT_THAT(health.warnings[0].message, HasSubstr("expired on 2026-12-01 11:00 UTC"));
}

TEST(CertificateHealth, expiry_instant_itself_is_expired) {
  EXPECT_THAT(assess_certificate(kNow, std::nullopt, 30, kNow).kinds(),
              ElementsAre(CertificateWarning::expired));
}

TEST(CertificateHealth, crl_past_its_next_update_is_out_of_date) {
  const auto health = assess_certificate(kNow + days(200), kNow - days(2), 30, kNow);
  EXPECT_TRUE(health.crl_expired);
  EXPECT_THAT(health.kinds(), ElementsAre(CertificateWarning::crl_out_of_date));
  EXPECT_THAT(health.warnings[0].message, HasSubstr("2026-11-29 12:00 UTC"));
}

TEST(CertificateHealth, current_crl_and_crl_without_next_update_are_fine) {
  EXPECT_FALSE(assess_certificate(kNow + days(200), kNow + 1s, 30, kNow).crl_expired);
  EXPECT_THAT(assess_certificate(kNow + days(200), std::nullopt, 30, kNow).warnings, IsEmpty());
}

TEST(CertificateHealth, both_problems_are_told_certificate_first) {
  EXPECT_THAT(assess_certificate(kNow + days(3), kNow - 1s, 30, kNow).kinds(),
              ElementsAre(CertificateWarning::expires_soon, CertificateWarning::crl_out_of_date));
}

TEST(CertificateHealth, warnings_have_stable_words) {
  EXPECT_EQ(to_string(CertificateWarning::expires_soon), "expires-soon");
  EXPECT_EQ(to_string(CertificateWarning::expired), "expired");
  EXPECT_EQ(to_string(CertificateWarning::crl_out_of_date), "crl-out-of-date");
}

class WarningLogTest : public ::testing::Test {
 protected:
  static constexpr auto kRepeat = hours(24);
  WarningLog log{kRepeat};
  WarningLog::Clock::time_point t0{};
  const std::vector<CertificateWarning> soon{CertificateWarning::expires_soon};
};

TEST_F(WarningLogTest, new_warning_is_logged_at_once_then_not_again_before_the_repeat) {
  EXPECT_TRUE(log.due(soon, t0, false));
  EXPECT_FALSE(log.due(soon, t0 + 1s, false));
  EXPECT_FALSE(log.due(soon, t0 + kRepeat - 1s, false));
  EXPECT_TRUE(log.due(soon, t0 + kRepeat, false));
  EXPECT_FALSE(log.due(soon, t0 + kRepeat + 1h, false));
}

TEST_F(WarningLogTest, forced_logs_at_start_and_reload_whatever_the_repeat) {
  EXPECT_TRUE(log.due(soon, t0, true));
  EXPECT_TRUE(log.due(soon, t0 + 1s, true));
}

TEST_F(WarningLogTest, a_changed_set_of_warnings_is_logged_at_once) {
  EXPECT_TRUE(log.due(soon, t0, false));
  const std::vector<CertificateWarning> both{CertificateWarning::expires_soon,
                                             CertificateWarning::crl_out_of_date};
  EXPECT_TRUE(log.due(both, t0 + 1min, false));
}

TEST_F(WarningLogTest, nothing_is_logged_without_warnings_and_a_returning_one_is_new) {
  EXPECT_FALSE(log.due({}, t0, true));
  EXPECT_TRUE(log.due(soon, t0 + 1s, false));
  EXPECT_FALSE(log.due({}, t0 + 2s, false));  // renewed: cleared
  EXPECT_TRUE(log.due(soon, t0 + 3s, false));
}

}  // namespace
}  // namespace gatelink::tls
