// The fixup's planner: for one ELF file, the edits that pin it (an absolute
// SONAME, absolute DT_NEEDED, the RUNPATH or RPATH pin::decideSearchList
// keeps, the store's interpreter for a prebuilt program) and why, without
// writing anything. Other files are read (and stat'ed) only through the
// FileCache it is given.
#pragma once

#include "file.h"

#include "ldpin/loader.h"
#include "ldpin/pin.h"
#include "ldpin/policy.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ldpin::fixup {

struct PlanInputs {
  Policy policy;
  pin::Directories dirs;
  std::vector<std::string> depDirs;     // --deps library directories, in order
  std::vector<std::string> runtimeDirs; // --runtime-dependency directories
  // Names the outputs provide: soname or file name -> installed path.
  std::map<std::string, std::string> provided;
  std::string interpreter; // --interpreter ("" for none)
};

// A pin for one DT_NEEDED: the path, where it came from and why.
struct Pin {
  std::string path;
  PinSource source;
  std::string why;
};

class Planner {
public:
  Planner(const PlanInputs &in, loader::FileCache &cache,
          loader::InterpreterDefaultsCache &interpreters)
      : in_(in), cache_(cache), interpreters_(interpreters),
        usable_(loader::usableFrom(cache)) {}

  // The plan for `f` (which must be dynamic).
  Plan plan(const File &f) const;

  // The file DT_NEEDED number `index` of `f` should name: the first
  // candidate, in the order of PinSource, that the loader could use and the
  // policy pins.
  std::optional<Pin> resolve(const File &f, size_t index) const;

  // How the loader searches for `info`'s libraries: no LD_LIBRARY_PATH, and
  // the default directories its interpreter reports (or --interpreter's, for
  // a file without one), files read through `files`.
  loader::SearchSettings settingsFor(const elf::ElfInfo &info,
                                     loader::FileCache &files) const;

  // The absolute SONAME of installed library `path`: the file its soname
  // names in its directory (libfoo.so.1, usually a link to libfoo.so.1.2.3)
  // when that is the same file, else `path` itself.
  std::string installedPath(const std::string &path,
                            const elf::ElfInfo &info) const;

private:
  bool usable(const std::string &path, const elf::ElfInfo &forFile) const {
    return usable_(path, forFile.elfClass, forFile.machine);
  }
  bool pinnable(const std::string &path, const elf::ElfInfo &forFile) const {
    return pin::pinnable(in_.policy, in_.dirs, path) && usable(path, forFile);
  }
  // The entries of `f`'s DT_RPATH that answer a search of another object of
  // its closure.
  std::set<std::string> rpathServingClosure(const File &f) const;

  const PlanInputs &in_;
  loader::FileCache &cache_;
  loader::InterpreterDefaultsCache &interpreters_;
  std::function<bool(const std::string &, unsigned, uint16_t)> usable_;
};

} // namespace ldpin::fixup
