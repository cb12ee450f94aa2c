// What keeping topologies costs: the gateway's store poll (one stat per connected agent), reading
// a changed store file, the agent persisting a pushed topology (two fsynced atomic writes), and
// the failover machine deciding on a push. Google Benchmark; figures in docs/BENCHMARKS.md.
// Run: build/bin/store_bench   (files go to a scratch folder under /tmp, removed at the end)

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "failover/failover_machine.hpp"
#include "store/topology_store.hpp"
#include "topology_registry.hpp"

namespace {

namespace fs = std::filesystem;
using gatelink::GatewayAddress;
using gatelink::Topology;

/// A fresh folder under /tmp, removed when the benchmark ends.
struct Scratch {
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "gatelink-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

GatewayAddress gateway(int i) {
  return GatewayAddress{.host = "127.0.0.1",
                        .port = static_cast<std::uint16_t>(15800 + i),
                        .server_name = "gw" + std::to_string(i) + ".example.test"};
}

gatelink::gateway::SetParentRequest request(const std::string& agent, int primary) {
  return {.agent = agent,
          .management_group = "EXAMPLE",
          .primary = gateway(primary),
          .failover = {gateway(primary + 1), gateway(primary + 2)}};
}

/// The gateway's poll: stat() of every connected agent's file in a store of `range(0)` agents.
/// The store is made once (Google Benchmark calls this several times) with plain writes: the
/// poll only stats the files, and 10,000 fsynced set-parents would take seconds.
void BM_StorePollSignatures(benchmark::State& state) {
  static Scratch scratch;
  const auto agents = static_cast<int>(state.range(0));
  gatelink::gateway::TopologyRegistry registry(scratch.path.string());
  if (static bool made = false; !made) {
    fs::create_directories(scratch.path / "agents");
    gatelink::PersistedTopology stored;
    stored.topology = Topology{.generation = 1,
                               .management_group = "EXAMPLE",
                               .primary = gateway(1),
                               .failover = {gateway(2)}};
    const std::string text = gatelink::render_topology_xml(stored);
    for (int i = 0; i < agents; ++i) {
      std::ofstream(registry.path_of("agent" + std::to_string(i))) << text;
    }
    made = true;
  }
  for (auto _ : state) {
    for (int i = 0; i < agents; ++i) {
      benchmark::DoNotOptimize(registry.signature("agent" + std::to_string(i)));
    }
  }
  state.SetItemsProcessed(state.iterations() * agents);
}
BENCHMARK(BM_StorePollSignatures)->Arg(10000)->Unit(benchmark::kMillisecond);

/// A changed store file read and parsed (what a poll does per changed agent).
void BM_StoreReadChanged(benchmark::State& state) {
  Scratch scratch;
  gatelink::gateway::TopologyRegistry registry(scratch.path.string());
  if (!registry.set_parent(request("web01", 1), std::chrono::system_clock::now())) {
    state.SkipWithError("set_parent failed");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(registry.get("web01"));
}
BENCHMARK(BM_StoreReadChanged)->Unit(benchmark::kMicrosecond);

/// gatelink-mg set-parent's work: lock, read, validate, atomic write.
void BM_StoreSetParent(benchmark::State& state) {
  Scratch scratch;
  gatelink::gateway::TopologyRegistry registry(scratch.path.string());
  int primary = 0;
  for (auto _ : state) {
    if (!registry.set_parent(request("web01", ++primary % 5),
                             std::chrono::system_clock::now())) {
      state.SkipWithError("set_parent failed");
      return;
    }
  }
}
BENCHMARK(BM_StoreSetParent)->Unit(benchmark::kMicrosecond);

/// The agent persisting a pushed topology: topology.xml to last-known-good, the new one in,
/// each a temporary file, fsync, rename and fsync of the folder.
void BM_AgentPersistPush(benchmark::State& state) {
  Scratch scratch;
  auto store = gatelink::TopologyStore::open((scratch.path / "state").string());
  if (!store) {
    state.SkipWithError("cannot open the store");
    return;
  }
  gatelink::PersistedTopology persisted;
  persisted.topology = Topology{.generation = 0,
                                .management_group = "EXAMPLE",
                                .primary = gateway(1),
                                .failover = {gateway(2), gateway(3)}};
  persisted.received_from = gateway(1).to_string();
  for (auto _ : state) {
    ++persisted.topology.generation;
    persisted.received_at = std::chrono::system_clock::now();
    if (!store->save(persisted)) {
      state.SkipWithError("save failed");
      return;
    }
  }
}
BENCHMARK(BM_AgentPersistPush)->Unit(benchmark::kMillisecond);

/// The failover machine deciding on a push that applies at once (validation included).
void BM_MachineAppliesPush(benchmark::State& state) {
  using namespace gatelink::failover;
  Topology topology{.generation = 0,
                    .management_group = "EXAMPLE",
                    .primary = gateway(1),
                    .failover = {gateway(2), gateway(3)}};
  Machine machine(Settings{}, topology, [] { return 0.5; });
  auto now = Clock::now();
  const auto start = machine.handle(Start{}, now);
  const SessionId session = std::get<Connect>(start.front()).session;
  machine.handle(Connected{session}, now);
  for (auto _ : state) {
    ++topology.generation;
    std::swap(topology.failover[0], topology.failover[1]);
    benchmark::DoNotOptimize(machine.handle(TopologyPushed{session, topology}, now));
  }
}
BENCHMARK(BM_MachineAppliesPush)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
