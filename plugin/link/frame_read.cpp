#include "link/frame_read.hpp"

namespace gatelink::link {

namespace {

// Boost's error_category has a non-virtual destructor by design (categories are static objects,
// never deleted through the base), which -Wnon-virtual-dtor flags in every subclass.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ReadErrorCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "gatelink.read"; }
  std::string message(int value) const override {
    switch (static_cast<ReadErrc>(value)) {
      case ReadErrc::over_budget:
        return "buffer budget exhausted";
    }
    return "unknown read error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

boost::system::error_code make_error_code(ReadErrc e) {
  static const ReadErrorCategory category;
  return {static_cast<int>(e), category};
}

}  // namespace gatelink::link
