#pragma once
// The management group's Ed25519 private key, with which gatelink-mg signs each agent's
// topology document. Held by the management group only: gateways never need it.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "signature/public_key.hpp"

namespace gatelink::signature {

class SigningKey {
 public:
  /// A new key pair from OpenSSL's random generator.
  static Result<SigningKey> generate();
  /// The Ed25519 private key of the PEM file `path` (PKCS#8 PEM, unencrypted,
  /// as `gatelink-mg keygen` and `openssl genpkey -algorithm ed25519` write it). A file that
  /// group or others may access is refused, as for TLS keys. Errors name the file.
  static Result<SigningKey> load(const std::string& path);
  /// The Ed25519 private key of PEM text; `source` names it in errors. No permission check.
  static Result<SigningKey> from_pem(std::string_view pem, std::string_view source);
  /// The key pair of a raw 32-byte Ed25519 private key (RFC 8032's seed).
  static Result<SigningKey> from_seed(std::span<const std::uint8_t, kPublicKeySize> seed);

  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;
  ~SigningKey();

  /// The Ed25519 signature (kSignatureSize bytes) of exactly `message`.
  std::vector<std::uint8_t> sign(std::string_view message) const;
  const PublicKey& public_key() const { return public_; }
  /// The private key as a PKCS#8 PEM block.
  std::string pem() const;

 private:
  SigningKey(std::span<const std::uint8_t, kPublicKeySize> seed, PublicKey public_key);

  std::array<std::uint8_t, kPublicKeySize> seed_{};  ///< the raw private key
  PublicKey public_;
};

}  // namespace gatelink::signature
