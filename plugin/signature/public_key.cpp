#include "signature/public_key.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>

#include "signature/base64.hpp"
#include "signature/key_support.hpp"

namespace gatelink::signature {

namespace {

std::string fingerprint_of(std::span<const std::uint8_t, kPublicKeySize> raw) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(raw.data(), raw.size(), digest.data(), &size, EVP_sha256(), nullptr);
  std::string text = base64_encode(std::span(digest.data(), size));
  text.erase(text.find_last_not_of('=') + 1);
  return "SHA256:" + text;
}

}  // namespace

PublicKey::PublicKey(std::span<const std::uint8_t, kPublicKeySize> raw)
    : fingerprint_(fingerprint_of(raw)) {
  std::copy(raw.begin(), raw.end(), raw_.begin());
}

PublicKey PublicKey::from_raw(std::span<const std::uint8_t, kPublicKeySize> raw) {
  return PublicKey(raw);
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem, std::string_view source) {
  auto key = detail::read_ed25519(pem, source, detail::KeyKind::public_key);
  if (!key) return key.error();
  std::array<std::uint8_t, kPublicKeySize> raw{};
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(key->get(), raw.data(), &size) != 1 || size != raw.size()) {
    ERR_clear_error();
    return Error{std::string(source) + ": the Ed25519 key cannot be read"};
  }
  return PublicKey(raw);
}

Result<PublicKey> PublicKey::load(const std::string& path) {
  auto text = detail::read_key_file(path, "public key file");
  if (!text) return text.error();
  return from_pem(*text, "public key file " + path);
}

bool PublicKey::verifies(std::string_view message, std::span<const std::uint8_t> signature) const {
  if (signature.size() != kSignatureSize) return false;
  detail::KeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  detail::MdContextPtr context(EVP_MD_CTX_new());
  const bool good =
      key && context &&
      EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  ERR_clear_error();
  return good;
}

std::string PublicKey::pem() const {
  detail::KeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  return key ? detail::write_pem(key.get(), detail::KeyKind::public_key) : std::string{};
}

}  // namespace gatelink::signature
