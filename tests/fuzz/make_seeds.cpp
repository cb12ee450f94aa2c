// Writes the seed corpus of every fuzz target at build time (tests/fuzz/fuzz.cmake), so that no
// corpus is committed: OUT/<target>/<seed>, each in its target's input format (the comment at
// the top of each *_fuzz.cpp). The seeds come from the product's own samples: the codec's
// sample of every message (tests/unit/codec_samples.cpp), the sample configuration
// config/agent.xml and variants of it, configurations as the installer writes them
// (render_bootstrap_config), rendered topology documents (render_topology_xml) and status
// requests.
//
//   make_seeds OUT SOURCE_DIR

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bootstrap_config.hpp"
#include "codec/codec.hpp"
#include "config/agent_config.hpp"
#include "store/topology_document.hpp"
#include "unit/codec_samples.hpp"

namespace {

namespace fs = std::filesystem;
using namespace gatelink;
using codec::Bytes;

/// A seed meant to be accepted that is not would fuzz only the refusals: the build stops.
void must_accept(const std::string& seed, const std::optional<Error>& problem) {
  if (problem) throw std::runtime_error("seed " + seed + " is refused: " + problem->message);
}

/// Writes the seeds of one target into a fresh folder.
class Corpus {
 public:
  Corpus(const fs::path& out, const std::string& target) : folder_(out / target) {
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  void add(const std::string& name, const Bytes& bytes) {
    std::ofstream file(folder_ / name, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    if (!file) throw std::runtime_error("cannot write " + (folder_ / name).string());
  }
  void add(const std::string& name, std::string_view text) {
    add(name, Bytes(text.begin(), text.end()));
  }
  /// `prefix` (the target's option bytes), then `bytes`.
  void add(const std::string& name, Bytes prefix, const Bytes& bytes) {
    prefix.insert(prefix.end(), bytes.begin(), bytes.end());
    add(name, prefix);
  }

 private:
  fs::path folder_;
};

std::string numbered(std::size_t i, std::string_view what) {
  char number[8];
  std::snprintf(number, sizeof number, "%02zu", i);
  return std::string(number) + "-" + std::string(what);
}

Bytes body_of(const codec::Message& message) {
  Bytes frame = codec::encode(message);
  frame.erase(frame.begin(), frame.begin() + codec::kHeaderSize);
  return frame;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

/// The topology of the sample configuration (config/agent.xml), which the push target's
/// machine starts from.
Topology sample_topology(std::uint64_t generation) {
  return Topology{
      .generation = generation,
      .management_group = "EXAMPLE",
      .primary = {"gw1.example.test", 5723, ""},
      .failover = {{"gw2.example.test", 5723, ""}, {"127.0.0.1", 15803, "gw3.example.test"}}};
}

void codec_seeds(const fs::path& out) {
  Corpus corpus(out, "codec");
  const auto samples = codec::testing::sample_messages();
  // Read sizes: all at once, byte by byte, and 8 bytes (a header) a read.
  const std::uint8_t chunks[] = {255, 0, 7};
  Bytes stream;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Bytes frame = codec::encode(samples[i]);
    corpus.add(numbered(i, codec::to_string(codec::type_of(samples[i]))), {chunks[i % 3]}, frame);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  corpus.add("every-sample-in-one-stream", {30}, stream);
}

void topology_push_seeds(const fs::path& out) {
  Corpus corpus(out, "topology_push");
  const auto samples = codec::testing::sample_messages();
  std::size_t n = 0;
  for (const auto& sample : samples) {
    if (std::holds_alternative<codec::TopologyPush>(sample)) {
      corpus.add(numbered(n++, "sample"), {0}, body_of(sample));
    }
  }
  // Scenario byte: bits 0-1 the gateway in use, bit 2 handovers fail, bit 3 probes fail
  // (topology_push_fuzz).
  const auto push = [&](const std::string& name, std::uint8_t scenario, const Topology& t) {
    corpus.add(name, {scenario}, body_of(codec::make_push(t)));
  };
  Topology same = sample_topology(4);
  std::swap(same.failover[0], same.failover[1]);
  push("reordered-failovers", 0, same);
  Topology moved = sample_topology(5);
  std::swap(moved.primary, moved.failover[0]);
  push("new-primary", 0, moved);
  push("new-primary-that-fails", 4, moved);
  push("new-primary-while-on-failover-2", 2, moved);
  push("new-primary-while-probes-fail", 2 | 8, moved);
  Topology dropped = sample_topology(6);
  dropped.failover.erase(dropped.failover.begin());
  push("drops-the-gateway-in-use", 1, dropped);
  Topology fresh = sample_topology(7);
  fresh.primary = {"gw9.example.test", 5723, ""};
  push("all-new-primary-on-failover-1", 1, fresh);
  Topology duplicate = sample_topology(8);
  duplicate.failover.push_back(duplicate.primary);
  push("duplicate-gateway", 0, duplicate);
  Topology other_group = sample_topology(9);
  other_group.management_group = "OTHER";
  push("other-management-group", 0, other_group);
  push("generation-0", 0, sample_topology(0));
  push("same-as-in-use", 0, sample_topology(0));
}

std::string accepted_document(const std::string& seed, std::string text) {
  const auto parsed = parse_topology_xml(text, seed);
  must_accept(seed, parsed ? std::nullopt : std::optional(parsed.error()));
  return text;
}

void topology_xml_seeds(const fs::path& out) {
  Corpus corpus(out, "topology_xml");
  const auto received_at =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1714564800123));
  std::size_t n = 0;
  for (const auto& sample : codec::testing::sample_messages()) {
    if (const auto* push = std::get_if<codec::TopologyPush>(&sample)) {
      const PersistedTopology persisted{codec::to_topology(*push), "gw1.example.test:5723",
                                        received_at};
      // The codec's samples include topologies that validate_topology refuses: seeds too.
      if (validate_topology(persisted.topology)) {
        corpus.add(numbered(n++, "refused"), render_topology_xml(persisted));
      } else {
        const std::string name = numbered(n++, "pushed");
        corpus.add(name, accepted_document(name, render_topology_xml(persisted)));
      }
    }
  }
  corpus.add("bootstrap",
             accepted_document("bootstrap", render_topology_xml({sample_topology(0), "", {}})));
  PersistedTopology ipv6{sample_topology(12), "gw3.example.test@127.0.0.1:15803", received_at};
  ipv6.topology.failover.push_back({"::1", 15804, "gw4.example.test"});
  ipv6.topology.management_group = "A&B<'\">";
  corpus.add("ipv6-and-xml-specials",
             accepted_document("ipv6-and-xml-specials", render_topology_xml(ipv6)));
}

/// Writes a configuration seed that the parser accepts.
void add_config(Corpus& corpus, const std::string& seed, std::string_view text) {
  const auto parsed = parse_agent_config(text, seed);
  must_accept(seed, parsed ? std::nullopt : std::optional(parsed.error()));
  corpus.add(seed, text);
}

void config_seeds(const fs::path& out, const fs::path& source) {
  Corpus corpus(out, "config");
  std::ifstream in(source / "config" / "agent.xml", std::ios::binary);
  const std::string sample((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (sample.empty()) throw std::runtime_error("cannot read config/agent.xml");
  add_config(corpus, "sample", sample);
  std::string crlf;
  for (const char c : sample) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  add_config(corpus, "sample-crlf", crlf);
  add_config(corpus, "minimal", std::string_view(R"(<agent name="a" management-group="G">
  <tls ca="ca.pem" cert="agent.pem" key="agent.key"/>
  <gateways><primary address="[::1]:1"/></gateways>
</agent>
)"));
  std::string most = R"(<?xml version="1.0"?>
<agent name="web01" management-group="EXAMPLE">
  <tls ca="/c" cert="/a" key="/k" crl="/r" expiry-warning-days="0"/>
  <gateways>
    <primary address="10.0.0.1"/>
)";
  for (int i = 2; i <= 16; ++i) {
    most += "    <failover address=\"10.0.0." + std::to_string(i) + ":" + std::to_string(5700 + i) +
            "\" server-name=\"gw" + std::to_string(i) + ".example.test\"/>\n";
  }
  most += R"(  </gateways>
  <heartbeat interval-ms="50" misses="2"/>
  <failback probe-interval-ms="100" stable-probes="100" flap-window-ms="86400000"
            max-stable-window-ms="100"/>
  <backoff base-ms="10" cap-ms="10" max-stay-away-ms="86400000"/>
  <timeouts resolve-ms="10" connect-ms="600000" handshake-ms="10" welcome-ms="600000"/>
  <state dir="state"/>
  <status socket="\\.\pipe\gatelink-agent"/>
</agent>
)";
  add_config(corpus, "every-element-at-its-bounds", most);

  // As the installer writes it (gatelinkctl bootstrap-config).
  BootstrapSettings settings{
      .agent_name = "web01.example.test",
      .management_group = "EXAMPLE",
      .primary = "gw1.example.test",
      .failover = {"gw2.example.test:5724", "gw3.example.test@127.0.0.1:15803", "[::1]:15804"},
      .ca = "/etc/gatelink/ca.pem",
      .cert = "/etc/gatelink/agent.pem",
      .key = "/etc/gatelink/agent.key",
      .crl = "/etc/gatelink/ca.crl",
      .state_dir = "/var/lib/gatelink",
      .status_socket = "/run/gatelink/agent.sock"};
  auto rendered = render_bootstrap_config(settings);
  if (!rendered) throw std::runtime_error(rendered.error().message);
  add_config(corpus, "installer", *rendered);
  settings.failover.clear();
  settings.crl.clear();
  settings.state_dir.clear();
  settings.status_socket.clear();
  settings.default_port = 443;
  rendered = render_bootstrap_config(settings);
  if (!rendered) throw std::runtime_error(rendered.error().message);
  add_config(corpus, "installer-minimal", *rendered);
}

void status_request_seeds(const fs::path& out) {
  Corpus corpus(out, "status_request");
  // Option byte: bits 0-5 read size - 1, bit 6 not admitted, bit 7 reset (status_request_fuzz).
  const auto request = [&](const std::string& name, std::uint8_t options, std::string_view sent) {
    corpus.add(name, {options}, text_bytes(sent));
  };
  request("status", 0x3f, "status\n");
  request("status-byte-by-byte", 0x00, "status\n");
  request("status-and-more", 0x03, "status\nstatus\n");
  request("status-not-admitted", 0x7f, "status\n");
  request("status-then-reset", 0xbf, "status\n");
  request("incomplete", 0x3f, "status");
  request("incomplete-reset", 0xbf, "stat");
  request("left-without-asking", 0x3f, "");
  request("unknown", 0x3f, "STATUS\n");
  request("crlf", 0x3f, "status\r\n");
  request("too-long", 0x3f, std::string(300, 'x') + "\n");
  request("terminal-escapes", 0x3f, "\x1b[31mstatus\x1b[0m\n");
}

void admission_seeds(const fs::path& out) {
  Corpus corpus(out, "admission");
  // Option bytes: read size - 1, the agent's bound on a retry-after in seconds (admission_fuzz).
  const Bytes admit = codec::encode(codec::Admit{});
  corpus.add("admit", {255, 30}, admit);
  corpus.add("admit-byte-by-byte", {0, 30}, admit);
  // The TLS handshake's first record may follow in the same read: it is not the frame's.
  corpus.add("admit-then-tls", {255, 30}, concat({admit, {0x16, 0x03, 0x03, 0x00, 0x31, 0x02}}));
  corpus.add("busy", {255, 30}, codec::encode(codec::Goodbye{"busy", 5000}));
  corpus.add("busy-for-a-day", {3, 30}, codec::encode(codec::Goodbye{"busy", 86400000}));
  corpus.add("busy-without-bound", {255, 0}, codec::encode(codec::Goodbye{"busy", 1000}));
  corpus.add("shutdown", {1, 255}, codec::encode(codec::Goodbye{"shutdown", 0}));
  corpus.add("welcome-instead", {255, 30},
             codec::encode(codec::Welcome{codec::kProtocolVersion, "gw1.example.test", 1000, 3}));
  corpus.add("admission-too-large", {255, 30},
             codec::testing::make_frame(static_cast<std::uint8_t>(codec::MessageType::goodbye),
                                        Bytes(600, 'a')));
  corpus.add("cut-short", {255, 30}, Bytes(admit.begin(), admit.begin() + 5));
  corpus.add("not-gatelink", {255, 30}, text_bytes("HTTP/1.1 400 Bad Request\r\n\r\n"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_seeds OUT SOURCE_DIR\n");
    return 2;
  }
  try {
    const fs::path out = argv[1];
    codec_seeds(out);
    topology_push_seeds(out);
    topology_xml_seeds(out);
    config_seeds(out, argv[2]);
    status_request_seeds(out);
    admission_seeds(out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
