// The interposition analysis (ldpin/interpose.h): one test per rule of the
// lookup model, first through its input structs, then through small ELF
// files the host toolchain builds here, whose programs are run to show the
// binding the analysis names is the loader's.
#include "ldpin/interpose.h"

#include "ldpin/elf.h"
#include "ldpin/loader.h"

#include "test_util.h"

#include <gtest/gtest.h>

#include <llvm/BinaryFormat/ELF.h>

#include <algorithm>

using namespace ldpin;
using interpose::Benign;
using interpose::Definition;
using interpose::Object;
using interpose::Pair;

namespace {

Definition def(const std::string &name, bool self = false,
               uint8_t binding = llvm::ELF::STB_GLOBAL) {
  Definition d;
  d.name = name;
  d.binding = binding;
  d.type = llvm::ELF::STT_FUNC;
  d.selfReferenced = self;
  return d;
}

Definition versioned(const std::string &name, const std::string &version,
                     uint16_t index, bool self = false, bool hidden = false) {
  Definition d = def(name, self);
  d.version = version;
  d.versionIndex = index;
  d.hidden = hidden;
  return d;
}

Object object(const std::string &path, std::vector<Definition> defs) {
  Object o;
  o.path = o.realPath = path;
  o.name = path.substr(path.rfind('/') + 1);
  o.definitions = std::move(defs);
  interpose::index(o);
  return o;
}

Object program(std::vector<Definition> defs = {}) {
  Object o = object("/nix/store/0000-app/bin/prog", std::move(defs));
  o.executable = true;
  return o;
}

// The scope of `objects`, relocated in `relocation` (default: the reverse
// of the load order, as for libraries that need nothing of each other).
interpose::Scope scopeOf(const std::vector<Object> &objects,
                         std::vector<size_t> relocation = {}) {
  interpose::Scope s;
  for (const Object &o : objects)
    s.objects.push_back(&o);
  s.relocation = std::move(relocation);
  return s;
}

std::vector<Pair> analyse(const std::vector<Object> &objects,
                          std::vector<size_t> relocation = {}) {
  return interpose::analyse(scopeOf(objects, std::move(relocation)),
                            interpose::Settings{});
}

size_t bindingOf(const std::vector<Object> &objects, size_t from,
                 const std::string &name, std::vector<size_t> relocation = {}) {
  for (const Definition &d : objects[from].definitions)
    if (d.name == name)
      return interpose::bindingOf(scopeOf(objects, std::move(relocation)), from,
                                  d);
  ADD_FAILURE() << objects[from].path << " does not define " << name;
  return SIZE_MAX;
}

const std::string kLibA = "/nix/store/aaaa-liba/lib/libA.so.1";
const std::string kLibB = "/nix/store/bbbb-libb/lib/libB.so.1";

TEST(Interpose, AnEarlierLibraryTakesALaterOnesOwnReference) {
  std::vector<Object> objects = {program(), object(kLibB, {def("which")}),
                                 object(kLibA, {def("which", true)})};
  std::vector<Pair> pairs = analyse(objects);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].first, 1u);
  EXPECT_EQ(pairs[0].second, 2u);
  ASSERT_EQ(pairs[0].symbols.size(), 1u);
  const interpose::Duplicate &d = pairs[0].symbols[0];
  EXPECT_EQ(d.name, "which");
  EXPECT_EQ(d.binds, 1u);
  EXPECT_EQ(d.interposed, 2u);
  EXPECT_EQ(d.benign, Benign::None);
  EXPECT_TRUE(pairs[0].hazard());
  EXPECT_EQ(bindingOf(objects, 2, "which"), 1u);
}

TEST(Interpose, ADuplicateWithoutAnOwnReferenceIsNoHazard) {
  // libA exports which() but never calls it through the loader.
  std::vector<Pair> pairs = analyse({program(), object(kLibB, {def("which")}),
                                     object(kLibA, {def("which")})});
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].symbols[0].binds, 1u);
  EXPECT_EQ(pairs[0].symbols[0].interposed, SIZE_MAX);
  EXPECT_FALSE(pairs[0].hazard());
}

TEST(Interpose, DfSymbolicSearchesTheObjectItselfFirst) {
  Object a = object(kLibA, {def("which", true)});
  a.symbolic = true;
  std::vector<Object> objects = {program(), object(kLibB, {def("which")}), a};
  EXPECT_EQ(bindingOf(objects, 2, "which"), 2u);
  std::vector<Pair> pairs = analyse(objects);
  ASSERT_EQ(pairs.size(), 1u);
  // The global scope still binds libB's: only libA's own references stay.
  EXPECT_EQ(pairs[0].symbols[0].binds, 1u);
  EXPECT_FALSE(pairs[0].hazard());
}

TEST(Interpose, ProtectedDefinitionsKeepTheirOwnReferences) {
  Definition which = def("which", true);
  which.visibility = llvm::ELF::STV_PROTECTED;
  std::vector<Object> objects = {program(), object(kLibB, {def("which")}),
                                 object(kLibA, {which})};
  EXPECT_EQ(bindingOf(objects, 2, "which"), 2u);
  EXPECT_FALSE(analyse(objects)[0].hazard());
}

TEST(Interpose, AUniqueSymbolIsTheOneTheFirstRelocatedLookupFound) {
  // glibc relocates dependencies first (here, with nothing between them,
  // the reverse of the load order): libA's lookup is the first, and finds
  // libB's definition, loaded first, which then is everyone's.
  const uint8_t unique = llvm::ELF::STB_GNU_UNIQUE;
  const std::string c = "_ZZ7countervE1c";
  std::vector<Object> objects = {program(),
                                 object(kLibB, {def(c, true, unique)}),
                                 object(kLibA, {def(c, true, unique)})};
  EXPECT_EQ(bindingOf(objects, 1, c), 1u);
  EXPECT_EQ(bindingOf(objects, 2, c), 1u);
  std::vector<Pair> pairs = analyse(objects);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].symbols[0].binds, 1u);
  EXPECT_EQ(pairs[0].symbols[0].interposed, 2u);
  // What the compiler asked for: one copy in the process.
  EXPECT_EQ(pairs[0].symbols[0].benign, Benign::Unique);
  EXPECT_FALSE(pairs[0].hazard());
  // With DF_SYMBOLIC, libA's lookup finds its own, which libB, loaded
  // first, then gets too.
  objects[2].symbolic = true;
  EXPECT_EQ(bindingOf(objects, 1, c), 2u);
  EXPECT_EQ(bindingOf(objects, 2, c), 2u);
  EXPECT_EQ(analyse(objects)[0].symbols[0].interposed, 1u);
  // Relocated first, libB's lookup decides, and libA's DF_SYMBOLIC does
  // not keep its own.
  EXPECT_EQ(bindingOf(objects, 2, c, {1, 2, 0}), 1u);
  // So does an object that only refers to it.
  Object user = object("/nix/store/ffff-user/lib/libuser.so.1", {});
  user.references = {{c, "", 0}};
  interpose::index(user);
  objects.insert(objects.begin() + 2, user);
  EXPECT_EQ(bindingOf(objects, 3, c, {2, 3, 1, 0}), 1u);
  // The table is keyed by name: versions do not part unique symbols.
  std::vector<Object> versions = {
      program(), object(kLibB, {versioned(c, "B_1", 2, true)}),
      object(kLibA, {versioned(c, "A_1", 2, true)})};
  versions[1].definitions[0].binding = versions[2].definitions[0].binding =
      unique;
  versions[1].hasVersym = versions[2].hasVersym = true;
  EXPECT_EQ(bindingOf(versions, 2, c), 2u); // libA's lookup came first
  EXPECT_EQ(bindingOf(versions, 1, c), 2u);
  ASSERT_EQ(analyse(versions).size(), 1u);
  EXPECT_EQ(analyse(versions)[0].symbols[0].interposed, 1u);
  // A unique definition beside a plain one is no such thing.
  objects = {program(), object(kLibB, {def(c, false, unique)}),
             object(kLibA, {def(c, true)})};
  EXPECT_EQ(bindingOf(objects, 2, c), 1u);
  EXPECT_TRUE(analyse(objects)[0].hazard());
}

TEST(Interpose, TheRelocationOrderIsDependenciesFirstAndTheDynamicLinkerLast) {
  // prog needs libA and libB; libA needs libc; libB needs libA and libc;
  // libc needs ld.so.
  loader::Closure c;
  c.objects = {{"/prog", "", "", loader::How::Path},
               {"/ld.so", "/prog", "", loader::How::Path},
               {"/libA.so.1", "/prog", "libA.so.1", loader::How::Path},
               {"/libB.so.1", "/prog", "libB.so.1", loader::How::Path},
               {"/libc.so.6", "/libA.so.1", "libc.so.6", loader::How::Path}};
  auto edge = [](size_t from, const char *name, size_t to) {
    loader::Edge e;
    e.from = from;
    e.name = name;
    e.how = loader::How::Path;
    e.to = to;
    return e;
  };
  c.edges = {edge(0, "libA.so.1", 2), edge(0, "libB.so.1", 3),
             edge(2, "libc.so.6", 4), edge(3, "libA.so.1", 2),
             edge(3, "libc.so.6", 4), edge(4, "ld-linux-x86-64.so.2", 1)};
  std::vector<size_t> scope = interpose::scopeOrder(c);
  ASSERT_EQ(scope, (std::vector<size_t>{0, 2, 3, 4, 1}));
  // l_initfini is prog, libB, libA, libc, ld.so (libB before libA, which
  // it needs); relocated from the end, the dynamic linker last: libc,
  // libA, libB, prog, ld.so, as positions in the scope.
  EXPECT_EQ(interpose::relocationOrder(c, scope),
            (std::vector<size_t>{3, 1, 2, 0, 4}));
}

TEST(Interpose, DifferentVersionsAreNotDuplicates) {
  Object b = object(kLibB, {versioned("which", "B_1", 2)});
  Object a = object(kLibA, {versioned("which", "A_1", 2, true)});
  a.hasVersym = b.hasVersym = true;
  std::vector<Object> objects = {program(), b, a};
  EXPECT_TRUE(analyse(objects).empty());
  EXPECT_EQ(bindingOf(objects, 2, "which"), 2u);
  // The same version is the same symbol.
  objects[1] = object(kLibB, {versioned("which", "A_1", 3)});
  objects[1].hasVersym = true;
  EXPECT_EQ(bindingOf(objects, 2, "which"), 1u);
  ASSERT_EQ(analyse(objects).size(), 1u);
  EXPECT_TRUE(analyse(objects)[0].hazard());
  EXPECT_EQ(analyse(objects)[0].symbols[0].version, "A_1");
  EXPECT_EQ(interpose::spelled(analyse(objects)[0].symbols[0]), "which@A_1");
}

TEST(Interpose, AnUnversionedDefinitionTakesAReferenceOfAnyVersion) {
  // check_match: a definition of index 1 (global), or in an object without
  // DT_VERSYM, satisfies a reference to which@A_1.
  Object a = object(kLibA, {versioned("which", "A_1", 2, true)});
  a.hasVersym = true;
  Object b = object(kLibB, {versioned("which", "", 1)});
  b.hasVersym = true;
  for (const Object &earlier : {b, object(kLibB, {def("which")})}) {
    std::vector<Object> objects = {program(), earlier, a};
    EXPECT_EQ(bindingOf(objects, 2, "which"), 1u) << earlier.hasVersym;
    ASSERT_EQ(analyse(objects).size(), 1u);
    EXPECT_TRUE(analyse(objects)[0].hazard());
  }
}

TEST(Interpose, AHiddenVersionDoesNotTakeAnUnversionedReference) {
  // libB's which@B_2 (index 3, not the default) is not what an unversioned
  // reference binds to; its which@@B_3 would be.
  Object b = object(kLibB, {versioned("which", "B_2", 3, false, true)});
  b.hasVersym = true;
  std::vector<Object> objects = {program(), b,
                                 object(kLibA, {def("which", true)})};
  EXPECT_EQ(bindingOf(objects, 2, "which"), 2u);
  objects[1] = object(kLibB, {versioned("which", "B_2", 3, false, true),
                              versioned("which", "B_3", 4)});
  objects[1].hasVersym = true;
  EXPECT_EQ(bindingOf(objects, 2, "which"), 1u);
}

TEST(Interpose, WeakDefinitionsAreNotDuplicatesButStillBind) {
  // C++ inline functions are weak in every library that uses them; the
  // loader still takes the first one (LD_DYNAMIC_WEAK is not the default).
  std::vector<Object> objects = {
      program(), object(kLibB, {def("which", false, llvm::ELF::STB_WEAK)}),
      object(kLibA, {def("which", true)})};
  EXPECT_TRUE(analyse(objects).empty());
  EXPECT_EQ(bindingOf(objects, 2, "which"), 1u);
}

TEST(Interpose, KnownBenignDuplicatesAreNoHazards) {
  auto reason = [](const std::vector<Object> &objects) {
    std::vector<Pair> pairs = analyse(objects);
    EXPECT_EQ(pairs.size(), 1u);
    if (pairs.empty())
      return Benign::None;
    EXPECT_EQ(pairs[0].symbols[0].interposed, objects.size() - 1);
    EXPECT_FALSE(pairs[0].hazard());
    EXPECT_TRUE(pairs[0].benign());
    return pairs[0].symbols[0].benign;
  };
  // glibc's own objects, against anything.
  Object libc = object("/nix/store/cccc-glibc/lib/libc.so.6", {def("strlcpy")});
  EXPECT_EQ(reason({program(), libc, object(kLibA, {def("strlcpy", true)})}),
            Benign::Glibc);
  // A definition in the program.
  EXPECT_EQ(
      reason({program({def("which")}), object(kLibA, {def("which", true)})}),
      Benign::Program);
  // Two objects of one package, by their real paths.
  Object b = object("/nix/store/aaaa-liba/lib/libB.so.1", {def("which")});
  EXPECT_EQ(reason({program(), b, object(kLibA, {def("which", true)})}),
            Benign::SamePackage);
  b.realPath = kLibB;
  EXPECT_TRUE(
      analyse({program(), b, object(kLibA, {def("which", true)})})[0].hazard());
  // Allocators that replace malloc and operator new.
  EXPECT_EQ(reason({program(),
                    object("/nix/store/dddd-jemalloc/lib/libjemalloc.so.2",
                           {def("malloc")}),
                    object(kLibA, {def("malloc", true)})}),
            Benign::Allocator);
  EXPECT_EQ(reason({program(),
                    object("/nix/store/dddd-jemalloc/lib/libjemalloc.so.2",
                           {def("_Znwm")}),
                    object(kLibA, {def("_Znwm", true)})}),
            Benign::Allocator);
  // The names the report prints.
  EXPECT_STREQ(interpose::benignName(Benign::Glibc), "glibc");
  EXPECT_STREQ(interpose::benignName(Benign::Program), "program");
  EXPECT_STREQ(interpose::benignName(Benign::SamePackage), "same-package");
  EXPECT_STREQ(interpose::benignName(Benign::Allocator), "allocator");
  EXPECT_STREQ(interpose::benignName(Benign::Unique), "unique");
}

TEST(Interpose, PairsAreGroupedByObjectsInLoadOrder) {
  // Three definitions of one symbol make three pairs; the global scope
  // binds the first for all of them, and only a pair with the binder is a
  // hazard.
  Object c = object("/nix/store/eeee-libc2/lib/libC.so.1",
                    {def("which", true), def("other", true)});
  std::vector<Pair> pairs =
      analyse({program(), object(kLibB, {def("which"), def("other")}),
               object(kLibA, {def("which", true)}), c});
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(std::make_pair(pairs[0].first, pairs[0].second),
            std::make_pair(size_t(1), size_t(2)));
  EXPECT_EQ(std::make_pair(pairs[1].first, pairs[1].second),
            std::make_pair(size_t(1), size_t(3)));
  EXPECT_EQ(std::make_pair(pairs[2].first, pairs[2].second),
            std::make_pair(size_t(2), size_t(3)));
  EXPECT_TRUE(pairs[0].hazard());
  ASSERT_EQ(pairs[1].symbols.size(), 2u); // other, which: by name
  EXPECT_EQ(pairs[1].symbols[0].name, "other");
  EXPECT_TRUE(pairs[1].hazard());
  EXPECT_EQ(pairs[2].symbols[0].binds, 1u);
  EXPECT_FALSE(pairs[2].hazard());
}

TEST(Interpose, ScopeOrderPutsTheDynamicLinkerWhereLibcNamesIt) {
  loader::Closure c;
  c.objects = {{"/prog", "", "", loader::How::Path},
               {"/ld.so", "/prog", "", loader::How::Path},
               {"/libA.so.1", "/prog", "libA.so.1", loader::How::Path},
               {"/libc.so.6", "/prog", "libc.so.6", loader::How::Path}};
  auto edge = [](size_t from, const char *name, loader::How how, size_t to) {
    loader::Edge e;
    e.from = from;
    e.name = name;
    e.how = how;
    e.to = to;
    return e;
  };
  c.edges = {edge(0, "libA.so.1", loader::How::Path, 2),
             edge(0, "libc.so.6", loader::How::Path, 3),
             edge(2, "libc.so.6", loader::How::Loaded, 3),
             edge(3, "ld-linux-x86-64.so.2", loader::How::Loaded, 1)};
  EXPECT_EQ(interpose::scopeOrder(c), (std::vector<size_t>{0, 2, 3, 1}));
  c.edges.pop_back(); // named by nobody: last
  EXPECT_EQ(interpose::scopeOrder(c), (std::vector<size_t>{0, 2, 3, 1}));
  c.edges.clear();
  EXPECT_EQ(interpose::scopeOrder(c), (std::vector<size_t>{0, 1, 2, 3}));
}

TEST(Interpose, TheFixesNameThePolicyKeysWithAGlobOfTheLibrary) {
  EXPECT_EQ(interpose::sonameGlob("libA.so.1"), "libA.so*");
  EXPECT_EQ(interpose::sonameGlob("libLLVM-16.so"), "libLLVM-16.so*");
  EXPECT_EQ(interpose::sonameGlob("plugin"), "plugin");
  std::string f = interpose::fixes(object(kLibA, {}), {"which", "other"});
  EXPECT_NE(f.find("-Bsymbolic or -Bsymbolic-functions"), std::string::npos);
  EXPECT_NE(f.find("symbolic = [\"libA.so*\"] or symbolic_functions = "
                   "[\"libA.so*\"]"),
            std::string::npos)
      << f;
  EXPECT_NE(f.find("version script (local: which; other;)"), std::string::npos)
      << f;
  EXPECT_NE(f.find("RTLD_DEEPBIND"), std::string::npos);
}

// --- through ELF files built here ---------------------------------------

using test::run;
using test::TempDir;
using test::writeFile;

std::shared_ptr<const Object> read(interpose::SymbolCache &cache,
                                   const std::string &path) {
  std::string error;
  std::shared_ptr<const Object> o = cache.get(path, &error);
  EXPECT_TRUE(o) << path << ": " << error;
  return o;
}

const Definition *find(const Object &o, const std::string &name,
                       const std::string &version = "") {
  for (const Definition &d : o.definitions)
    if (d.name == name && d.version == version)
      return &d;
  return nullptr;
}

TEST(InterposeElf, DefinitionsCarryVersionsVisibilityAndOwnReferences) {
  TempDir d;
  writeFile(d / "v.c", "int f_old(void) { return 1; }\n"
                       "int f_new(void) { return 2; }\n"
                       "__asm__(\".symver f_old, f@V1\");\n"
                       "__asm__(\".symver f_new, f@@V2\");\n"
                       "int g(void) { return 3; }\n"
                       "int call_g(void) { return g(); }\n"
                       "__attribute__((visibility(\"protected\")))\n"
                       "int p(void) { return 4; }\n"
                       "int call_p(void) { return p(); }\n");
  writeFile(d / "v.map", "V1 { global: f; g; call_g; p; call_p; local: *; };\n"
                         "V2 { global: f; } V1;\n");
  ASSERT_EQ(run("gcc -shared -fPIC -O0 " + d / "v.c" +
                " -Wl,--version-script=" + d / "v.map" +
                " -Wl,-soname,libv.so.1 -o " + d / "libv.so.1")
                .status,
            0);
  interpose::SymbolCache cache;
  std::shared_ptr<const Object> v = read(cache, d / "libv.so.1");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->name, "libv.so.1");
  EXPECT_TRUE(v->hasVersym);
  EXPECT_FALSE(v->symbolic);
  EXPECT_FALSE(v->executable);
  const Definition *oldF = find(*v, "f", "V1");
  const Definition *newF = find(*v, "f", "V2");
  ASSERT_TRUE(oldF && newF);
  EXPECT_TRUE(oldF->hidden);
  EXPECT_FALSE(newF->hidden);
  const Definition *g = find(*v, "g", "V1");
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->selfReferenced); // call_g goes through the PLT
  const Definition *p = find(*v, "p", "V1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->visibility, llvm::ELF::STV_PROTECTED);
  EXPECT_FALSE(p->selfReferenced); // bound at link time
  EXPECT_FALSE(find(*v, "f_old"));
  // The version nodes GNU ld defines as absolute symbols are no interface.
  EXPECT_FALSE(find(*v, "V1", "V1"));
  // Nor is what the linker defines in every object.
  writeFile(d / "plain.c", "int plain(void) { return 0; }\n");
  ASSERT_EQ(run("gcc -shared -fPIC " + d / "plain.c" + " -o " + d / "plain.so")
                .status,
            0);
  llvm::Expected<elf::ElfInfo> info =
      elf::readFile(d / "plain.so", elf::ReadOptions{true, true, true});
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  Object plain = interpose::objectOf(d / "plain.so", *info);
  ASSERT_TRUE(find(plain, "plain"));
  for (const char *linker : {"_init", "_fini", "_end", "_edata", "__bss_start"})
    EXPECT_FALSE(find(plain, linker)) << linker;
}

// The analysis of a program's closure as ldpin check runs it.
interpose::Result analyseProgram(const std::string &prog) {
  loader::FileCache files;
  loader::InterpreterDefaultsCache interpreters;
  const elf::ElfInfo *info = files.get(prog);
  EXPECT_TRUE(info) << prog;
  if (!info)
    return {};
  loader::Closure c = loader::closureOf(
      prog, files, loader::settingsFor(*info, files, interpreters));
  interpose::SymbolCache cache;
  return interpose::analyseClosure(c, cache, interpose::Settings{});
}

// What LD_DEBUG=bindings says `prog`'s objects bind `symbol` to: "FILE to
// FILE" per line.
std::vector<std::string> loaderBindings(const std::string &prog,
                                        const std::string &symbol) {
  std::string out = run("LD_DEBUG=bindings " + prog).output;
  std::vector<std::string> lines;
  size_t at = 0;
  while ((at = out.find("binding file ", at)) != std::string::npos) {
    size_t end = out.find('\n', at);
    std::string line = out.substr(at + 13, end - at - 13);
    if (line.size() > symbol.size() + 2 &&
        line.compare(line.size() - symbol.size() - 2, symbol.size() + 2,
                     "`" + symbol + "'") == 0)
      lines.push_back(line.substr(0, line.find(": ")));
    at = end;
  }
  return lines;
}

// libA (which() and a_call(), which calls it) and libB (which()), and a
// program that loads libB before libA and prints what a_call() returns.
struct Planted {
  TempDir d;
  std::string libA = d / "libA.so.1", libB = d / "libB.so.1", prog = d / "prog";
  Planted() {
    writeFile(d / "a.c", "const char *which(void) { return \"A\"; }\n"
                         "const char *a_call(void) { return which(); }\n");
    writeFile(d / "b.c", "const char *which(void) { return \"B\"; }\n");
    writeFile(d / "main.c", "#include <stdio.h>\n"
                            "const char *a_call(void);\n"
                            "int main(void) { puts(a_call()); return 0; }\n");
  }
  void linkA(const std::string &flags, const std::string &source = "a.c") {
    ASSERT_EQ(run("gcc -shared -fPIC " + d / source + " " + flags +
                  " -Wl,-soname,libA.so.1 -o " + libA)
                  .status,
              0);
  }
  void linkBAndProgram(const std::string &flags = "") {
    ASSERT_EQ(run("gcc -shared -fPIC " + d / "b.c" + " " + flags +
                  " -Wl,-soname,libB.so.1 -o " + libB)
                  .status,
              0);
    ASSERT_EQ(run("gcc " + d / "main.c" + " -Wl,--no-as-needed " + libB + " " +
                  libA + " -Wl,-rpath," + d.path.string() + " -o " + prog)
                  .status,
              0);
  }
  std::string printed() { return run(prog).output; }
  interpose::Result analysis() { return analyseProgram(prog); }
  const Pair *pairOfBAndA(const interpose::Result &r) {
    for (const Pair &p : r.pairs)
      if (r.objects[p.first]->path == libB && r.objects[p.second]->path == libA)
        return &p;
    return nullptr;
  }
};

TEST(InterposeElf, ThePlantedDuplicateBindsAsTheProgramShows) {
  Planted t;
  t.linkA("");
  t.linkBAndProgram();
  EXPECT_EQ(t.printed(), "B\n");
  interpose::Result r = t.analysis();
  EXPECT_TRUE(r.problems.empty());
  ASSERT_GE(r.objects.size(), 4u);
  EXPECT_EQ(r.objects[0]->path, t.prog);
  EXPECT_EQ(r.objects[1]->path, t.libB);
  EXPECT_EQ(r.objects[2]->path, t.libA);
  const Pair *p = t.pairOfBAndA(r);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->hazard());
  EXPECT_EQ(r.objects[p->symbols[0].binds]->path, t.libB);
  EXPECT_EQ(loaderBindings(t.prog, "which"),
            std::vector<std::string>{t.libA + " [0] to " + t.libB + " [0]"});
  std::vector<std::string> messages = interpose::hazardMessages(r, *p);
  ASSERT_EQ(messages.size(), 1u);
  const std::string &message = messages[0];
  EXPECT_EQ(message.rfind("interposition hazard: " + t.libA +
                              " uses its own which, but the loader binds it "
                              "to the definition in " +
                              t.libB +
                              ", loaded before it; to keep its "
                              "references in libA.so.1, link it",
                          0),
            0u)
      << message;
  // glibc's own objects (libc.so.6 and ld.so share _dl_catch_error) are no
  // pair: the only one is the planted duplicate.
  EXPECT_EQ(r.pairs.size(), 1u);
}

TEST(InterposeElf, LinkedWithBsymbolicTheLibraryKeepsItsOwnDefinition) {
  Planted t;
  for (const char *flag : {"-Wl,-Bsymbolic", "-Wl,-Bsymbolic-functions"}) {
    t.linkA(flag);
    t.linkBAndProgram();
    EXPECT_EQ(t.printed(), "A\n") << flag;
    interpose::Result r = t.analysis();
    const Pair *p = t.pairOfBAndA(r);
    ASSERT_TRUE(p) << flag; // still a duplicate, with no hazard
    EXPECT_FALSE(p->hazard()) << flag;
    EXPECT_TRUE(interpose::hazardMessages(r, *p).empty());
  }
}

TEST(InterposeElf, AProtectedDefinitionKeepsItsOwnReferences) {
  Planted t;
  writeFile(t.d / "ap.c", "__attribute__((visibility(\"protected\")))\n"
                          "const char *which(void) { return \"A\"; }\n"
                          "const char *a_call(void) { return which(); }\n");
  t.linkA("", "ap.c");
  t.linkBAndProgram();
  EXPECT_EQ(t.printed(), "A\n");
  const Pair *p = nullptr;
  interpose::Result r = t.analysis();
  ASSERT_TRUE((p = t.pairOfBAndA(r)));
  EXPECT_FALSE(p->hazard());
}

TEST(InterposeElf, LibrariesOfDifferentVersionsOfASymbolAreNoDuplicates) {
  Planted t;
  writeFile(t.d / "a.map", "A_1 { global: which; a_call; local: *; };\n");
  writeFile(t.d / "b.map", "B_1 { global: which; local: *; };\n");
  t.linkA("-Wl,--version-script=" + t.d / "a.map");
  t.linkBAndProgram("-Wl,--version-script=" + t.d / "b.map");
  EXPECT_EQ(t.printed(), "A\n");
  interpose::Result r = t.analysis();
  EXPECT_EQ(t.pairOfBAndA(r), nullptr);
}

TEST(InterposeElf, UniqueSymbolsAreOneInTheProcess) {
  // A static local of an inline function, used by two libraries: g++ makes
  // it STB_GNU_UNIQUE, and the loader gives both the one the first lookup
  // found (libu2 is relocated first: its lookup finds libu1's, loaded
  // first, or with -Bsymbolic its own).
  TempDir d;
  const std::string c = "_ZZ7countervE1c";
  writeFile(d / "u.h", "inline int &counter() { static int c; return c; }\n");
  writeFile(d / "u1.cc", "#include \"u.h\"\n"
                         "extern \"C\" int bump1() { return ++counter(); }\n");
  writeFile(d / "u2.cc", "#include \"u.h\"\n"
                         "extern \"C\" int bump2() { return ++counter(); }\n");
  writeFile(d / "main.c",
            "#include <stdio.h>\nint bump1(void); int bump2(void);\n"
            "int main(void) { int a = bump1(); printf(\"%d %d\\n\", a, "
            "bump2()); return 0; }\n");
  const std::string u1 = d / "libu1.so", u2 = d / "libu2.so";
  for (const char *symbolic : {"", "-Wl,-Bsymbolic"}) {
    ASSERT_EQ(run("g++ -shared -fPIC " + d / "u1.cc" + " -o " + u1).status, 0);
    ASSERT_EQ(
        run("g++ -shared -fPIC " + d / "u2.cc" + " " + symbolic + " -o " + u2)
            .status,
        0);
    ASSERT_EQ(run("gcc " + d / "main.c" + " -Wl,--no-as-needed " + u1 + " " +
                  u2 + " -Wl,-rpath," + d.path.string() + " -o " + d / "prog")
                  .status,
              0);
    EXPECT_EQ(run(d / "prog").output, "1 2\n") << symbolic; // one counter
    const std::string &winner = *symbolic ? u2 : u1;
    const std::string &loser = *symbolic ? u1 : u2;
    std::vector<std::string> bound = loaderBindings(d / "prog", c);
    EXPECT_NE(std::find(bound.begin(), bound.end(),
                        loser + " [0] to " + winner + " [0]"),
              bound.end())
        << symbolic;
    interpose::Result r = analyseProgram(d / "prog");
    const interpose::Duplicate *dup = nullptr;
    for (const Pair &p : r.pairs)
      for (const interpose::Duplicate &x : p.symbols)
        if (x.name == c)
          dup = &x;
    ASSERT_TRUE(dup) << symbolic;
    EXPECT_EQ(r.objects[dup->binds]->path, winner) << symbolic;
    ASSERT_NE(dup->interposed, SIZE_MAX) << symbolic;
    EXPECT_EQ(r.objects[dup->interposed]->path, loser) << symbolic;
    EXPECT_EQ(dup->benign, Benign::Unique);
    EXPECT_FALSE(dup->hazard());
  }
}

} // namespace
