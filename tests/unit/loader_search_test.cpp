// The loader's search for a DT_NEEDED entry (loader::search), one test per
// rule of glibc's _dl_map_new_object (elf/dl-load.c): a name with a slash is
// opened as it is; otherwise DT_RPATH of the requester and of its loaders
// (unless the requester has DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH of the
// requester, then the default directories (unless DF_1_NODEFLIB). The file
// system is what SearchSettings::usable says, so every probe the search
// makes is seen and its order checked; where the model reads files itself
// (usableFrom, refusedFrom) the files are real.
#include "ldpin/loader.h"

#include "ldpin/paths.h"
#include "test_util.h"

#include <llvm/BinaryFormat/ELF.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace ldpin::loader {
// gtest prints a How by the name the reports use. Static: found by
// argument-dependent lookup, and no other file's business.
static void PrintTo(How how, std::ostream *os) { *os << howName(how); }
} // namespace ldpin::loader

using namespace ldpin::loader;

namespace {

using Expansion = std::optional<std::string>;

constexpr uint16_t kX86_64 = llvm::ELF::EM_X86_64;

// What the search sees of the file system: the libraries listed, each of a
// class and machine, and every path it asked about, in order.
class Disk {
public:
  Disk() {
    settings.usable = [this](const std::string &path, unsigned elfClass,
                             uint16_t machine) {
      probes.push_back(path);
      auto it = files.find(path);
      return it != files.end() &&
             it->second == std::make_pair(elfClass, machine);
    };
  }
  Disk(const Disk &) = delete;
  Disk &operator=(const Disk &) = delete;

  void add(const std::string &path, unsigned elfClass = 64,
           uint16_t machine = kX86_64) {
    files[path] = {elfClass, machine};
  }
  Found find(const std::string &name, const Object &requester,
             const std::vector<const Object *> &loaders = {}) {
    probes.clear();
    return search(name, requester, loaders, settings);
  }

  SearchSettings settings;
  std::vector<std::string> probes;

private:
  std::map<std::string, std::pair<unsigned, uint16_t>> files;
};

Object object(const std::string &path,
              std::optional<std::string> rpath = std::nullopt,
              std::optional<std::string> runpath = std::nullopt,
              uint64_t flags1 = 0) {
  Object o;
  o.path = path;
  o.elfClass = 64;
  o.machine = kX86_64;
  o.rpath = std::move(rpath);
  o.runpath = std::move(runpath);
  o.flags1 = flags1;
  return o;
}

using Paths = std::vector<std::string>;

// A name with a slash is not searched for: it is opened as it is
// (_dl_map_new_object, the branch where strchr (name, '/') != NULL), and
// when that file cannot be used the load fails without a search.
TEST(LoaderSearch, NameWithSlashIsOpenedAsItIs) {
  Disk disk;
  disk.settings.defaultDirs = {"/def"};
  disk.add("/store/a/lib/libfoo.so.1");
  disk.add("/r/libfoo.so.1");
  disk.add("/def/libfoo.so.1");
  Object req = object("/p/lib/libreq.so", "/r");
  Found f = disk.find("/store/a/lib/libfoo.so.1", req);
  EXPECT_EQ(f.how, How::Path);
  EXPECT_EQ(f.path, "/store/a/lib/libfoo.so.1");
  EXPECT_EQ(f.rpathOwner, nullptr);
  EXPECT_EQ(disk.probes, Paths{"/store/a/lib/libfoo.so.1"});

  Found missing = disk.find("/store/b/lib/libfoo.so.1", req);
  EXPECT_EQ(missing.how, How::NotFound);
  EXPECT_EQ(missing.path, "");
  EXPECT_EQ(disk.probes, Paths{"/store/b/lib/libfoo.so.1"})
      << "a name with a slash is never searched for in RPATH or defaults";
}

// DT_RPATH of the object that needs the library comes first: before the
// DT_RPATH of the objects that loaded it, LD_LIBRARY_PATH and the defaults
// (the loop `for (l = loader; l; l = l->l_loader)` starts at `loader`,
// glibc's name for the requester).
TEST(LoaderSearch, RequesterRpathIsSearchedFirst) {
  Disk disk;
  disk.settings.ldLibraryPath = {"/llp"};
  disk.settings.defaultDirs = {"/def"};
  for (const char *d : {"/r2", "/exe", "/llp", "/def"})
    disk.add(std::string(d) + "/libfoo.so");
  Object exe = object("/p/bin/prog", "/exe");
  Object req = object("/p/lib/libreq.so", "/r1:/r2");
  Found f = disk.find("libfoo.so", req, {&exe});
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/r2/libfoo.so");
  EXPECT_EQ(f.rpathOwner, &req);
  EXPECT_EQ(f.entry, "/r2");
  EXPECT_EQ(disk.probes, (Paths{"/r1/libfoo.so", "/r2/libfoo.so"}));
}

// The DT_RPATH of each object that loaded the requester is searched too,
// nearest first, the executable's last (l = l->l_loader up the chain, then
// the main map).
TEST(LoaderSearch, LoadersRpathIsInheritedNearestFirst) {
  Disk disk;
  disk.settings.defaultDirs = {"/def"};
  disk.add("/mid/libfoo.so");
  disk.add("/exe/libfoo.so");
  disk.add("/def/libfoo.so");
  Object exe = object("/p/bin/prog", "/exe");
  Object mid = object("/p/lib/libmid.so", "/mid");
  Object req = object("/p/lib/libreq.so");
  Found f = disk.find("libfoo.so", req, {&mid, &exe});
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/mid/libfoo.so");
  EXPECT_EQ(f.rpathOwner, &mid);
  EXPECT_EQ(disk.probes, Paths{"/mid/libfoo.so"});

  Found g = disk.find("libbar.so", req, {&mid, &exe});
  EXPECT_EQ(g.how, How::NotFound);
  EXPECT_EQ(disk.probes,
            (Paths{"/mid/libbar.so", "/exe/libbar.so", "/def/libbar.so"}));

  disk.add("/exe/libbar.so");
  Found h = disk.find("libbar.so", req, {&mid, &exe});
  EXPECT_EQ(h.how, How::Rpath);
  EXPECT_EQ(h.path, "/exe/libbar.so");
  EXPECT_EQ(h.rpathOwner, &exe);
  EXPECT_EQ(h.entry, "/exe");
}

// A requester with DT_RUNPATH has no DT_RPATH as far as the loader goes:
// elf_get_dynamic_info (elf/get-dynamic-info.h) drops DT_RPATH when
// DT_RUNPATH is present.
TEST(LoaderSearch, RequesterRunpathDisablesItsOwnRpath) {
  Disk disk;
  disk.add("/r/libfoo.so");
  Object req = object("/p/lib/libreq.so", "/r", "/run");
  Found f = disk.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::NotFound);
  EXPECT_EQ(disk.probes, Paths{"/run/libfoo.so"});

  disk.add("/run/libfoo.so");
  Found g = disk.find("libfoo.so", req);
  EXPECT_EQ(g.how, How::Runpath);
  EXPECT_EQ(g.path, "/run/libfoo.so");
}

// A requester with DT_RUNPATH does not inherit the DT_RPATH of its loaders
// either: _dl_map_new_object skips the whole RPATH step "when the object
// has the RUNPATH information" (loader->l_info[DT_RUNPATH] != NULL).
TEST(LoaderSearch, RequesterRunpathDisablesInheritedRpath) {
  Disk disk;
  disk.settings.defaultDirs = {"/def"};
  disk.add("/exe/libfoo.so");
  Object exe = object("/p/bin/prog", "/exe");
  Object mid = object("/p/lib/libmid.so", "/mid");
  Object req = object("/p/lib/libreq.so", std::nullopt, "/run");
  Found f = disk.find("libfoo.so", req, {&mid, &exe});
  EXPECT_EQ(f.how, How::NotFound);
  EXPECT_EQ(disk.probes, (Paths{"/run/libfoo.so", "/def/libfoo.so"}));

  disk.add("/def/libfoo.so");
  Found g = disk.find("libfoo.so", req, {&mid, &exe});
  EXPECT_EQ(g.how, How::Default);
  EXPECT_EQ(g.path, "/def/libfoo.so");
}

// A loader with DT_RUNPATH lends no DT_RPATH (its DT_RPATH is dropped when
// its dynamic section is read), but the chain goes on past it to the
// executable; its DT_RUNPATH is not lent either.
TEST(LoaderSearch, LoaderWithRunpathLendsNoRpathButTheChainGoesOn) {
  Disk disk;
  disk.add("/midr/libfoo.so");
  disk.add("/midrun/libfoo.so");
  disk.add("/exe/libfoo.so");
  Object exe = object("/p/bin/prog", "/exe");
  Object mid = object("/p/lib/libmid.so", "/midr", "/midrun");
  Object req = object("/p/lib/libreq.so");
  Found f = disk.find("libfoo.so", req, {&mid, &exe});
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/exe/libfoo.so");
  EXPECT_EQ(f.rpathOwner, &exe);
  EXPECT_EQ(disk.probes, Paths{"/exe/libfoo.so"});
}

// LD_LIBRARY_PATH comes after every DT_RPATH and before DT_RUNPATH
// (__rtld_env_path_list, between the two cache_rpath steps).
TEST(LoaderSearch, LdLibraryPathComesAfterRpathAndBeforeRunpath) {
  Disk disk;
  disk.settings.ldLibraryPath = {"/llp1", "/llp2"};
  disk.add("/exe/libfoo.so");
  disk.add("/llp2/libfoo.so");
  disk.add("/run/libfoo.so");
  Object exe = object("/p/bin/prog", "/exe");
  Object viaRpath = object("/p/lib/liba.so");
  Found f = disk.find("libfoo.so", viaRpath, {&exe});
  EXPECT_EQ(f.how, How::Rpath) << "the executable's RPATH wins over it";
  EXPECT_EQ(f.path, "/exe/libfoo.so");

  Object viaRunpath = object("/p/lib/libb.so", std::nullopt, "/run");
  Found g = disk.find("libfoo.so", viaRunpath, {&exe});
  EXPECT_EQ(g.how, How::LdLibraryPath);
  EXPECT_EQ(g.path, "/llp2/libfoo.so");
  EXPECT_EQ(g.rpathOwner, nullptr);
  EXPECT_EQ(g.entry, "");
  EXPECT_EQ(disk.probes, (Paths{"/llp1/libfoo.so", "/llp2/libfoo.so"}));
}

// DT_RUNPATH is the requester's own: the RUNPATH step looks at
// loader->l_runpath_dirs only, never at the objects that loaded it.
TEST(LoaderSearch, RunpathIsNotInheritedFromLoaders) {
  Disk disk;
  disk.settings.defaultDirs = {"/def"};
  disk.add("/exerun/libfoo.so");
  Object exe = object("/p/bin/prog", std::nullopt, "/exerun");
  Object req = object("/p/lib/libreq.so", std::nullopt, "/run");
  Found f = disk.find("libfoo.so", req, {&exe});
  EXPECT_EQ(f.how, How::NotFound);
  EXPECT_EQ(disk.probes, (Paths{"/run/libfoo.so", "/def/libfoo.so"}));

  Object plain = object("/p/lib/libplain.so");
  Found g = disk.find("libfoo.so", plain, {&exe});
  EXPECT_EQ(g.how, How::NotFound);
  EXPECT_EQ(disk.probes, Paths{"/def/libfoo.so"});
}

// The default directories come last, in their order, after DT_RUNPATH
// ("Finally, try the default path").
TEST(LoaderSearch, DefaultDirsAreSearchedLast) {
  Disk disk;
  disk.settings.ldLibraryPath = {"/llp"};
  disk.settings.defaultDirs = {"/def1", "/def2"};
  disk.add("/def2/libfoo.so");
  Object req = object("/p/lib/libreq.so", std::nullopt, "/run");
  Found f = disk.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::Default);
  EXPECT_EQ(f.path, "/def2/libfoo.so");
  EXPECT_EQ(f.rpathOwner, nullptr);
  EXPECT_EQ(disk.probes, (Paths{"/llp/libfoo.so", "/run/libfoo.so",
                                "/def1/libfoo.so", "/def2/libfoo.so"}));

  disk.add("/run/libfoo.so");
  Found g = disk.find("libfoo.so", req);
  EXPECT_EQ(g.how, How::Runpath);
  EXPECT_EQ(g.path, "/run/libfoo.so");
}

// -z nodeflib (DF_1_NODEFLIB) on the requester skips the default
// directories; the flag of a loader does not count (glibc tests
// l = loader, the requester, only).
TEST(LoaderSearch, NodeflibSkipsTheDefaultDirs) {
  Disk disk;
  disk.settings.defaultDirs = {"/def"};
  disk.add("/def/libfoo.so");
  Object req = object("/p/lib/libreq.so", std::nullopt, "/run",
                      llvm::ELF::DF_1_NODEFLIB);
  Found f = disk.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::NotFound);
  EXPECT_EQ(disk.probes, Paths{"/run/libfoo.so"});

  Object exe = object("/p/bin/prog", std::nullopt, std::nullopt,
                      llvm::ELF::DF_1_NODEFLIB);
  Object plain = object("/p/lib/libplain.so");
  Found g = disk.find("libfoo.so", plain, {&exe});
  EXPECT_EQ(g.how, How::Default);
  EXPECT_EQ(g.path, "/def/libfoo.so");
}

// $ORIGIN and ${ORIGIN} are the directory of the object whose list it is
// (_dl_dst_substitute, l->l_origin): the requester's for its own RPATH and
// RUNPATH, the loader's for an inherited RPATH.
TEST(LoaderSearch, OriginIsTheDirectoryOfTheListsOwner) {
  EXPECT_EQ(expandOrigin("$ORIGIN/../lib", "/p/lib/libreq.so"),
            Expansion("/p/lib/../lib"));
  EXPECT_EQ(expandOrigin("${ORIGIN}/x", "/p/lib/libreq.so"),
            Expansion("/p/lib/x"));
  EXPECT_EQ(expandOrigin("$ORIGIN", "/p/lib/libreq.so"), Expansion("/p/lib"));
  EXPECT_EQ(expandOrigin("/a/$ORIGIN/b", "/q/libx.so"), Expansion("/a//q/b"));
  EXPECT_EQ(expandOrigin("$ORIGIN", "/libroot.so"), Expansion("/"));

  Disk disk;
  disk.add("/p/lib/x/libfoo.so");
  disk.add("/p/lib/../run/libbar.so");
  disk.add("/p/bin/../share/libbaz.so");
  Object req =
      object("/p/lib/libreq.so", "$ORIGIN/../deps:${ORIGIN}/x", std::nullopt);
  Found f = disk.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/p/lib/x/libfoo.so");
  EXPECT_EQ(disk.probes,
            (Paths{"/p/lib/../deps/libfoo.so", "/p/lib/x/libfoo.so"}));

  Object withRunpath =
      object("/p/lib/libr.so", std::nullopt, "${ORIGIN}/../run");
  Found g = disk.find("libbar.so", withRunpath);
  EXPECT_EQ(g.how, How::Runpath);
  EXPECT_EQ(g.path, "/p/lib/../run/libbar.so");

  Object exe = object("/p/bin/prog", "$ORIGIN/../share");
  Object plain = object("/p/lib/libplain.so");
  Found h = disk.find("libbaz.so", plain, {&exe});
  EXPECT_EQ(h.how, How::Rpath);
  EXPECT_EQ(h.path, "/p/bin/../share/libbaz.so")
      << "$ORIGIN in the executable's RPATH is the executable's directory";
}

// The tokens the model does not expand ($LIB, $PLATFORM, see loader.h):
// expandOrigin gives nullopt, and an entry holding one is left out of the
// list (as glibc leaves out an entry whose token it cannot replace) while
// the rest of the list is searched.
TEST(LoaderSearch, EntryWithAnUnexpandedTokenIsSkipped) {
  EXPECT_EQ(expandOrigin("$LIB/x", "/p/lib/libreq.so"), std::nullopt);
  EXPECT_EQ(expandOrigin("${LIB}", "/p/lib/libreq.so"), std::nullopt);
  EXPECT_EQ(expandOrigin("/usr/$PLATFORM/lib", "/p/lib/libreq.so"),
            std::nullopt);
  EXPECT_EQ(expandOrigin("$ORIGIN/${PLATFORM}", "/p/lib/libreq.so"),
            std::nullopt);

  Disk disk;
  disk.add("$LIB/libfoo.so");
  disk.add("/b/libfoo.so");
  Object req = object("/p/lib/libreq.so", "$LIB:/usr/$PLATFORM:/b");
  Found f = disk.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/b/libfoo.so");
  EXPECT_EQ(f.entry, "/b");
  EXPECT_EQ(disk.probes, Paths{"/b/libfoo.so"});
}

// A file of another class or machine is skipped and the search goes on, in
// the same list and in the next ones (open_verify: found_other_class, or
// elf_machine_matches_host fails; open_path tries the next directory). The
// class and machine asked for are the requester's.
TEST(LoaderSearch, UnusableCandidateIsSkippedAndTheSearchGoesOn) {
  Disk disk;
  disk.settings.defaultDirs = {"/def"};
  disk.add("/r1/libfoo.so", 64, kX86_64);
  disk.add("/r2/libfoo.so", 32, llvm::ELF::EM_ARM);
  disk.add("/r3/libfoo.so", 32, llvm::ELF::EM_386);
  disk.add("/def/libfoo.so", 64, kX86_64);
  Object req = object("/p/lib/libreq.so", "/r1:/r2:/r3");
  req.elfClass = 32;
  req.machine = llvm::ELF::EM_386;
  Found f = disk.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/r3/libfoo.so");
  EXPECT_EQ(f.entry, "/r3");
  EXPECT_EQ(disk.probes,
            (Paths{"/r1/libfoo.so", "/r2/libfoo.so", "/r3/libfoo.so"}));

  Object req64 = object("/p/lib/libreq64.so", "/r2:/r3");
  Found g = disk.find("libfoo.so", req64);
  EXPECT_EQ(g.how, How::Default);
  EXPECT_EQ(g.path, "/def/libfoo.so");
}

// Empty entries ("a::b", a leading or trailing ':') are skipped and the
// rest of the list is searched. glibc takes an empty entry for the current
// directory (fillin_rpath keeps the "" that strsep passes); the current
// directory of a program run later is not known when a build is checked,
// so the model leaves it out on purpose (inDirs in loader.cpp).
TEST(LoaderSearch, EmptyEntriesAreSkipped) {
  Disk disk;
  disk.settings.ldLibraryPath = {"", "/llp"};
  disk.settings.defaultDirs = {"", "/def"};
  disk.add("libfoo.so");
  disk.add("/libfoo.so");
  disk.add("/r/libfoo.so");
  disk.add("/llp/libbar.so");
  disk.add("/def/libbaz.so");
  Object req = object("/p/lib/libreq.so", "::/r:");
  Found f = disk.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/r/libfoo.so");
  EXPECT_EQ(f.entry, "/r");
  EXPECT_EQ(disk.probes, Paths{"/r/libfoo.so"});

  Found g = disk.find("libbar.so", req);
  EXPECT_EQ(g.how, How::LdLibraryPath);
  EXPECT_EQ(g.path, "/llp/libbar.so");

  Found h = disk.find("libbaz.so", req);
  EXPECT_EQ(h.how, How::Default);
  EXPECT_EQ(h.path, "/def/libbaz.so");
  EXPECT_EQ(disk.probes,
            (Paths{"/r/libbaz.so", "/llp/libbaz.so", "/def/libbaz.so"}));
}

// Nothing has it: NotFound, with no path, owner or entry, after every list
// was tried in the loader's order; Found::tried lists the directories.
TEST(LoaderSearch, NotFoundAfterEveryListInOrder) {
  Disk disk;
  disk.settings.ldLibraryPath = {"/llp"};
  disk.settings.defaultDirs = {"/def1", "/def2"};
  Object exe = object("/p/bin/prog", "/exe");
  Object mid = object("/p/lib/libmid.so", "/mid");
  Object req = object("/p/lib/libreq.so", "/r");
  Found f = disk.find("libfoo.so", req, {&mid, &exe});
  EXPECT_EQ(f.how, How::NotFound);
  EXPECT_EQ(f.path, "");
  EXPECT_EQ(f.rpathOwner, nullptr);
  EXPECT_EQ(f.entry, "");
  EXPECT_EQ(f.refused, "");
  EXPECT_EQ(disk.probes,
            (Paths{"/r/libfoo.so", "/mid/libfoo.so", "/exe/libfoo.so",
                   "/llp/libfoo.so", "/def1/libfoo.so", "/def2/libfoo.so"}));
  EXPECT_EQ(f.tried, (Paths{"/r", "/mid", "/exe", "/llp", "/def1", "/def2"}));

  Object withRunpath = object("/p/lib/librun.so", std::nullopt, "/run");
  Found g = disk.find("libfoo.so", withRunpath, {&mid, &exe});
  EXPECT_EQ(g.how, How::NotFound);
  EXPECT_EQ(disk.probes, (Paths{"/llp/libfoo.so", "/run/libfoo.so",
                                "/def1/libfoo.so", "/def2/libfoo.so"}));
}

// Found::rpathOwner and Found::entry say which object's DT_RPATH answered
// and with which entry as written (before $ORIGIN expansion): what ldpin
// keeps when it pins. Other ways of finding leave them empty.
TEST(LoaderSearch, RpathOwnerAndEntryAreSetForRpathOnly) {
  Disk disk;
  disk.settings.ldLibraryPath = {"/llp"};
  disk.settings.defaultDirs = {"/def"};
  disk.add("/p/bin/../lib/libfoo.so");
  disk.add("/llp/libbar.so");
  disk.add("/run/libbaz.so");
  disk.add("/def/libqux.so");
  Object exe = object("/p/bin/prog", "/nothing:$ORIGIN/../lib");
  Object req = object("/p/lib/libreq.so", "/r");
  Found f = disk.find("libfoo.so", req, {&exe});
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/p/bin/../lib/libfoo.so");
  EXPECT_EQ(f.rpathOwner, &exe);
  EXPECT_EQ(f.entry, "$ORIGIN/../lib");

  Object withRunpath = object("/p/lib/librun.so", std::nullopt, "/run");
  for (const auto &[name, how] : {std::pair{"libbar.so", How::LdLibraryPath},
                                  std::pair{"libbaz.so", How::Runpath},
                                  std::pair{"libqux.so", How::Default}}) {
    SCOPED_TRACE(name);
    Found g = disk.find(name, withRunpath, {&exe});
    EXPECT_EQ(g.how, how);
    EXPECT_EQ(g.rpathOwner, nullptr);
    EXPECT_EQ(g.entry, "");
  }
  Found p = disk.find("/p/bin/../lib/libfoo.so", req, {&exe});
  EXPECT_EQ(p.how, How::Path);
  EXPECT_EQ(p.rpathOwner, nullptr);
  EXPECT_EQ(p.entry, "");
}

// A '$' that starts no token glibc knows ($FOO, $ORIGINAL, "${ORIGIN"
// without its brace, a '$' at the end) is kept as it is: _dl_dst_substitute
// copies it ("No DST we recognize") and the entry is searched as written.
// (Checked with glibc 2.36: a program loads its library from an RPATH
// directory named "/tmp/x/lit$FOO".)
TEST(LoaderSearch, UnknownDollarIsKeptAsItIs) {
  EXPECT_EQ(expandOrigin("/opt/lit$FOO", "/p/lib/libreq.so"),
            Expansion("/opt/lit$FOO"));
  EXPECT_EQ(expandOrigin("$ORIGINAL", "/p/lib/libreq.so"),
            Expansion("$ORIGINAL"));
  EXPECT_EQ(expandOrigin("${ORIGIN", "/p/lib/libreq.so"),
            Expansion("${ORIGIN"));
  EXPECT_EQ(expandOrigin("/a$", "/p/lib/libreq.so"), Expansion("/a$"));
  EXPECT_EQ(expandOrigin("$LIBX/$ORIGIN", "/p/lib/libreq.so"),
            Expansion("$LIBX//p/lib"));

  Disk disk;
  disk.add("/opt/lit$FOO/libfoo.so");
  Object req = object("/p/lib/libreq.so", "/opt/lit$FOO");
  Found f = disk.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/opt/lit$FOO/libfoo.so");
  EXPECT_EQ(f.entry, "/opt/lit$FOO");
}

// A DT_NEEDED with a slash has its tokens expanded before it is opened:
// _dl_map_new_object calls expand_dynamic_string_token (loader, name), so
// "$ORIGIN/libfoo.so" is the file next to the requester. (Checked with
// glibc 2.36: a program whose DT_NEEDED is "$ORIGIN/libfoo.so" runs from any
// current directory.)
TEST(LoaderSearch, OriginInANameWithSlashIsExpanded) {
  Disk disk;
  disk.add("/p/lib/libfoo.so");
  disk.add("/p/lib/sub/libbar.so");
  Object req = object("/p/lib/libreq.so");
  Found f = disk.find("$ORIGIN/libfoo.so", req);
  EXPECT_EQ(f.how, How::Path);
  EXPECT_EQ(f.path, "/p/lib/libfoo.so");
  EXPECT_EQ(disk.probes, Paths{"/p/lib/libfoo.so"});

  Found g = disk.find("${ORIGIN}/sub/libbar.so", req);
  EXPECT_EQ(g.how, How::Path);
  EXPECT_EQ(g.path, "/p/lib/sub/libbar.so");
}

// Only a file the loader cannot open, or an ELF file of another class or
// machine, is skipped (open_verify: found_other_class,
// elf_machine_matches_host). A candidate it rejects otherwise (not ELF:
// "invalid ELF header"; a directory: "cannot read file data"; not a shared
// object) ends the load with an error (_dl_signal_error): the search stops
// there, and Found::refused names it. Real files, read through usableFrom
// and refusedFrom. (Checked with glibc 2.36: a program whose RPATH is
// "txt:good" or "dir:good" does not start.)
TEST(LoaderSearch, CandidateThatIsNotElfEndsTheSearch) {
  llvm::Expected<ldpin::elf::ElfInfo> fixture =
      ldpin::elf::readFile(FIXTURE_LIB);
  ASSERT_TRUE(bool(fixture)) << llvm::toString(fixture.takeError());
  ldpin::test::TempDir d;
  for (const char *dir :
       {"txt", "dir/libfoo.so", "obj", "class", "machine", "good"})
    std::filesystem::create_directories(d / dir);
  ldpin::test::writeFile(d / "txt/libfoo.so",
                         "INPUT(libfoo.so.1) this is a text file, no ELF\n");
  std::filesystem::copy_file(FIXTURE_LIB, d / "good/libfoo.so");
  // The fixture with another e_type, EI_CLASS or e_machine (the bytes at
  // 16, 4 and 18 of the ELF header, little-endian on the hosts we run on).
  std::string elf = ldpin::test::readFile(FIXTURE_LIB);
  ASSERT_GT(elf.size(), 64u);
  auto variant = [&](const std::string &path, size_t at, char value) {
    std::string bytes = elf;
    bytes[at] = value;
    ldpin::test::writeFile(path, bytes);
  };
  variant(d / "obj/libfoo.so", 16, llvm::ELF::ET_REL);
  variant(d / "class/libfoo.so", llvm::ELF::EI_CLASS,
          fixture->elfClass == 64 ? llvm::ELF::ELFCLASS32
                                  : llvm::ELF::ELFCLASS64);
  variant(d / "machine/libfoo.so", 18,
          static_cast<char>(fixture->machine == llvm::ELF::EM_AARCH64
                                ? llvm::ELF::EM_X86_64
                                : llvm::ELF::EM_AARCH64));
  FileCache cache;
  SearchSettings settings;
  settings.usable = usableFrom(cache);
  settings.refused = refusedFrom(cache);
  Object req = object(d / "prog");
  req.elfClass = fixture->elfClass;
  req.machine = fixture->machine;

  req.rpath = d / "class" + ":" + d / "machine" + ":" + d / "good";
  Found skipped = search("libfoo.so", req, {}, settings);
  EXPECT_EQ(skipped.how, How::Rpath) << "another class or machine is skipped";
  EXPECT_EQ(skipped.path, d / "good/libfoo.so");
  EXPECT_EQ(skipped.refused, "");

  for (const char *first : {"txt", "dir", "obj"}) {
    SCOPED_TRACE(first);
    req.rpath = d / first + ":" + d / "good";
    Found f = search("libfoo.so", req, {}, settings);
    EXPECT_EQ(f.how, How::NotFound);
    EXPECT_EQ(f.path, "");
    EXPECT_EQ(f.refused, d / first + "/libfoo.so");
    EXPECT_EQ(f.tried, Paths{d / first});
  }
}

// --- the start-up model (SearchSettings::probes): glibc's open_path -------

// The file system as the start-up model sees it: files (each a library of
// one class and machine, or another kind of file) and directories, and every
// call the search makes, as "open PATH" / "stat PATH" with "!" when it fails.
class Fs {
public:
  Fs() {
    settings.probes = &log;
    settings.usable = [this](const std::string &p, unsigned c, uint16_t m) {
      auto it = libs.find(p);
      return it != libs.end() && it->second == std::make_pair(c, m);
    };
    settings.opens = [this](const std::string &p) {
      if (auto it = errors.find(p); it != errors.end())
        return it->second;
      return libs.count(p) ? 0 : ENOENT;
    };
    settings.stats = [this](const std::string &p) {
      return dirs.count(p) ? 1 : -ENOENT;
    };
  }
  Fs(const Fs &) = delete;
  Fs &operator=(const Fs &) = delete;
  void lib(const std::string &p, unsigned c = 64) {
    libs[p] = {c, kX86_64};
    for (std::string d = ldpin::dirName(p); d.size() > 1;
         d = ldpin::dirName(d))
      dirs.insert(d);
  }
  void dir(const std::string &p) { dirs.insert(p); }
  // open(2) of `p` fails with `err` (ELOOP for a symbolic link loop).
  void failing(const std::string &p, int err) {
    errors[p] = err;
    dir(ldpin::dirName(p));
  }
  Found find(const std::string &name, const Object &requester,
             const std::vector<const Object *> &loaders = {}) {
    log.calls.clear();
    return search(name, requester, loaders, settings);
  }
  Paths calls() const {
    Paths out;
    for (const Probe &p : log.calls)
      out.push_back(std::string(p.kind == Probe::Open   ? "open "
                                : p.kind == Probe::Stat ? "stat "
                                                        : "access ") +
                    p.path + (p.ok ? "" : " !"));
    return out;
  }
  SearchSettings settings;
  ProbeLog log;

private:
  std::map<std::string, std::pair<unsigned, uint16_t>> libs;
  std::map<std::string, int> errors;
  std::set<std::string> dirs;
};

// Each directory is tried in every subdirectory, in the loader's order,
// before the directory itself; a failed open of a subdirectory whose
// existence is not known yet is followed by a stat of it.
TEST(StartupModel, SubdirectoriesComeBeforeTheDirectory) {
  Fs fs;
  fs.settings.subdirs = {"glibc-hwcaps/x86-64-v3/", "tls/"};
  fs.lib("/r/tls/libfoo.so");
  fs.lib("/r/libfoo.so");
  Found f = fs.find("libfoo.so", object("/p/prog", "/r"));
  EXPECT_EQ(f.how, How::Rpath);
  EXPECT_EQ(f.path, "/r/tls/libfoo.so");
  EXPECT_EQ(fs.calls(), (Paths{"open /r/glibc-hwcaps/x86-64-v3/libfoo.so !",
                               "stat /r/glibc-hwcaps/x86-64-v3 !",
                               "open /r/tls/libfoo.so"}));
  EXPECT_EQ(f.failedProbes, 2u);
}

// What the process learnt of a directory it keeps: one that does not exist
// is not tried again, one that exists is not stat'ed again, whatever list
// names it next and however its trailing slashes are written.
TEST(StartupModel, DirectoryStatesAreRememberedByName) {
  Fs fs;
  fs.dir("/empty");
  fs.lib("/lib/libfoo.so");
  fs.lib("/lib/libbar.so");
  Object req = object("/p/prog", std::nullopt, "/gone:/empty:/lib");
  fs.find("libfoo.so", req);
  EXPECT_EQ(fs.calls(),
            (Paths{"open /gone/libfoo.so !", "stat /gone !",
                   "open /empty/libfoo.so !", "stat /empty",
                   "open /lib/libfoo.so"}));
  Object other = object("/p/libx.so", std::nullopt, "/gone//:/empty/:/lib");
  fs.find("libbar.so", other);
  EXPECT_EQ(fs.calls(),
            (Paths{"open /empty/libbar.so !", "open /lib/libbar.so"}));
  EXPECT_EQ(fs.log.status.count("/gone/"), 1u);
}

// An open that fails otherwise than "no such file" (ELOOP, ENOTDIR,
// ENAMETOOLONG) in a directory that exists ends the list: glibc's open_path
// takes it as a file that is there but broken, and goes to the next list.
TEST(StartupModel, AnOpenFailingOtherwiseEndsTheList) {
  Fs fs;
  fs.failing("/d1/libfoo.so", ELOOP);
  fs.lib("/d2/libfoo.so");
  fs.lib("/def/libfoo.so");
  fs.settings.defaultDirs = {"/def"};
  Found f = fs.find("libfoo.so", object("/p/prog", std::nullopt, "/d1:/d2"));
  EXPECT_EQ(f.how, How::Default);
  EXPECT_EQ(fs.calls(), (Paths{"open /d1/libfoo.so !", "stat /d1",
                               "open /def/libfoo.so"}));
}

// A directory named twice in one list is tried once.
TEST(StartupModel, ADirectoryIsTriedOncePerList) {
  Fs fs;
  fs.dir("/empty");
  Object req = object("/p/prog", std::nullopt, "/empty:/empty/");
  Found f = fs.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::NotFound);
  EXPECT_EQ(fs.calls(), (Paths{"open /empty/libfoo.so !", "stat /empty"}));
}

// An empty entry is the current directory and a relative entry is relative
// to it; neither is ever stat'ed (the current directory may change), so
// each search opens them again.
TEST(StartupModel, EmptyAndRelativeEntriesAreOpenedEveryTime) {
  Fs fs;
  Object req = object("/p/prog", std::nullopt, ":rel");
  for (int round = 0; round < 2; ++round) {
    Found f = fs.find("libfoo.so", req);
    EXPECT_EQ(f.how, How::NotFound);
    EXPECT_EQ(f.tried, (Paths{".", "rel"}));
    EXPECT_EQ(fs.calls(), (Paths{"open libfoo.so !", "open rel/libfoo.so !"}));
  }
  // Without the start-up model an empty entry is skipped (a build never
  // means the current directory).
  Disk disk;
  disk.find("libfoo.so", req);
  EXPECT_EQ(disk.probes, Paths{"rel/libfoo.so"});
}

// $LIB and $PLATFORM take the interpreter's values; with none (the
// wrapper's and fixup's searches) the entry is dropped.
TEST(StartupModel, LibAndPlatformAreExpanded) {
  Fs fs;
  fs.settings.lib = "lib/x86_64-linux-gnu";
  fs.settings.platform = "haswell";
  fs.lib("/o/lib/x86_64-linux-gnu/libfoo.so");
  fs.lib("/o/haswell/libbar.so");
  Object req = object("/p/prog", std::nullopt, "/o/$LIB:/o/${PLATFORM}");
  EXPECT_EQ(fs.find("libfoo.so", req).path,
            "/o/lib/x86_64-linux-gnu/libfoo.so");
  EXPECT_EQ(fs.find("libbar.so", req).path, "/o/haswell/libbar.so");
  fs.settings.lib.clear();
  EXPECT_EQ(fs.find("libfoo.so", req).how, How::NotFound);
}

// LD_LIBRARY_PATH is split at ':' and at ';'; $ORIGIN in it is the
// executable's.
TEST(StartupModel, LdLibraryPathSplitsAtSemicolonsToo) {
  Fs fs;
  fs.lib("/b/libfoo.so");
  fs.lib("/p/bin/../l/libbar.so");
  fs.settings.ldLibraryPath = {"/a;/b:$ORIGIN/../l"};
  Object exe = object("/p/bin/prog");
  Object lib = object("/q/lib/libx.so");
  EXPECT_EQ(fs.find("libfoo.so", lib, {&exe}).path, "/b/libfoo.so");
  EXPECT_EQ(fs.find("libbar.so", lib, {&exe}).path, "/p/bin/../l/libbar.so");
}

// Secure mode: LD_LIBRARY_PATH is ignored; $ORIGIN counts only at the start
// of an entry; and for the executable's own lists its expansion must lie in
// a trusted (default) directory.
TEST(StartupModel, SecureModeLimitsOriginAndLdLibraryPath) {
  Fs fs;
  fs.settings.secure = true;
  fs.settings.defaultDirs = {"/usr/lib"};
  fs.lib("/llp/libfoo.so");
  fs.lib("/p/bin/sub/libfoo.so");
  fs.lib("/q/lib/dep/libfoo.so");
  fs.settings.ldLibraryPath = {"/llp"};
  Object exe = object("/p/bin/prog", std::nullopt, "$ORIGIN/sub");
  exe.isMain = true;
  EXPECT_EQ(fs.find("libfoo.so", exe).how, How::NotFound)
      << "the executable's $ORIGIN is outside the trusted directories";
  Object lib = object("/q/lib/libx.so", std::nullopt, "$ORIGIN/dep");
  EXPECT_EQ(fs.find("libfoo.so", lib, {&exe}).path, "/q/lib/dep/libfoo.so")
      << "a library's $ORIGIN at the start of its entry is kept";
  Object late = object("/q/lib/libx.so", std::nullopt, "/x$ORIGIN/dep");
  EXPECT_EQ(fs.find("libfoo.so", late, {&exe}).how, How::NotFound);
  fs.settings.secure = false;
  EXPECT_EQ(fs.find("libfoo.so", exe).path, "/llp/libfoo.so");
}

// ld.so.cache is opened at the first search that reaches it, once for the
// process (a missing one is one failed probe); an object linked with -z
// nodefaultlib takes no entry from a default directory.
TEST(StartupModel, CacheIsReadOnceAndNodeflibFiltersIt) {
  namespace fs = std::filesystem;
  ldpin::test::TempDir tmp;
  // A cache in glibc's format with two entries for libfoo.so.1: one in a
  // glibc-hwcaps subdirectory (x86-64-v2, through the extension), one plain.
  std::string strings;
  auto str = [&](const std::string &v) {
    uint32_t at = static_cast<uint32_t>(strings.size());
    strings += v + '\0';
    return at;
  };
  const uint32_t header = 48, entry = 24, n = 2;
  const uint32_t base = header + n * entry; // strings follow the entries
  uint32_t key = str("libfoo.so.1"), v2 = str("/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1"),
           plainPath = str("/usr/lib/libfoo.so.1"), hwName = str("x86-64-v2");
  while ((base + strings.size()) % 4)
    strings += '\0';
  const uint32_t hwTable = base + static_cast<uint32_t>(strings.size());
  const uint32_t ext = hwTable + 4;
  std::string file = "glibc-ld.so.cache1.1";
  auto u32 = [&](uint32_t v) { file.append(reinterpret_cast<char *>(&v), 4); };
  auto u64 = [&](uint64_t v) { file.append(reinterpret_cast<char *>(&v), 8); };
  u32(n);
  u32(static_cast<uint32_t>(strings.size()));
  file += std::string(4, '\0'); // flags (endianness unset) and padding
  u32(ext);
  file += std::string(12, '\0');
  u32(0x0303), u32(base + key), u32(base + v2), u32(0),
      u64((uint64_t(1) << 62) | 0);
  u32(0x0303), u32(base + key), u32(base + plainPath), u32(0), u64(0);
  file += strings;
  u32(base + hwName);                      // the glibc-hwcaps name table
  u32(0xeaa42174u), u32(1);                // extension directory, one section
  u32(1), u32(0), u32(hwTable), u32(4);    // tag glibc-hwcaps
  std::string path = tmp / "ld.so.cache";
  ldpin::test::writeFile(path, file);
  std::optional<LdCache> cache = LdCache::read(path);
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache->lookup("libfoo.so.1", 64, kX86_64, {"x86-64-v3", "x86-64-v2"}),
            "/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1");
  EXPECT_EQ(cache->lookup("libfoo.so.1", 64, kX86_64, {}), "/usr/lib/libfoo.so.1");
  EXPECT_EQ(cache->lookup("libfoo.so.1", 32, llvm::ELF::EM_386, {}), std::nullopt);

  Fs fsys;
  fsys.lib("/usr/lib/libfoo.so.1");
  fsys.settings.defaultDirs = {"/usr/lib"};
  fsys.settings.cacheFile = path;
  fsys.settings.cache = std::make_shared<const LdCache>(*cache);
  fsys.settings.opens = [&, inner = fsys.settings.opens](const std::string &p) {
    return p == path ? 0 : inner(p);
  };
  Found f = fsys.find("libfoo.so.1", object("/p/prog"));
  EXPECT_EQ(f.how, How::Cache);
  EXPECT_EQ(fsys.calls(), (Paths{"open " + path, "open /usr/lib/libfoo.so.1"}));
  f = fsys.find("libfoo.so.1", object("/p/prog"));
  EXPECT_EQ(fsys.calls(), (Paths{"open /usr/lib/libfoo.so.1"}))
      << "the cache is read once";
  Found nodef = fsys.find("libfoo.so.1",
                          object("/p/libx.so", std::nullopt, std::nullopt,
                                 llvm::ELF::DF_1_NODEFLIB));
  EXPECT_EQ(nodef.how, How::NotFound);
  EXPECT_EQ(fsys.calls(), Paths{});

  Fs missing;
  missing.settings.cacheFile = "/nonexistent/ld.so.cache";
  Found first = missing.find("libfoo.so.1", object("/p/prog"));
  EXPECT_EQ(missing.calls(), Paths{"open /nonexistent/ld.so.cache !"});
  EXPECT_EQ(first.failedProbes, 1u);
  missing.find("libbar.so.1", object("/p/prog"));
  EXPECT_EQ(missing.calls(), Paths{}) << "a missing cache is not tried again";
  EXPECT_EQ(missing.log.cache, 2);
}

// The hardware capability subdirectories from `ld.so --help` (glibc 2.36 on
// x86-64): the glibc-hwcaps ones searched, in priority order, then every
// combination of the legacy names (the bits' names, AT_PLATFORM, tls),
// written last component first, from all of them down to one: the order
// strace shows glibc 2.36 trying them in.
TEST(StartupModel, SubdirectoriesAreReadFromTheInterpretersHelp) {
  InterpreterDefaults d = parseInterpreterHelp(
      "Shared library search path:\n"
      "  (libraries located via /etc/ld.so.cache)\n"
      "  /lib/x86_64-linux-gnu (system search path)\n"
      "\n"
      "Subdirectories of glibc-hwcaps directories, in priority order:\n"
      "  x86-64-v4\n"
      "  x86-64-v3 (supported, searched)\n"
      "  x86-64-v2 (supported, searched)\n"
      "\n"
      "Legacy HWCAP subdirectories under library search path directories:\n"
      "  x86_64 (AT_PLATFORM; supported, searched)\n"
      "  tls (supported, searched)\n"
      "  avx512_1\n"
      "  x86_64 (supported, searched)\n");
  EXPECT_TRUE(d.reported);
  EXPECT_EQ(d.cache, "/etc/ld.so.cache");
  EXPECT_EQ(d.hwcaps, (Paths{"x86-64-v3", "x86-64-v2"}));
  EXPECT_EQ(d.platform, "x86_64");
  EXPECT_EQ(d.subdirs,
            (Paths{"glibc-hwcaps/x86-64-v3/", "glibc-hwcaps/x86-64-v2/",
                   "tls/x86_64/x86_64/", "tls/x86_64/", "tls/x86_64/", "tls/",
                   "x86_64/x86_64/", "x86_64/", "x86_64/"}));
}

} // namespace

// The audit module is asked at the first default candidate glibc tries
// (one whose directory is not known to be missing), once per search; the
// file it names is opened instead, and glibc takes the candidate's
// subdirectory to exist from then on, since the open succeeded.
TEST(StartupModel, TheAuditModulesAnswerIsOpenedAtTheFirstDefaultCandidate) {
  Fs fs;
  fs.settings.subdirs = {"glibc-hwcaps/x86-64-v3/"};
  fs.settings.defaultDirs = {"/def"};
  fs.dir("/def");
  fs.lib("/fb/libfoo.so");
  fs.lib("/def/libbar.so");
  std::vector<std::string> asked;
  fs.settings.atDefault = [&](const std::string &, const std::string &candidate,
                              AuditWork &work)
      -> std::optional<std::pair<std::string, How>> {
    asked.push_back(candidate);
    work.calls.push_back({Probe::Stat, "/fb0/libfoo.so", false});
    work.skipped.push_back({"/fb0/libfoo.so", "why"});
    work.tried = {"/fb0", "/fb"};
    if (candidate.find("libfoo") == std::string::npos)
      return std::nullopt;
    return std::make_pair(std::string("/fb/libfoo.so"), How::Fallback);
  };
  Object req = object("/p/prog");
  Found f = fs.find("libfoo.so", req);
  EXPECT_EQ(f.how, How::Fallback);
  EXPECT_EQ(f.path, "/fb/libfoo.so");
  EXPECT_EQ(f.failedProbes, 1u); // the module's own
  ASSERT_EQ(f.auditSkipped.size(), 1u);
  EXPECT_EQ(fs.calls(),
            (Paths{"stat /fb0/libfoo.so !", "open /fb/libfoo.so"}));
  // glibc-hwcaps/x86-64-v3 of /def now "exists": no stat after its open.
  Found g = fs.find("libbar.so", req);
  EXPECT_EQ(g.how, How::Default);
  EXPECT_EQ(fs.calls(),
            (Paths{"stat /fb0/libfoo.so !",
                   "open /def/glibc-hwcaps/x86-64-v3/libbar.so !",
                   "open /def/libbar.so"}));
  EXPECT_EQ(asked, (Paths{"/def/glibc-hwcaps/x86-64-v3/libfoo.so",
                          "/def/glibc-hwcaps/x86-64-v3/libbar.so"}));
  // What the module searched comes before the default directory.
  EXPECT_EQ(g.tried, (Paths{"/fb0", "/fb", "/def"}));
  // Not at all for -z nodeflib, whose search never gets there.
  Object nodeflib = req;
  nodeflib.flags1 = llvm::ELF::DF_1_NODEFLIB;
  EXPECT_EQ(fs.find("libfoo.so", nodeflib).how, How::NotFound);
  EXPECT_EQ(asked.size(), 2u);
}

// The module's settings, with its limits and warnings.
TEST(AuditRules, ReadAsTheModuleReadsThem) {
  std::map<std::string, std::string> env = {
      {"LDPIN_FALLBACK_PATH", "/a::rel:/b/"},
      {"LDPIN_OVERRIDE", "libx.so.1=/o/libx.so.1::/abs/liby.so=!/o/liby.so:"
                         "noequals:=/empty-name:libz.so=relative"},
      {"LDPIN_AUDIT_POLICY", "strict"}};
  auto getenv = [&](const char *n) -> std::optional<std::string> {
    auto it = env.find(n);
    return it == env.end() ? std::nullopt
                           : std::optional<std::string>(it->second);
  };
  AuditRules r = auditRulesFrom(getenv);
  EXPECT_EQ(r.fallback, "/a::rel:/b/");
  EXPECT_TRUE(r.strict);
  ASSERT_EQ(r.overrides.size(), 2u);
  EXPECT_EQ(r.overrides[0].name, "libx.so.1");
  EXPECT_EQ(r.overrides[0].target, "/o/libx.so.1");
  EXPECT_FALSE(r.overrides[0].forced);
  EXPECT_EQ(r.overrides[1].name, "/abs/liby.so");
  EXPECT_EQ(r.overrides[1].target, "/o/liby.so");
  EXPECT_TRUE(r.overrides[1].forced);
  EXPECT_EQ(r.warnings,
            (Paths{"LDPIN_FALLBACK_PATH entry 'rel' is not absolute; ignored",
                   "LDPIN_OVERRIDE entry 'noequals' is not name=/absolute/path; "
                   "ignored",
                   "LDPIN_OVERRIDE entry '' is not name=/absolute/path; ignored",
                   "LDPIN_OVERRIDE entry 'libz.so' is not name=/absolute/path; "
                   "ignored"}));
  env = {{"LDPIN_AUDIT_POLICY", "lax"},
         {"LDPIN_FALLBACK_PATH", std::string(131073, '/')}};
  r = auditRulesFrom(getenv);
  EXPECT_FALSE(r.strict);
  EXPECT_EQ(r.fallback, "");
  EXPECT_EQ(r.warnings,
            (Paths{"LDPIN_FALLBACK_PATH is longer than 131072 bytes; ignored",
                   "LDPIN_AUDIT_POLICY='lax' is not 'default' or 'strict'; "
                   "using 'default'"}));
}
