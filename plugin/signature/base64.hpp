#pragma once
// Base64 (RFC 4648, with padding) for the signatures that stored topology files carry.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gatelink::signature {

/// `bytes` in base64 with padding, no line breaks.
std::string base64_encode(std::span<const std::uint8_t> bytes);

/// The bytes of canonical base64 `text` (padding required, no white space, no bits left over):
/// nullopt for anything else, so one value has exactly one spelling.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace gatelink::signature
