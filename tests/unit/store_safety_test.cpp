// The state folder as the agent's own: refused when others may write to it or to a folder above
// it (sticky ones such as /tmp excepted), locked by one store at a time, state files that are not
// regular files refused without being opened or replaced, state files for the owner only, and
// inspect() that changes nothing. POSIX modes and owners: not built for Windows, whose folder ACL
// check (folder_safety_windows.cpp) wine does not enforce.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "store/durable_file.hpp"
#include "store/folder_safety.hpp"
#include "store/startup_topology.hpp"
#include "store/topology_store.hpp"
#include "store_test_support.hpp"

namespace gatelink {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Source = TopologyStore::Loaded::Source;

class StoreSafety : public ::testing::Test {
 protected:
  fs::path state() const { return scratch_.path() / "state"; }
  fs::path file(std::string_view name) const { return state() / name; }
  void make_state(fs::perms mode = fs::perms(0700)) const {
    fs::create_directories(state());
    fs::permissions(state(), mode);
  }
  TopologyStore open() const {
    auto store = TopologyStore::open(state().string());
    EXPECT_TRUE(store) << store.error().message;
    return std::move(store).value();
  }

  test::ScratchDir scratch_;
};

TEST_F(StoreSafety, folder_others_may_write_to_is_refused_naming_it_and_its_mode) {
  for (const unsigned mode : {0777u, 0770u, 0702u, 01777u}) {
    make_state(fs::perms(mode));
    const auto store = TopologyStore::open(state().string());
    ASSERT_FALSE(store) << std::oct << mode;
    EXPECT_THAT(store.error().message, HasSubstr(state().string() + " has mode "));
    EXPECT_THAT(store.error().message, HasSubstr("group or others may write to it"));
    EXPECT_TRUE(fs::is_empty(state())) << "a refused folder was written to";
  }
}

TEST_F(StoreSafety, folder_above_others_may_write_to_is_refused_unless_sticky) {
  fs::permissions(scratch_.path(), fs::perms(0777));
  make_state();
  auto store = TopologyStore::open(state().string());
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message,
              HasSubstr("the folder above it, " + scratch_.path().string() + ", has mode 0777"));

  fs::permissions(scratch_.path(), fs::perms(01777));  // like /tmp: ours cannot be replaced
  store = TopologyStore::open(state().string());
  EXPECT_TRUE(store) << store.error().message;
  fs::permissions(scratch_.path(), fs::perms(0755));
}

// Under a loose umask (002: group-writable by default) the folders the agent makes are its
// own modes, so that the next start does not refuse what this one created.
TEST_F(StoreSafety, folders_it_creates_have_their_modes_whatever_the_umask) {
  const fs::path deep = scratch_.path() / "var" / "lib" / "state";
  const mode_t before = ::umask(002);
  auto store = TopologyStore::open(deep.string());
  ::umask(before);
  ASSERT_TRUE(store) << store.error().message;
  const auto mode = [](const fs::path& p) { return fs::status(p).permissions(); };
  EXPECT_EQ(mode(scratch_.path() / "var"), fs::perms(0755));
  EXPECT_EQ(mode(scratch_.path() / "var" / "lib"), fs::perms(0755));
  EXPECT_EQ(mode(deep), fs::perms(0700));
  EXPECT_TRUE(check_folder_safety(deep.string())) << "refused at the next start";
}

TEST_F(StoreSafety, files_are_written_for_the_owner_only_whatever_the_umask) {
  make_state();
  auto store = open();
  const mode_t before = ::umask(0);
  const auto first = store.save(test::sample_topology(7));
  const auto second = store.save(test::sample_topology(8));
  ::umask(before);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(test::mode_of(file("topology.xml")), 0600u);
  EXPECT_EQ(test::mode_of(file("topology.lkg.xml")), 0600u);
}

TEST(StoreDurableFile, a_mode_given_is_the_files_mode_whatever_the_umask) {
  test::ScratchDir dir;
  test::write_file(dir.path() / "f", "old");
  const mode_t umask = ::umask(0077);
  const auto written = write_file_atomically(dir.path().string(), "f", "new content", 0644);
  ::umask(umask);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(test::read_file(dir.path() / "f"), "new content");
  EXPECT_EQ(test::mode_of(dir.path() / "f"), 0644u);
}

TEST_F(StoreSafety, folder_owned_by_another_user_is_refused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the folder to another user";
  make_state();
  ASSERT_EQ(::chown(state().c_str(), 65534, 65534), 0);
  const auto store = TopologyStore::open(state().string());
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, HasSubstr("is owned by uid 65534"));
}

TEST_F(StoreSafety, a_second_store_on_the_folder_is_refused_naming_the_holder) {
  const auto first = open();
  const auto second = TopologyStore::open(state().string());
  ASSERT_FALSE(second);
  EXPECT_THAT(second.error().message,
              HasSubstr("another agent holds the state folder " + state().string() + " (pid " +
                        std::to_string(::getpid()) + ","));
}

TEST_F(StoreSafety, the_lock_goes_with_the_store) {
  { const auto first = open(); }
  auto moved = open();  // the first one's lock went with it
  const TopologyStore kept = std::move(moved);
  EXPECT_FALSE(TopologyStore::open(state().string())) << "the moved-to store lost the lock";
}

TEST_F(StoreSafety, state_files_that_are_not_regular_files_are_refused_without_opening) {
  make_state();
  const auto lkg = render_topology_xml(test::sample_topology(7));
  test::write_file(file("topology.lkg.xml"), lkg);
  test::write_file(scratch_.path() / "elsewhere.xml",
                   render_topology_xml(test::sample_topology(9)));
  // Each makes something that is not a regular file at topology.xml and says what it is.
  const auto make_fifo = [&] {
    EXPECT_EQ(::mkfifo(file("topology.xml").c_str(), 0600), 0);
    return std::string("a FIFO");
  };
  const auto make_link = [&] {
    fs::create_symlink(scratch_.path() / "elsewhere.xml", file("topology.xml"));
    return std::string("a symbolic link");
  };
  const auto make_folder = [&] {
    fs::create_directory(file("topology.xml"));
    return std::string("a folder");
  };
  const auto make_device = [&] {  // mknod needs root and a container that allows it
    if (::mknod(file("topology.xml").c_str(), S_IFCHR | 0600, makedev(1, 5)) == 0) {
      return std::string("a character device");
    }
    fs::create_symlink("/dev/zero", file("topology.xml"));
    return std::string("a symbolic link");
  };
  const std::function<std::string()> cases[] = {make_fifo, make_link, make_folder, make_device};
  for (const auto& make : cases) {
    fs::remove_all(file("topology.xml"));
    const std::string kind = make();
    SCOPED_TRACE(kind);
    auto store = open();
    const auto loaded = store.load();  // a FIFO opened for reading would block here
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->source, Source::last_known_good);
    ASSERT_EQ(loaded->problems.size(), 1u);
    EXPECT_THAT(loaded->problems[0],
                HasSubstr(file("topology.xml").string() + ": " + kind + ", not a regular file"));

    // Never replaced nor removed: a save refuses, and everything stays where it was.
    const auto saved = store.save(test::sample_topology(8));
    ASSERT_FALSE(saved);
    EXPECT_THAT(saved.error().message, HasSubstr("not replacing it"));
    EXPECT_TRUE(fs::exists(fs::symlink_status(file("topology.xml"))));
    EXPECT_FALSE(fs::is_regular_file(fs::symlink_status(file("topology.xml"))));
    EXPECT_EQ(test::read_file(file("topology.lkg.xml")), lkg);
  }
}

TEST_F(StoreSafety, a_dangling_link_is_not_a_first_start) {
  make_state();
  fs::create_symlink(scratch_.path() / "missing.xml", file("topology.xml"));
  const auto store = open();
  const auto chosen = test::choose(store, test::sample_topology(1).topology);
  EXPECT_EQ(chosen.origin, StartupTopology::Origin::bootstrap);
  ASSERT_EQ(chosen.fallbacks.size(), 1u);
  EXPECT_THAT(chosen.fallbacks[0], HasSubstr("a symbolic link, not a regular file"));
}

TEST_F(StoreSafety, stale_temporary_names_that_are_not_regular_files_are_left_alone) {
  make_state();
  fs::create_symlink(scratch_.path() / "elsewhere", file("topology.xml.tmp.Ab12Cd"));
  fs::create_directory(file("topology.xml.tmp.Zz99Yy"));
  const auto store = open();
  EXPECT_TRUE(store.removed_temp_files().empty());
  EXPECT_TRUE(fs::exists(fs::symlink_status(file("topology.xml.tmp.Ab12Cd"))));
  EXPECT_TRUE(fs::is_directory(file("topology.xml.tmp.Zz99Yy")));
}

TEST_F(StoreSafety, inspect_of_a_missing_folder_creates_nothing_and_says_it_would) {
  const auto found = TopologyStore::inspect(state().string());
  EXPECT_FALSE(found.folder_exists);
  EXPECT_FALSE(found.refused) << *found.refused;
  EXPECT_FALSE(fs::exists(state()));
  const auto chosen = test::choose(found.store, test::sample_topology(1).topology);
  EXPECT_EQ(chosen.origin, StartupTopology::Origin::bootstrap);
  EXPECT_FALSE(fs::exists(state()));
}

TEST_F(StoreSafety, inspect_removes_and_locks_nothing_and_cannot_save) {
  make_state();
  test::write_file(file("topology.xml"), render_topology_xml(test::sample_topology(8)));
  test::write_file(file("topology.xml.tmp.Ab12Cd"), "<topology");
  auto found = TopologyStore::inspect(state().string());
  EXPECT_TRUE(found.folder_exists);
  EXPECT_FALSE(found.refused) << *found.refused;
  EXPECT_FALSE(found.holder);
  EXPECT_THAT(found.stale_temp_files,
              ::testing::ElementsAre(file("topology.xml.tmp.Ab12Cd").string()));
  EXPECT_EQ(found.store.load()->value, test::sample_topology(8));
  const auto saved = found.store.save(test::sample_topology(9));
  ASSERT_FALSE(saved);
  EXPECT_THAT(saved.error().message, HasSubstr("only inspected"));
  EXPECT_EQ(test::snapshot(state()).size(), 2u) << "inspect() created or removed a file";
  EXPECT_TRUE(TopologyStore::open(state().string())) << "inspect() left a lock behind";
}

TEST_F(StoreSafety, inspect_names_the_holder_and_leaves_its_temporary_files) {
  const auto holder = open();
  test::write_file(file("topology.xml.tmp.Ab12Cd"), "<topology");  // in flight: the holder's
  const auto found = TopologyStore::inspect(state().string());
  ASSERT_TRUE(found.holder);
  EXPECT_EQ(found.holder->pid, ::getpid());
  EXPECT_TRUE(found.stale_temp_files.empty());
  EXPECT_TRUE(fs::exists(file("topology.xml.tmp.Ab12Cd")));
}

TEST_F(StoreSafety, inspect_reports_an_unsafe_folder) {
  make_state(fs::perms(0777));
  const auto found = TopologyStore::inspect(state().string());
  ASSERT_TRUE(found.refused);
  EXPECT_THAT(*found.refused, HasSubstr("has mode 0777"));
  EXPECT_TRUE(fs::is_empty(state()));
}

}  // namespace
}  // namespace gatelink
