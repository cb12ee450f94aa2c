// Private key files: refused when group or others have any access, as ssh refuses them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tls/key_permissions.hpp"
#include "unit/tls_test_support.hpp"

namespace gatelink::tls {
namespace {

using test::ScratchCopy;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr auto kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

/// The check's verdict on a copy of agent.key with the given mode: "ok" or the error.
std::string verdict_for_mode(fs::perms mode) {
  const ScratchCopy key("agent.key");
  key.set_mode(mode);
  const auto status = check_private_key_permissions(key.path());
  return status ? "ok" : status.error().message;
}

TEST(KeyPermissions, owner_only_key_is_accepted) {
  EXPECT_EQ(verdict_for_mode(kOwnerOnly), "ok");
  EXPECT_EQ(verdict_for_mode(fs::perms::owner_read), "ok");
}

TEST(KeyPermissions, world_readable_key_is_refused_like_ssh) {
  const std::string verdict =
      verdict_for_mode(kOwnerOnly | fs::perms::group_read | fs::perms::others_read);
  EXPECT_THAT(verdict, HasSubstr("UNPROTECTED PRIVATE KEY FILE: "));
  EXPECT_THAT(verdict, HasSubstr("agent.key has mode 0644"));
  EXPECT_THAT(verdict, HasSubstr("chmod 600"));
}

TEST(KeyPermissions, group_readable_key_is_refused) {
  EXPECT_THAT(verdict_for_mode(kOwnerOnly | fs::perms::group_read), HasSubstr("mode 0640"));
}

TEST(KeyPermissions, any_bit_for_group_or_others_is_refused) {
  EXPECT_THAT(verdict_for_mode(kOwnerOnly | fs::perms::others_exec), HasSubstr("mode 0601"));
  EXPECT_THAT(verdict_for_mode(kOwnerOnly | fs::perms::group_write), HasSubstr("mode 0620"));
}

TEST(KeyPermissions, folder_is_not_a_key_file) {
  const ScratchCopy key("agent.key");
  const auto status = check_private_key_permissions(key.folder());
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("not a regular file"));
}

TEST(KeyPermissions, missing_key_file_is_named) {
  const auto status = check_private_key_permissions("/nonexistent/agent.key");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("/nonexistent/agent.key"));
}

TEST(KeyPermissions, test_pki_keys_are_protected) {
  EXPECT_TRUE(check_private_key_permissions(test::pki("agent.key")).ok());
  EXPECT_TRUE(check_private_key_permissions(test::pki("ca.key")).ok());
}

}  // namespace
}  // namespace gatelink::tls
