// Gateway address grammar: `[server-name@]host[:port]`, host a DNS name, an IPv4 literal or a
// bracketed IPv6 literal. Strict on purpose: addresses come from configuration and from
// pushed topologies, and a lenient parser lets one agent dial something the others do not.

#include "topology/gateway_address.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gatelink {
namespace {

constexpr std::size_t kMaxDnsName = 253;
constexpr std::size_t kMaxDnsLabel = 63;
constexpr std::size_t kMaxQuoted = 64;  // longer input is cut in messages

/// Why a piece of an address is wrong; empty: it is fine.
using Problem = std::optional<std::string>;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool all_digits(std::string_view text) {
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  return !text.empty();
}

/// `text` in double quotes, control bytes escaped and cut to a bounded length, for messages.
std::string quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxQuoted; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f || text[i] == '"' || text[i] == '\\') {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += text[i];
    }
  }
  if (text.size() > kMaxQuoted) out += "...";
  return out + "\"";
}

/// A DNS name whose last label is all digits would be read as an IPv4 address by resolvers.
bool looks_numeric(std::string_view name) {
  const auto dot = name.rfind('.');
  return all_digits(dot == std::string_view::npos ? name : name.substr(dot + 1));
}

Problem dns_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxDnsName) return "is longer than 253 characters";
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = name.find('.', start);
    if (end == std::string_view::npos) end = name.size();
    const auto label = name.substr(start, end - start);
    if (label.empty()) return "has an empty label";
    if (label.size() > kMaxDnsLabel) return "has a label longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') return "has a label starting or ending in '-'";
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') {
        return "contains " + quoted(std::string_view(&c, 1)) +
               " (allowed: letters, digits, '-', '.')";
      }
    }
    start = end + 1;
  }
  return std::nullopt;
}

Problem ipv4_problem(std::string_view text) {
  constexpr auto kBad = "is not an IPv4 address (four decimal numbers 0..255, no leading zeros)";
  std::size_t start = 0;
  for (int part = 0; part < 4; ++part) {
    auto end = text.find('.', start);
    if (part == 3) {
      if (end != std::string_view::npos) return kBad;
      end = text.size();
    } else if (end == std::string_view::npos) {
      return kBad;
    }
    const auto octet = text.substr(start, end - start);
    if (!all_digits(octet) || octet.size() > 3 || (octet.size() > 1 && octet[0] == '0')) {
      return kBad;
    }
    int value = 0;
    std::from_chars(octet.data(), octet.data() + octet.size(), value);
    if (value > 255) return kBad;
    start = end + 1;
  }
  return std::nullopt;
}

using Ipv6Groups = std::array<std::uint16_t, 8>;

/// Appends the colon-separated groups of `part` (one side of "::"); the last may be IPv4.
bool append_ipv6_groups(std::string_view part, bool ipv4_tail_allowed, Ipv6Groups& groups,
                        std::size_t& count) {
  if (part.empty()) return true;
  std::size_t start = 0;
  while (true) {
    auto end = part.find(':', start);
    const bool last = end == std::string_view::npos;
    if (last) end = part.size();
    const auto group = part.substr(start, end - start);
    if (last && ipv4_tail_allowed && group.find('.') != std::string_view::npos) {
      if (ipv4_problem(group) || count + 2 > groups.size()) return false;
      unsigned octets[4] = {};
      std::size_t at = 0;
      for (auto& octet : octets) {
        auto stop = group.find('.', at);
        if (stop == std::string_view::npos) stop = group.size();
        std::from_chars(group.data() + at, group.data() + stop, octet);
        at = stop + 1;
      }
      groups[count++] = static_cast<std::uint16_t>(octets[0] << 8 | octets[1]);
      groups[count++] = static_cast<std::uint16_t>(octets[2] << 8 | octets[3]);
      return true;
    }
    if (group.empty() || group.size() > 4 || count == groups.size()) return false;
    unsigned value = 0;
    for (char c : group) {
      const int digit = hex_value(c);
      if (digit < 0) return false;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    groups[count++] = static_cast<std::uint16_t>(value);
    if (last) return true;
    start = end + 1;
  }
}

std::optional<Ipv6Groups> parse_ipv6(std::string_view text) {
  Ipv6Groups head{};
  Ipv6Groups tail{};
  std::size_t head_count = 0;
  std::size_t tail_count = 0;
  const auto gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!append_ipv6_groups(text, true, head, head_count) || head_count != 8) return std::nullopt;
    return head;
  }
  if (text.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
  if (!append_ipv6_groups(text.substr(0, gap), false, head, head_count) ||
      !append_ipv6_groups(text.substr(gap + 2), true, tail, tail_count) ||
      head_count + tail_count > 7) {
    return std::nullopt;
  }
  Ipv6Groups groups{};
  for (std::size_t i = 0; i < head_count; ++i) groups[i] = head[i];
  for (std::size_t i = 0; i < tail_count; ++i) groups[8 - tail_count + i] = tail[i];
  return groups;
}

/// RFC 5952 text form: lowercase, no leading zeros, the longest run of zero groups as "::".
std::string format_ipv6(const Ipv6Groups& groups) {
  std::size_t best_start = groups.size();
  std::size_t best_length = 1;  // a single zero group is not compressed
  for (std::size_t i = 0; i < groups.size();) {
    std::size_t j = i;
    while (j < groups.size() && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const auto nibble = (groups[i] >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        out += kHex[nibble];
        started = true;
      }
    }
  }
  return out;
}

Result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty()) return Error{"port is empty"};
  if (!all_digits(text)) return Error{"port " + quoted(text) + " is not a decimal number"};
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return Error{"port " + quoted(text) + " is not in 1..65535"};
  }
  return static_cast<std::uint16_t>(value);
}

/// Parses `host[:port]`; IPv6 hosts are stored without brackets in canonical form.
Result<GatewayAddress> parse_endpoint(std::string_view text) {
  GatewayAddress address;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return Error{"'[' without ']'"};
    const auto literal = text.substr(1, close - 1);
    if (literal.find('%') != std::string_view::npos) {
      return Error{"IPv6 zone ids ('%') are not supported"};
    }
    const auto groups = parse_ipv6(literal);
    if (!groups)
      return Error{"host " + quoted(text.substr(0, close + 1)) + " is not an IPv6 address"};
    address.host = format_ipv6(*groups);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Error{"unexpected " + quoted(rest) + " after ']'"};
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return Error{"more than one ':' (an IPv6 address goes in brackets: [::1]:5723)"};
    }
    const auto host = text.substr(0, colon);
    if (host.empty()) return Error{"host is empty"};
    const auto problem = looks_numeric(host) ? ipv4_problem(host) : dns_name_problem(host);
    if (problem) return Error{"host " + quoted(host) + " " + *problem};
    address.host = std::string(host);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = text.substr(colon + 1);
    }
  }
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return port.error();
    address.port = *port;
  }
  return address;
}

Problem server_name_problem(std::string_view name) {
  if (auto problem = dns_name_problem(name)) return problem;
  if (looks_numeric(name)) return "is not a DNS name (its last label is a number)";
  return std::nullopt;
}

Error address_error(std::string_view text, const std::string& problem) {
  return Error{"gateway address " + quoted(text) + ": " + problem};
}

}  // namespace

std::string GatewayAddress::to_string() const {
  return server_name.empty() ? endpoint() : server_name + "@" + endpoint();
}

std::string GatewayAddress::endpoint() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<GatewayAddress> parse_gateway_address(std::string_view text) {
  if (text.empty()) return Error{"gateway address is empty"};
  auto endpoint_text = text;
  std::string_view server_name;
  if (const auto at = text.find('@'); at != std::string_view::npos) {
    if (text.find('@', at + 1) != std::string_view::npos) {
      return address_error(text, "more than one '@'");
    }
    server_name = text.substr(0, at);
    if (auto problem = server_name_problem(server_name)) {
      return address_error(text, "server name " + quoted(server_name) + " " + *problem);
    }
    endpoint_text = text.substr(at + 1);
  }
  auto address = parse_endpoint(endpoint_text);
  if (!address) return address_error(text, address.error().message);
  address->server_name = std::string(server_name);
  return address;
}

Result<GatewayAddress> make_gateway_address(std::string_view address,
                                            std::string_view server_name) {
  if (address.empty()) return Error{"gateway address is empty"};
  if (address.find('@') != std::string_view::npos) {
    return address_error(address, "'@' is not allowed here; give the name in server-name");
  }
  auto parsed = parse_endpoint(address);
  if (!parsed) return address_error(address, parsed.error().message);
  if (!server_name.empty()) {
    if (auto problem = server_name_problem(server_name)) {
      return Error{"server name " + quoted(server_name) + " " + *problem};
    }
    parsed->server_name = std::string(server_name);
  }
  return parsed;
}

}  // namespace gatelink
