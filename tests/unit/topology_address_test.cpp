// Gateway addresses: every accepted form, its round trip, and every malformed form.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "topology/gateway_address.hpp"

namespace gatelink {
namespace {

using ::testing::HasSubstr;

/// The address `text` parses to; a failed parse fails the test.
GatewayAddress parsed_address(std::string_view text) {
  auto address = parse_gateway_address(text);
  EXPECT_TRUE(address) << address.error().message;
  return address ? *address : GatewayAddress{};
}

/// The message of the error `result` holds, or "(accepted)".
std::string problem_of(const Result<GatewayAddress>& result) {
  return result ? "(accepted) " + result->to_string() : result.error().message;
}

struct AddressForm {
  std::string text;
  std::string host;
  std::uint16_t port;
  std::string server_name;
  std::string command_line;  ///< to_string()
};

void PrintTo(const AddressForm& form, std::ostream* out) { *out << form.text; }

class AddressForms : public ::testing::TestWithParam<AddressForm> {};

TEST_P(AddressForms, parses_to_its_fields) {
  const auto& form = GetParam();
  const auto address = parsed_address(form.text);
  EXPECT_EQ(address, (GatewayAddress{form.host, form.port, form.server_name}))
      << address.to_string();
}

TEST_P(AddressForms, to_string_gives_the_command_line_form) {
  EXPECT_EQ(parsed_address(GetParam().text).to_string(), GetParam().command_line);
}

TEST_P(AddressForms, round_trips_through_to_string) {
  const auto address = parsed_address(GetParam().text);
  EXPECT_EQ(parsed_address(address.to_string()), address);
}

/// The longest label and the longest name DNS allows.
std::string label63() { return std::string(63, 'a'); }
std::string name253() {
  return label63() + "." + label63() + "." + label63() + "." + std::string(61, 'b');
}

INSTANTIATE_TEST_SUITE_P(
    All, AddressForms,
    ::testing::Values(
        AddressForm{"gw1.example.test:5723", "gw1.example.test", 5723, "", "gw1.example.test:5723"},
        AddressForm{"gw1.example.test", "gw1.example.test", 5723, "", "gw1.example.test:5723"},
        AddressForm{"localhost:1", "localhost", 1, "", "localhost:1"},
        AddressForm{"gw:65535", "gw", 65535, "", "gw:65535"},
        AddressForm{"gw:08080", "gw", 8080, "", "gw:8080"},
        AddressForm{"GW1.Example.TEST:80", "GW1.Example.TEST", 80, "", "GW1.Example.TEST:80"},
        AddressForm{"xn--bcher-kva.example", "xn--bcher-kva.example", 5723, "",
                    "xn--bcher-kva.example:5723"},
        AddressForm{"3com.example:5723", "3com.example", 5723, "", "3com.example:5723"},
        AddressForm{label63() + ".test", label63() + ".test", 5723, "", label63() + ".test:5723"},
        AddressForm{name253(), name253(), 5723, "", name253() + ":5723"},
        AddressForm{"127.0.0.1:15801", "127.0.0.1", 15801, "", "127.0.0.1:15801"},
        AddressForm{"0.0.0.0", "0.0.0.0", 5723, "", "0.0.0.0:5723"},
        AddressForm{"255.255.255.255:1", "255.255.255.255", 1, "", "255.255.255.255:1"},
        AddressForm{"[::1]:15801", "::1", 15801, "", "[::1]:15801"},
        AddressForm{"[::1]", "::1", 5723, "", "[::1]:5723"},
        AddressForm{"[::]:1", "::", 1, "", "[::]:1"},
        AddressForm{"[2001:DB8:0:0:0:0:0:1]:443", "2001:db8::1", 443, "", "[2001:db8::1]:443"},
        AddressForm{"[1:0:0:2:0:0:0:3]", "1:0:0:2::3", 5723, "", "[1:0:0:2::3]:5723"},
        AddressForm{"[1:0:2:3:4:5:6:7]", "1:0:2:3:4:5:6:7", 5723, "", "[1:0:2:3:4:5:6:7]:5723"},
        AddressForm{"[1::]", "1::", 5723, "", "[1::]:5723"},
        AddressForm{"[0001:2:3:4:5:6:7:8]", "1:2:3:4:5:6:7:8", 5723, "", "[1:2:3:4:5:6:7:8]:5723"},
        AddressForm{"[::ffff:192.0.2.1]:5723", "::ffff:c000:201", 5723, "",
                    "[::ffff:c000:201]:5723"},
        AddressForm{"gw1.example.test@127.0.0.1:15801", "127.0.0.1", 15801, "gw1.example.test",
                    "gw1.example.test@127.0.0.1:15801"},
        AddressForm{"gw3.example.test@[::1]:15803", "::1", 15803, "gw3.example.test",
                    "gw3.example.test@[::1]:15803"},
        AddressForm{"gw2@gw2.example.test", "gw2.example.test", 5723, "gw2",
                    "gw2@gw2.example.test:5723"}));

TEST(GatewayAddress, expected_name_is_the_host_without_a_server_name) {
  EXPECT_EQ(parsed_address("gw1.example.test:5723").expected_name(), "gw1.example.test");
}

TEST(GatewayAddress, expected_name_is_the_server_name_when_given) {
  EXPECT_EQ(parsed_address("gw3.example.test@127.0.0.1:15803").expected_name(), "gw3.example.test");
}

TEST(GatewayAddress, endpoint_leaves_out_the_server_name) {
  EXPECT_EQ(parsed_address("gw3.example.test@127.0.0.1:15803").endpoint(), "127.0.0.1:15803");
}

TEST(GatewayAddress, endpoint_puts_ipv6_hosts_in_brackets) {
  EXPECT_EQ(parsed_address("gw@[fe80::1]:9").endpoint(), "[fe80::1]:9");
}

TEST(GatewayAddress, error_message_quotes_the_input_and_says_what_is_wrong) {
  EXPECT_EQ(problem_of(parse_gateway_address("gw1:0")),
            "gateway address \"gw1:0\": port \"0\" is not in 1..65535");
}

TEST(GatewayAddress, error_message_escapes_control_characters) {
  const auto message = problem_of(parse_gateway_address("gw\n1:5723"));
  EXPECT_THAT(message, HasSubstr("gw\\x0a1"));
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

// Found by the configuration's fuzz target: the IPv6 literal came back raw in the message.
TEST(GatewayAddress, error_message_escapes_control_characters_in_an_ipv6_literal) {
  const auto message = problem_of(parse_gateway_address("[::\n1]:15804"));
  EXPECT_THAT(message, HasSubstr("[::\\x0a1]"));
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(GatewayAddress, error_message_cuts_a_long_ipv6_literal) {
  const auto message = problem_of(parse_gateway_address("[" + std::string(300, 'f') + "]"));
  EXPECT_LT(message.size(), 250U);
}

struct MalformedAddress {
  std::string text;
  std::string problem;  ///< part of the message
};

void PrintTo(const MalformedAddress& bad, std::ostream* out) { *out << '"' << bad.text << '"'; }

class MalformedAddresses : public ::testing::TestWithParam<MalformedAddress> {};

TEST_P(MalformedAddresses, are_refused_with_the_reason) {
  EXPECT_THAT(problem_of(parse_gateway_address(GetParam().text)), HasSubstr(GetParam().problem));
}

constexpr const char* kIpv4 = "is not an IPv4 address";
constexpr const char* kIpv6 = "is not an IPv6 address";
constexpr const char* kNotDecimal = "is not a decimal number";
constexpr const char* kPortRange = "is not in 1..65535";

INSTANTIATE_TEST_SUITE_P(
    All, MalformedAddresses,
    ::testing::Values(
        MalformedAddress{"", "gateway address is empty"},
        MalformedAddress{":5723", "host is empty"}, MalformedAddress{"gw:", "port is empty"},
        MalformedAddress{"gw:0", kPortRange}, MalformedAddress{"gw:65536", kPortRange},
        MalformedAddress{"gw:99999999999999999999999", kPortRange},
        MalformedAddress{"gw:+1", kNotDecimal}, MalformedAddress{"gw:-1", kNotDecimal},
        MalformedAddress{"gw: 1", kNotDecimal}, MalformedAddress{"gw:1 ", kNotDecimal},
        MalformedAddress{"gw:12x", kNotDecimal}, MalformedAddress{"gw:0x10", kNotDecimal},
        MalformedAddress{"gw:1.5", kNotDecimal}, MalformedAddress{"gw:1:2", "more than one ':'"},
        MalformedAddress{" gw:1", "contains \" \""}, MalformedAddress{"g w:1", "contains \" \""},
        MalformedAddress{"gw_1:1", "contains \"_\""}, MalformedAddress{"gw/1", "contains \"/\""},
        MalformedAddress{"-gw:1", "starting or ending in '-'"},
        MalformedAddress{"gw-.example:1", "starting or ending in '-'"},
        MalformedAddress{"a..b:1", "has an empty label"},
        MalformedAddress{".gw:1", "has an empty label"},
        MalformedAddress{"gw.:1", "has an empty label"},
        MalformedAddress{std::string(64, 'a') + ".test", "label longer than 63"},
        MalformedAddress{name253() + "c", "longer than 253"}, MalformedAddress{"1.2.3:1", kIpv4},
        MalformedAddress{"256.1.1.1", kIpv4}, MalformedAddress{"01.2.3.4", kIpv4},
        MalformedAddress{"1.2.3.4.5", kIpv4}, MalformedAddress{"1.2.3.", "has an empty label"},
        MalformedAddress{"1234", kIpv4}, MalformedAddress{"gw.example.123", kIpv4},
        MalformedAddress{"::1", "an IPv6 address goes in brackets"},
        MalformedAddress{"2001:db8::1:5723", "an IPv6 address goes in brackets"},
        MalformedAddress{"[::1", "'[' without ']'"}, MalformedAddress{"[::1]5723", "after ']'"},
        MalformedAddress{"[::1]:", "port is empty"}, MalformedAddress{"[::1]:0", kPortRange},
        MalformedAddress{"[]", kIpv6}, MalformedAddress{"[1:::2]", kIpv6},
        MalformedAddress{"[1::2::3]", kIpv6}, MalformedAddress{"[:1::2]", kIpv6},
        MalformedAddress{"[1::2:]", kIpv6}, MalformedAddress{"[12345::1]", kIpv6},
        MalformedAddress{"[g::1]", kIpv6}, MalformedAddress{"[1:2:3:4:5:6:7]", kIpv6},
        MalformedAddress{"[1:2:3:4:5:6:7:8:9]", kIpv6},
        MalformedAddress{"[1:2:3:4:5:6:7::8]", kIpv6}, MalformedAddress{"[::1.2.3]", kIpv6},
        MalformedAddress{"[1.2.3.4]", kIpv6}, MalformedAddress{"[gw.example]", kIpv6},
        MalformedAddress{"[fe80::1%eth0]", "zone ids"},
        MalformedAddress{"a@b@c:1", "more than one '@'"},
        MalformedAddress{"@gw:1", "server name \"\" is empty"},
        MalformedAddress{"bad_name@gw:1", "server name \"bad_name\" contains \"_\""},
        MalformedAddress{"10.0.0.1@gw:1", "server name \"10.0.0.1\" is not a DNS name"},
        MalformedAddress{"gw@", "host is empty"}));

TEST(MakeGatewayAddress, takes_the_xml_form_with_a_separate_server_name) {
  EXPECT_EQ(problem_of(make_gateway_address("127.0.0.1:15803", "gw3.example.test")),
            "(accepted) gw3.example.test@127.0.0.1:15803");
}

TEST(MakeGatewayAddress, empty_server_name_means_the_host) {
  EXPECT_EQ(problem_of(make_gateway_address("gw1.example.test", "")),
            "(accepted) gw1.example.test:5723");
}

TEST(MakeGatewayAddress, refuses_a_server_name_inside_the_address) {
  EXPECT_THAT(problem_of(make_gateway_address("gw3@127.0.0.1:15803", "")),
              HasSubstr("give the name in server-name"));
}

TEST(MakeGatewayAddress, refuses_a_malformed_server_name) {
  EXPECT_THAT(problem_of(make_gateway_address("127.0.0.1:15803", "gw 3")),
              HasSubstr("server name \"gw 3\" contains"));
}

TEST(MakeGatewayAddress, refuses_a_malformed_address) {
  EXPECT_THAT(problem_of(make_gateway_address("[::1]:99999", "gw")), HasSubstr(kPortRange));
}

TEST(MakeGatewayAddress, refuses_an_empty_address) {
  EXPECT_EQ(problem_of(make_gateway_address("", "gw")), "gateway address is empty");
}

}  // namespace
}  // namespace gatelink
