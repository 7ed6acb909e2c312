// The loader's search for a DT_NEEDED entry, modelled on glibc's
// _dl_map_object (elf/dl-load.c), and the closure of an object built from it.
//
// ldpin uses the model to decide, before anything runs, which file each
// library name will load: `ldpin fixup` pins bare names to those files and
// `ldpin fixup`/`check` validate the result (every NEEDED found, with the
// right class and machine; every needed symbol version defined by the library
// that provides it; one C library per closure). What it does not model:
// ld.so.cache (nixpkgs' glibc does not read the host's), $LIB and $PLATFORM
// expansion, and hardware capability subdirectories.
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
  Rpath,         // DT_RPATH of the object or of an object that loaded it
  LdLibraryPath, // LD_LIBRARY_PATH
  Runpath,       // DT_RUNPATH of the object itself
  Default,       // the loader's default directories
  NotFound,
};
const char *howName(How how);

// What the search needs of an object.
struct Object {
  std::string path; // as opened: $ORIGIN is its directory
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
};

// Asks `interpreter` (a path; its real path is asked) for its defaults. It
// is run only when it reads as an ELF dynamic linker (ET_DYN, no
// interpreter of its own, an ld.so soname) of this machine.
InterpreterDefaults interpreterDefaults(const std::string &interpreter);

// The same, asked once per interpreter; safe to share between threads.
class InterpreterDefaultsCache {
public:
  const InterpreterDefaults &get(const std::string &interpreter);

private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<InterpreterDefaults>> known_;
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

private:
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

struct Problem {
  std::string file;    // the object the problem is about
  std::string message; // what is wrong, naming what it needs and from whom
};

struct ClosureEntry {
  std::string path;
  std::string neededBy; // the object that first asked for it ("" for the root)
  std::string name;     // the DT_NEEDED string it was asked for by
  How how = How::Path;
};

// A search that DT_RPATH answered: `requester` asked for `name`, and the
// entry `entry` of `owner`'s DT_RPATH provided it.
struct RpathUse {
  std::string requester, name, owner, entry;
};

struct Closure {
  std::vector<ClosureEntry> objects; // breadth first, the root first
  std::vector<RpathUse> rpathUses;   // every search DT_RPATH answered
  // Every search the loader makes, in order: a bare name no object loaded
  // by then answers to (each costs failed lookups, at least in the hardware
  // capability subdirectories of the first directory tried). `path` is the
  // file found, "" when none; `how` says where.
  std::vector<ClosureEntry> searches;
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
