#include "accept_backoff.hpp"

#include <algorithm>

namespace gatelink::gateway {

AcceptBackoff::Millis AcceptBackoff::failed() {
  next_ = next_ == Millis::zero() ? first_ : std::min(cap_, 2 * next_);
  return next_;
}

}  // namespace gatelink::gateway
