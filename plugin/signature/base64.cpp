#include "signature/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace gatelink::signature {

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock ends with a NUL
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const auto is_digit = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  };
  const std::size_t body = text.find_last_not_of('=') + 1;
  const std::size_t padding = text.size() - body;
  if (text.empty()) return std::vector<std::uint8_t>{};
  if (padding > 2 || !std::all_of(text.begin(), text.begin() + static_cast<long>(body), is_digit)) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  // EVP_DecodeBlock keeps the padding's zero bytes: they are cut off below.
  if (EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size())) < 0) {
    return std::nullopt;
  }
  out.resize(out.size() - padding);
  // Canonical: the bits the padding leaves over are zero, so re-encoding gives `text` back.
  if (base64_encode(out) != text) return std::nullopt;
  return out;
}

}  // namespace gatelink::signature
