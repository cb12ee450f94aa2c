#include "signature/key_ring.hpp"

namespace gatelink::signature {

const PublicKey* KeyRing::signer_of(std::string_view message,
                                    std::span<const std::uint8_t> signature) const {
  if (signature.size() != kSignatureSize) return nullptr;
  for (const auto& key : keys_) {
    if (key.verifies(message, signature)) return &key;
  }
  return nullptr;
}

std::string KeyRing::fingerprints() const {
  std::string list;
  for (const auto& key : keys_) list += (list.empty() ? "" : ",") + key.fingerprint();
  return list;
}

}  // namespace gatelink::signature
