#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "descriptor_limit.hpp"

namespace gatelink::gateway {

DescriptorLimit raise_descriptor_limit() {
  DescriptorLimit out;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    } else {
      out.error = std::strerror(errno);
    }
  }
  out.soft = limit.rlim_cur;
  out.hard = limit.rlim_max;
  return out;
}

}  // namespace gatelink::gateway
