// The base64 of stored signatures: one spelling per value, anything else refused.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "signature/base64.hpp"

namespace gatelink::signature {
namespace {

std::vector<std::uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }

TEST(Base64, rfc4648_test_vectors_round_trip) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(bytes(plain)), encoded);
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, bytes(plain)) << encoded;
  }
}

TEST(Base64, every_byte_value_round_trips) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, non_canonical_or_malformed_text_is_refused) {
  for (const std::string text : {"Zg", "Zg=", "Zh==", "Zm9=", "Zm9v\n", " Zm9v", "Zm 9v",
                                 "Zm9v====", "Z===", "Zm-v", "Zm_v", "Zg==Zg==", "=Zm9"}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace gatelink::signature
