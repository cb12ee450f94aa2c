#pragma once
// Which address families this host can use, for AI_ADDRCONFIG-like lookups: a host without a
// routable IPv6 address asks for no AAAA records, one without IPv4 for no A records.

namespace gatelink::resolve {

struct AddressConfig {
  bool ipv4 = false;  ///< an interface that is up has a non-loopback IPv4 address
  bool ipv6 = false;  ///< an interface that is up has an IPv6 address, not loopback or link-local
};

/// The interfaces as they are now (getifaddrs; GetAdaptersAddresses on Windows); both false when
/// they cannot be listed.
AddressConfig current_address_config();

/// AF_INET, AF_INET6, or AF_UNSPEC when the host has both or neither (only loopback).
int lookup_family(AddressConfig config);

}  // namespace gatelink::resolve
