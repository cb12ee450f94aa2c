// The management group's Ed25519 keys: signatures as RFC 8032 defines them, PEM files as
// gatelink-mg keygen and the openssl command write them, and every key file that is refused.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "signature/public_key.hpp"
#include "signature/signing_key.hpp"

namespace gatelink::signature {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

/// RFC 8032 section 7.1, tests 1 and 2: seed, public key, message, signature.
struct Vector {
  std::string_view seed, public_key, message, signature;
};
constexpr Vector kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "4"
     "6bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d"
     "8c387b2eaeb4302aeeb00d291612bb0c00"},
};

SigningKey key_of(std::string_view seed_hex) {
  const auto seed = from_hex(seed_hex);
  auto key = SigningKey::from_seed(std::span<const std::uint8_t, kPublicKeySize>(seed.data(), 32));
  EXPECT_TRUE(key.ok());
  return *key;
}

/// A scratch folder, removed with everything in it.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern = (fs::temp_directory_path() / "gatelink-signature-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~ScratchFolder() { fs::remove_all(path_); }
  /// Writes `name` with `contents` and `mode`; returns its path.
  std::string write(const std::string& name, const std::string& contents,
                    mode_t mode = 0600) const {
    const auto file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << contents;
    ::chmod(file.c_str(), mode);
    return file;
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

/// Runs a shell command in `folder`; true when it exits 0.
bool run(const std::string& command) { return std::system(command.c_str()) == 0; }

TEST(SignatureKey, signatures_match_rfc8032_test_vectors) {
  for (const auto& v : kRfc8032) {
    const SigningKey key = key_of(v.seed);
    const auto raw = key.public_key().raw();
    EXPECT_EQ(std::vector<std::uint8_t>(raw.begin(), raw.end()), from_hex(v.public_key));
    const auto message_bytes = from_hex(v.message);
    const std::string message(message_bytes.begin(), message_bytes.end());
    EXPECT_EQ(key.sign(message), from_hex(v.signature));
    EXPECT_TRUE(key.public_key().verifies(message, from_hex(v.signature)));
  }
}

TEST(SignatureKey, any_changed_byte_fails_verification) {
  const SigningKey key = key_of(kRfc8032[1].seed);
  const std::string document = "<topology generation=\"7\"/>";
  const auto signature = key.sign(document);
  ASSERT_EQ(signature.size(), kSignatureSize);
  EXPECT_TRUE(key.public_key().verifies(document, signature));
  for (std::size_t i = 0; i < document.size(); ++i) {
    std::string changed = document;
    changed[i] ^= 0x01;
    EXPECT_FALSE(key.public_key().verifies(changed, signature)) << "byte " << i;
  }
  for (std::size_t i = 0; i < signature.size(); ++i) {
    auto changed = signature;
    changed[i] ^= 0x80;
    EXPECT_FALSE(key.public_key().verifies(document, changed)) << "signature byte " << i;
  }
  EXPECT_FALSE(key.public_key().verifies(document + " ", signature));
  EXPECT_FALSE(key.public_key().verifies(document, {}));
  EXPECT_FALSE(key.public_key().verifies(
      document, std::span<const std::uint8_t>(signature.data(), signature.size() - 1)));
  EXPECT_FALSE(key_of(kRfc8032[0].seed).public_key().verifies(document, signature));
}

TEST(SignatureKey, generated_keys_differ_and_round_trip_through_pem) {
  auto a = SigningKey::generate();
  auto b = SigningKey::generate();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->public_key(), b->public_key());
  EXPECT_NE(a->public_key().fingerprint(), b->public_key().fingerprint());

  auto again = SigningKey::from_pem(a->pem(), "private");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->public_key(), a->public_key());
  auto pub = PublicKey::from_pem(a->public_key().pem(), "public");
  ASSERT_TRUE(pub.ok()) << pub.error().message;
  EXPECT_EQ(*pub, a->public_key());
  EXPECT_TRUE(pub->verifies("x", a->sign("x")));
  // PKCS#8, unencrypted: the block label is built here so that no key header stands in the tree.
  EXPECT_THAT(a->pem(), HasSubstr(std::string("-----BEGIN ") + "PRIVATE" + " KEY-----"));
  EXPECT_THAT(a->public_key().pem(), HasSubstr("-----BEGIN PUBLIC KEY-----"));
}

TEST(SignatureKey, fingerprint_is_sha256_of_the_raw_key_in_base64) {
  // printf d75a...511a | xxd -r -p | openssl dgst -sha256 -binary | base64
  const SigningKey key = key_of(kRfc8032[0].seed);
  EXPECT_EQ(key.public_key().fingerprint(), "SHA256:If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XIbk");
}

TEST(SignatureKey, keys_made_by_the_openssl_command_load) {
  const ScratchFolder folder;
  const auto priv = folder.path("mg.key");
  const auto pub = folder.path("mg.pub");
  ASSERT_TRUE(run("openssl genpkey -algorithm ed25519 -out '" + priv +
                  "' 2>/dev/null && chmod 600 '" + priv + "' && openssl pkey -in '" + priv +
                  "' -pubout -out '" + pub + "'"));
  auto key = SigningKey::load(priv);
  ASSERT_TRUE(key.ok()) << key.error().message;
  auto pinned = PublicKey::load(pub);
  ASSERT_TRUE(pinned.ok()) << pinned.error().message;
  EXPECT_EQ(*pinned, key->public_key());

  // And what we sign, the openssl command verifies.
  const auto message = folder.write("doc.xml", "<topology/>\n");
  const auto signature = key->sign("<topology/>\n");
  folder.write("doc.sig", std::string(signature.begin(), signature.end()));
  EXPECT_TRUE(run("openssl pkeyutl -verify -pubin -inkey '" + pub + "' -rawin -in '" + message +
                  "' -sigfile '" + folder.path("doc.sig") + "' >/dev/null"));
}

TEST(SignatureKey, exposed_signing_key_file_is_refused) {
  const ScratchFolder folder;
  auto key = SigningKey::generate();
  ASSERT_TRUE(key.ok());
  const auto path = folder.write("mg.key", key->pem(), 0644);
  const auto loaded = SigningKey::load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error().message, HasSubstr("UNPROTECTED PRIVATE KEY FILE"));
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(SigningKey::load(path).ok());
}

TEST(SignatureKey, wrong_key_files_are_refused_with_the_reason) {
  const ScratchFolder folder;
  auto key = SigningKey::generate();
  ASSERT_TRUE(key.ok());
  const std::string priv = key->pem();
  const std::string pub = key->public_key().pem();
  ASSERT_TRUE(run("openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out '" +
                  folder.path("ec.key") + "' 2>/dev/null && openssl pkey -in '" +
                  folder.path("ec.key") + "' -pubout -out '" + folder.path("ec.pub") +
                  "' && openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:secret -out '" +
                  folder.path("enc.key") + "' 2>/dev/null && chmod 600 '" + folder.path("ec.key") +
                  "' '" + folder.path("enc.key") + "'"));

  const auto public_error = [](const std::string& path) {
    auto loaded = PublicKey::load(path);
    return loaded ? std::string("loaded") : loaded.error().message;
  };
  const auto private_error = [](const std::string& path) {
    auto loaded = SigningKey::load(path);
    return loaded ? std::string("loaded") : loaded.error().message;
  };
  EXPECT_THAT(public_error(folder.path("missing.pub")), HasSubstr("cannot open"));
  EXPECT_THAT(public_error(folder.write("priv-as-pub", priv)),
              HasSubstr("does not hold an Ed25519 public key"));
  EXPECT_THAT(public_error(folder.path("ec.pub")), HasSubstr("another algorithm"));
  EXPECT_THAT(public_error(folder.write("two.pub", pub + pub)),
              HasSubstr("more than one PEM block"));
  EXPECT_THAT(public_error(folder.write("junk.pub", pub + "junk\n")),
              HasSubstr("more than one PEM block"));
  EXPECT_THAT(public_error(folder.write("empty.pub", "")), HasSubstr("does not hold"));
  EXPECT_THAT(public_error(folder.write("big.pub", std::string(20000, 'A'))),
              HasSubstr("not a key file"));
  EXPECT_EQ(public_error(folder.write("crlf.pub", pub + "\r\n")), "loaded");

  EXPECT_THAT(private_error(folder.write("pub-as-priv", pub)),
              HasSubstr("does not hold an Ed25519 private key"));
  EXPECT_THAT(private_error(folder.path("ec.key")), HasSubstr("another algorithm"));
  EXPECT_THAT(private_error(folder.path("enc.key")), HasSubstr("unencrypted"));
}

}  // namespace
}  // namespace gatelink::signature
