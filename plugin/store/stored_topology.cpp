#include "store/stored_topology.hpp"

#include <tinyxml2.h>

#include <algorithm>
#include <span>

#include "signature/base64.hpp"
#include "status/status_time.hpp"
#include "store/topology_document.hpp"
#include "store/utc_attribute.hpp"
#include "topology/gateway_address.hpp"
#include "xml/document_printer.hpp"
#include "xml/element_reader.hpp"
#include "xml/parsed_document.hpp"
#include "xml/strict_xml.hpp"

namespace gatelink {
namespace {

using xml::AttributeRule;
using xml::tag;

constexpr std::string_view kStoredRoot = "stored-topology";
constexpr std::string_view kSignature = "signature";
constexpr std::string_view kDocument = "document";
constexpr AttributeRule kStoredAttributes[] = {
    {"version", true}, {"received-at", false}, {"received-from", false}};
/// `key`: the fingerprint of the key that verified the signature; absent when none did (an
/// agent with no key pinned keeps the signature, to be checked once one is).
constexpr AttributeRule kSignatureAttributes[] = {{"key", false}};
constexpr std::string_view kStoredComment =
    " An agent's topology as its management group issued it, with the group's signature.\n"
    "     Written by gatelink; the document is checked again whenever it is read. Do not edit. ";
/// "SHA256:" and 43 characters of unpadded base64: a key fingerprint (signature/public_key.hpp).
constexpr std::string_view kFingerprintPrefix = "SHA256:";
constexpr std::size_t kFingerprintLength = kFingerprintPrefix.size() + 43;
constexpr std::size_t kSignatureBytes = 64;

bool is_fingerprint(std::string_view text) {
  const auto digit = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  };
  return text.size() == kFingerprintLength && text.starts_with(kFingerprintPrefix) &&
         std::all_of(text.begin() + kFingerprintPrefix.size(), text.end(), digit);
}

class StoredReader {
 public:
  explicit StoredReader(std::string_view source) : in_(source) {}

  Result<StoredTopology> read(const tinyxml2::XMLElement& root) {
    if (auto error = in_.check_version(root, kStoredTopologyVersion)) return *error;
    if (auto error = in_.check_attributes(root, kStoredAttributes)) return *error;
    StoredTopology stored;
    if (const auto* at = root.FindAttribute("received-at")) {
      auto time = read_utc_attribute(in_, root, *at);
      if (!time) return time.error();
      stored.received_at = *time;
    }
    if (const auto* from = root.FindAttribute("received-from")) {
      if (auto address = parse_gateway_address(from->Value()); !address) {
        return in_.attribute_error(root, *from, address.error());
      }
      stored.received_from = from->Value();
    }
    bool has_document = false;
    for (const auto* node = root.FirstChild(); node; node = node->NextSibling()) {
      const auto* element = node->ToElement();
      if (!element) {
        if (auto error = in_.check_no_text(*node)) return *error;
        continue;
      }
      const std::string_view name = element->Name();
      if (name == kSignature && !has_document && stored.signature.empty()) {
        if (auto error = signature(*element, stored)) return *error;
      } else if (name == kDocument && !has_document) {
        if (auto error = document(*element, stored)) return *error;
        has_document = true;
      } else if (name == kSignature || name == kDocument) {
        return in_.fail(element->GetLineNum(),
                        "unexpected " + tag(name) + " in " + tag(kStoredRoot) +
                            " (one <signature> at most, then one <document>)");
      } else {
        return in_.fail(element->GetLineNum(), "unknown element " + tag(xml::echo(name)) + " in " +
                                                   tag(kStoredRoot) +
                                                   " (expected: signature, document)");
      }
    }
    if (!has_document) {
      return in_.fail(root.GetLineNum(),
                      tag(kStoredRoot) + ": missing required element <document>");
    }
    return stored;
  }

 private:
  std::optional<Error> signature(const tinyxml2::XMLElement& element, StoredTopology& stored) {
    if (auto error = in_.check_attributes(element, kSignatureAttributes)) return error;
    const auto* key = element.FindAttribute("key");
    if (key != nullptr && !is_fingerprint(key->Value())) {
      return in_.attribute_error(
          element, *key, Error{"is not a key fingerprint (SHA256: and 43 base64 characters)"});
    }
    const auto* text = element.FirstChild() ? element.FirstChild()->ToText() : nullptr;
    std::optional<std::vector<std::uint8_t>> bytes;
    if (text && !text->CData() && text->NextSibling() == nullptr) {
      bytes = signature::base64_decode(text->Value());
    }
    if (!bytes || bytes->size() != kSignatureBytes) {
      return in_.fail(element.GetLineNum(), "<signature>: expected " +
                                                std::to_string(kSignatureBytes) +
                                                " bytes in base64 as its only content");
    }
    if (key != nullptr) stored.key = key->Value();
    stored.signature = std::move(*bytes);
    return std::nullopt;
  }

  std::optional<Error> document(const tinyxml2::XMLElement& element, StoredTopology& stored) {
    if (auto error = in_.check_attributes(element, {})) return error;
    const auto* text = element.FirstChild() ? element.FirstChild()->ToText() : nullptr;
    if (!text || !text->CData() || text->NextSibling() != nullptr) {
      return in_.fail(element.GetLineNum(),
                      "<document>: expected the issued document in one CDATA section, alone");
    }
    stored.document = text->Value();
    return std::nullopt;
  }

  xml::ElementReader in_;
};

}  // namespace

Result<std::string> render_stored_topology(const StoredTopology& stored) {
  const std::string_view document = stored.document;
  if (document.find('\r') != document.npos || document.find("]]>") != document.npos ||
      document.find('\0') != document.npos) {
    return Error{
        "the document holds a carriage return, \"]]>\" or a NUL: it cannot be kept "
        "byte for byte"};
  }
  if ((!stored.signature.empty() && stored.signature.size() != kSignatureBytes) ||
      (!stored.key.empty() && (stored.signature.empty() || !is_fingerprint(stored.key)))) {
    return Error{"a signature is 64 bytes, and a key's fingerprint comes only with one"};
  }
  xml::DocumentPrinter printer;
  printer.comment(kStoredComment);
  printer.open(kStoredRoot);
  printer.attribute("version", std::to_string(kStoredTopologyVersion));
  if (stored.received_at) printer.attribute("received-at", format_utc_time(*stored.received_at));
  if (!stored.received_from.empty()) printer.attribute("received-from", stored.received_from);
  if (!stored.signature.empty()) {
    printer.open(kSignature);
    if (!stored.key.empty()) printer.attribute("key", stored.key);
    printer.content(signature::base64_encode(stored.signature));
    printer.close();
  }
  printer.open(kDocument);
  printer.cdata(document);
  printer.close();
  printer.close();
  return printer.text();
}

Result<StoredTopology> parse_stored_topology(std::string_view text, std::string_view source) {
  auto doc = xml::parse_strict_document(text, source, {kStoredRoot, kMaxTopologyDocumentBytes});
  if (!doc) return doc.error();
  return StoredReader(source).read(doc->root());
}

Result<PersistedTopology> parse_persisted_topology(std::string_view text, std::string_view source) {
  // One look at the root tells the formats apart; each reader then parses the text its way.
  auto doc = xml::parse_strict_document(
      text, source, {kStoredRoot, kMaxTopologyDocumentBytes, /*older_root=*/"topology"});
  if (!doc) return doc.error();
  if (std::string_view(doc->root().Name()) != kStoredRoot) return parse_topology_xml(text, source);
  auto stored = StoredReader(source).read(doc->root());
  if (!stored) return stored.error();
  auto issued = parse_issued_topology(stored->document, std::string(source) + " <document>");
  if (!issued) return issued.error();
  return PersistedTopology{.topology = std::move(issued->topology),
                           .received_from = std::move(stored->received_from),
                           .received_at = stored->received_at.value_or(issued->issued_at),
                           .issued = {.bytes = std::move(stored->document),
                                      .signature = std::move(stored->signature),
                                      .signed_by = std::move(stored->key)}};
}

Result<std::string> render_persisted_topology(const PersistedTopology& persisted) {
  if (persisted.issued.bytes.empty()) return render_topology_xml(persisted);
  return render_stored_topology(StoredTopology{.document = persisted.issued.bytes,
                                               .signature = persisted.issued.signature,
                                               .key = persisted.issued.signed_by,
                                               .received_at = persisted.received_at,
                                               .received_from = persisted.received_from});
}

}  // namespace gatelink
