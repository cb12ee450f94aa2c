#include "signature/signing_key.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>

#include "signature/key_support.hpp"
#include "tls/key_permissions.hpp"

namespace gatelink::signature {
namespace {

/// The raw private key (the seed) of `key`, handed to SigningKey::from_seed().
Result<SigningKey> from_key(EVP_PKEY* key, std::string_view source);

}  // namespace

SigningKey::SigningKey(std::span<const std::uint8_t, kPublicKeySize> seed, PublicKey public_key)
    : public_(std::move(public_key)) {
  std::copy(seed.begin(), seed.end(), seed_.begin());
}

SigningKey::~SigningKey() { OPENSSL_cleanse(seed_.data(), seed_.size()); }

Result<SigningKey> SigningKey::generate() {
  detail::KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) {
    ERR_clear_error();
    return Error{"cannot make an Ed25519 key pair (OpenSSL's random generator failed)"};
  }
  return from_key(key.get(), "the new key");
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem, std::string_view source) {
  auto key = detail::read_ed25519(pem, source, detail::KeyKind::private_key);
  if (!key) return key.error();
  return from_key(key->get(), source);
}

Result<SigningKey> SigningKey::load(const std::string& path) {
  if (auto access = tls::check_private_key_permissions(path); !access) {
    return Error{"signing key file: " + access.error().message};
  }
  auto text = detail::read_key_file(path, "signing key file");
  if (!text) return text.error();
  auto key = from_pem(*text, "signing key file " + path);
  OPENSSL_cleanse(text->data(), text->size());
  return key;
}

Result<SigningKey> SigningKey::from_seed(std::span<const std::uint8_t, kPublicKeySize> seed) {
  detail::KeyPtr key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  std::array<std::uint8_t, kPublicKeySize> raw{};
  std::size_t size = raw.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), raw.data(), &size) != 1 ||
      size != raw.size()) {
    ERR_clear_error();
    return Error{"the Ed25519 private key cannot be used"};
  }
  return SigningKey(seed, PublicKey::from_raw(raw));
}

std::vector<std::uint8_t> SigningKey::sign(std::string_view message) const {
  std::vector<std::uint8_t> signature(kSignatureSize);
  detail::KeyPtr key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size()));
  detail::MdContextPtr context(EVP_MD_CTX_new());
  std::size_t size = signature.size();
  if (!key || !context ||
      EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(context.get(), signature.data(), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      size != kSignatureSize) {
    // Only out of memory gets here; an empty signature is never a valid one.
    ERR_clear_error();
    return {};
  }
  return signature;
}

std::string SigningKey::pem() const {
  detail::KeyPtr key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size()));
  return key ? detail::write_pem(key.get(), detail::KeyKind::private_key) : std::string{};
}

namespace {

Result<SigningKey> from_key(EVP_PKEY* key, std::string_view source) {
  std::array<std::uint8_t, kPublicKeySize> seed{};
  std::size_t size = seed.size();
  if (EVP_PKEY_get_raw_private_key(key, seed.data(), &size) != 1 || size != seed.size()) {
    ERR_clear_error();
    return Error{std::string(source) + ": the Ed25519 key cannot be read"};
  }
  auto pair = SigningKey::from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return pair;
}

}  // namespace
}  // namespace gatelink::signature
