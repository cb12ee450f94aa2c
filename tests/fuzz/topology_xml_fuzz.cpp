// Feeds arbitrary text to the persisted-topology parser (the agent's topology.xml and the
// management group's store files). Besides not crashing, checks that whatever it accepts is a
// valid topology and survives render -> parse unchanged, so a file the agent writes from an
// accepted one always reads back.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "store/topology_document.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = gatelink::parse_topology_xml(text, "fuzz");
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();  // every refusal says why
    return 0;
  }
  if (gatelink::validate_topology(parsed->topology)) std::abort();
  const auto rendered = gatelink::render_topology_xml(*parsed);
  auto again = gatelink::parse_topology_xml(rendered, "rendered");
  if (!again || !(*again == *parsed)) {
    std::fprintf(stderr, "does not read back: %s\n%s\n",
                 again ? "another value" : again.error().message.c_str(), rendered.c_str());
    std::abort();
  }
  return 0;
}
