// The family to ask for; listing the interfaces is per platform (address_config_posix.cpp,
// address_config_windows.cpp).
#include "resolve/address_config.hpp"

// The AF_* values that c-ares takes in its hints; ares.h brings the platform's socket headers.
#include <ares.h>

namespace gatelink::resolve {

int lookup_family(AddressConfig config) {
  if (config.ipv4 && !config.ipv6) return AF_INET;
  if (config.ipv6 && !config.ipv4) return AF_INET6;
  return AF_UNSPEC;
}

}  // namespace gatelink::resolve
