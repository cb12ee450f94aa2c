// Windows: the adapters from GetAdaptersAddresses (iphlpapi), the counterpart of getifaddrs.
// An adapter counts when it is up (OperStatus); its unicast addresses are judged as on POSIX.
// winsock2.h comes before the headers that build on it.
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>
// clang-format on

#include <cstdint>
#include <vector>

#include "resolve/address_config.hpp"

namespace gatelink::resolve {
namespace {

/// Microsoft's advice: start with 15 KB, which holds most hosts' adapters in one call.
constexpr ULONG kFirstBuffer = 15 * 1024;
/// Adapters may appear between the calls that size and fill the buffer: a few retries.
constexpr int kAttempts = 3;

}  // namespace

AddressConfig current_address_config() {
  AddressConfig config;
  constexpr ULONG kFlags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
                           GAA_FLAG_SKIP_DNS_SERVER | GAA_FLAG_SKIP_FRIENDLY_NAME;
  ULONG size = kFirstBuffer;
  std::vector<std::uint64_t> buffer;  // 8-byte aligned, as IP_ADAPTER_ADDRESSES needs
  ULONG status = ERROR_BUFFER_OVERFLOW;
  for (int attempt = 0; attempt < kAttempts && status == ERROR_BUFFER_OVERFLOW; ++attempt) {
    buffer.assign(size / sizeof(std::uint64_t) + 1, 0);
    status = ::GetAdaptersAddresses(AF_UNSPEC, kFlags, nullptr,
                                    reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()), &size);
  }
  if (status != NO_ERROR) return config;
  for (const auto* adapter = reinterpret_cast<const IP_ADAPTER_ADDRESSES*>(buffer.data());
       adapter != nullptr; adapter = adapter->Next) {
    if (adapter->OperStatus != IfOperStatusUp) continue;
    for (const auto* unicast = adapter->FirstUnicastAddress; unicast != nullptr;
         unicast = unicast->Next) {
      const sockaddr* address = unicast->Address.lpSockaddr;
      if (address == nullptr) continue;
      if (address->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
        if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) config.ipv4 = true;
      } else if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) && !IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr)) {
          config.ipv6 = true;
        }
      }
    }
  }
  return config;
}

}  // namespace gatelink::resolve
