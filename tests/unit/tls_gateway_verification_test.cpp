// The agent's side of the handshake: which gateway certificates it accepts, and the reason it
// gives for each one it refuses. Every refused certificate differs from gw1 in one respect only,
// so each case fails if the check it names were missing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tls/client_stream.hpp"
#include "unit/tls_test_support.hpp"

namespace gatelink::tls {
namespace {

using test::agent_verdict;
using test::prepare;
using test::VerdictCase;
using ::testing::HasSubstr;

/// What the agent says about the gateway.
const VerdictCase kGatewayCases[] = {
    {"valid_gateway_is_accepted", {}, "accepted"},
    {"expired_gateway_is_refused_as_expired", {.gateway = "gw-expired"}, "expired"},
    {"not_yet_valid_gateway_is_refused", {.gateway = "gw-not-yet-valid"}, "not-yet-valid"},
    {"client_auth_only_gateway_is_refused_as_wrong_purpose",
     {.gateway = "gw-wrong-eku"},
     "wrong-purpose"},
    {"gateway_without_extended_key_usage_is_refused_as_wrong_purpose",
     {.gateway = "gw-no-eku"},
     "wrong-purpose"},
    {"wrong_hostname_is_refused_as_name_mismatch", {.gateway = "gw-wrong-name"}, "name-mismatch"},
    {"another_gateways_certificate_is_refused_as_name_mismatch",
     {.gateway = "gw2"},
     "name-mismatch"},
    {"another_gateway_is_accepted_under_its_own_name",
     {.gateway = "gw2", .expected_name = "gw2.example.test"},
     "accepted"},
    {"gateway_from_another_ca_is_refused_as_untrusted", {.gateway = "gw-other-ca"}, "untrusted"},
    {"revoked_gateway_is_refused_when_crl_is_configured",
     {.agent_crl = "ca.crl", .gateway = "gw-revoked"},
     "revoked"},
    {"revoked_gateway_is_accepted_without_crl", {.gateway = "gw-revoked"}, "accepted"},
    {"valid_gateway_is_accepted_with_crl", {.agent_crl = "ca.crl"}, "accepted"},
    {"outdated_crl_refuses_every_gateway_as_crl_expired",
     {.agent_crl = "ca-expired.crl"},
     "crl-expired"},
    {"ip_literal_is_matched_against_san_ip", {.expected_name = "127.0.0.1"}, "accepted"},
    {"other_ip_is_refused_as_name_mismatch", {.expected_name = "127.0.0.2"}, "name-mismatch"},
    {"ip_is_not_matched_without_ip_san",
     {.gateway = "gw-wrong-name", .expected_name = "127.0.0.1"},
     "name-mismatch"},
};

class GatewayVerification : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(GatewayVerification, agent_gives_the_expected_verdict) {
  EXPECT_EQ(agent_verdict(GetParam().link), GetParam().verdict);
}

INSTANTIATE_TEST_SUITE_P(Tls, GatewayVerification, ::testing::ValuesIn(kGatewayCases),
                         test::case_name);

/// The protocol version both sides agree on when the gateway offers at most `gateway_max`
/// (0: no limit); 0 if either side failed.
int negotiated_version(int gateway_max) {
  const auto pair = prepare({});
  if (!pair) {
    return 0;
  }
  if (gateway_max != 0) {
    SSL_set_max_proto_version(pair->server(), gateway_max);
  }
  pair->run();
  const bool both_ok = pair->client_outcome().ok && pair->server_outcome().ok;
  return both_ok ? SSL_version(pair->client()) : 0;
}

TEST(GatewayConnection, tls13_is_preferred_and_tls12_accepted) {
  EXPECT_EQ(negotiated_version(0), TLS1_3_VERSION);
  EXPECT_EQ(negotiated_version(TLS1_2_VERSION), TLS1_2_VERSION);
}

TEST(GatewayConnection, sni_carries_the_expected_name) {
  const auto pair = prepare({});
  ASSERT_TRUE(pair);
  pair->run();
  const char* sni = SSL_get_servername(pair->server(), TLSEXT_NAMETYPE_host_name);
  ASSERT_NE(sni, nullptr);
  EXPECT_STREQ(sni, "gw1.example.test");
}

TEST(GatewayConnection, ip_literal_sends_no_sni) {
  const auto pair = prepare({.expected_name = "127.0.0.1"});
  ASSERT_TRUE(pair);
  pair->run();
  EXPECT_TRUE(pair->client_outcome().ok);
  EXPECT_EQ(SSL_get_servername(pair->server(), TLSEXT_NAMETYPE_host_name), nullptr);
}

TEST(GatewayConnection, stream_is_not_prepared_without_name_or_on_server_side) {
  const auto pair = prepare({});
  ASSERT_TRUE(pair);
  EXPECT_FALSE(prepare_client_stream(pair->client(), "").ok());
  EXPECT_FALSE(prepare_client_stream(pair->server(), "gw1.example.test").ok());
}

TEST(GatewayConnection, rejection_is_logged_once_with_peer_and_reason) {
  const test::CapturedLog log;
  EXPECT_EQ(agent_verdict({.gateway = "gw-expired"}), "expired");
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("event=certificate-rejected peer=gw1.example.test reason=expired "
                                  "subject=\"CN=gw1.example.test\" depth=0"));
}

}  // namespace
}  // namespace gatelink::tls
