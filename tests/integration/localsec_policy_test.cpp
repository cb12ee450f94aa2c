// The two trust decisions on their own (agent/peer_credentials.hpp): whom the agent answers and
// whom gatelinkctl believes, for every kind of peer, without a second user on the machine.

#include <gtest/gtest.h>

#include "peer_credentials.hpp"

namespace gatelink {
namespace {

constexpr uid_t kAgentUser = 998;
constexpr gid_t kStatusGroup = 997;
constexpr uid_t kStaff = 1000;
constexpr gid_t kStaffGroup = 1000;

PeerCredentials peer(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
  return PeerCredentials{.pid = 4242, .uid = uid, .gid = gid, .groups = std::move(groups)};
}

TEST(StatusAccessPolicy, root_the_agent_user_and_group_gatelink_may_ask) {
  const StatusAccessPolicy policy{.agent_user = kAgentUser, .status_group = kStatusGroup};
  EXPECT_TRUE(policy.allows(peer(0, 0)));
  EXPECT_TRUE(policy.allows(peer(kAgentUser, kAgentUser)));
  EXPECT_TRUE(policy.allows(peer(kStaff, kStatusGroup))) << "primary group";
  EXPECT_TRUE(policy.allows(peer(kStaff, kStaffGroup, {kStaffGroup, 27, kStatusGroup})))
      << "supplementary group";
}

TEST(StatusAccessPolicy, anyone_else_is_refused) {
  const StatusAccessPolicy policy{.agent_user = kAgentUser, .status_group = kStatusGroup};
  EXPECT_FALSE(policy.allows(peer(kStaff, kStaffGroup, {kStaffGroup, 27})));
  EXPECT_FALSE(policy.allows(peer(65534, 65534)));
}

TEST(StatusAccessPolicy, without_group_gatelink_only_root_and_the_agent_user_may_ask) {
  const StatusAccessPolicy policy{.agent_user = kAgentUser, .status_group = std::nullopt};
  EXPECT_TRUE(policy.allows(peer(0, 0)));
  EXPECT_TRUE(policy.allows(peer(kAgentUser, kAgentUser)));
  EXPECT_FALSE(policy.allows(peer(kStaff, kStatusGroup, {kStatusGroup})));
}

TEST(ServerTrustPolicy, root_the_invoking_user_and_the_agent_user_are_believed) {
  const ServerTrustPolicy trust{
      .invoking_user = kStaff, .agent_user = kAgentUser, .agent_user_name = "gatelink"};
  EXPECT_TRUE(trust.trusts(peer(0, 0)));
  EXPECT_TRUE(trust.trusts(peer(kStaff, kStaffGroup)));
  EXPECT_TRUE(trust.trusts(peer(kAgentUser, kAgentUser)));
  EXPECT_FALSE(trust.trusts(peer(65534, 65534)));
  EXPECT_FALSE(trust.trusts(peer(1001, kStatusGroup))) << "group gatelink is no server's right";
}

TEST(ServerTrustPolicy, without_the_agent_user_only_root_and_the_invoking_user_are_believed) {
  const ServerTrustPolicy trust{
      .invoking_user = kStaff, .agent_user = std::nullopt, .agent_user_name = "gatelink"};
  EXPECT_TRUE(trust.trusts(peer(0, 0)));
  EXPECT_TRUE(trust.trusts(peer(kStaff, kStaffGroup)));
  EXPECT_FALSE(trust.trusts(peer(kAgentUser, kAgentUser)));
}

}  // namespace
}  // namespace gatelink
