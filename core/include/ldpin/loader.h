// The loader's search for a DT_NEEDED entry, modelled on glibc's
// _dl_map_object (elf/dl-load.c), and the closure of an object built from it.
//
// ldpin uses the model to decide, before anything runs, which file each
// library name will load: `ldpin fixup` pins bare names to those files and
// `ldpin fixup`/`check` validate the result (every NEEDED found, with the
// right class and machine; every needed symbol version defined by the library
// that provides it; one C library per closure).
//
// With SearchSettings::probes set (`ldpin tree`, `ldpin check
// --max-probes`), the model makes the loader's own system calls as glibc
// 2.33 to 2.36 makes them at start-up (open_path in elf/dl-load.c): each
// directory tried in every hardware capability subdirectory the interpreter
// reports, a directory's existence asked once per process and remembered by
// its name across every list, ld.so.cache read at the first search that gets
// that far, $LIB and $PLATFORM expanded, empty entries taken as the current
// directory, and secure mode's rules for $ORIGIN. Without it (the wrapper
// and the fixup, which decide what to pin) the search is the same but
// judges candidates only, skips empty entries, and drops entries with $LIB
// or $PLATFORM. With SearchSettings::audit set as well, the model is of a
// process that loads libldpin-audit.so (doc/audit.md): its overrides, its
// answers for bare names that objects loaded under absolute sonames have,
// LDPIN_FALLBACK_PATH at glibc's first LA_SER_DEFAULT call, the C
// library's own objects from beside the dynamic linker, and its judging of
// every candidate, with the system calls it makes that can fail. Not
// modelled: LD_PRELOAD and /etc/ld.so.preload's libraries, GLIBC_TUNABLES
// that mask hardware capabilities, dlopen, other audit modules.
#pragma once

#include "ldpin/elf.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <llvm/Support/Error.h>

namespace ldpin::loader {

// How a library was found, in the order the loader tries.
enum class How {
  Path,          // the name has a slash: opened as it is (absolute pins)
  Loaded,        // an object loaded before answers to the name (soname)
  Rpath,         // DT_RPATH of the object or of an object that loaded it
  LdLibraryPath, // LD_LIBRARY_PATH
  Runpath,       // DT_RUNPATH of the object itself
  Cache,         // the interpreter's ld.so.cache
  // libldpin-audit.so (SearchSettings::audit): LDPIN_OVERRIDE, asked before
  // anything is searched; LDPIN_FALLBACK_PATH and the C library's own
  // directory, asked at the first default directory.
  Override,
  Fallback,
  OwnGlibc,
  Default,       // the loader's default directories
  NotFound,
};
const char *howName(How how);

// What the search needs of an object.
struct Object {
  std::string path; // as opened
  // $ORIGIN: the directory of `path` for a library (glibc takes the name it
  // opened, symlinks and all); for the executable, the directory of its
  // real path (glibc reads /proc/self/exe). Empty: that of `path`.
  std::string origin;
  bool isMain = false; // the executable (secure mode trusts less of it)
  unsigned elfClass = 0;
  uint16_t machine = 0;
  std::optional<std::string> rpath, runpath;
  uint64_t flags1 = 0; // DT_FLAGS_1 (DF_1_NODEFLIB)
};

Object objectOf(const std::string &path, const elf::ElfInfo &info);

// A directory list entry (or a DT_NEEDED with a slash) with $ORIGIN /
// ${ORIGIN} replaced by the directory of `objectPath`; nullopt when it uses
// a token the model does not expand ($LIB, $PLATFORM). Any other '$' is
// kept as it is, as glibc keeps it.
std::optional<std::string> expandOrigin(const std::string &entry,
                                        const std::string &objectPath);

// The dynamic string tokens as glibc's _dl_dst_substitute replaces them in
// one entry: $ORIGIN by `origin` (a directory), $LIB by `lib` and $PLATFORM
// by `platform`; nullopt when the entry is dropped: a token with no value
// (empty), or, in secure mode, $ORIGIN anywhere but at the start of the
// entry, or, for the executable's own lists (`trusted` non-null), an
// expansion of $ORIGIN outside the trusted directories (each ending '/').
std::optional<std::string>
expandTokens(const std::string &entry, const std::string &origin,
             const std::string &lib, const std::string &platform,
             bool secure = false,
             const std::vector<std::string> *trusted = nullptr);

// The system calls the loader makes while it searches (see loader.h's
// header): what the start-up model records, and the state glibc keeps.
struct Probe {
  enum Kind { Open, Stat, Access } kind = Open;
  std::string path;
  bool ok = false;
};

struct ProbeLog {
  std::vector<Probe> calls;
  // Per directory (as glibc keeps it: trailing slashes folded into one),
  // the state of each hardware capability subdirectory and of the
  // directory itself (the last): 0 unknown, 1 exists, 2 does not.
  std::map<std::string, std::vector<uint8_t>> status;
  int cache = 0; // ld.so.cache: 0 not read yet, 1 read, 2 missing
  size_t failed() const;
  // The search's memo: each object's lists as expanded, keyed by the
  // object and the list (glibc too expands a list once per object).
  std::map<std::pair<const void *, int>, std::shared_ptr<const void>> memo;
};

// ld.so.cache in glibc's format ("glibc-ld.so.cache1.1", glibc 2.32 and
// later), as its lookup reads it (elf/dl-cache.c).
class LdCache {
public:
  // nullopt when the file cannot be read or is not in that format
  // (`error` says which).
  static std::optional<LdCache> read(const std::string &path,
                                     std::string *error = nullptr);
  // The same from the file's bytes.
  static std::optional<LdCache> parse(const std::string &data,
                                      std::string *error = nullptr);
  // The path the cache gives `name` for an object of this class and
  // machine: among entries of that name and of the right flags, the one
  // whose glibc-hwcaps subdirectory comes first in `hwcaps` (the
  // interpreter's, in priority order), else the first without one.
  std::optional<std::string> lookup(const std::string &name, unsigned elfClass,
                                    uint16_t machine,
                                    const std::vector<std::string> &hwcaps) const;
  size_t size() const { return entries_.size(); }

private:
  struct Entry {
    int32_t flags = 0;
    std::string key, value;
    uint64_t hwcap = 0;
    std::string hwcapName; // the glibc-hwcaps subdirectory, "" for none
  };
  std::vector<Entry> entries_;
  // Each name's entries, in the file's order (a lookup is made at every
  // search that reaches the cache).
  std::map<std::string, std::vector<size_t>, std::less<>> byName_;
};

// What libldpin-audit.so reads from its environment (doc/audit.md).
struct AuditRules {
  // The audit modules glibc loads, in its order (LD_AUDIT's entries, then
  // the executable's DT_AUDIT's), with dynamic string tokens expanded: each
  // named libldpin-audit.so that loads is an instance of the module, with
  // state of its own, asked after those before it; others are loaded (their
  // rules are not modelled) or not, as glibc does.
  struct Module {
    std::string name;  // as given (a path, or a bare name glibc searches)
    std::string where; // "LD_AUDIT", "DT_AUDIT", "--audit"
  };
  std::vector<Module> modules;
  std::string fallback; // LDPIN_FALLBACK_PATH, as written
  struct Override {
    std::string name, target;
    bool forced = false; // name=!/path
  };
  std::vector<Override> overrides; // LDPIN_OVERRIDE, in its order
  bool strict = false;             // LDPIN_AUDIT_POLICY=strict
  // The file the module opens for its log (LDPIN_AUDIT_LOG on and
  // LDPIN_AUDIT_LOG_FILE absolute), "" for none.
  std::string logFile;
  // The module's warnings about its settings (entries it ignores).
  std::vector<std::string> warnings;
};

// The rules as the module takes them from `getenv` (LDPIN_FALLBACK_PATH,
// LDPIN_OVERRIDE, LDPIN_AUDIT_POLICY, LDPIN_AUDIT_LOG and
// LDPIN_AUDIT_LOG_FILE), with the same limits.
AuditRules auditRulesFrom(
    const std::function<std::optional<std::string>(const char *)> &getenv);

// A candidate the audit module passed over, and why (its log's words).
struct AuditSkip {
  std::string path, why;
};

// What the audit module did for one request besides its answer: the
// system calls it made (that can fail), what it passed over, and the
// directories of LDPIN_FALLBACK_PATH it searched.
struct AuditWork {
  std::vector<Probe> calls;
  std::vector<AuditSkip> skipped;
  std::vector<std::string> tried;
};

struct SearchSettings {
  std::vector<std::string> ldLibraryPath; // empty when validating builds
  std::vector<std::string> defaultDirs;   // the loader's built-in directories
  // Whether `path` is a file the loader would accept for an object of this
  // class and machine (exists, is ELF, same class and machine). The loader
  // skips a file it cannot use and goes on searching.
  std::function<bool(const std::string &path, unsigned elfClass,
                     uint16_t machine)>
      usable;
  // Whether the loader, given `path` that `usable` does not take, fails the
  // load there instead of going on: glibc's open_verify skips only a file it
  // cannot open and an ELF file of another class or machine; a file that is
  // not ELF, too short, a directory, or of an unloadable type ends the load
  // with an error. nullptr: every candidate that is not usable is skipped.
  std::function<bool(const std::string &path, unsigned elfClass,
                     uint16_t machine)>
      refused;

  // --- the start-up model: used when `probes` is set ---------------------
  ProbeLog *probes = nullptr;
  // The subdirectories tried in each directory before the directory itself
  // (glibc-hwcaps/x86-64-v3/, then the legacy tls/x86_64/ ... ones), each
  // ending with '/', in the loader's order; InterpreterDefaults::subdirs.
  std::vector<std::string> subdirs;
  // open(2) of `path`: 0 when it succeeds, else its errno (glibc stops
  // searching a list at a failure other than ENOENT or EACCES); stat(2) of
  // `path`: 1 a directory, 0 something else, -errno when it fails.
  std::function<int(const std::string &path)> opens;
  std::function<int(const std::string &path)> stats;
  // The interpreter's ld.so.cache ("" for none), opened at the first
  // search that reaches it, and its contents (nullptr: missing or
  // unreadable, so nothing is found there).
  std::string cacheFile;
  std::shared_ptr<const LdCache> cache;
  std::vector<std::string> hwcaps; // glibc-hwcaps names, for the cache
  std::string lib, platform;       // $LIB and $PLATFORM
  bool secure = false;             // AT_SECURE (setuid or setgid)
  // libldpin-audit.so is loaded (the start-up model only; glibc loads no
  // audit module in secure mode). closureOf applies its rules.
  std::shared_ptr<const AuditRules> audit;
  // Set by closureOf from `audit`: the module's answer to glibc's first
  // LA_SER_DEFAULT call of a search for `name` (`asked`, the default
  // candidate glibc is about to open): the file glibc opens instead and
  // how it was chosen (Fallback, OwnGlibc), or nullopt; what else it did
  // goes to `work`.
  std::function<std::optional<std::pair<std::string, How>>(
      const std::string &name, const std::string &asked, AuditWork &work)>
      atDefault;
};

struct Found {
  How how = How::NotFound;
  std::string path; // "" when not found
  // How::Rpath: the object whose DT_RPATH provided it and the entry (as
  // written, before $ORIGIN expansion).
  const Object *rpathOwner = nullptr;
  std::string entry;
  // The directories searched, in order (for messages), and the candidate
  // the loader would refuse, which ended the search ("" for none).
  std::vector<std::string> tried;
  std::string refused;
  size_t failedProbes = 0; // with SearchSettings::probes: of this search
  std::vector<AuditSkip> auditSkipped; // SearchSettings::audit
};

// The file the loader opens for DT_NEEDED `name` of `requester`, which was
// loaded because of `loaders` (nearest first, the executable last).
Found search(const std::string &name, const Object &requester,
             const std::vector<const Object *> &loaders,
             const SearchSettings &settings);

// What a dynamic linker searches by itself after RUNPATH: its built-in
// default directories and the cache file it reads.
struct InterpreterDefaults {
  std::vector<std::string> dirs; // in its order
  std::string cache;             // "" when it reads none (or reports none)
  // True when the interpreter itself said so (`LD_SO --help`, glibc 2.33 and
  // later, run with an empty environment); false when it could not be asked
  // (another machine, not a glibc ld.so) and `dirs` is nixpkgs' rule, the
  // directory the interpreter lives in.
  bool reported = false;
  // Why it was not asked, when it could have been: see trustedInterpreter.
  std::string notAsked;
  // From the same report: the glibc-hwcaps subdirectories it searches
  // ("x86-64-v3"), in priority order; the legacy ones (AT_PLATFORM, then
  // the hardware capability names, and "tls") combined as glibc 2.36's
  // _dl_important_hwcaps combines them; and AT_PLATFORM.
  std::vector<std::string> hwcaps;
  std::vector<std::string> subdirs; // every one tried, each ending with '/'
  std::string platform;
  // $LIB, which is compiled into ld.so: "lib/<triplet>" when the file holds
  // that string (Debian's multiarch), else "lib64", "lib32" or "libx32"
  // when it holds one (a NUL-terminated string of its own), else "lib"
  // (nixpkgs').
  std::string lib = "lib";
};

// Asks `interpreter` (a path; its real path is asked) for its defaults. It
// is run only when it reads as an ELF dynamic linker (ET_DYN, no
// interpreter of its own, an ld.so soname) this machine runs, and is
// trusted (trustedInterpreter).
InterpreterDefaults interpreterDefaults(const std::string &interpreter);

// Whether the file at real path `real` may be run to ask it: it lies in
// the Nix store (NIX_STORE, else /nix/store) or in a system library
// directory (/lib, /lib64, /usr/lib, ...), is owned by root or by this
// user, and no group or other may write it. A file a PT_INTERP names can
// be anything; running it is running its code.
bool trustedInterpreter(const std::string &real);

// What `ld.so --help` says (`reported` false when the text has no search
// path): its directories, cache, and hardware capability subdirectories.
InterpreterDefaults parseInterpreterHelp(const std::string &text);

// The same, asked once per interpreter; safe to share between threads.
class InterpreterDefaultsCache {
public:
  const InterpreterDefaults &get(const std::string &interpreter);
  // The ld.so.cache in `file`, read once; nullptr when it cannot be read.
  std::shared_ptr<const LdCache> ldCache(const std::string &file);

private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<InterpreterDefaults>> known_;
  std::map<std::string, std::shared_ptr<const LdCache>> caches_;
};

// --- closures and their validation -------------------------------------

// ElfInfo of the files a closure visits, each read once (with versions).
// Safe to share between threads; what it returns stays valid while it lives.
class FileCache {
public:
  FileCache() = default;
  // Reads files with `options` (the loader's view alone, without sections
  // and versions, is enough to follow a closure; its versions are then not
  // checked).
  explicit FileCache(const elf::ReadOptions &options) : options_(options) {}
  // nullptr when the file cannot be read as ELF; `error` says why.
  const elf::ElfInfo *get(const std::string &path,
                          std::string *error = nullptr);
  // Adds an already-read file.
  void put(const std::string &path, elf::ElfInfo info);
  void put(const std::string &path, std::shared_ptr<const elf::ElfInfo> info);
  // realpath(3) of `path` (`path` itself when that fails), asked once.
  const std::string &real(const std::string &path);
  // Whether `path` is a regular file (stat), asked once.
  bool regular(const std::string &path);
  // The file's identity (device, inode) as the loader compares it, or
  // nullopt when stat fails; asked once.
  std::optional<std::pair<uint64_t, uint64_t>>
  identity(const std::string &path);
  // Whether a directory entry named like `path` exists, from one listing of
  // its directory (read once): false when the directory holds no such name
  // or does not exist; nullopt when that cannot be told (the directory
  // cannot be listed, or is too large to be worth it).
  std::optional<bool> listed(const std::string &path);

private:
  struct Names {
    bool known = false; // false: the listing failed for another reason
    std::set<std::string, std::less<>> names;
  };
  std::map<std::string, std::shared_ptr<const Names>, std::less<>> listings_;
  struct StatResult {
    bool ok = false, regular = false;
    uint64_t dev = 0, ino = 0;
  };
  StatResult statOf(const std::string &path);
  std::mutex mutex_;
  std::map<std::string, StatResult> stats_;
  elf::ReadOptions options_;
  struct Entry {
    std::shared_ptr<const elf::ElfInfo> info;
    std::string error;
  };
  std::map<std::string, Entry> files_;
  std::map<std::string, std::string> reals_;
};

// A SearchSettings::usable that reads candidates through `cache`: a regular
// file holding a shared object (ET_DYN) of the class and machine asked for.
std::function<bool(const std::string &, unsigned, uint16_t)>
usableFrom(FileCache &cache);

// A SearchSettings::refused that reads candidates through `cache` (and
// opens them, as the loader does, to tell a file it cannot open, which it
// skips, from one it refuses).
std::function<bool(const std::string &, unsigned, uint16_t)>
refusedFrom(FileCache &cache);

// How the loader searches for the libraries of `info` when the environment
// sets nothing: no LD_LIBRARY_PATH, candidates judged through `files`
// (usableFrom, refusedFrom), and the default directories of its interpreter
// (or of `fallbackInterpreter`, for a file without one), asked through
// `interpreters`. The wrapper and the fixup search with these.
SearchSettings settingsFor(const elf::ElfInfo &info, FileCache &files,
                           InterpreterDefaultsCache &interpreters,
                           const std::string &fallbackInterpreter = "");

// The settings of the start-up model for the program `info`: those of
// settingsFor, with real open(2) and stat(2), the interpreter's
// subdirectories, ld.so.cache, $LIB and $PLATFORM, LD_LIBRARY_PATH as the
// environment holds it (nullopt: unset), secure mode, and `log`, which
// records every call and must outlive the searches.
SearchSettings startupSettings(const elf::ElfInfo &info, FileCache &files,
                               InterpreterDefaultsCache &interpreters,
                               ProbeLog &log,
                               const std::optional<std::string> &ldLibraryPath,
                               bool secure,
                               const std::string &fallbackInterpreter = "");

struct Problem {
  std::string file;    // the object the problem is about
  std::string message; // what is wrong, naming what it needs and from whom
  bool notFound = false; // a DT_NEEDED no search found (Edge says where)
};

struct ClosureEntry {
  std::string path;
  std::string neededBy; // the object that first asked for it ("" for the root)
  std::string name;     // the DT_NEEDED string it was asked for by
  How how = How::Path;
};

// One DT_NEEDED entry as the loader answered it, in the order it did.
struct Edge {
  size_t from = 0;         // index into Closure::objects
  std::string name;        // the DT_NEEDED string
  How how = How::NotFound; // Loaded when an object loaded before answered
  size_t to = SIZE_MAX;    // index into Closure::objects; SIZE_MAX: none
  std::string rpathOwner;  // How::Rpath: whose DT_RPATH
  std::vector<std::string> tried; // How::NotFound: every directory tried
  std::string refused;            // a candidate that ended the load
  std::string refusedWhy;         // what that candidate is, in a few words
  size_t failedProbes = 0;        // with SearchSettings::probes
  // SearchSettings::audit: How::Loaded by the module's answer (an object
  // loaded under an absolute soname), and the candidates it passed over.
  bool byAudit = false;
  std::vector<AuditSkip> auditSkipped;
  // The path the audit module answered the name with at LA_SER_ORIG (an
  // override, a loaded object's), "" when it left it as it was.
  std::string auditAnswer;
};

// A search that DT_RPATH answered: `requester` asked for `name`, and the
// entry `entry` of `owner`'s DT_RPATH provided it.
struct RpathUse {
  std::string requester, name, owner, entry;
};

// An audit module as glibc loaded it (SearchSettings::audit).
struct AuditLoad {
  std::string name, where; // AuditRules::Module
  std::string path;        // the file, "" when none was found
  // Whether glibc loads it (it opens, and is a shared object of the
  // program's class and machine), and whether it is ldpin's, modelled.
  bool loaded = false, modelled = false;
};

struct Closure {
  std::vector<ClosureEntry> objects; // breadth first, the root first
  std::vector<AuditLoad> audit;      // SearchSettings::audit's modules
  std::vector<RpathUse> rpathUses;   // every search DT_RPATH answered
  // Every search the loader makes, in order: a bare name no object loaded
  // by then answers to (each costs failed lookups, at least in the hardware
  // capability subdirectories of the first directory tried). `path` is the
  // file found, "" when none; `how` says where.
  std::vector<ClosureEntry> searches;
  std::vector<Edge> edges; // every DT_NEEDED of every object, in load order
  std::vector<Problem> problems;
};

// The entries of the root's DT_RPATH (as written) that answer a search by
// another object of the closure: those stay needed however the root's own
// DT_NEEDED are pinned.
std::set<std::string> rpathServingClosure(const Closure &closure,
                                          const std::string &root);

// Loads `root` the way the loader would (breadth first, each file once,
// after its interpreter, or `fallbackInterpreter` when it has none) and
// checks: every NEEDED found (unless `ignoreMissing` says so), every needed
// symbol version (not weak) defined by the object that provides it, and one
// C library and one dynamic linker, from one directory.
Closure closureOf(
    const std::string &root, FileCache &cache, const SearchSettings &settings,
    const std::function<bool(const std::string &name)> &ignoreMissing = nullptr,
    const std::string &fallbackInterpreter = "");

} // namespace ldpin::loader
