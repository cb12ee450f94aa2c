#pragma once
// The management group's public keys an agent pins (<management-group-keys>): one in normal
// times, two while a key rotation is under way. A document counts as signed when any of them
// verifies its signature.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signature/public_key.hpp"

namespace gatelink::signature {

class KeyRing {
 public:
  KeyRing() = default;
  explicit KeyRing(std::vector<PublicKey> keys) : keys_(std::move(keys)) {}

  /// The pinned key whose signature `signature` is over exactly `message`; null when none is.
  const PublicKey* signer_of(std::string_view message,
                             std::span<const std::uint8_t> signature) const;

  /// No key pinned: signatures are not checked.
  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }
  const std::vector<PublicKey>& keys() const { return keys_; }
  /// The keys' fingerprints, comma-separated, for logs.
  std::string fingerprints() const;

 private:
  std::vector<PublicKey> keys_;
};

}  // namespace gatelink::signature
