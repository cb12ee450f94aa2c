#pragma once
// How long the gateway waits before accepting again after accept() failed. Out of descriptors
// (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM) the listening socket stays readable, so
// accepting again at once would spin a core: the wait starts short and doubles up to a cap, and
// the first accept that works starts it over. Pure: no clocks.

#include <chrono>

namespace gatelink::gateway {

class AcceptBackoff {
 public:
  using Millis = std::chrono::milliseconds;

  AcceptBackoff(Millis first, Millis cap) : first_(first), cap_(cap) {}

  /// An accept failed: the wait before the next one.
  Millis failed();
  /// An accept worked: the next failure waits `first` again.
  void succeeded() { next_ = Millis::zero(); }

 private:
  Millis first_;
  Millis cap_;
  Millis next_{0};  ///< 0: no failure since the last success
};

}  // namespace gatelink::gateway
