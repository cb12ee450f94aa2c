// Refused agent configurations: each error says "FILE:LINE:" and names what is wrong.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "config/agent_config.hpp"

namespace gatelink {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::string_literals;

// Line numbers matter: tests replace whole lines of this configuration.
constexpr auto kBase = R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways>
    <primary address="gw1:5723"/>
    <failover address="gw2:5723"/>
  </gateways>
  <heartbeat interval-ms="1000" misses="3"/>
</agent>
)";

/// kBase with the given lines (1-based) replaced; a replacement may hold several lines.
std::string with_lines(const std::map<int, std::string>& replacements) {
  std::istringstream in(kBase);
  std::string out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto replacement = replacements.find(number);
    out += (replacement == replacements.end() ? line : replacement->second) + "\n";
  }
  return out;
}

std::string error_of(std::string_view text) {
  auto config = parse_agent_config(text, "test.xml");
  return config ? "(parsed)" : config.error().message;
}

TEST(AgentConfigErrors, base_configuration_parses) { EXPECT_EQ(error_of(kBase), "(parsed)"); }

TEST(AgentConfigErrors, unknown_element_names_it_and_its_line) {
  EXPECT_THAT(error_of(with_lines({{7, "  <heartbeats interval-ms=\"1000\"/>"}})),
              StartsWith("test.xml:7: unknown element <heartbeats> in <agent> (expected: tls, "
                         "management-group-keys, gateways, heartbeat, failback, warm-standby, "
                         "resumption, backoff, "
                         "timeouts, "
                         "state, status)"));
}

TEST(AgentConfigErrors, management_group_keys_are_bounded_and_distinct) {
  const auto keys = [](const std::string& inner) {
    return error_of(R"(<agent name="a1" management-group="MG">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <management-group-keys>)" +
                    inner + R"(</management-group-keys>
  <gateways><primary address="gw1"/></gateways>
</agent>)");
  };
  EXPECT_THAT(keys(""),
              HasSubstr("test.xml:3: <management-group-keys>: missing required element <key>"));
  EXPECT_THAT(keys(R"(<key file="a.pub"/><key file="a.pub"/>)"),
              HasSubstr("test.xml:3: <key> file: names the same file as an earlier <key>"));
  EXPECT_THAT(keys(R"(<key/>)"),
              HasSubstr("test.xml:3: <key>: missing required attribute \"file\""));
  std::string five;
  for (int i = 0; i < 5; ++i) five += "<key file=\"k" + std::to_string(i) + ".pub\"/>";
  EXPECT_THAT(keys(five), HasSubstr("at most 4"));
}

TEST(AgentConfigErrors, unknown_nested_element_names_its_parent) {
  EXPECT_EQ(error_of(with_lines({{5, "    <standby address=\"gw2\"/>"}})),
            "test.xml:5: unknown element <standby> in <gateways> (expected: primary, failover)");
}

TEST(AgentConfigErrors, unknown_attribute_names_it_and_its_line) {
  EXPECT_EQ(error_of(with_lines({{7, "  <heartbeat interval=\"1000\"/>"}})),
            "test.xml:7: <heartbeat>: unknown attribute \"interval\" (expected: interval-ms, "
            "misses)");
}

TEST(AgentConfigErrors, unknown_attribute_on_a_continuation_line_gets_that_line) {
  EXPECT_THAT(error_of(with_lines({{2,
                                    "  <tls ca=\"ca.pem\" cert=\"agent.pem\"\n"
                                    "       key=\"agent.key\"\n"
                                    "       crls=\"x\"/>"}})),
              StartsWith("test.xml:4: <tls>: unknown attribute \"crls\""));
}

TEST(AgentConfigErrors, missing_required_attribute_is_named) {
  EXPECT_EQ(error_of(with_lines({{2, "  <tls ca=\"ca.pem\" cert=\"agent.pem\"/>"}})),
            "test.xml:2: <tls>: missing required attribute \"key\"");
}

TEST(AgentConfigErrors, missing_agent_name_is_named) {
  EXPECT_EQ(error_of(with_lines({{1, "<agent management-group=\"MG\">"}})),
            "test.xml:1: <agent>: missing required attribute \"name\"");
}

TEST(AgentConfigErrors, missing_management_group_is_named) {
  EXPECT_EQ(error_of(with_lines({{1, "<agent name=\"a1\">"}})),
            "test.xml:1: <agent>: missing required attribute \"management-group\"");
}

TEST(AgentConfigErrors, missing_primary_address_is_named) {
  EXPECT_EQ(error_of(with_lines({{4, "    <primary server-name=\"gw1\"/>"}})),
            "test.xml:4: <primary>: missing required attribute \"address\"");
}

TEST(AgentConfigErrors, missing_tls_element_is_named_at_its_parent) {
  EXPECT_EQ(error_of(with_lines({{2, ""}})), "test.xml:1: <agent>: missing required element <tls>");
}

TEST(AgentConfigErrors, missing_gateways_element_is_named_at_its_parent) {
  EXPECT_EQ(error_of(with_lines({{3, ""}, {4, ""}, {5, ""}, {6, ""}})),
            "test.xml:1: <agent>: missing required element <gateways>");
}

TEST(AgentConfigErrors, gateways_without_primary_is_refused) {
  EXPECT_EQ(error_of(with_lines({{4, ""}, {5, ""}})),
            "test.xml:3: <gateways>: missing required element <primary>");
}

TEST(AgentConfigErrors, failover_before_primary_is_refused) {
  EXPECT_EQ(error_of(with_lines(
                {{4, "    <failover address=\"gw2\"/>"}, {5, "    <primary address=\"gw1\"/>"}})),
            "test.xml:4: <failover>: comes before <primary>; list the primary first");
}

TEST(AgentConfigErrors, duplicate_element_names_both_lines) {
  EXPECT_EQ(error_of(with_lines({{8, "  <heartbeat misses=\"4\"/>\n</agent>"}})),
            "test.xml:8: duplicate <heartbeat> (first at line 7); only one is allowed");
}

TEST(AgentConfigErrors, second_primary_is_a_duplicate) {
  EXPECT_EQ(error_of(with_lines({{5, "    <primary address=\"gw2\"/>"}})),
            "test.xml:5: duplicate <primary> (first at line 4); only one is allowed");
}

TEST(AgentConfigErrors, second_tls_is_a_duplicate) {
  EXPECT_THAT(error_of(with_lines({{3, "  <tls ca=\"a\" cert=\"b\" key=\"c\"/>\n  <gateways>"}})),
              StartsWith("test.xml:3: duplicate <tls> (first at line 2)"));
}

TEST(AgentConfigErrors, duplicate_attribute_is_named) {
  EXPECT_EQ(error_of(with_lines({{7, "  <heartbeat misses=\"3\" misses=\"4\"/>"}})),
            "test.xml:7: XML syntax error: attribute \"misses\" given twice in <heartbeat>");
}

TEST(AgentConfigErrors, duplicate_attribute_on_a_later_line_gets_that_line) {
  EXPECT_EQ(error_of(with_lines({{2,
                                  "  <tls ca=\"ca.pem\" cert=\"agent.pem\" key=\"agent.key\"\n"
                                  "       cert=\"other.pem\"/>"}})),
            "test.xml:3: XML syntax error: attribute \"cert\" given twice in <tls>");
}

TEST(AgentConfigErrors, too_many_failovers_are_refused_at_the_sixteenth) {
  std::string failovers;
  for (int i = 2; i <= 17; ++i) {
    failovers += "    <failover address=\"gw" + std::to_string(i) + "\"/>\n";
  }
  failovers.pop_back();
  // Line 5 holds failovers 1..16; the sixteenth failover is on line 5 + 15.
  EXPECT_EQ(error_of(with_lines({{5, failovers}})),
            "test.xml:20: too many <failover> elements (at most 15)");
}

TEST(AgentConfigErrors, failover_repeating_the_primary_names_both) {
  EXPECT_EQ(error_of(with_lines({{5, "    <failover address=\"GW1\"/>"}})),
            "test.xml:5: <failover> address: failover[0]: duplicate of primary gw1:5723");
}

TEST(AgentConfigErrors, failover_repeating_a_failover_names_both) {
  EXPECT_EQ(error_of(with_lines({{5,
                                  "    <failover address=\"gw2\"/>\n"
                                  "    <failover address=\"gw3\"/>\n"
                                  "    <failover address=\"gw2:5723\"/>"}})),
            "test.xml:7: <failover> address: failover[2]: duplicate of failover[0] gw2:5723");
}

TEST(AgentConfigErrors, bad_primary_address_is_explained) {
  EXPECT_EQ(error_of(with_lines({{4, "    <primary address=\"gw1:0\"/>"}})),
            "test.xml:4: <primary> address: gateway address \"gw1:0\": port \"0\" is not in "
            "1..65535");
}

TEST(AgentConfigErrors, server_name_inside_an_xml_address_is_refused) {
  EXPECT_THAT(error_of(with_lines({{5, "    <failover address=\"gw2@10.0.0.2\"/>"}})),
              StartsWith("test.xml:5: <failover> address: gateway address \"gw2@10.0.0.2\": '@' "
                         "is not allowed here"));
}

TEST(AgentConfigErrors, bad_server_name_is_explained) {
  EXPECT_THAT(
      error_of(with_lines({{5, "    <failover address=\"10.0.0.2\" server-name=\"gw_2\"/>"}})),
      StartsWith("test.xml:5: <failover> server-name: server name \"gw_2\" contains"));
}

TEST(AgentConfigErrors, empty_server_name_is_refused) {
  EXPECT_EQ(error_of(with_lines({{5, "    <failover address=\"10.0.0.2\" server-name=\"\"/>"}})),
            "test.xml:5: <failover> server-name: length must be 1..253 characters");
}

TEST(AgentConfigErrors, empty_address_is_refused) {
  EXPECT_EQ(error_of(with_lines({{4, "    <primary address=\"\"/>"}})),
            "test.xml:4: <primary> address: length must be 1..260 characters");
}

TEST(AgentConfigErrors, backoff_cap_below_base_is_refused) {
  EXPECT_EQ(error_of(with_lines({{7, "  <backoff base-ms=\"1000\"\n           cap-ms=\"999\"/>"}})),
            "test.xml:8: <backoff> cap-ms: must be at least base-ms (1000)");
}

TEST(AgentConfigErrors, backoff_base_above_default_cap_is_refused) {
  EXPECT_EQ(error_of(with_lines({{7, "  <backoff base-ms=\"60000\"/>"}})),
            "test.xml:7: <backoff> cap-ms: must be at least base-ms (60000)");
}

TEST(AgentConfigErrors, empty_name_is_refused) {
  EXPECT_EQ(error_of(with_lines({{1, "<agent name=\"\" management-group=\"MG\">"}})),
            "test.xml:1: <agent> name=\"\": length must be 1..255 characters");
}

TEST(AgentConfigErrors, name_longer_than_255_is_refused) {
  const std::string name(256, 'n');
  EXPECT_THAT(error_of(with_lines({{1, "<agent name=\"" + name + "\" management-group=\"MG\">"}})),
              HasSubstr("length must be 1..255 characters"));
}

TEST(AgentConfigErrors, name_with_space_is_refused) {
  EXPECT_EQ(error_of(with_lines({{1, "<agent name=\"web 01\" management-group=\"MG\">"}})),
            "test.xml:1: <agent> name=\"web 01\": only printable ASCII characters without spaces "
            "are allowed");
}

TEST(AgentConfigErrors, management_group_with_control_character_is_refused) {
  EXPECT_EQ(error_of(with_lines({{1, "<agent name=\"a1\" management-group=\"M&#9;G\">"}})),
            "test.xml:1: <agent> management-group=\"M?G\": only printable ASCII characters "
            "without spaces are allowed");
}

TEST(AgentConfigErrors, empty_path_is_refused) {
  EXPECT_EQ(error_of(with_lines({{2, "  <tls ca=\"\" cert=\"agent.pem\" key=\"agent.key\"/>"}})),
            "test.xml:2: <tls> ca=\"\": length must be 1..4096 characters");
}

TEST(AgentConfigErrors, path_with_control_character_is_refused) {
  EXPECT_EQ(error_of(with_lines({{7, "  <state dir=\"/var/lib&#10;/x\"/>"}})),
            "test.xml:7: <state> dir=\"/var/lib?/x\": control characters are not allowed in a "
            "path");
}

class NotADecimalNumber : public ::testing::TestWithParam<std::string> {};

TEST_P(NotADecimalNumber, is_refused_naming_the_attribute) {
  EXPECT_EQ(error_of(with_lines({{7, "  <heartbeat interval-ms=\"" + GetParam() + "\"/>"}})),
            "test.xml:7: <heartbeat> interval-ms=\"" + GetParam() +
                "\": not a decimal number (allowed: 50..600000)");
}

INSTANTIATE_TEST_SUITE_P(All, NotADecimalNumber,
                         ::testing::Values("abc", "", "+1000", "-1", " 1000", "1000 ", "1e3",
                                           "0x10", "1000.0", "1_000", "1,000", "1000ms"));

TEST(AgentConfigErrors, number_too_large_for_any_integer_is_out_of_range) {
  EXPECT_EQ(error_of(with_lines({{7, "  <heartbeat misses=\"99999999999999999999999\"/>"}})),
            "test.xml:7: <heartbeat> misses=\"99999999999999999999999\": out of range "
            "(allowed: 2..100)");
}

struct NumberRange {
  std::string element;
  std::string attribute;
  std::string other_attributes;  ///< needed alongside, e.g. a base for the cap
  std::uint64_t lowest;
  std::uint64_t highest;
};

void PrintTo(const NumberRange& range, std::ostream* out) {
  *out << range.element << "@" << range.attribute;
}

class NumberRanges : public ::testing::TestWithParam<NumberRange> {
 protected:
  static std::string config(std::uint64_t value) {
    const auto& range = GetParam();
    return with_lines({{7, "  <" + range.element + " " + range.other_attributes + range.attribute +
                               "=\"" + std::to_string(value) + "\"/>"}});
  }
  static std::string refusal(std::uint64_t value) {
    const auto& range = GetParam();
    return "test.xml:7: <" + range.element + "> " + range.attribute + "=\"" +
           std::to_string(value) + "\": out of range (allowed: " + std::to_string(range.lowest) +
           ".." + std::to_string(range.highest) + ")";
  }
};

TEST_P(NumberRanges, bounds_are_accepted) {
  EXPECT_EQ(error_of(config(GetParam().lowest)), "(parsed)");
  EXPECT_EQ(error_of(config(GetParam().highest)), "(parsed)");
}

TEST_P(NumberRanges, below_the_lowest_is_refused_with_the_range) {
  EXPECT_EQ(error_of(config(GetParam().lowest - 1)), refusal(GetParam().lowest - 1));
}

TEST_P(NumberRanges, above_the_highest_is_refused_with_the_range) {
  EXPECT_EQ(error_of(config(GetParam().highest + 1)), refusal(GetParam().highest + 1));
}

INSTANTIATE_TEST_SUITE_P(
    All, NumberRanges,
    ::testing::Values(NumberRange{"heartbeat", "interval-ms", "", 50, 600000},
                      NumberRange{"heartbeat", "misses", "", 2, 100},
                      NumberRange{"failback", "probe-interval-ms", "", 100, 86400000},
                      NumberRange{"failback", "stable-probes", "", 1, 100},
                      NumberRange{"failback", "flap-window-ms", "", 100, 86400000},
                      NumberRange{"failback", "max-stable-window-ms", "", 100, 86400000},
                      NumberRange{"backoff", "base-ms", "cap-ms=\"600000\" ", 10, 600000},
                      NumberRange{"backoff", "cap-ms", "base-ms=\"10\" ", 10, 3600000},
                      NumberRange{"backoff", "max-stay-away-ms", "", 10, 86400000},
                      NumberRange{"timeouts", "resolve-ms", "", 10, 600000},
                      NumberRange{"timeouts", "connect-ms", "", 10, 600000},
                      NumberRange{"timeouts", "handshake-ms", "", 10, 600000},
                      NumberRange{"timeouts", "welcome-ms", "", 10, 600000}));

struct SyntaxError {
  std::string text;
  std::string message;
};

void PrintTo(const SyntaxError& error, std::ostream* out) { *out << error.message; }

class XmlSyntaxErrors : public ::testing::TestWithParam<SyntaxError> {};

TEST_P(XmlSyntaxErrors, give_the_line_and_the_problem) {
  EXPECT_EQ(error_of(GetParam().text), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, XmlSyntaxErrors,
    ::testing::Values(
        SyntaxError{with_lines({{7, "  <heartbeat misses=3/>"}}),
                    "test.xml:7: XML syntax error: malformed attribute in <heartbeat> (values go "
                    "in quotes: name=\"value\")"},
        SyntaxError{with_lines({{6, "  </gateway>"}}),
                    "test.xml:3: XML syntax error: <gateways> is closed by a different end tag"},
        SyntaxError{with_lines({{5, "    <failover address=\"gw2\" <x/>"}}),
                    "test.xml:5: XML syntax error: malformed element"},
        SyntaxError{with_lines({{7, "  <!-- never closed"}}),
                    "test.xml:7: XML syntax error: malformed or unterminated comment"},
        SyntaxError{with_lines({{8, ""}}),
                    "test.xml:1: XML syntax error: malformed XML (an element not closed, or the "
                    "file cut short?)"},
        SyntaxError{"",
                    "test.xml:1: XML syntax error: no XML in the file; expected an <agent> "
                    "element"},
        SyntaxError{"  \n\n",
                    "test.xml:1: XML syntax error: no XML in the file; expected an "
                    "<agent> element"},
        SyntaxError{with_lines({{3, "  just text\n  <gateways>"}}),
                    "test.xml:3: <agent>: unexpected text \"just text\""},
        SyntaxError{with_lines({{2, "  <tls ca=\"a\" cert=\"b\" key=\"c\">pem</tls>"}}),
                    "test.xml:2: <tls>: unexpected text \"pem\""},
        SyntaxError{std::string(kBase) + "<agent/>\n",
                    "test.xml:9: second root element <agent>; the file holds one <agent>"},
        SyntaxError{"<config/>\n", "test.xml:1: root element is <config>; expected <agent>"},
        SyntaxError{"<!DOCTYPE agent>\n" + std::string(kBase),
                    "test.xml:1: DOCTYPE and other declarations are not allowed"},
        SyntaxError{"<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"x\"?>\n" + std::string(kBase),
                    "test.xml:2: processing instructions are not allowed"},
        SyntaxError{std::string(kBase) + "trailing\n",
                    "test.xml:9: XML syntax error: malformed text, or text outside <agent>"},
        SyntaxError{"<agent\n\n name=\"a\0\"/>"s, "test.xml:3: NUL byte in the file"},
        SyntaxError{"<!-- only a comment -->\n", "test.xml:1: no <agent> element"}));

TEST(AgentConfigErrors, deeply_nested_elements_are_refused_without_crashing) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "<a>";
  EXPECT_THAT(error_of(text),
              StartsWith("test.xml:1: XML syntax error: elements nested too deeply"));
}

TEST(AgentConfigErrors, text_over_256_KiB_is_refused_before_parsing) {
  std::string text(kBase);
  text += "<!--" + std::string(kMaxConfigBytes, 'x') + "-->";
  EXPECT_EQ(error_of(text), "test.xml: larger than 262144 bytes (256 KiB); refusing to parse it");
}

TEST(AgentConfigErrors, long_values_are_cut_in_messages) {
  const std::string value(1000, '7');
  const auto message = error_of(with_lines({{7, "  <heartbeat misses=\"" + value + "\"/>"}}));
  EXPECT_THAT(message, HasSubstr("misses=\"" + std::string(60, '7') + "...\": out of range"));
  EXPECT_LT(message.size(), 200u);
}

}  // namespace
}  // namespace gatelink
