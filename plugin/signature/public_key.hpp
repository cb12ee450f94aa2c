#pragma once
// A management group's Ed25519 public key: what an agent pins to check the topology documents
// its gateways relay (DESIGN "Topology", signed topology).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace gatelink::signature {

/// Bytes of an Ed25519 public key, and of a signature.
inline constexpr std::size_t kPublicKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;

class PublicKey {
 public:
  /// The Ed25519 key of the PEM file `path` ("BEGIN PUBLIC KEY", as `gatelink-mg keygen` and
  /// `openssl pkey -pubout` write it). Errors name the file.
  static Result<PublicKey> load(const std::string& path);
  /// The Ed25519 key of PEM text; `source` names it in errors.
  static Result<PublicKey> from_pem(std::string_view pem, std::string_view source);
  static PublicKey from_raw(std::span<const std::uint8_t, kPublicKeySize> raw);

  /// Whether `signature` is this key's Ed25519 signature of exactly `message`.
  bool verifies(std::string_view message, std::span<const std::uint8_t> signature) const;

  /// "SHA256:" and the unpadded base64 of the SHA-256 of the raw key: how logs, status and
  /// stored files name the key (the same for the private key's file).
  const std::string& fingerprint() const { return fingerprint_; }
  /// The key as a PEM "PUBLIC KEY" block.
  std::string pem() const;
  const std::array<std::uint8_t, kPublicKeySize>& raw() const { return raw_; }

  friend bool operator==(const PublicKey& a, const PublicKey& b) { return a.raw_ == b.raw_; }

 private:
  explicit PublicKey(std::span<const std::uint8_t, kPublicKeySize> raw);

  std::array<std::uint8_t, kPublicKeySize> raw_{};
  std::string fingerprint_;
};

}  // namespace gatelink::signature
