// The gateway's side of the handshake: it accepts an agent only with a clientAuth certificate
// from its CA, and says why it refused one.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tls/certificate_info.hpp"
#include "tls/peer_verification.hpp"
#include "unit/tls_test_support.hpp"

namespace gatelink::tls {
namespace {

using test::gateway_verdict;
using test::prepare;
using test::VerdictCase;
using ::testing::HasSubstr;

/// What the gateway says about the agent.
const VerdictCase kAgentCases[] = {
    {"valid_agent_is_accepted", {}, "accepted"},
    {"agent_from_another_ca_is_refused_as_untrusted", {.agent = "agent-other-ca"}, "untrusted"},
    {"server_auth_only_agent_is_refused_as_wrong_purpose",
     {.agent = "agent-wrong-eku"},
     "wrong-purpose"},
    {"gateway_certificate_cannot_log_in_as_agent", {.agent = "gw2"}, "wrong-purpose"},
    {"expired_agent_is_refused_as_expired", {.agent = "agent-expired"}, "expired"},
    {"revoked_agent_is_refused_when_gateway_has_crl",
     {.agent = "agent-revoked", .gateway_crl = "ca.crl"},
     "revoked"},
    {"revoked_agent_is_accepted_without_crl", {.agent = "agent-revoked"}, "accepted"},
};

class AgentVerification : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(AgentVerification, gateway_gives_the_expected_verdict) {
  EXPECT_EQ(gateway_verdict(GetParam().link), GetParam().verdict);
}

INSTANTIATE_TEST_SUITE_P(Tls, AgentVerification, ::testing::ValuesIn(kAgentCases), test::case_name);

TEST(AgentConnection, accepted_agent_is_identified_by_its_certificate_names) {
  const auto pair = prepare({});
  ASSERT_TRUE(pair);
  pair->run();
  ASSERT_TRUE(pair->server_outcome().ok);
  const auto identities = certificate_identities(SSL_get0_peer_certificate(pair->server()));
  EXPECT_TRUE(identity_matches(identities, "agent1.example.test"));
  EXPECT_FALSE(identity_matches(identities, "agent2.example.test"));
}

TEST(AgentConnection, agent_without_certificate_is_refused) {
  const auto pair = prepare({});
  ASSERT_TRUE(pair);
  SSL_certs_clear(pair->client());
  pair->run();
  EXPECT_FALSE(pair->server_outcome().ok);
  EXPECT_EQ(pair->server_outcome().reason, "no-certificate");
  EXPECT_EQ(pair->client_outcome().reason, "refused-by-peer");
}

TEST(AgentConnection, refused_agent_learns_it_was_refused) {
  const auto pair = prepare({.agent = "agent-other-ca"});
  ASSERT_TRUE(pair);
  pair->run();
  EXPECT_FALSE(pair->client_outcome().ok);
  EXPECT_EQ(pair->client_outcome().reason, "refused-by-peer");
}

TEST(AgentConnection, rejection_log_names_the_peer_by_its_label) {
  const test::CapturedLog log;
  const std::string label = "198.51.100.7:40001";  // outlives the pair's streams
  const auto pair = prepare({.agent = "agent-expired"});
  ASSERT_TRUE(pair);
  ASSERT_TRUE(set_peer_label(pair->server(), label));
  pair->run();
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("event=certificate-rejected peer=198.51.100.7:40001 reason=expired "
                                  "subject=\"CN=agent1.example.test\""));
}

}  // namespace
}  // namespace gatelink::tls
