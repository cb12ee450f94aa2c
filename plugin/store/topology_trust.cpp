#include "store/topology_trust.hpp"

#include <array>

#include "xml/strict_xml.hpp"

namespace gatelink {
namespace {

TopologyRefused refuse(TopologyRefusal reason, std::string message) {
  return {reason, std::move(message)};
}

}  // namespace

std::string_view to_string(TopologyRefusal refusal) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "unsigned",     "bad-signature",          "malformed",
      "other-agent",  "other-management-group", "reserved-version",
      "future-epoch", "header-mismatch"};
  const auto index = static_cast<std::size_t>(refusal);
  return index < kNames.size() ? kNames[index] : "unknown";
}

Result<TrustedTopology, TopologyRefused> check_issued(std::string_view document,
                                                      std::span<const std::uint8_t> signature,
                                                      const TopologyTrust& trust,
                                                      std::chrono::system_clock::time_point now,
                                                      std::string_view source) {
  TrustedTopology trusted;
  if (!trust.keys.empty()) {
    if (signature.empty()) {
      return refuse(TopologyRefusal::unsigned_document,
                    "not signed, and this agent accepts only topologies signed by a pinned "
                    "management-group key (" +
                        trust.keys.fingerprints() + ")");
    }
    const auto* signer = trust.keys.signer_of(document, signature);
    if (signer == nullptr) {
      return refuse(TopologyRefusal::bad_signature,
                    "the signature is not one of a pinned management-group key (" +
                        trust.keys.fingerprints() + ") over these bytes");
    }
    trusted.signed_by = signer->fingerprint();
  }
  auto issued = parse_issued_topology(document, source);
  if (!issued) return refuse(TopologyRefusal::malformed, issued.error().message);
  const auto& topology = issued->topology;
  if (issued->agent != trust.agent) {
    return refuse(TopologyRefusal::other_agent, "issued for agent \"" + xml::echo(issued->agent) +
                                                    "\", not this one (" + trust.agent + ")");
  }
  if (topology.management_group != trust.management_group) {
    return refuse(TopologyRefusal::other_management_group,
                  "management group \"" + xml::echo(topology.management_group) +
                      "\" is not this agent's (" + trust.management_group + ")");
  }
  if (auto problem = check_issuable(version_of(topology))) {
    return refuse(TopologyRefusal::reserved_version, problem->message);
  }
  const auto seconds_now = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch());
  const auto latest = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, (seconds_now + kMaxUnsignedEpochLead).count()));
  if (trust.keys.empty() && topology.epoch > latest) {
    return refuse(TopologyRefusal::future_epoch,
                  "epoch " + std::to_string(topology.epoch) +
                      " is more than a day ahead of this agent's clock, and nothing proves it "
                      "(no management-group key is pinned)");
  }
  trusted.issued = std::move(*issued);
  return trusted;
}

}  // namespace gatelink
