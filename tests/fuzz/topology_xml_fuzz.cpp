// Feeds arbitrary text to the persisted-topology parser (parse_persisted_topology: the agent's
// topology.xml and topology.lkg.xml, a <stored-topology> file or the version-1 <topology>
// document that builds before signed topologies wrote). Besides not crashing, checks that every
// refusal says why; that whatever it accepts is a valid topology, read from its issued document
// when it is a stored-topology file, and survives render_persisted_topology -> parse unchanged,
// the document's bytes exactly, so a file the agent writes from an accepted one always reads
// back; and that the startup check (accept_persisted) takes a file only of the agent's
// management group and, with fuzz::test_key() pinned, only a stored document whose signature
// that key made over its exact bytes (never a version-1 file).
//
// Input: the file's text. The seeds (make_seeds.cpp) are stored-topology files, signed with
// fuzz::test_key() and unsigned, and version-1 documents.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_trust.hpp"
#include "store/startup_topology.hpp"
#include "store/stored_topology.hpp"
#include "store/topology_document.hpp"

namespace {

using namespace gatelink;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "topology_xml_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

/// accept_persisted() of `parsed` by the agent of fuzz::trust(pinned) keeps its promises.
void check_accept(const PersistedTopology& parsed, bool pinned) {
  PersistedTopology file = parsed;
  const auto problem = accept_persisted(file, fuzz::trust(pinned), fuzz::now());
  const bool stored = !parsed.issued.bytes.empty();
  if (problem) {
    if (problem->message.empty()) fail("a refused file does not say why");
    if (!(file.topology == parsed.topology)) fail("a refused file was changed");
    if (!pinned && !stored && parsed.topology.management_group == fuzz::kManagementGroup) {
      fail("a version-1 file of the agent's group was refused with no key pinned",
           problem->message);
    }
    return;
  }
  if (file.topology.management_group != fuzz::kManagementGroup) {
    fail("a file of another management group was accepted");
  }
  if (!(file.topology == parsed.topology) || file.issued.bytes != parsed.issued.bytes ||
      file.issued.signature != parsed.issued.signature) {
    fail("accepting a file changed what it holds");
  }
  if (stored) {
    auto issued = parse_issued_topology(file.issued.bytes, "document");
    if (!issued || issued->agent != fuzz::kAgent) fail("a document of another agent was accepted");
  }
  if (!pinned) {
    if (!file.issued.signed_by.empty()) fail("signed_by is set with no key pinned");
    return;
  }
  if (!stored) fail("a version-1 file was accepted with a key pinned");
  const auto& key = fuzz::test_key().public_key();
  if (!key.verifies(file.issued.bytes, file.issued.signature)) {
    fail("a file whose signature does not verify was accepted with the key pinned");
  }
  if (file.issued.signed_by != key.fingerprint()) fail("signed_by is not the pinned key's");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_persisted_topology(text, "fuzz");
  if (!parsed) {
    if (parsed.error().message.empty()) fail("a refusal does not say why");
    return 0;
  }
  if (validate_topology(parsed->topology)) fail("an invalid topology was accepted");
  const bool stored = !parsed->issued.bytes.empty();
  if (stored) {
    // The topology is the document's, and the document the bytes the file holds.
    auto issued = parse_issued_topology(parsed->issued.bytes, "document");
    if (!issued || !(issued->topology == parsed->topology)) {
      fail("a stored topology is not its document's");
    }
    auto file = parse_stored_topology(text, "fuzz");
    if (!file || file->document != parsed->issued.bytes ||
        file->signature != parsed->issued.signature || file->key != parsed->issued.signed_by) {
      fail("a stored document or signature is not the file's");
    }
    // XML turns CR LF and a lone CR into LF; short of that, the bytes are in the file as they
    // are.
    if (text.find('\r') == text.npos && text.find(parsed->issued.bytes) == text.npos) {
      fail("a stored document's bytes are not in its file");
    }
  }
  const auto rendered = render_persisted_topology(*parsed);
  if (!rendered) fail("an accepted file cannot be written again", rendered.error().message);
  auto again = parse_persisted_topology(*rendered, "rendered");
  if (!again || !(*again == *parsed)) {
    fail("does not read back",
         (again ? "another value" : again.error().message) + "\n" + *rendered);
  }
  if (stored && again->issued.bytes != parsed->issued.bytes) fail("the document's bytes changed");
  check_accept(*parsed, false);
  check_accept(*parsed, true);
  return 0;
}
