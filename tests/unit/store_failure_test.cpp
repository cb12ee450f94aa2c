// Failures injected at each durable write of a save, in each way a write can go wrong: the store
// is given a DurableFiles whose n-th write fails, for n = 0, 1, ... until the save succeeds.
// After each failure the agent "restarts" (open, load): it must find the old or the new
// topology in topology.xml, never an error or a torn file, and a retried save must succeed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "store/durable_file.hpp"
#include "store/topology_store.hpp"
#include "store_test_support.hpp"

namespace gatelink {
namespace {

using ::testing::AnyOf;
using ::testing::Eq;
using ::testing::HasSubstr;
using Source = TopologyStore::Loaded::Source;

/// How the injected write goes wrong.
enum class Fault {
  refused,            ///< fails before touching the disk (no space, no right)
  crashed_mid_write,  ///< leaves a half-written temporary file, as a crash during the write does
  failed_after,       ///< the file was replaced, then the folder sync failed
};

std::string fault_name(const ::testing::TestParamInfo<Fault>& info) {
  switch (info.param) {
    case Fault::refused:
      return "refused";
    case Fault::crashed_mid_write:
      return "crashed_mid_write";
    case Fault::failed_after:
      return "failed_after";
  }
  return "unknown";
}

/// The platform's durable writes, except that call number `fail_at` (from 0) fails as `fault`.
class FaultyFiles final : public DurableFiles {
 public:
  FaultyFiles(int fail_at, Fault fault) : fail_at_(fail_at), fault_(fault) {}

  Status write_file_atomically(const std::string& dir, const std::string& name,
                               std::string_view contents) override {
    auto& real = platform_durable_files();
    if (calls_++ != fail_at_) return real.write_file_atomically(dir, name, contents);
    injected_ = true;
    switch (fault_) {
      case Fault::refused:
        return Error{"injected: no space left on device"};
      case Fault::crashed_mid_write:
        test::write_file(std::filesystem::path(dir) / (name + ".tmp.crash0"),
                         contents.substr(0, contents.size() / 2));
        return Error{"injected: crashed while writing"};
      case Fault::failed_after:
        if (auto written = real.write_file_atomically(dir, name, contents); !written) {
          return written;
        }
        return Error{"injected: cannot flush the folder"};
    }
    return Error{"unreachable"};
  }

  bool injected() const { return injected_; }

 private:
  int fail_at_;
  Fault fault_;
  int calls_ = 0;
  bool injected_ = false;
};

class StoreFailure : public ::testing::TestWithParam<Fault> {
 protected:
  std::string state() const { return (scratch_.path() / "state").string(); }

  TopologyStore open(DurableFiles& files = platform_durable_files()) const {
    auto store = TopologyStore::open(state(), files);
    EXPECT_TRUE(store) << store.error().message;
    return std::move(store).value();
  }

  /// Both files, whenever they exist, parse: nothing torn.
  void expect_no_torn_file() const {
    for (const auto name : {kTopologyFileName, kLastKnownGoodFileName}) {
      const auto path = std::filesystem::path(state()) / name;
      if (!std::filesystem::exists(path)) continue;
      const auto parsed = parse_topology_xml(test::read_file(path), path.string());
      EXPECT_TRUE(parsed) << parsed.error().message;
    }
  }

  void start_over() {
    std::filesystem::remove_all(state());
    open();
  }

  test::ScratchDir scratch_;
};

TEST_P(StoreFailure, failed_save_leaves_the_old_or_the_new_topology) {
  const auto older = test::sample_topology(7);
  const auto old = test::sample_topology(8);
  const auto next = test::sample_topology(9);
  for (int fail_at = 0;; ++fail_at) {
    SCOPED_TRACE("write " + std::to_string(fail_at) + " fails");
    start_over();
    ASSERT_TRUE(open().save(older));
    ASSERT_TRUE(open().save(old));

    FaultyFiles files(fail_at, GetParam());
    const auto saved = open(files).save(next);
    if (!files.injected()) {
      ASSERT_TRUE(saved) << saved.error().message;
      EXPECT_EQ(fail_at, 2);  // a save makes two durable writes: lkg, then current
      break;
    }
    ASSERT_FALSE(saved);
    EXPECT_THAT(saved.error().message, HasSubstr("injected"));

    // The agent starts again: stale temporary files go, topology.xml is old or new.
    auto restarted = open();
    EXPECT_EQ(restarted.removed_temp_files().size(),
              GetParam() == Fault::crashed_mid_write ? 1u : 0u);
    expect_no_torn_file();
    const auto loaded = restarted.load();
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->source, Source::current);
    EXPECT_THAT(loaded->value, AnyOf(Eq(old), Eq(next)));

    // Saving again completes the change: new current, the old one as last-known-good.
    const auto retried = restarted.save(next);
    ASSERT_TRUE(retried) << retried.error().message;
    EXPECT_EQ(restarted.load()->value, next);
    const auto lkg = std::filesystem::path(state()) / kLastKnownGoodFileName;
    EXPECT_EQ(parse_topology_xml(test::read_file(lkg), "lkg")->topology, old.topology);
    EXPECT_EQ(test::snapshot(state()).size(), 2u);
  }
}

TEST_P(StoreFailure, failed_first_save_leaves_nothing_or_the_new_topology) {
  const auto next = test::sample_topology(1);
  for (int fail_at = 0;; ++fail_at) {
    SCOPED_TRACE("write " + std::to_string(fail_at) + " fails");
    start_over();
    FaultyFiles files(fail_at, GetParam());
    const auto saved = open(files).save(next);
    if (!files.injected()) {
      ASSERT_TRUE(saved) << saved.error().message;
      EXPECT_EQ(fail_at, 1);  // nothing to keep as last-known-good: one write
      break;
    }
    ASSERT_FALSE(saved);
    auto restarted = open();
    expect_no_torn_file();
    const auto loaded = restarted.load();
    if (GetParam() == Fault::failed_after) {
      ASSERT_TRUE(loaded) << loaded.error().message;
      EXPECT_EQ(loaded->value, next);
    } else {
      ASSERT_FALSE(loaded);  // nothing was saved: the agent uses its bootstrap list
      EXPECT_THAT(loaded.error().message, HasSubstr("not found"));
    }
  }
}

TEST_P(StoreFailure, generation_never_goes_back_across_failures) {
  start_over();
  std::uint64_t newest_committed = 0;
  for (std::uint64_t generation = 1; generation <= 12; ++generation) {
    // Every third save fails, at its first or second write in turn.
    const bool fail = generation % 3 == 0;
    FaultyFiles files(fail ? static_cast<int>(generation / 3 % 2) : -1, GetParam());
    const auto saved = open(files).save(test::sample_topology(generation));
    EXPECT_EQ(saved.ok(), !fail) << generation;
    if (saved) newest_committed = generation;
    const auto loaded = open().load();
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_GE(loaded->value.topology.generation, newest_committed);
    EXPECT_LE(loaded->value.topology.generation, generation);
    expect_no_torn_file();
  }
}

INSTANTIATE_TEST_SUITE_P(EachFault, StoreFailure,
                         ::testing::Values(Fault::refused, Fault::crashed_mid_write,
                                           Fault::failed_after),
                         fault_name);

}  // namespace
}  // namespace gatelink
