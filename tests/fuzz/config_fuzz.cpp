// Feeds arbitrary text to the agent configuration parser (parse_agent_config, the file behind
// `gatelink-agent --config`). A refusal must say where and what (`FILE:LINE: problem`, or the
// size bound's `FILE: larger than ...`), with no control character from the file in it. A
// configuration it accepts must hold what the rest of the agent relies on: a bootstrap topology
// that validate_topology accepts, a name and management group the hello can carry, the files
// of its TLS, and timings within the bounds the schema documents.
//
// Input: the configuration text.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codec/codec.hpp"
#include "config/agent_config.hpp"
#include "topology/topology.hpp"

namespace {

constexpr std::string_view kSource = "fuzz.xml";

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "config_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gatelink;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_agent_config(text, kSource);
  if (!parsed) {
    const std::string& message = parsed.error().message;
    if (!message.starts_with(std::string(kSource) + ":") || message.size() <= kSource.size() + 2) {
      fail("a refusal does not say where and what", message);
    }
    for (const char c : message) {
      if (static_cast<unsigned char>(c) < 0x20)
        fail("a refusal carries a control character", message);
    }
    return 0;
  }

  const AgentConfig& config = *parsed;
  if (config.source != kSource) fail("the source is not kept", config.source);
  const Topology& bootstrap = config.bootstrap;
  if (auto problem = validate_topology(bootstrap)) {
    fail("an accepted bootstrap topology is invalid", problem->message);
  }
  if (bootstrap.generation != 0 || bootstrap.management_group != config.management_group) {
    fail("the bootstrap topology is not the configuration's", bootstrap.management_group);
  }
  // The hello carries both names: the codec must take them, or the agent could never connect.
  const codec::Hello hello{.agent_name = config.name, .management_group = config.management_group};
  if (config.name.empty() || codec::validate(hello)) fail("the names cannot be sent", config.name);
  if (config.tls.ca.empty() || config.tls.cert.empty() || config.tls.key.empty() ||
      config.state_dir.empty() || config.status_socket.empty()) {
    fail("a required path is empty", config.tls.ca);
  }
  const Timings& t = config.timings;
  if (t.heartbeat_misses < 2 || t.heartbeat_interval < Millis(50) || t.stable_probes < 1 ||
      t.probe_interval < Millis(100) || t.backoff_base < Millis(10) ||
      t.backoff_cap < t.backoff_base || t.max_stay_away < Millis(10) ||
      t.resolve_timeout < Millis(10) || t.connect_timeout < Millis(10) ||
      t.handshake_timeout < Millis(10) || t.welcome_timeout < Millis(10)) {
    fail("a timing is out of its bounds", std::to_string(t.heartbeat_interval.count()));
  }
  return 0;
}
