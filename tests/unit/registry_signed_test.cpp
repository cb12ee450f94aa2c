// Signed entries: with a key in store.xml every document set-parent issues is signed over its
// exact bytes; a key that does not load refuses (init and set-parent alike) and leaves the store
// as it was; entries that older builds wrote are still read, and entries whose document or
// signature is malformed or another agent's are errors naming the file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "registry_test_support.hpp"
#include "signature/base64.hpp"

namespace gatelink {
namespace {

namespace fs = std::filesystem;
using test::parent_request;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::uint64_t kSignedEpoch = 1'790'000'000;

class RegistrySigned : public test::RegistryTest {
 protected:
  fs::path key_path() const { return store() / "mg.key"; }
  /// init() that must succeed, with a key written at key_path().
  signature::SigningKey init_signed() {
    auto key = test::write_signing_key(key_path());
    auto initialised = registry_.init(
        {.management_group = "EXAMPLE", .epoch = kSignedEpoch, .signing_key = key_path().string()});
    EXPECT_TRUE(initialised) << initialised.error().message;
    return key;
  }
};

TEST_F(RegistrySigned, a_signed_entry_verifies_over_exactly_the_stored_document) {
  const auto key = init_signed();
  const auto written = set(parent_request("web01", std::nullopt, "gw1", {"gw2"}));
  EXPECT_EQ(written.issued.topology.epoch, kSignedEpoch);
  EXPECT_EQ(written.issued.topology.generation, 1u);
  EXPECT_EQ(written.stored.key, key.public_key().fingerprint());

  // What a gateway reads back and pushes: the document bytes of the file, and its signature.
  auto file = parse_stored_topology(test::read_file(agent_file("web01")), "web01.xml");
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->document, written.stored.document);
  EXPECT_EQ(file->signature, written.stored.signature);
  EXPECT_TRUE(key.public_key().verifies(file->document, file->signature));
  auto changed = file->document;
  changed.back() = changed.back() == '\n' ? ' ' : '\n';
  EXPECT_FALSE(key.public_key().verifies(changed, file->signature));
  auto other = signature::SigningKey::generate();
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->public_key().verifies(file->document, file->signature));
  EXPECT_EQ(stored("web01"), written);
}

TEST_F(RegistrySigned, without_a_key_entries_are_unsigned) {
  ASSERT_TRUE(registry_.init({.management_group = "EXAMPLE", .epoch = kSignedEpoch}));
  const auto written = set(parent_request("web01", std::nullopt, "gw1"));
  EXPECT_EQ(written.issued.topology.epoch, kSignedEpoch);
  EXPECT_TRUE(written.stored.signature.empty());
  EXPECT_TRUE(written.stored.key.empty());
  EXPECT_THAT(test::read_file(agent_file("web01")), Not(HasSubstr("<signature")));
}

TEST_F(RegistrySigned, a_key_that_does_not_load_refuses_set_parent) {
  init_signed();
  set(parent_request("web01", std::nullopt, "gw1"));
  fs::permissions(key_path(), fs::perms::group_read, fs::perm_options::add);
  expect_refused(parent_request("web01", std::nullopt, "gw2"), key_path().string());
  fs::permissions(key_path(), fs::perms::group_read, fs::perm_options::remove);
  test::write_file(key_path(), "not a key");
  fs::permissions(key_path(), fs::perms::owner_read | fs::perms::owner_write);
  expect_refused(parent_request("web01", std::nullopt, "gw2"), key_path().string());
  fs::remove(key_path());
  expect_refused(parent_request("web02", std::nullopt, "gw2"), key_path().string());
}

TEST_F(RegistrySigned, init_refuses_a_key_that_does_not_load) {
  const auto missing = (store() / "missing.key").string();
  expect_init_refused(
      {.management_group = "EXAMPLE", .epoch = kSignedEpoch, .signing_key = missing}, missing);
  test::write_signing_key(key_path(),
                          fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  expect_init_refused(
      {.management_group = "EXAMPLE", .epoch = kSignedEpoch, .signing_key = key_path().string()},
      key_path().string());
  fs::permissions(key_path(), fs::perms::others_read, fs::perm_options::remove);
  expect_init_refused(
      {.management_group = "EXAMPLE", .epoch = kSignedEpoch, .signing_key = "mg.key"},
      "is not an absolute path");
  EXPECT_FALSE(fs::exists(store() / ".lock"));
  EXPECT_TRUE(registry_.init(
      {.management_group = "EXAMPLE", .epoch = kSignedEpoch, .signing_key = key_path().string()}));
}

TEST_F(RegistrySigned, init_refuses_an_epoch_nothing_could_follow) {
  expect_init_refused({.management_group = "EXAMPLE", .epoch = 0}, "epoch 0");
  expect_init_refused(
      {.management_group = "EXAMPLE", .epoch = std::numeric_limits<std::uint64_t>::max()},
      "is reserved");
}

TEST_F(RegistrySigned, a_legacy_entry_is_read_and_issued_again_by_set_parent) {
  write_legacy_entry("web01", 7);
  const auto legacy = stored("web01");
  EXPECT_TRUE(legacy.legacy());
  EXPECT_EQ(legacy.issued.agent, "web01");
  EXPECT_EQ(legacy.issued.topology.epoch, 0u);
  EXPECT_EQ(legacy.issued.topology.generation, 7u);
  EXPECT_EQ(legacy.issued.issued_at, test::sample_time(7));  // its received-at
  EXPECT_EQ(legacy.issued.topology.primary, test::sample_topology().topology.primary);

  // Without store.xml its generations go on in epoch 0; with one, generation 1 in its epoch.
  EXPECT_EQ(generation_of(parent_request("web01", std::nullopt, "gw1")), 8u);
  write_legacy_entry("web02", 7);
  const auto key = init_signed();
  const auto issued = set(parent_request("web02", std::nullopt, "gw1"));
  EXPECT_EQ(issued.issued.topology.epoch, kSignedEpoch);
  EXPECT_EQ(issued.issued.topology.generation, 1u);
  EXPECT_TRUE(key.public_key().verifies(issued.stored.document, issued.stored.signature));
}

TEST_F(RegistrySigned, an_entry_that_cannot_be_used_is_an_error_naming_its_file) {
  init_signed();
  set(parent_request("web01", std::nullopt, "gw1"));
  const auto good = test::read_file(agent_file("web01"));
  const auto path = agent_file("web01").string();
  const auto fingerprint = stored("web01").stored.key;
  const auto signature_text = signature::base64_encode(stored("web01").stored.signature);
  for (const auto& [text, expected] : std::initializer_list<std::pair<std::string, std::string>>{
           {test::replaced(good, "agent=\"web01\"", "agent=\"web02\""),
            "issued for agent \"web02\", not web01"},
           {test::replaced(good, "<primary", "<primry"), path + " <document>:"},
           {test::replaced(good, fingerprint, "SHA256:short"), "is not a key fingerprint"},
           {test::replaced(good, signature_text, "AAAA"), "expected 64 bytes in base64"},
           {test::replaced(good, "<document>", "<document><![CDATA[]]></document><document>"),
            "unexpected"}}) {
    test::write_file(agent_file("web01"), text);
    auto entry = registry_.get("web01");
    ASSERT_FALSE(entry) << text;
    EXPECT_THAT(entry.error().message, HasSubstr(path)) << text;
    EXPECT_THAT(entry.error().message, HasSubstr(expected)) << text;
    // Never taken for "none": set-parent refuses rather than start again.
    expect_refused(parent_request("web01", std::nullopt, "gw2"), path);
  }
}

}  // namespace
}  // namespace gatelink
