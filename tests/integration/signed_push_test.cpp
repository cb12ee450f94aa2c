// Signed topologies end to end through the real agent (DESIGN "Topology", signed topology):
// the fake gateway plays a compromised gateway that relays, forges, tampers with and replays
// pushes, and the management group whose later pushes must still get through. Every push is
// answered by an acknowledgement the test reads; the topology in use is read from status.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include "fixtures/fake_gateway.hpp"
#include "integration/harness.hpp"
#include "integration/issued_push.hpp"

namespace gatelink::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto kWait = 10s;
constexpr auto kAgent = "agent1.example.test";
constexpr std::uint64_t kEpoch = 1'764'590'400;  // 2025-12-01T12:00:00Z
constexpr auto kLast = std::numeric_limits<std::uint64_t>::max();

class SignedPush : public ::testing::Test {
 protected:
  /// Starts (or restarts: the same folder) the agent on the fake gateway, `pinned` keys pinned.
  void start(bool pinned = true) {
    if (pinned) write_public_key(group_key_, (dir_ / "mg.pub").string());
    AgentSetup setup;
    setup.gateways = {{gateway_.address(), "gw1.example.test"}};
    if (pinned) setup.management_group_keys = {(dir_ / "mg.pub").string()};
    agent_ = start_agent(dir_, write_agent_config(dir_, setup));
    ASSERT_TRUE(gateway_.wait_heartbeats(connection_, 1, kWait)) << agent_->log();
  }

  /// A topology of version (`epoch`, `generation`) whose primary is the fake gateway itself, so
  /// that it applies at once; `extra` names its failover.
  Topology topology(std::uint64_t epoch, std::uint64_t generation,
                    const std::string& extra = "gw2.example.test") const {
    return Topology{.epoch = epoch,
                    .generation = generation,
                    .management_group = "TEST",
                    .primary = {.host = "127.0.0.1",
                                .port = gateway_.port(),
                                .server_name = "gw1.example.test"},
                    .failover = {{.host = "127.0.0.1", .port = 1, .server_name = extra}}};
  }

  /// Sends `push` and returns the agent's acknowledgement of its version.
  codec::TopologyAck exchange(const codec::TopologyPush& push) {
    const std::size_t before = gateway_.record(connection_).received.size();
    EXPECT_TRUE(gateway_.send(connection_, push));
    std::optional<codec::TopologyAck> ack;
    const bool answered = gateway_.wait(
        [&](const auto& records) {
          const auto& received = records[connection_].received;
          for (std::size_t i = before; i < received.size(); ++i) {
            const auto* a = std::get_if<codec::TopologyAck>(&received[i].message);
            if (a != nullptr && a->epoch == push.epoch && a->generation == push.generation) {
              ack = *a;
              return true;
            }
          }
          return false;
        },
        kWait);
    EXPECT_TRUE(answered) << agent_->log();
    return ack.value_or(codec::TopologyAck{});
  }

  nlohmann::json status_topology() const {
    const auto status = agent_status(dir_ / "agent.sock");
    return status ? (*status)["topology"] : nlohmann::json();
  }

  /// Waits until status shows the version (`epoch`, `generation`) in use.
  bool in_use(std::uint64_t epoch, std::uint64_t generation) const {
    return wait_until(
        [&] {
          const auto t = status_topology();
          return t.is_object() && t["epoch"] == epoch && t["generation"] == generation;
        },
        kWait);
  }

  TempDir dir_;
  FakeGateway gateway_;
  signature::SigningKey group_key_ = test_group_key(1);
  std::unique_ptr<Process> agent_;
  std::size_t connection_ = 0;
};

TEST_F(SignedPush, a_signed_push_is_applied_persisted_and_verified_again_at_start) {
  start();
  const auto ack = exchange(issued_push(kAgent, topology(kEpoch, 1), &group_key_));
  EXPECT_EQ(ack.outcome, TopologyOutcome::applied) << ack.message << agent_->log();
  ASSERT_TRUE(in_use(kEpoch, 1)) << agent_->log();
  EXPECT_EQ(status_topology()["signed"], true);
  EXPECT_EQ(status_topology()["signed_by"], group_key_.public_key().fingerprint());

  // kill -9 and a start on the same state folder: the file's signature is checked again.
  agent_.reset();
  connection_ = 1;
  start();
  const auto hello = gateway_.wait_hello(kWait, 1);
  ASSERT_TRUE(hello) << agent_->log();
  EXPECT_EQ(hello->topology_epoch, kEpoch);
  EXPECT_EQ(hello->topology_generation, 1u);
  EXPECT_EQ(status_topology()["signed_by"], group_key_.public_key().fingerprint());
  EXPECT_THAT(agent_->log(), HasSubstr("event=topology-loaded source=persisted epoch=1764590400 "
                                       "generation=1 signed_by=SHA256:"));
}

TEST_F(SignedPush, unsigned_forged_tampered_and_misaddressed_pushes_are_refused) {
  start();
  const auto other_key = test_group_key(2);
  auto tampered = issued_push(kAgent, topology(kEpoch, 1), &group_key_);
  // The compromised gateway points the failover at itself, keeping the group's signature.
  const auto at = tampered.document.find("gw2.example.test");
  ASSERT_NE(at, std::string::npos);
  tampered.document.replace(at, 3, "evl");
  auto mismatched = issued_push(kAgent, topology(kEpoch, 1), &group_key_);
  mismatched.generation = 5;  // the header promises what the document does not say
  const std::pair<codec::TopologyPush, std::string> refused[] = {
      {issued_push(kAgent, topology(kEpoch, 1)), "unsigned: "},
      {issued_push(kAgent, topology(kEpoch, 1), &other_key), "bad-signature: "},
      {tampered, "bad-signature: "},
      {issued_push("db01.example.test", topology(kEpoch, 1), &group_key_), "other-agent: "},
      {mismatched, "header-mismatch: "},
  };
  for (const auto& [push, why] : refused) {
    const auto ack = exchange(push);
    EXPECT_EQ(ack.outcome, TopologyOutcome::rejected) << why;
    EXPECT_THAT(ack.message, StartsWith(why));
  }
  EXPECT_THAT(agent_->log(), HasSubstr("event=topology-rejected reason=bad-signature"));
  // Nothing was applied or persisted: the bootstrap list is still in use.
  EXPECT_TRUE(in_use(0, 0)) << agent_->log();
  EXPECT_FALSE(std::filesystem::exists(agent_state_dir(dir_) / "topology.xml"));

  // The management group's own push still gets through.
  EXPECT_EQ(exchange(issued_push(kAgent, topology(kEpoch, 1), &group_key_)).outcome,
            TopologyOutcome::applied);
  EXPECT_TRUE(in_use(kEpoch, 1)) << agent_->log();
}

TEST_F(SignedPush, a_replayed_older_push_is_ignored_and_a_new_epoch_starts_over) {
  start();
  const auto first = issued_push(kAgent, topology(kEpoch, 1), &group_key_);
  ASSERT_EQ(exchange(first).outcome, TopologyOutcome::applied);
  ASSERT_EQ(
      exchange(issued_push(kAgent, topology(kEpoch, 2, "gw3.example.test"), &group_key_)).outcome,
      TopologyOutcome::applied);
  // A genuine, signed, older push replayed by the gateway cannot take the agent back.
  const auto replayed = exchange(first);
  EXPECT_EQ(replayed.outcome, TopologyOutcome::ignored);
  EXPECT_EQ(replayed.message,
            "epoch 1764590400 generation 1 is not newer than epoch 1764590400 generation 2");
  // A store restored from backup: generation 1 of a new epoch wins, and the old epoch is over.
  EXPECT_EQ(
      exchange(issued_push(kAgent, topology(kEpoch + 86400, 1, "gw4.example.test"), &group_key_))
          .outcome,
      TopologyOutcome::applied);
  EXPECT_EQ(exchange(issued_push(kAgent, topology(kEpoch, 3), &group_key_)).outcome,
            TopologyOutcome::ignored);
  EXPECT_TRUE(in_use(kEpoch + 86400, 1)) << agent_->log();
}

TEST_F(SignedPush, a_push_nothing_could_follow_is_refused_and_later_pushes_still_apply) {
  // Without a key: any gateway may change the topology, but none can freeze it.
  start(/*pinned=*/false);
  const auto far_ahead =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     (std::chrono::system_clock::now() + 48h).time_since_epoch())
                                     .count());
  const std::pair<codec::TopologyPush, std::string> refused[] = {
      {issued_push(kAgent, topology(kEpoch, kLast)), "reserved-version: generation "},
      {issued_push(kAgent, topology(kLast, 1)), "reserved-version: epoch "},
      {issued_push(kAgent, topology(far_ahead, 1)), "future-epoch: "},
  };
  for (const auto& [push, why] : refused) {
    const auto ack = exchange(push);
    EXPECT_EQ(ack.outcome, TopologyOutcome::rejected) << why;
    EXPECT_THAT(ack.message, StartsWith(why));
  }
  EXPECT_TRUE(in_use(0, 0)) << agent_->log();
  // The management group's next pushes are taken, one after the other.
  EXPECT_EQ(exchange(issued_push(kAgent, topology(kEpoch, 1))).outcome, TopologyOutcome::applied);
  EXPECT_EQ(exchange(issued_push(kAgent, topology(kEpoch, 2, "gw3.example.test"))).outcome,
            TopologyOutcome::applied);
  EXPECT_TRUE(in_use(kEpoch, 2)) << agent_->log();
  EXPECT_EQ(status_topology()["signed"], false);
}

}  // namespace
}  // namespace gatelink::test
