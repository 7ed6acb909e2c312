// The fixup's planner on its own (setup-hook/plan.h): which file each bare
// DT_NEEDED is pinned to, from where (in the order of PinSource), which
// RUNPATH entries stay and why, the SONAME and the interpreter. The files it
// plans for are described by hand; the candidates it considers are real
// copies of the fixture library in a temporary store, read through the
// planner's FileCache.
#include "plan.h"
#include "test_util.h"

#include "ldpin/describe.h"
#include "ldpin/elf.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <llvm/BinaryFormat/ELF.h>

namespace ldpin::fixup {
namespace {

namespace fs = std::filesystem;

class Planning : public ::testing::Test {
protected:
  test::TempDir tmp;
  std::string store = tmp / "store", build = tmp / "build", out = tmp / "out";
  PlanInputs in;
  loader::FileCache cache;
  loader::InterpreterDefaultsCache interpreters;

  void SetUp() override {
    in.dirs.store = store;
    in.dirs.build = {build};
    in.dirs.outputs = {out};
  }
  // A copy of the fixture library as DIR/NAME; returns its path.
  std::string lib(const std::string &dir, const std::string &name) {
    fs::create_directories(dir);
    std::string path = dir + "/" + name;
    fs::copy_file(FIXTURE_LIB, path, fs::copy_options::overwrite_existing);
    return path;
  }
  // A program in the outputs needing `needed`, with `runpath`.
  File program(std::vector<std::string> needed,
               std::optional<std::string> runpath = std::nullopt) {
    File f;
    f.path = out + "/bin/prog";
    elf::ElfInfo info;
    info.elfClass = 64;
    info.machine = llvm::ELF::EM_X86_64;
    info.type = llvm::ELF::ET_EXEC;
    info.hasDynamic = true;
    info.needed = std::move(needed);
    info.runpath = std::move(runpath);
    f.info = std::move(info);
    return f;
  }
  Plan plan(const File &f) { return Planner(in, cache, interpreters).plan(f); }
  std::optional<Pin> resolve(const File &f, size_t i) {
    return Planner(in, cache, interpreters).resolve(f, i);
  }
  std::string buildIdOf(const std::string &path) {
    return describe::hexBytes(cache.get(path)->buildId);
  }
};

TEST_F(Planning, TheRecordComesFirst) {
  std::string linked = lib(store + "/aaa-linked/lib", "libfixture.so.1");
  std::string provided = lib(out + "/lib", "libfixture.so.1");
  std::string dep = lib(store + "/bbb-dep/lib", "libfixture.so.1");
  in.provided["libfixture.so.1"] = provided;
  in.depDirs = {store + "/bbb-dep/lib"};
  File f = program({"libfixture.so.1"});
  f.record.emplace();
  f.record->needed.push_back({"libfixture.so.1", linked, ""});
  std::optional<Pin> p = resolve(f, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, linked);
  EXPECT_EQ(p->source, PinSource::Record);
}

TEST_F(Planning, ARecordOfAnotherNameAtThatIndexIsNotUsed) {
  std::string linked = lib(store + "/aaa-linked/lib", "libfixture.so.1");
  std::string provided = lib(out + "/lib", "libfixture.so.1");
  in.provided["libfixture.so.1"] = provided;
  File f = program({"libfixture.so.1"});
  f.record.emplace();
  f.record->needed.push_back({"libother.so.1", linked, ""});
  std::optional<Pin> p = resolve(f, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, provided);
  EXPECT_EQ(p->source, PinSource::Outputs);
}

TEST_F(Planning, AnInTreeLibraryIsPinnedToItsInstalledCopyOfTheSameBuildId) {
  std::string inTree = lib(build + "/src/.libs", "libfixture.so.1");
  std::string installed = lib(out + "/lib", "libfixture.so.1");
  in.provided["libfixture.so.1"] = installed;
  File f = program({"libfixture.so.1"});
  f.record.emplace();
  f.record->needed.push_back({"libfixture.so.1", inTree, buildIdOf(inTree)});
  ASSERT_FALSE(buildIdOf(inTree).empty());
  std::optional<Pin> p = resolve(f, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, installed);
  EXPECT_EQ(p->source, PinSource::InTreeCopy);
  EXPECT_NE(p->why.find("same build-id"), std::string::npos) << p->why;
  // Another build-id: not its copy, so only the outputs' own claim stands.
  f.record->needed[0].buildId = "00112233";
  p = resolve(f, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->source, PinSource::Outputs);
}

TEST_F(Planning, OutputsComeBeforeDependencies) {
  std::string provided = lib(out + "/lib", "libfixture.so.1");
  lib(store + "/bbb-dep/lib", "libfixture.so.1");
  in.provided["libfixture.so.1"] = provided;
  in.depDirs = {store + "/bbb-dep/lib"};
  std::optional<Pin> p = resolve(program({"libfixture.so.1"}), 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, provided);
  EXPECT_EQ(p->source, PinSource::Outputs);
}

TEST_F(Planning, DependenciesAreTriedInOrderAndUnusableFilesSkipped) {
  // The first directory's file is not ELF: the loader would not take it,
  // and the planner goes on to the next directory.
  fs::create_directories(store + "/aaa-broken/lib");
  test::writeFile(store + "/aaa-broken/lib/libfixture.so.1", "not ELF\n");
  std::string second = lib(store + "/bbb-dep/lib", "libfixture.so.1");
  lib(store + "/ccc-dep/lib", "libfixture.so.1");
  in.depDirs = {store + "/aaa-broken/lib", store + "/bbb-dep/lib",
                store + "/ccc-dep/lib"};
  std::optional<Pin> p = resolve(program({"libfixture.so.1"}), 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, second);
  EXPECT_EQ(p->source, PinSource::Dependency);
}

TEST_F(Planning, ItsOwnRunpathComesLastAndBuildDirectoriesAreSkipped) {
  lib(build + "/lib", "libfixture.so.1");
  std::string own = lib(store + "/ddd-own/lib", "libfixture.so.1");
  std::optional<Pin> p = resolve(
      program({"libfixture.so.1"}, build + "/lib:" + store + "/ddd-own/lib"),
      0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, own);
  EXPECT_EQ(p->source, PinSource::OwnSearchList);
}

TEST_F(Planning, ThePolicyDecidesWhatMayBePinned) {
  std::string elsewhere = lib(tmp / "opt/lib", "libfixture.so.1");
  File f = program({"libfixture.so.1"}, tmp / "opt/lib");
  in.policy.pin = Policy::Pin::Store;
  EXPECT_FALSE(resolve(f, 0)) << "outside the store";
  in.policy.pin = Policy::Pin::All;
  std::optional<Pin> p = resolve(f, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, elsewhere);
  std::string inStore = lib(store + "/eee/lib", "libfixture.so.1");
  in.policy.pin = Policy::Pin::None;
  EXPECT_FALSE(resolve(program({"libfixture.so.1"}, store + "/eee/lib"), 0));
}

TEST_F(Planning, RunpathEntriesStayOnlyForWhatIsStillBare) {
  lib(store + "/aaa-dep/lib", "libfixture.so.1");
  lib(tmp / "opt/lib", "libhost.so.2"); // outside the store: stays bare
  fs::create_directories(store + "/fff-unused/lib");
  fs::create_directories(store + "/ggg-runtime/lib");
  in.depDirs = {store + "/aaa-dep/lib"};
  in.runtimeDirs = {store + "/ggg-runtime/lib"};
  std::string list = build + ":" + store + "/aaa-dep/lib:" + (tmp / "opt/lib") +
                     ":" + store + "/fff-unused/lib";
  Plan p = plan(program({"libfixture.so.1", "libhost.so.2"}, list));
  ASSERT_EQ(p.needed.size(), 1u);
  EXPECT_EQ(p.needed.at(0), store + "/aaa-dep/lib/libfixture.so.1");
  ASSERT_EQ(p.searchList.size(), 5u);
  auto expect = [&](size_t i, const std::string &entry, bool keep,
                    pin::Reason reason) {
    EXPECT_EQ(p.searchList[i].entry, entry) << i;
    EXPECT_EQ(p.searchList[i].keep, keep) << entry;
    EXPECT_STREQ(pin::reasonName(p.searchList[i].reason),
                 pin::reasonName(reason))
        << entry;
  };
  expect(0, build, false, pin::Reason::BuildTree);
  expect(1, store + "/aaa-dep/lib", false, pin::Reason::Unused);
  expect(2, tmp / "opt/lib", true, pin::Reason::ProvidesNeeded);
  expect(3, store + "/fff-unused/lib", false, pin::Reason::Unused);
  expect(4, store + "/ggg-runtime/lib", true, pin::Reason::RuntimeDependency);
  ASSERT_TRUE(p.runpath);
  EXPECT_EQ(*p.runpath, (tmp / "opt/lib") + ":" + store + "/ggg-runtime/lib");
  // Each change says why, with the same reason names.
  size_t reasons = 0;
  for (const Change &c : p.changes)
    reasons += !c.reason.empty();
  EXPECT_EQ(reasons, p.changes.size());
}

TEST_F(Planning, NothingToChangeGivesAnEmptyPlan) {
  std::string own = lib(store + "/aaa/lib", "libfixture.so.1");
  Plan p = plan(program({own}));
  EXPECT_TRUE(p.needed.empty());
  EXPECT_FALSE(p.runpath);
  EXPECT_FALSE(p.soname);
  EXPECT_TRUE(p.changes.empty());
}

TEST_F(Planning, TheSonameBecomesThePathItsNameHasInTheOutputs) {
  std::string real = lib(out + "/lib", "libfixture.so.1.0.0");
  fs::create_symlink("libfixture.so.1.0.0", out + "/lib/libfixture.so.1");
  File f = program({});
  f.path = real;
  f.info->type = llvm::ELF::ET_DYN;
  f.info->soname = "libfixture.so.1";
  Plan p = plan(f);
  ASSERT_TRUE(p.soname);
  EXPECT_EQ(*p.soname, out + "/lib/libfixture.so.1");
  // A name that is another file: the library's own path.
  fs::remove(out + "/lib/libfixture.so.1");
  lib(out + "/lib", "libfixture.so.1");
  loader::FileCache fresh;
  p = Planner(in, fresh, interpreters).plan(f);
  ASSERT_TRUE(p.soname);
  EXPECT_EQ(*p.soname, real);
  in.policy.absolute_soname = false;
  EXPECT_FALSE(Planner(in, fresh, interpreters).plan(f).soname);
}

TEST_F(Planning, APrebuiltProgramGetsTheStoresInterpreter) {
  in.interpreter = store + "/glibc/lib/ld-linux-x86-64.so.2";
  File f = program({});
  f.info->interpreter = "/lib64/ld-linux-x86-64.so.2";
  Plan p = plan(f);
  ASSERT_TRUE(p.interpreter);
  EXPECT_EQ(*p.interpreter, in.interpreter);
  f.info->interpreter = store + "/other-glibc/lib/ld-linux-x86-64.so.2";
  EXPECT_FALSE(plan(f).interpreter) << "already in the store";
}

} // namespace
} // namespace ldpin::fixup
