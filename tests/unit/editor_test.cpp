// The in-place editor on programs linked by each real linker (bfd, gold,
// lld, mold) with the `.note.ldpin` object and a placeholder RUNPATH: before
// the edit the program cannot find its library; after it, DT_NEEDED and
// vn_file are absolute, RUNPATH is gone, the record is filled in, the size is
// unchanged, and the program runs. A second edit changes nothing.
#include "ldpin/editor.h"
#include "ldpin/note_object.h"

#include "test_util.h"

#include <gtest/gtest.h>
#include <llvm/BinaryFormat/ELF.h>

#include <algorithm>
#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ldpin;
using test::run;

namespace {

const char *kFooC = "int foo_value(void) { return 7; }\n";
const char *kFooMap = "FOO_1 { global: foo_value; local: *; };\n";
const char *kMainC = "#include <stdio.h>\n"
                     "int foo_value(void);\n"
                     "int main(void) { printf(\"foo=%d\\n\", foo_value()); "
                     "return 0; }\n";

std::string linkerFlag(const std::string &linker) {
  if (linker == "lld")
    return "-fuse-ld=lld -B/usr/lib/llvm-16/bin/";
  return "-fuse-ld=" + linker;
}

// A placeholder that ends in bytes no symbol or library name ends in, so that
// no linker merges another string into it (the editor checks anyway).
std::string placeholder(size_t size) {
  return "/ldpin-reserved/" + std::string(size, 'x') + ":.";
}

std::optional<size_t> entryWith(const elf::ElfInfo &info, int64_t tag) {
  for (size_t i = 0; i < info.dynamic.size(); ++i)
    if (info.dynamic[i].tag == tag)
      return i;
  return std::nullopt;
}

class EditorOnLinker : public testing::TestWithParam<std::string> {};

TEST_P(EditorOnLinker, PinsNeededDropsRunpathAndFillsTheRecord) {
  const std::string linker = GetParam();
  test::TempDir d;
  std::filesystem::create_directories(d / "lib");
  test::writeFile(d / "foo.c", kFooC);
  test::writeFile(d / "foo.map", kFooMap);
  test::writeFile(d / "main.c", kMainC);
  const std::string lib = d / "lib/libfoo.so.1";
  ASSERT_EQ(run("gcc -shared -fPIC " + d / "foo.c" +
                " -Wl,-soname,libfoo.so.1"
                " -Wl,--version-script=" +
                d / "foo.map" + " -o " + lib)
                .status,
            0);
  std::filesystem::create_symlink("libfoo.so.1", d / "lib/libfoo.so");
  ASSERT_EQ(run("gcc -c -fPIE " + d / "main.c" + " -o " + d / "main.o").status,
            0);

  llvm::Expected<elf::ElfInfo> mainObj = elf::readFile(d / "main.o");
  ASSERT_TRUE(bool(mainObj));
  std::string objBytes = test::readFile(d / "main.o");
  note::ObjectTarget target = note::targetOf(
      *mainObj,
      llvm::ArrayRef<uint8_t>(
          reinterpret_cast<const uint8_t *>(objBytes.data()), objBytes.size()));
  llvm::Expected<std::vector<uint8_t>> noteObj = note::makeObject(target, 512);
  ASSERT_TRUE(bool(noteObj));
  test::writeFile(d / "note.o", std::string(noteObj->begin(), noteObj->end()));

  const std::string prog = d / "prog";
  test::CommandResult link =
      run("gcc " + linkerFlag(linker) + " -pie " + d / "main.o" + " " +
          d / "note.o" + " -L" + d / "lib" +
          " -lfoo -Wl,--enable-new-dtags -Wl,-rpath," + placeholder(400) +
          " -o " + prog);
  ASSERT_EQ(link.status, 0) << link.output;

  // Without the edit, the loader finds nothing.
  test::CommandResult before = run(prog);
  EXPECT_NE(before.status, 0);
  EXPECT_NE(before.output.find("libfoo.so.1"), std::string::npos)
      << before.output;

  const uintmax_t size = std::filesystem::file_size(prog);
  llvm::Expected<edit::Editor> ed = edit::Editor::load(prog);
  ASSERT_TRUE(bool(ed)) << llvm::toString(ed.takeError());
  std::optional<size_t> rp = entryWith(ed->info(), 29 /*DT_RUNPATH*/);
  ASSERT_TRUE(rp.has_value()) << linker << " wrote no DT_RUNPATH";
  ASSERT_FALSE(llvm::errorToBool(ed->reserveFromEntry(*rp)));
  EXPECT_GE(ed->freeSize(), 400u)
      << linker << " merged strings into the placeholder";
  const std::vector<std::string> needed = ed->info().needed;
  size_t fooIndex =
      std::find(needed.begin(), needed.end(), "libfoo.so.1") - needed.begin();
  ASSERT_LT(fooIndex, needed.size());
  ASSERT_FALSE(llvm::errorToBool(ed->setNeeded(fooIndex, lib)));
  ASSERT_FALSE(llvm::errorToBool(ed->setRunpath("")));
  note::Record rec;
  rec.channel = "test";
  rec.needed.push_back({"libfoo.so.1", lib, ""});
  ASSERT_FALSE(llvm::errorToBool(ed->setRecord(rec)));
  ASSERT_FALSE(llvm::errorToBool(ed->commit(prog)));

  EXPECT_EQ(std::filesystem::file_size(prog), size);
  test::CommandResult after = run(prog);
  EXPECT_EQ(after.status, 0) << after.output;
  EXPECT_EQ(after.output, "foo=7\n");

  llvm::Expected<elf::ElfInfo> info = elf::readFile(prog);
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_FALSE(info->runpath.has_value());
  EXPECT_FALSE(info->rpath.has_value());
  EXPECT_EQ(info->needed[fooIndex], lib);
  bool vnAbsolute = false;
  for (const elf::VersionNeed &v : info->versionNeeds)
    if (v.file == lib)
      vnAbsolute = true;
  EXPECT_TRUE(vnAbsolute) << "vn_file was not rewritten with DT_NEEDED";
  const elf::Note *recNote = nullptr;
  for (const elf::Note &n : info->notes)
    if (n.kind == elf::NoteKind::Ldpin)
      recNote = &n;
  ASSERT_NE(recNote, nullptr) << linker << " dropped .note.ldpin";
  llvm::Expected<note::Record> back = note::parse(recNote->desc, false);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->channel, "test");
  ASSERT_EQ(back->needed.size(), 1u);
  EXPECT_EQ(back->needed[0].path, lib);
  EXPECT_EQ(back->version, note::kVersion);
  EXPECT_EQ(back->reserveOffset, ed->regionOffset());
  EXPECT_EQ(back->reserveSize, ed->regionSize());

  // Again: nothing changes.
  const std::string bytes = test::readFile(prog);
  llvm::Expected<edit::Editor> again = edit::Editor::load(prog);
  ASSERT_TRUE(bool(again));
  ASSERT_FALSE(llvm::errorToBool(
      again->reserveRange(back->reserveOffset, back->reserveSize)));
  ASSERT_FALSE(llvm::errorToBool(again->setNeeded(fooIndex, lib)));
  ASSERT_FALSE(llvm::errorToBool(again->setRunpath("")));
  EXPECT_FALSE(again->changed());
  ASSERT_FALSE(llvm::errorToBool(again->commit(prog)));
  EXPECT_EQ(test::readFile(prog), bytes);
}

INSTANTIATE_TEST_SUITE_P(Linkers, EditorOnLinker,
                         testing::Values("bfd", "gold", "lld", "mold"),
                         [](const auto &info) { return info.param; });

TEST(Editor, FullReservedSpaceIsAnErrorAndNothingIsWritten) {
  test::TempDir d;
  test::writeFile(d / "main.c", kMainC);
  test::writeFile(d / "foo.c", kFooC);
  ASSERT_EQ(run("gcc -shared -fPIC " + d / "foo.c" +
                " -Wl,-soname,libfoo.so.1 -o " + d / "libfoo.so")
                .status,
            0);
  const std::string prog = d / "prog";
  ASSERT_EQ(run("gcc " + d / "main.c" + " -L" + d.path.string() +
                " -lfoo -Wl,--enable-new-dtags -Wl,-rpath,/short -o " + prog)
                .status,
            0);
  const std::string bytes = test::readFile(prog);
  llvm::Expected<edit::Editor> ed = edit::Editor::load(prog);
  ASSERT_TRUE(bool(ed));
  ASSERT_FALSE(
      llvm::errorToBool(ed->reserveFromEntry(*entryWith(ed->info(), 29))));
  llvm::Error e =
      ed->setNeeded(0, "/a/path/much/longer/than/six/bytes/libfoo.so");
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("reserved string space is full"),
            std::string::npos);
  EXPECT_EQ(test::readFile(prog), bytes);
}

TEST(Editor, StaticFilesHaveNothingToEdit) {
  test::TempDir d;
  test::writeFile(d / "main.c", "int main(void) { return 0; }\n");
  ASSERT_EQ(run("gcc -static " + d / "main.c" + " -o " + d / "prog").status, 0);
  llvm::Expected<edit::Editor> ed = edit::Editor::load(d / "prog");
  ASSERT_FALSE(bool(ed));
  EXPECT_NE(llvm::toString(ed.takeError()).find("no dynamic section"),
            std::string::npos);
}

// A hostile file whose DT_STRTAB points into its own dynamic table (found
// by the editor fuzzer: removing an entry then rewrote a string): the
// editor refuses it, since an edit of one would change the other.
TEST(Editor, OverlappingDynamicAndStringTablesAreNotEdited) {
  std::string bytes = test::readFile(FIXTURE_LIB);
  llvm::Expected<elf::ElfInfo> info =
      elf::read(llvm::MemoryBufferRef(bytes, "lib"), elf::ReadOptions{false});
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  ASSERT_EQ(info->elfClass, 64u);
  uint64_t dynVaddr = 0;
  for (const elf::Segment &seg : info->segments)
    if (seg.type == llvm::ELF::PT_DYNAMIC)
      dynVaddr = seg.vaddr;
  ASSERT_NE(dynVaddr, 0u);
  {
    llvm::Expected<edit::Editor> ok = edit::Editor::fromBytes(
        std::vector<uint8_t>(bytes.begin(), bytes.end()));
    ASSERT_TRUE(bool(ok)) << llvm::toString(ok.takeError());
  }
  for (const elf::DynEntry &d : info->dynamic)
    if (d.tag == llvm::ELF::DT_STRTAB)
      for (int k = 0; k < 8; ++k)
        bytes[d.fileOffset + 8 + k] = static_cast<char>(dynVaddr >> (8 * k));
  llvm::Expected<edit::Editor> ed =
      edit::Editor::fromBytes(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  ASSERT_FALSE(bool(ed));
  EXPECT_NE(llvm::toString(ed.takeError()).find("overlap"), std::string::npos);
}

// A hostile file whose DT_STRTAB points at its build-id note (found by the
// editor fuzzer in CI: removing a RUNPATH zeroed its string, and so the
// note's header): the editor refuses it, since it changes no note but the
// record.
TEST(Editor, AStringTableOverANoteIsNotEdited) {
  std::string bytes = test::readFile(FIXTURE_LIB);
  llvm::Expected<elf::ElfInfo> info =
      elf::read(llvm::MemoryBufferRef(bytes, "lib"), elf::ReadOptions{false});
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  ASSERT_EQ(info->elfClass, 64u);
  uint64_t noteVaddr = 0;
  for (const elf::Segment &seg : info->segments)
    if (seg.type == llvm::ELF::PT_NOTE && !noteVaddr)
      noteVaddr = seg.vaddr;
  ASSERT_NE(noteVaddr, 0u) << "the fixture has no PT_NOTE";
  for (const elf::DynEntry &d : info->dynamic)
    if (d.tag == llvm::ELF::DT_STRTAB)
      for (int k = 0; k < 8; ++k)
        bytes[d.fileOffset + 8 + k] = static_cast<char>(noteVaddr >> (8 * k));
  llvm::Expected<edit::Editor> ed =
      edit::Editor::fromBytes(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  ASSERT_FALSE(bool(ed));
  EXPECT_NE(llvm::toString(ed.takeError()).find("note overlap"),
            std::string::npos);
}

} // namespace

// writeInPlace() edits the file itself (same inode, so hard links see the
// edit), refuses a file replaced since it was read, and declines (false,
// nothing written) a file it may not open for writing: here a program that is
// running.
TEST(Editor, WriteInPlaceKeepsTheInodeAndChecksTheFileIsTheOneRead) {
  test::TempDir d;
  test::writeFile(d / "main.c", "#include <unistd.h>\n"
                                "int main(int c, char **v) {"
                                " if (c > 1) sleep(30); return 0; }\n");
  const std::string prog = d / "prog";
  const std::string longDir = "/nowhere/" + std::string(200, 'r');
  ASSERT_EQ(run("gcc " + d / "main.c" + " -Wl,--enable-new-dtags -Wl,-rpath," +
                longDir + " -o " + prog)
                .status,
            0);
  auto edited = [&]() {
    llvm::Expected<edit::Editor> ed = edit::Editor::load(prog);
    EXPECT_TRUE(bool(ed)) << llvm::toString(ed.takeError());
    std::optional<size_t> rp = entryWith(ed->info(), 29 /*DT_RUNPATH*/);
    EXPECT_TRUE(rp.has_value());
    EXPECT_FALSE(llvm::errorToBool(ed->reserveFromEntry(*rp)));
    EXPECT_FALSE(llvm::errorToBool(ed->setRunpath("/short")));
    return std::move(*ed);
  };
  // Replaced after it was read: not written.
  edit::Editor stale = edited();
  const std::string original = test::readFile(prog);
  test::writeFile(d / "other", original);
  std::filesystem::rename(d / "other", prog);
  llvm::Expected<bool> refused = stale.writeInPlace(prog);
  ASSERT_FALSE(bool(refused));
  EXPECT_NE(
      llvm::toString(refused.takeError()).find("changed since it was read"),
      std::string::npos);
  EXPECT_EQ(test::readFile(prog), original);

  // Running: declined, nothing written.
  ASSERT_EQ(::chmod(prog.c_str(), 0755), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::execl(prog.c_str(), prog.c_str(), "sleep", nullptr);
    ::_exit(127);
  }
  ::usleep(200 * 1000);
  edit::Editor busy = edited();
  llvm::Expected<bool> declined = busy.writeInPlace(prog);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(bool(declined)) << llvm::toString(declined.takeError());
  EXPECT_FALSE(*declined);
  EXPECT_EQ(test::readFile(prog), original);

  // Written: the same inode (a hard link sees it), the edited bytes, runs.
  std::filesystem::create_hard_link(prog, d / "link");
  struct stat st;
  ASSERT_EQ(::stat(prog.c_str(), &st), 0);
  edit::Editor ed = edited();
  llvm::Expected<bool> written = ed.writeInPlace(prog);
  ASSERT_TRUE(bool(written)) << llvm::toString(written.takeError());
  EXPECT_TRUE(*written);
  struct stat after;
  ASSERT_EQ(::stat(prog.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, st.st_ino);
  const std::string bytes = test::readFile(prog);
  EXPECT_EQ(bytes, std::string(ed.bytes().begin(), ed.bytes().end()));
  EXPECT_EQ(test::readFile(d / "link"), bytes);
  llvm::Expected<elf::ElfInfo> info = elf::readFile(prog);
  ASSERT_TRUE(bool(info));
  EXPECT_EQ(info->runpath.value_or(""), "/short");
  EXPECT_EQ(run(prog).status, 0);
}

namespace {

// A program linked as ldpin-ld links it (the record object, a placeholder
// RUNPATH, then the link-time edit: DT_NEEDED pinned to `lib`, RUNPATH set to
// `runpath`, the record written with the space left), with bfd.
void linkWithRecord(const test::TempDir &d, const std::string &prog,
                    const std::string &lib, const std::string &runpath) {
  std::filesystem::create_directories(d / "lib");
  test::writeFile(d / "foo.c", kFooC);
  test::writeFile(d / "foo.map", kFooMap);
  test::writeFile(d / "main.c", kMainC);
  ASSERT_EQ(run("gcc -shared -fPIC " + d / "foo.c" +
                " -Wl,-soname,libfoo.so.1 -Wl,--version-script=" +
                d / "foo.map" + " -o " + lib)
                .status,
            0);
  ASSERT_EQ(run("gcc -c -fPIE " + d / "main.c" + " -o " + d / "main.o").status,
            0);
  llvm::Expected<elf::ElfInfo> mainObj = elf::readFile(d / "main.o");
  ASSERT_TRUE(bool(mainObj));
  std::string objBytes = test::readFile(d / "main.o");
  llvm::Expected<std::vector<uint8_t>> noteObj = note::makeObject(
      note::targetOf(*mainObj,
                     llvm::ArrayRef<uint8_t>(
                         reinterpret_cast<const uint8_t *>(objBytes.data()),
                         objBytes.size())),
      512);
  ASSERT_TRUE(bool(noteObj));
  test::writeFile(d / "note.o", std::string(noteObj->begin(), noteObj->end()));
  test::CommandResult link = run(
      "gcc -fuse-ld=bfd -pie " + d / "main.o" + " " + d / "note.o" + " " + lib +
      " -Wl,--enable-new-dtags -Wl,-rpath," + placeholder(400) + " -o " + prog);
  ASSERT_EQ(link.status, 0) << link.output;

  llvm::Expected<edit::Editor> ed = edit::Editor::load(prog);
  ASSERT_TRUE(bool(ed)) << llvm::toString(ed.takeError());
  std::optional<size_t> rp = entryWith(ed->info(), 29 /*DT_RUNPATH*/);
  ASSERT_TRUE(rp.has_value());
  ASSERT_FALSE(llvm::errorToBool(ed->reserveFromEntry(*rp)));
  ASSERT_FALSE(llvm::errorToBool(ed->setNeeded(0, lib)));
  ASSERT_FALSE(llvm::errorToBool(ed->setRunpath(runpath)));
  note::Record rec;
  rec.needed.push_back({"libfoo.so.1", lib, ""});
  ASSERT_FALSE(llvm::errorToBool(ed->setRecord(rec)));
  ASSERT_FALSE(llvm::errorToBool(ed->commit(prog)));
}

std::optional<note::Record> recordOf(const elf::ElfInfo &info) {
  for (const elf::Note &n : info.notes) {
    if (n.kind != elf::NoteKind::Ldpin)
      continue;
    llvm::Expected<note::Record> r = note::parse(n.desc, info.bigEndian);
    if (r)
      return *r;
    llvm::consumeError(r.takeError());
  }
  return std::nullopt;
}

} // namespace

// As the fixup edits a file ldpin-ld linked, a hundred times, each edit
// changing DT_NEEDED (pinned to one copy of the library, then to another)
// and the RUNPATH (one value, then another of a different length) in the
// record's reserved space: the file keeps the size it has after the first
// edit, every value reads back as set, the record names the same region
// every time, and the space a replaced value used is used again, not lost:
// the free bytes after edit 2k are those after edit 0 (and 2k+1, 1).
TEST(Editor, AHundredEditsDoNotGrowTheFile) {
  test::TempDir d;
  const std::string prog = d / "prog";
  const std::string libs[2] = {d / "lib/libfoo.so.1", d / "lib2/libfoo.so.1"};
  const std::string runpaths[2] = {"/nowhere/a", "/nowhere/a/longer/one"};
  linkWithRecord(d, prog, libs[0], "/linked");
  if (HasFatalFailure())
    return;
  std::filesystem::create_directories(d / "lib2");
  std::filesystem::copy_file(libs[0], libs[1]);

  uint32_t freeAfter[2] = {0, 0};
  std::pair<uint32_t, uint32_t> region;
  uintmax_t size = 0;
  for (int k = 0; k < 100; ++k) {
    SCOPED_TRACE("edit " + std::to_string(k));
    const std::string &lib = libs[k % 2], &runpath = runpaths[k % 2];
    llvm::Expected<edit::Editor> ed = edit::Editor::load(prog);
    ASSERT_TRUE(bool(ed)) << llvm::toString(ed.takeError());
    std::optional<note::Record> rec = recordOf(ed->info());
    ASSERT_TRUE(rec.has_value());
    ASSERT_FALSE(llvm::errorToBool(
        ed->reserveRange(rec->reserveOffset, rec->reserveSize)));
    llvm::Error e = ed->setRunpath(runpath);
    ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
    e = ed->setNeeded(0, lib);
    ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
    rec->needed[0].path = lib;
    e = ed->setRecord(*rec);
    ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
    ASSERT_TRUE(ed->changed());
    ASSERT_FALSE(llvm::errorToBool(ed->commit(prog)));

    if (k == 0)
      size = std::filesystem::file_size(prog);
    EXPECT_EQ(std::filesystem::file_size(prog), size);
    llvm::Expected<elf::ElfInfo> info = elf::readFile(prog);
    ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
    ASSERT_EQ(info->needed.size(), 2u);
    EXPECT_EQ(info->needed[0], lib);
    EXPECT_EQ(info->needed[1], "libc.so.6");
    EXPECT_EQ(info->runpath, runpath);
    std::optional<note::Record> back = recordOf(*info);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->needed[0].path, lib);
    EXPECT_EQ(back->reserveOffset, ed->regionOffset());
    EXPECT_EQ(back->reserveSize, ed->regionSize());
    if (k == 0)
      region = {back->reserveOffset, back->reserveSize};
    EXPECT_EQ(std::make_pair(back->reserveOffset, back->reserveSize), region);
    llvm::Expected<edit::Editor> now = edit::Editor::load(prog);
    ASSERT_TRUE(bool(now)) << llvm::toString(now.takeError());
    ASSERT_FALSE(llvm::errorToBool(
        now->reserveRange(back->reserveOffset, back->reserveSize)));
    if (k < 2)
      freeAfter[k] = now->freeSize();
    else
      ASSERT_EQ(now->freeSize(), freeAfter[k % 2])
          << "edit " << k << " left less free space than edit " << k % 2;
  }
  test::CommandResult ran = run(prog);
  EXPECT_EQ(ran.status, 0) << ran.output;
  EXPECT_EQ(ran.output, "foo=7\n");
}
