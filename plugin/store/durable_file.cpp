// The platform's durable writes behind the DurableFiles interface (the same on every platform:
// the free functions differ per platform, not this adapter).

#include "store/durable_file.hpp"

#include <string>
#include <string_view>

namespace gatelink {
namespace {

class PlatformDurableFiles final : public DurableFiles {
 public:
  Status write_file_atomically(const std::string& dir, const std::string& name,
                               std::string_view contents) override {
    return gatelink::write_file_atomically(dir, name, contents);
  }
};

}  // namespace

DurableFiles& platform_durable_files() {
  static PlatformDurableFiles files;  // stateless
  return files;
}

}  // namespace gatelink
