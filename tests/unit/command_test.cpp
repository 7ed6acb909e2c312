// The linker command line model of ldpin-ld: every spelling of the options
// it cares about, options whose argument must not be taken for an input,
// and the per-position state kept with each library.
#include "command.h"
#include "response_files.h"

#include "test_util.h"

#include <gtest/gtest.h>

using namespace ldpin::wrapper;

namespace {

bool isDir(const std::string &p) { return p == "/a/dir"; }

Command parse(std::vector<std::string> args) {
  return parseCommand(args, isDir);
}

TEST(Command, EverySpellingOfRpath) {
  Command c = parse({"-rpath", "/r1", "-rpath=/r2", "--rpath=/r3", "--rpath",
                     "/r4", "-R", "/a/dir", "-R/a/dir", "-R", "symbols.o"});
  std::vector<std::string> got;
  for (const RpathArg &r : c.rpaths)
    got.push_back(r.value);
  EXPECT_EQ(got, (std::vector<std::string>{"/r1", "/r2", "/r3", "/r4", "/a/dir",
                                           "/a/dir"}));
  EXPECT_TRUE(c.inputs.empty()) << "-R FILE (just-symbols) is not an input";
}

TEST(Command, EverySpellingOfSonameOutputAndSearchDirs) {
  Command c = parse({"-soname", "libx.so.1", "-o", "out", "-L", "/l1", "-L/l2",
                     "--library-path=/l3"});
  EXPECT_EQ(c.soname, "libx.so.1");
  EXPECT_EQ(c.output, "out");
  EXPECT_EQ(c.searchDirs, (std::vector<std::string>{"/l1", "/l2", "/l3"}));
  EXPECT_EQ(parse({"-h", "liby.so"}).soname, "liby.so");
  EXPECT_EQ(parse({"-hlibz.so"}).soname, "libz.so");
  EXPECT_EQ(parse({"--soname=libw.so"}).soname, "libw.so");
  EXPECT_EQ(parse({"-oout2"}).output, "out2");
  EXPECT_EQ(parse({"--output=out3"}).output, "out3");
  EXPECT_EQ(parse({}).output, "a.out");
}

TEST(Command, EverySpellingOfLibraries) {
  Command c = parse({"-l", "a", "-lb", "-l:libc.so.9", "--library=d",
                     "--library", ":libe.so.1", "/p/libf.so", "obj.o"});
  ASSERT_EQ(c.inputs.size(), 7u);
  EXPECT_EQ(c.inputs[0].kind, LibraryInput::Kind::Name);
  EXPECT_EQ(c.inputs[0].spec, "a");
  EXPECT_EQ(c.inputs[1].spec, "b");
  EXPECT_EQ(c.inputs[2].kind, LibraryInput::Kind::Verbatim);
  EXPECT_EQ(c.inputs[2].spec, "libc.so.9");
  EXPECT_EQ(c.inputs[3].spec, "d");
  EXPECT_EQ(c.inputs[4].kind, LibraryInput::Kind::Verbatim);
  EXPECT_EQ(c.inputs[4].spec, "libe.so.1");
  EXPECT_EQ(c.inputs[5].kind, LibraryInput::Kind::Path);
  EXPECT_EQ(c.inputs[6].spec, "obj.o");
}

TEST(Command, OptionArgumentsAreNotInputs) {
  Command c = parse({"-dynamic-linker",
                     "/ld.so",
                     "-plugin",
                     "/p/lto.so",
                     "-plugin-opt",
                     "x",
                     "-z",
                     "now",
                     "-m",
                     "elf_x86_64",
                     "--version-script",
                     "v.map",
                     "-T",
                     "s.ld",
                     "-Ttext",
                     "0x1000",
                     "-e",
                     "start",
                     "--hash-style=gnu",
                     "-export-dynamic",
                     "--build-id=sha1",
                     "-Map",
                     "m.txt",
                     "main.o"});
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0].spec, "main.o");
}

TEST(Command, StateIsKeptWithEachLibrary) {
  Command c = parse({"-la", "--as-needed", "-lb", "--push-state", "-Bstatic",
                     "--no-as-needed", "-lc", "--pop-state", "-ld", "-Bdynamic",
                     "--no-as-needed", "-le"});
  ASSERT_EQ(c.inputs.size(), 5u);
  EXPECT_FALSE(c.inputs[0].asNeeded);
  EXPECT_TRUE(c.inputs[1].asNeeded);
  EXPECT_TRUE(c.inputs[2].staticOnly);
  EXPECT_FALSE(c.inputs[2].asNeeded);
  EXPECT_TRUE(c.inputs[3].asNeeded) << "--pop-state restores --as-needed";
  EXPECT_FALSE(c.inputs[3].staticOnly);
  EXPECT_FALSE(c.inputs[4].asNeeded);
}

TEST(Command, LinkKinds) {
  EXPECT_TRUE(parse({"-shared"}).shared);
  EXPECT_TRUE(parse({"-r"}).relocatable);
  EXPECT_TRUE(parse({"--relocatable"}).relocatable);
  EXPECT_TRUE(parse({"-static"}).isStatic);
  EXPECT_TRUE(parse({"-static-pie"}).staticPie);
  EXPECT_TRUE(parse({"--version"}).infoOnly);
  EXPECT_EQ(parse({"--enable-new-dtags", "--disable-new-dtags"}).newDtags,
            false);
  EXPECT_FALSE(parse({}).newDtags.has_value());
}

TEST(ResponseFiles, GccQuotingRules) {
  EXPECT_EQ(splitResponseText("a 'b c' \"d \\\"e\\\"\" f\\ g\n\th"),
            (std::vector<std::string>{"a", "b c", "d \"e\"", "f g", "h"}));
  EXPECT_EQ(splitResponseText("''"), (std::vector<std::string>{""}));
  EXPECT_EQ(quoteForResponseFile("a \"b\"\\"), "\"a \\\"b\\\"\\\\\"");
  EXPECT_EQ(splitResponseText(quoteForResponseFile("x y\\\"z")),
            (std::vector<std::string>{"x y\\\"z"}));
  // Plain arguments are written as they are; everything reads back.
  EXPECT_EQ(quoteForResponseFile("-L/nix/store/x-y/lib"),
            "-L/nix/store/x-y/lib");
  std::vector<std::string> all = {"",   "plain", "it's",           "a\tb",
                                  "\\", "\"",    "$ORIGIN/../lib", "x\ny"};
  std::string text;
  for (const std::string &a : all)
    text += quoteForResponseFile(a) + "\n";
  EXPECT_EQ(splitResponseText(text), all);
}

TEST(ResponseFiles, NestedMissingAndRecursive) {
  ldpin::test::TempDir d;
  ldpin::test::writeFile(d / "inner.rsp", "-lz 'two words'\n");
  ldpin::test::writeFile(d / "outer.rsp", "-o out @" + d / "inner.rsp" + "\n");
  llvm::Expected<std::vector<std::string>> args =
      expandResponseFiles({"@" + d / "outer.rsp", "@/nonexistent/x.rsp"});
  ASSERT_TRUE(bool(args)) << llvm::toString(args.takeError());
  EXPECT_EQ(*args, (std::vector<std::string>{"-o", "out", "-lz", "two words",
                                             "@/nonexistent/x.rsp"}));
  ldpin::test::writeFile(d / "loop.rsp", "@" + d / "loop.rsp");
  llvm::Expected<std::vector<std::string>> loop =
      expandResponseFiles({"@" + d / "loop.rsp"});
  ASSERT_FALSE(bool(loop));
  EXPECT_NE(llvm::toString(loop.takeError()).find("includes itself"),
            std::string::npos);
}

} // namespace
