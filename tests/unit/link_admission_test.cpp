// The agent's decision on the plaintext admission frame before TLS (plugin/link/admission.hpp).

#include <gtest/gtest.h>

#include <chrono>

#include "link/admission.hpp"

namespace gatelink::link {
namespace {

using namespace std::chrono_literals;
using Kind = AdmissionDecision::Kind;

TEST(Admission, only_an_admit_leads_to_the_handshake) {
  EXPECT_EQ(decide_admission(codec::Admit{}, 30s).kind, Kind::handshake);
  const auto welcome = decide_admission(codec::Welcome{}, 30s);
  EXPECT_EQ(welcome.kind, Kind::refused);
  EXPECT_EQ(welcome.detail, "expected admit or goodbye, got welcome");
}

TEST(Admission, a_busy_gateway_is_honoured_within_the_agents_bound) {
  const auto soon = decide_admission(codec::Goodbye{"busy", 5000}, 30s);
  EXPECT_EQ(soon.kind, Kind::goodbye);
  EXPECT_EQ(soon.goodbye, (codec::Goodbye{"busy", 5000}));
  EXPECT_EQ(decide_admission(codec::Goodbye{"busy", 86400000}, 30s).goodbye.retry_after_ms, 30000U);
  EXPECT_EQ(decide_admission(codec::Goodbye{"busy", 1000}, 0s).goodbye.retry_after_ms, 0U);
  EXPECT_EQ(decide_admission(codec::Goodbye{"busy", 1000}, -1s).goodbye.retry_after_ms, 0U)
      << "a bound below zero is zero";
}

}  // namespace
}  // namespace gatelink::link
