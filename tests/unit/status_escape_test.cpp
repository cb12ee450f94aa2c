// Peer strings are data: escaped() and printable() keep control characters, bidi overrides and
// invalid UTF-8 out of log lines and terminals (DESIGN "Who may reach what").

#include <gtest/gtest.h>

#include <string>

#include "common/escape.hpp"

namespace gatelink {
namespace {

TEST(Escape, a_plain_word_stays_as_it_is) {
  EXPECT_EQ(escaped("gw1.example.test@127.0.0.1:5723"), "gw1.example.test@127.0.0.1:5723");
  EXPECT_EQ(escaped("goodbye:busy"), "goodbye:busy");
}

TEST(Escape, anything_else_is_quoted_and_escaped) {
  EXPECT_EQ(escaped(""), "\"\"");
  EXPECT_EQ(escaped("two words"), "\"two words\"");
  EXPECT_EQ(escaped("a=b"), "\"a=b\"");  // would read as another field
  EXPECT_EQ(escaped("say \"hi\""), "\"say \\\"hi\\\"\"");
}

TEST(Escape, no_peer_can_forge_a_log_line) {
  const std::string forged = escaped("busy\n2026-12-01T00:00:00.000Z info event=failover to=evil");
  EXPECT_EQ(forged.find('\n'), std::string::npos);
  EXPECT_EQ(forged, "\"busy\\n2026-12-01T00:00:00.000Z info event=failover to=evil\"");
  EXPECT_EQ(escaped("x\r\ty"), "\"x\\r\\ty\"");
}

TEST(Escape, terminal_controls_are_escaped_c0_c1_bidi_and_invalid_utf8) {
  EXPECT_EQ(escaped("\x1b[31mred"), "\"\\x1b[31mred\"");
  EXPECT_EQ(escaped("csi\xc2\x9b"), "\"csi\\x9b\"");              // C1 control U+009B
  EXPECT_EQ(escaped("exe\xe2\x80\xaetxt"), "\"exe\\u202etxt\"");  // right-to-left override
  EXPECT_EQ(escaped("lri\xe2\x81\xa6"), "\"lri\\u2066\"");        // left-to-right isolate
  EXPECT_EQ(escaped("bad\xff"), "\"bad\\xff\"");
  EXPECT_EQ(escaped(std::string("nul\0x", 5)), "\"nul\\x00x\"");
}

TEST(Escape, printable_escapes_the_same_without_quotes_and_keeps_other_scripts) {
  EXPECT_EQ(printable("CN=agent1.example.test"), "CN=agent1.example.test");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"), "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(printable("exe\xe2\x80\xaetxt"), "exe\\u202etxt");
}

}  // namespace
}  // namespace gatelink
