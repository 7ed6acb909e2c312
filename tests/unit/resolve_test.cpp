// Resolving the library inputs of a link (wrapper::resolveInputs), one test
// per rule of the way GNU ld finds them (ld/ldfile.c ldfile_open_file_search,
// ld/ldlang.c for scripts): -L directories in order, the shared library
// before the archive in each, -Bstatic, -l:file, files named directly, GNU
// ld scripts, the sysroot, and files the linker skips. The libraries are
// real, built here with the host toolchain; the command lines are read with
// parseCommand as ldpin-ld reads them. What a whole link then writes and
// runs is tested end to end in tests/ld_wrapper_test.py.
#include "command.h"
#include "resolve.h"

#include "ldpin/elf.h"

#include "test_util.h"

#include <llvm/BinaryFormat/ELF.h>

#include <filesystem>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

using namespace ldpin::wrapper;
using ldpin::test::run;

namespace {

bool isDirectory(const std::string &p) {
  return std::filesystem::is_directory(p);
}

// A directory of libraries built for one test.
class Resolve : public ::testing::Test {
protected:
  ldpin::test::TempDir d;

  void SetUp() override {
    ldpin::test::writeFile(d / "lib.c",
                           "int lib_function(void) { return 1; }\n");
  }

  // `path` below the test's directory.
  std::string at(const std::string &path) const { return d / path; }

  // Builds a shared library `path` (below the test's directory) with
  // DT_SONAME `soname`, or none when it is empty.
  void shared(const std::string &path, const std::string &soname = "") {
    std::filesystem::create_directories(dirOf(at(path)));
    std::string cmd = "cc -shared -fPIC -o '" + at(path) + "' '" + at("lib.c") +
                      "'" + (soname.empty() ? "" : " -Wl,-soname," + soname);
    ldpin::test::CommandResult r = run(cmd);
    ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
  }

  // Builds an archive `path` (below the test's directory) of one object.
  void archive(const std::string &path) {
    std::filesystem::create_directories(dirOf(at(path)));
    std::string cmd = "cc -c -fPIC -o '" + at("lib.o") + "' '" + at("lib.c") +
                      "' && ar rcs '" + at(path) + "' '" + at("lib.o") + "'";
    ldpin::test::CommandResult r = run(cmd);
    ASSERT_EQ(r.status, 0) << cmd << "\n" << r.output;
  }

  void mkdir(const std::string &path) {
    std::filesystem::create_directories(at(path));
  }

  // The inputs of the command line `args`, as ldpin-ld resolves them.
  Resolution resolve(const std::vector<std::string> &args,
                     const std::optional<Target> &target = std::nullopt) {
    Command cmd = parseCommand(args, isDirectory);
    return resolveInputs(cmd, target);
  }

  static std::string dirOf(const std::string &p) {
    return std::filesystem::path(p).parent_path().string();
  }
};

std::vector<std::string> foundOf(const Resolution &r) {
  std::vector<std::string> out;
  for (const SharedLibrary &lib : r.shared)
    out.push_back(lib.found);
  return out;
}

using Strings = std::vector<std::string>;

// -lNAME takes libNAME.so from the first -L directory that has it; later
// directories that have one too do not count (ldfile_open_file_search stops
// at the first directory where the open succeeds).
TEST_F(Resolve, LibFindsTheSharedLibraryInTheFirstDirectoryThatHasIt) {
  mkdir("a");
  shared("b/libfoo.so");
  shared("c/libfoo.so");
  Resolution r =
      resolve({"-L", at("a"), "-L" + at("b"), "-L", at("c"), "-lfoo"});
  ASSERT_EQ(r.shared.size(), 1u);
  EXPECT_EQ(r.shared[0].found, at("b/libfoo.so"));
  EXPECT_EQ(r.shared[0].needed, "libfoo.so");
  EXPECT_EQ(r.shared[0].pinPath, at("b/libfoo.so"));
  EXPECT_TRUE(r.unresolved.empty());
  EXPECT_TRUE(r.problems.empty());
}

// The -L directories are searched in the order they are given, and every
// one applies to every -l, also to an -l before it ("All -L options apply
// to all -l options, regardless of the order in which the options
// appear", ld's manual).
TEST_F(Resolve, SearchDirectoriesApplyInTheirOrderToEveryLib) {
  shared("b/libfoo.so");
  shared("c/libfoo.so");
  EXPECT_EQ(foundOf(resolve({"-lfoo", "-L", at("c"), "-L", at("b")})),
            Strings{at("c/libfoo.so")});
  EXPECT_EQ(foundOf(resolve({"-L", at("b"), "-lfoo", "-L", at("c")})),
            Strings{at("b/libfoo.so")});
}

// Within one directory libNAME.so is taken before libNAME.a
// (ldemul_open_dynamic_archive is tried before the archive).
TEST_F(Resolve, SharedLibraryBeforeArchiveInOneDirectory) {
  archive("b/libfoo.a");
  shared("b/libfoo.so");
  Resolution r = resolve({"-L", at("b"), "-lfoo"});
  EXPECT_EQ(foundOf(r), Strings{at("b/libfoo.so")});
  EXPECT_TRUE(r.unresolved.empty());
}

// The directory decides before the kind: an archive in an earlier directory
// wins over a shared library in a later one, and nothing is pinned.
TEST_F(Resolve, ArchiveInAnEarlierDirectoryWins) {
  archive("a/libfoo.a");
  shared("b/libfoo.so");
  Resolution r = resolve({"-L", at("a"), "-L", at("b"), "-lfoo"});
  EXPECT_TRUE(r.shared.empty());
  EXPECT_TRUE(r.unresolved.empty()) << "the linker finds the archive";
  EXPECT_TRUE(r.problems.empty());
}

// -Bstatic makes -l take archives only (a shared library alone is then not
// found at all); -Bdynamic goes back to shared libraries first.
TEST_F(Resolve, BstaticPicksTheArchiveAndBdynamicGoesBack) {
  archive("b/libfoo.a");
  shared("b/libfoo.so");
  archive("b/libbar.a");
  shared("b/libbar.so");
  shared("b/libonly.so");
  Resolution r = resolve(
      {"-L", at("b"), "-Bstatic", "-lfoo", "-lonly", "-Bdynamic", "-lbar"});
  EXPECT_EQ(foundOf(r), Strings{at("b/libbar.so")});
  EXPECT_EQ(r.unresolved, Strings{"-lonly"});
}

// -l:FILE looks for FILE itself in the search directories, with no lib
// prefix and no suffix; without a soname DT_NEEDED is FILE.
TEST_F(Resolve, VerbatimNameIsLookedForAsItIs) {
  shared("a/libfoo.so");
  shared("b/libfoo.so.1");
  archive("b/libfoo.a");
  Resolution r = resolve(
      {"-L", at("a"), "-L", at("b"), "-l:libfoo.so.1", "--library=:libfoo.a"});
  ASSERT_EQ(r.shared.size(), 1u);
  EXPECT_EQ(r.shared[0].found, at("b/libfoo.so.1"));
  EXPECT_EQ(r.shared[0].needed, "libfoo.so.1");
  EXPECT_TRUE(r.unresolved.empty());
}

// A shared library named directly is taken from that path, with no search;
// without a soname DT_NEEDED is the path as written (bfd_get_filename).
TEST_F(Resolve, LibraryNamedByPathIsTakenFromThere) {
  shared("a/libfoo.so");
  shared("b/libbar.so", "libbar.so.2");
  Resolution r =
      resolve({"-L", at("a"), at("b/../a/libfoo.so"), at("b/libbar.so")});
  ASSERT_EQ(r.shared.size(), 2u);
  EXPECT_EQ(r.shared[0].found, at("b/../a/libfoo.so"));
  EXPECT_EQ(r.shared[0].needed, at("b/../a/libfoo.so"));
  EXPECT_EQ(r.shared[1].found, at("b/libbar.so"));
  EXPECT_EQ(r.shared[1].needed, "libbar.so.2");
}

// DT_NEEDED is the library's DT_SONAME when it has one, else the name it
// was found by: the file name for -l, never the directory
// (ldelf_open_dynamic_archive, bfd_elf_set_dt_needed_name). The pin is the
// file of that name beside the one found.
TEST_F(Resolve, NeededIsTheSonameElseTheNameItWasFoundBy) {
  shared("b/libfoo.so.1", "libfoo.so.1");
  std::filesystem::create_symlink("libfoo.so.1", at("b/libfoo.so"));
  shared("b/libbar.so");
  Resolution r = resolve({"-L", at("b"), "-lfoo", "-lbar"});
  ASSERT_EQ(r.shared.size(), 2u);
  EXPECT_EQ(r.shared[0].found, at("b/libfoo.so"));
  EXPECT_EQ(r.shared[0].needed, "libfoo.so.1");
  EXPECT_EQ(r.shared[0].pinPath, at("b/libfoo.so.1"));
  EXPECT_EQ(r.shared[1].found, at("b/libbar.so"));
  EXPECT_EQ(r.shared[1].needed, "libbar.so");
  EXPECT_EQ(r.shared[1].pinPath, at("b/libbar.so"));
}

// A libNAME.so that is a GNU ld script (as libc.so is) is followed: the
// files and -l inside GROUP and INPUT are inputs, searched in the -L
// directories when not found as written, and AS_NEEDED makes them
// --as-needed.
TEST_F(Resolve, LinkerScriptIsFollowed) {
  shared("b/libreal.so.1", "libreal.so.1");
  shared("b/libbar.so", "libbar.so.2");
  shared("c/libabs.so", "libabs.so");
  mkdir("a");
  ldpin::test::writeFile(at("a/libfoo.so"),
                         "/* GNU ld script */\n"
                         "OUTPUT_FORMAT(elf64-x86-64)\n"
                         "GROUP ( libreal.so.1 AS_NEEDED ( -lbar ) )\n"
                         "INPUT(" +
                             at("c/libabs.so") + ")\n");
  Resolution r = resolve({"-L", at("a"), "-L", at("b"), "-lfoo"});
  ASSERT_EQ(r.shared.size(), 3u);
  EXPECT_EQ(r.shared[0].found, at("b/libreal.so.1"));
  EXPECT_EQ(r.shared[0].needed, "libreal.so.1");
  EXPECT_FALSE(r.shared[0].asNeeded);
  EXPECT_EQ(r.shared[1].found, at("b/libbar.so"));
  EXPECT_EQ(r.shared[1].needed, "libbar.so.2");
  EXPECT_TRUE(r.shared[1].asNeeded);
  EXPECT_EQ(r.shared[2].found, at("c/libabs.so"));
  EXPECT_EQ(r.shared[2].needed, "libabs.so");
  EXPECT_FALSE(r.shared[2].asNeeded);
  EXPECT_TRUE(r.unresolved.empty());
  EXPECT_TRUE(r.problems.empty());
}

// --as-needed in force where a library appears is kept with it, and
// --no-as-needed ends it.
TEST_F(Resolve, AsNeededIsRecordedWithEachLibrary) {
  shared("b/liba.so");
  shared("b/libb.so");
  shared("b/libc9.so");
  Resolution r = resolve(
      {"-L", at("b"), "-la", "--as-needed", "-lb", "--no-as-needed", "-lc9"});
  ASSERT_EQ(foundOf(r),
            (Strings{at("b/liba.so"), at("b/libb.so"), at("b/libc9.so")}));
  EXPECT_FALSE(r.shared[0].asNeeded);
  EXPECT_TRUE(r.shared[1].asNeeded);
  EXPECT_FALSE(r.shared[2].asNeeded);
}

// -L=DIR and -L$SYSROOTDIR are DIR below --sysroot (ld's manual, -L).
TEST_F(Resolve, SysrootPrefixedSearchDirectoriesAreBelowTheSysroot) {
  shared("sys/lib/libsysa.so");
  shared("sys/usr/lib/libsysb.so");
  const std::string root = at("sys");
  Resolution r = resolve({"--sysroot=" + root + "/", "-L=/lib",
                          "-L$SYSROOT/usr/lib", "-lsysa", "-lsysb"});
  EXPECT_EQ(foundOf(r),
            (Strings{root + "/lib/libsysa.so", root + "/usr/lib/libsysb.so"}));
  EXPECT_TRUE(r.unresolved.empty());

  Resolution other = resolve({"--sysroot", at("a"), "-L=/lib", "-lsysa"});
  EXPECT_TRUE(other.shared.empty());
  EXPECT_EQ(other.unresolved, Strings{"-lsysa"});
}

// With the output's class and machine known, a library of another class or
// machine is skipped ("skipping incompatible") and the search goes on; with
// none known, the first that can be opened is taken. The foreign libraries
// are built with clang-16 and lld, as tests/ld_wrapper_test.py does.
TEST_F(Resolve, IncompatibleLibraryIsSkippedWhenTheTargetIsKnown) {
  for (const auto &[dir, triple] :
       {std::pair<std::string, std::string>{"i386", "i386-linux-gnu"},
        {"arm64", "aarch64-linux-gnu"}}) {
    mkdir(dir);
    std::string cmd = "clang-16 --target=" + triple +
                      " -fPIC -shared -nostdlib -fuse-ld=lld "
                      "-Wl,-soname,libfoo.so -o '" +
                      at(dir + "/libfoo.so") + "' '" + at("lib.c") + "'";
    ldpin::test::CommandResult built = run(cmd);
    if (built.status != 0)
      GTEST_SKIP() << "cannot build a " << triple << " library with clang-16 "
                   << "and lld: " << built.output;
  }
  shared("host/libfoo.so", "libfoo.so");
  llvm::Expected<ldpin::elf::ElfInfo> host =
      ldpin::elf::readFile(at("host/libfoo.so"));
  ASSERT_TRUE(bool(host)) << llvm::toString(host.takeError());
  std::vector<std::string> args = {"-L", at("i386"), "-L",   at("arm64"),
                                   "-L", at("host"), "-lfoo"};

  Target hostTarget{host->elfClass, host->machine};
  EXPECT_EQ(foundOf(resolve(args, hostTarget)), Strings{at("host/libfoo.so")});
  Target i386{32, llvm::ELF::EM_386};
  EXPECT_EQ(foundOf(resolve(args, i386)), Strings{at("i386/libfoo.so")});
  Target arm64{64, llvm::ELF::EM_AARCH64};
  EXPECT_EQ(foundOf(resolve(args, arm64)), Strings{at("arm64/libfoo.so")});
  EXPECT_EQ(foundOf(resolve(args)), Strings{at("i386/libfoo.so")})
      << "with no target every file that can be opened is taken";
}

// A candidate the linker cannot open (no read permission) is skipped and
// the search goes on to the next directory.
TEST_F(Resolve, UnreadableCandidateIsSkipped) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root reads a file of mode 000";
  shared("a/libfoo.so");
  shared("b/libfoo.so");
  ASSERT_EQ(::chmod(at("a/libfoo.so").c_str(), 0), 0);
  Resolution r = resolve({"-L", at("a"), "-L", at("b"), "-lfoo"});
  EXPECT_EQ(foundOf(r), Strings{at("b/libfoo.so")});
  EXPECT_TRUE(r.unresolved.empty());
}

// A library no search directory has is left in `unresolved`, spelt as on
// the command line (the linker may find it in its own directories).
TEST_F(Resolve, UnknownLibraryIsLeftUnresolved) {
  shared("b/libfoo.so");
  Resolution r =
      resolve({"-L", at("b"), "-lnosuch", "-l:libnosuch.so.3", "-lfoo"});
  EXPECT_EQ(r.unresolved, (Strings{"-lnosuch", "-l:libnosuch.so.3"}));
  EXPECT_EQ(foundOf(r), Strings{at("b/libfoo.so")});
  EXPECT_TRUE(r.problems.empty());
}

} // namespace
