// `ldpin inspect` as a library call: bad files are reported as
// `ldpin: FILE: reason` on the error stream, the good ones are still printed,
// and the exit status says whether all were read.
#include "inspect_command.h"

#include "ldpin/describe.h"

#include <gtest/gtest.h>

#include <llvm/Support/JSON.h>

using namespace ldpin;

namespace {

struct Result {
  int status;
  std::string out, err;
};

Result inspect(std::vector<std::string> files, bool json) {
  cli::InspectOptions opts;
  opts.files = std::move(files);
  opts.json = json;
  Result r;
  llvm::raw_string_ostream out(r.out), err(r.err);
  r.status = cli::runInspect(opts, out, err);
  out.flush();
  err.flush();
  return r;
}

TEST(InspectCommand, GoodFilesPrintAndExitZero) {
  Result r = inspect({FIXTURE_PROG, FIXTURE_LIB}, false);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("needed:      libfixture.so.1"), std::string::npos);
  EXPECT_NE(r.out.find("soname:      libfixture.so.1"), std::string::npos);
}

TEST(InspectCommand, BadFilesAreReportedAndTheOthersStillPrinted) {
  Result r = inspect({"/nonexistent", FIXTURE_LIB, "/"}, false);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "ldpin: /nonexistent: no such file\n"
                   "ldpin: /: is a directory\n");
  EXPECT_NE(r.out.find("soname:      libfixture.so.1"), std::string::npos);
}

TEST(InspectCommand, JsonCarriesSchemaFilesAndErrors) {
  Result r = inspect({FIXTURE_LIB, "/nonexistent"}, true);
  EXPECT_EQ(r.status, 1);
  llvm::Expected<llvm::json::Value> doc = llvm::json::parse(r.out);
  ASSERT_TRUE(bool(doc)) << llvm::toString(doc.takeError());
  const llvm::json::Object *top = doc->getAsObject();
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->getString("schema"), "ldpin-inspect/1");
  const llvm::json::Array *files = top->getArray("files");
  ASSERT_NE(files, nullptr);
  ASSERT_EQ(files->size(), 2u);
  const llvm::json::Object *lib = (*files)[0].getAsObject();
  EXPECT_EQ(lib->getString("soname"), "libfixture.so.1");
  EXPECT_EQ(lib->getString("path"), FIXTURE_LIB);
  const llvm::json::Object *bad = (*files)[1].getAsObject();
  EXPECT_EQ(bad->getString("error"), "no such file");
  EXPECT_EQ(r.err, "ldpin: /nonexistent: no such file\n");
}

TEST(InspectCommand, JsonIsDeterministic) {
  Result a = inspect({FIXTURE_PROG, FIXTURE_LIB}, true);
  Result b = inspect({FIXTURE_PROG, FIXTURE_LIB}, true);
  EXPECT_EQ(a.out, b.out);
  EXPECT_FALSE(a.out.empty());
}

TEST(InspectCommand, NonUtf8StringsAreReplacedAndFlagged) {
  // A RUNPATH in Latin-1 is legal ELF but not valid JSON text.
  elf::ElfInfo info;
  info.elfClass = 64;
  info.runpath = std::string("/opt/caf\xe9/lib");
  llvm::json::Value v = describe::toJson("/tmp/x", info);
  const llvm::json::Object *o = v.getAsObject();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->getString("runpath"), "/opt/caf\xef\xbf\xbd/lib");
  EXPECT_EQ(o->getBoolean("lossy_strings"), true);
  llvm::json::Value clean = describe::toJson("/tmp/x", elf::ElfInfo{});
  EXPECT_EQ(clean.getAsObject()->getBoolean("lossy_strings"), false);
}

} // namespace
