// POSIX: the interfaces from getifaddrs(3).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "resolve/address_config.hpp"

namespace gatelink::resolve {

AddressConfig current_address_config() {
  AddressConfig config;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return config;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || (entry->ifa_flags & IFF_UP) == 0) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) config.ipv4 = true;
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) && !IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr)) {
        config.ipv6 = true;
      }
    }
  }
  freeifaddrs(list);
  return config;
}

}  // namespace gatelink::resolve
