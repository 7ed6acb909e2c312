// Which file each library input of a link will be, decided the way the real
// linker decides it: -L directories in order (each applies to every -l), in
// each directory the shared library before the archive unless -Bstatic is in
// force, -l:file verbatim, files named directly, and GNU ld scripts (libc.so:
// GROUP, INPUT, AS_NEEDED, -l inside) followed to the files they name. For
// each shared library it finds the string the linker will write as DT_NEEDED
// (its DT_SONAME, else the name it was found by) and the absolute path the
// loader should open instead of searching.
#pragma once

#include "command.h"
#include "ldpin/elf.h"
#include "ldpin/paths.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ldpin::wrapper {

struct SharedLibrary {
  std::string needed;  // what the linker will write as DT_NEEDED
  std::string found;   // the file the linker reads, as found
  std::string pinPath; // absolute path for DT_NEEDED ("" when unknown)
  std::string buildId; // lowercase hex, "" when none
  bool asNeeded = false;
  // The arguments that name it (directly, or through a linker script), in
  // order, and whether --as-needed was in force there so that only the
  // command-line state decides it (a script's AS_NEEDED is not).
  struct Arg {
    size_t index = 0, count = 1;
    bool asNeededByFlag = false;
  };
  std::vector<Arg> args;
  // The file as read (the loader's view: no sections or versions).
  std::shared_ptr<const elf::ElfInfo> info;
};

struct Resolution {
  std::vector<SharedLibrary> shared;
  // Inputs the linker will find elsewhere (its built-in directories), for
  // NIX_DEBUG.
  std::vector<std::string> unresolved;
  // Library files that cannot be read or understood, as `FILE: reason`.
  // They stay unpinned; the real linker then reports them its own way.
  std::vector<std::string> problems;
  // The names in each search directory that was listed (all but very
  // large ones), by directoryKey().
  std::unordered_map<std::string, std::unordered_set<std::string>> listed;
  // Whether directory `dir` has an entry `name`, from those listings;
  // nullopt when `dir` was not listed.
  std::optional<bool> has(const std::string &dir,
                          const std::string &name) const;
};

using ldpin::directoryKey; // ldpin/paths.h

// The output's class (32 or 64) and machine (EM_*), which decide whether
// the linker takes a library file or skips it as incompatible.
struct Target {
  unsigned elfClass = 64;
  uint16_t machine = 0;
};

// `target` unknown: every file that can be opened is taken.
Resolution resolveInputs(const Command &cmd,
                         const std::optional<Target> &target = std::nullopt);

} // namespace ldpin::wrapper
