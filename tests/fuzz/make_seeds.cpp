// Writes the seed corpus of every fuzz target at build time (tests/fuzz/fuzz.cmake), so that no
// corpus is committed: OUT/<target>/<seed>, each in its target's input format (the comment at
// the top of each *_fuzz.cpp). The seeds come from the product's own samples: the codec's
// sample of every message (tests/unit/codec_samples.cpp), the sample configuration
// config/agent.xml and variants of it, configurations as the installer writes them
// (render_bootstrap_config), issued topology documents (render_issued_topology), unsigned and
// signed with the topology targets' test key (fuzz_trust.hpp), as pushes and as persisted files
// (render_persisted_topology, and version-1 documents), and status requests.
//
//   make_seeds OUT SOURCE_DIR

#include <array>
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
#include "fuzz/fuzz_trust.hpp"
#include "signature/signing_key.hpp"
#include "store/stored_topology.hpp"
#include "store/topology_document.hpp"
#include "store/topology_trust.hpp"
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
/// machine starts from in fuzz::kEpoch, generation 2.
Topology sample_topology(std::uint64_t generation, std::uint64_t epoch = fuzz::kEpoch) {
  return Topology{
      .epoch = epoch,
      .generation = generation,
      .management_group = std::string(fuzz::kManagementGroup),
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

/// kMaxGateways gateways with long names: the longest document a seed has.
Topology longest_topology(std::uint64_t generation) {
  Topology t = sample_topology(generation);
  t.failover.clear();
  const std::string label(56, 'l');  // the names' first labels at most 63
  for (std::size_t i = 0; i < kMaxGateways; ++i) {
    const std::string n = std::to_string(i);
    GatewayAddress g{"gw" + n + "-" + label + "." + label + ".example.test",
                     static_cast<std::uint16_t>(5723 + i),
                     "name" + n + "-" + label + ".example.test"};
    if (i == 0) {
      t.primary = {"gw1.example.test", 5723, ""};  // the primary stays: applied at once
    } else {
      t.failover.push_back(std::move(g));
    }
  }
  return t;
}

/// The document the management group issues for `t` (for fuzz::kAgent unless `agent`).
std::string issued_document(const Topology& t, std::string agent = std::string(fuzz::kAgent)) {
  auto document = render_issued_topology(IssuedTopology{
      .agent = std::move(agent),
      .topology = t,
      .issued_at = std::chrono::system_clock::time_point(std::chrono::seconds(t.epoch + 3600))});
  if (!document) {
    throw std::runtime_error("cannot issue a seed's document: " + document.error().message);
  }
  return *document;
}

/// A key that is not the target's, for signatures that must not verify.
const signature::SigningKey& other_key() {
  static const signature::SigningKey key = [] {
    std::array<std::uint8_t, signature::kPublicKeySize> seed{};
    seed.fill(0x77);
    return signature::SigningKey::from_seed(seed).value();
  }();
  return key;
}

void topology_push_seeds(const fs::path& out) {
  Corpus corpus(out, "topology_push");
  // Scenario byte: bits 0-1 the gateway in use, bit 2 handovers fail, bit 3 probes fail, bit 4
  // fuzz::test_key() pinned (topology_push_fuzz).
  constexpr std::uint8_t kPinned = 16;
  std::size_t n = 0;
  for (const auto& sample : codec::testing::sample_messages()) {
    if (std::holds_alternative<codec::TopologyPush>(sample)) {
      corpus.add(numbered(n, "sample"), {0}, body_of(sample));
      corpus.add(numbered(n++, "sample-pinned"), {kPinned}, body_of(sample));
    }
  }
  // A push of `document` for `t`, signed with `key` (none: unsigned), its header `t`'s version.
  // Meant to pass (`passes`): check_issued accepts it with the scenario's trust.
  const auto push = [&](const std::string& name, std::uint8_t scenario, const Topology& t,
                        const signature::SigningKey* key, bool passes = true,
                        std::optional<std::string> document = std::nullopt) {
    const std::string bytes = document ? *document : issued_document(t);
    const codec::TopologyPush message{.epoch = t.epoch,
                                      .generation = t.generation,
                                      .document = bytes,
                                      .signature = key ? key->sign(bytes) : Bytes{}};
    const auto checked =
        check_issued(bytes, message.signature, fuzz::trust(scenario & kPinned), fuzz::now(), name);
    if (static_cast<bool>(checked) != passes) {
      throw std::runtime_error(
          "seed " + name +
          (passes ? " is refused: " + checked.error().message : " is not refused"));
    }
    corpus.add(name, {scenario}, body_of(message));
  };
  const signature::SigningKey* key = &fuzz::test_key();
  // Each one unsigned with no key pinned, and signed with the key pinned.
  const auto both = [&](const std::string& name, std::uint8_t scenario, const Topology& t) {
    push(name, scenario, t, nullptr);
    push(name + "-signed", scenario | kPinned, t, key);
  };
  Topology same = sample_topology(4);
  std::swap(same.failover[0], same.failover[1]);
  both("reordered-failovers", 0, same);
  Topology moved = sample_topology(5);
  std::swap(moved.primary, moved.failover[0]);
  both("new-primary", 0, moved);
  both("new-primary-that-fails", 4, moved);
  both("new-primary-while-on-failover-2", 2, moved);
  both("new-primary-while-probes-fail", 2 | 8, moved);
  Topology dropped = sample_topology(6);
  dropped.failover.erase(dropped.failover.begin());
  both("drops-the-gateway-in-use", 1, dropped);
  Topology fresh = sample_topology(7);
  fresh.primary = {"gw9.example.test", 5723, ""};
  both("all-new-primary-on-failover-1", 1, fresh);
  both("longest", 0, longest_topology(8));
  both("longest-on-failover-2", 2, longest_topology(9));
  // A new epoch starts generations again; an older one is not followed.
  both("new-epoch", 0, sample_topology(1, fuzz::kNewEpoch));
  Topology moved_epoch = moved;
  moved_epoch.epoch = fuzz::kNewEpoch;
  moved_epoch.generation = 1;
  both("new-epoch-new-primary", 0, moved_epoch);
  both("new-epoch-new-primary-on-failover-1", 1 | 8, moved_epoch);
  both("older-epoch", 0, sample_topology(99, fuzz::kEpoch - 1));
  // Not newer than the topology in use (generation 2): the same one, another, an older one.
  both("same-as-in-use", 0, sample_topology(2));
  Topology same_version = same;
  same_version.generation = 2;
  both("same-version-as-in-use", 0, same_version);
  both("older-generation", 0, sample_topology(1));
  // Refused before the machine hears of it.
  push("signed-not-pinned", 0, moved, key);
  push("unsigned-pinned", kPinned, moved, nullptr, false);
  push("other-key", kPinned, moved, &other_key(), false);
  // Two days ahead of the target's clock: believed only when signed.
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(fuzz::now().time_since_epoch()).count();
  const Topology future = sample_topology(1, static_cast<std::uint64_t>(now_s) + 2 * 86'400);
  push("future-epoch-unsigned", 0, future, nullptr, false);
  push("future-epoch-signed", kPinned, future, key);
  Topology other_group = sample_topology(9);
  other_group.management_group = "OTHER";
  push("other-management-group", kPinned, other_group, key, false);
  push("other-agent", kPinned, moved, key, false, issued_document(moved, "web02.example.test"));
  const std::string doc = issued_document(moved);
  // The header names another version than the document: check_issued takes it, on_push not.
  Topology header = moved;
  header.generation = 6;
  push("header-mismatch", kPinned, header, key, true, doc);
}

/// `file` as the agent writes it, which parse_persisted_topology must read.
std::string persisted_file(const std::string& seed, const PersistedTopology& file) {
  auto text = render_persisted_topology(file);
  if (!text) throw std::runtime_error("seed " + seed + ": " + text.error().message);
  const auto parsed = parse_persisted_topology(*text, seed);
  must_accept(seed, parsed ? std::nullopt : std::optional(parsed.error()));
  return *text;
}

/// The stored file of `t`'s document, signed with `key` (none: unsigned).
PersistedTopology stored(const Topology& t, const signature::SigningKey* key,
                         std::string agent = std::string(fuzz::kAgent)) {
  PersistedTopology file{.topology = t,
                         .received_from = "gw1.example.test:5723",
                         .received_at = fuzz::now() - std::chrono::milliseconds(1234)};
  file.issued.bytes = issued_document(t, std::move(agent));
  if (key) {
    file.issued.signature = key->sign(file.issued.bytes);
    file.issued.signed_by = key->public_key().fingerprint();
  }
  return file;
}

void topology_xml_seeds(const fs::path& out) {
  Corpus corpus(out, "topology_xml");
  const auto received_at =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1714564800123));
  // <stored-topology> files, as the agent writes them from a push (received-at and -from)...
  const auto add = [&](const std::string& name, const PersistedTopology& file) {
    corpus.add(name, persisted_file(name, file));
  };
  const signature::SigningKey* key = &fuzz::test_key();
  add("stored-signed", stored(sample_topology(3), key));
  add("stored-unsigned", stored(sample_topology(3), nullptr));
  Topology moved = sample_topology(5, fuzz::kNewEpoch);
  std::swap(moved.primary, moved.failover[0]);
  add("stored-signed-new-epoch", stored(moved, key));
  add("stored-signed-longest", stored(longest_topology(8), key));
  add("stored-other-key", stored(sample_topology(4), &other_key()));
  add("stored-other-agent", stored(sample_topology(4), key, "web02.example.test"));
  Topology other_group = sample_topology(4);
  other_group.management_group = "OTHER";
  add("stored-other-management-group", stored(other_group, key));
  // ... and as the management group's store keeps them (no received-at nor -from).
  PersistedTopology bare = stored(sample_topology(6), key);
  bare.received_from.clear();
  const std::string bare_name = "stored-as-the-management-group-keeps-it";
  StoredTopology group_file{.document = bare.issued.bytes,
                            .signature = bare.issued.signature,
                            .key = bare.issued.signed_by};
  auto group_text = render_stored_topology(group_file);
  if (!group_text) throw std::runtime_error(group_text.error().message);
  corpus.add(bare_name,
             persisted_file(bare_name, parse_persisted_topology(*group_text, bare_name).value()));
  corpus.add(bare_name + "-as-written", *group_text);

  // Version-1 <topology> documents, written before signed topologies.
  corpus.add("v1-bootstrap", persisted_file("v1-bootstrap", {sample_topology(0, 0), "", {}}));
  corpus.add("v1-pushed", persisted_file("v1-pushed", {sample_topology(7, 0),
                                                       "gw1.example.test:5723", received_at}));
  PersistedTopology ipv6{sample_topology(12, 0), "gw3.example.test@127.0.0.1:15803", received_at};
  ipv6.topology.failover.push_back({"::1", 15804, "gw4.example.test"});
  ipv6.topology.management_group = "A&B<'\">";
  corpus.add("v1-ipv6-and-xml-specials", persisted_file("v1-ipv6-and-xml-specials", ipv6));
  Topology longest = longest_topology(13);
  longest.epoch = 0;
  corpus.add("v1-longest",
             persisted_file("v1-longest", {longest, "gw1.example.test:5723", received_at}));
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
