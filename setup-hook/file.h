// One file of the outputs as the fixup engine sees it: what was read, the
// plan for it, how it was changed and its problems.
#pragma once

#include "ldpin/elf.h"
#include "ldpin/interpose.h"
#include "ldpin/note.h"
#include "ldpin/pin.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ldpin::fixup {

// Where the path a bare DT_NEEDED is pinned to comes from, in the order the
// planner tries them.
enum class PinSource {
  Record,       // the file's .note.ldpin: the library it was linked against
  InTreeCopy,   // the installed copy of the in-tree library it was linked
                // against (the record names the build tree)
  Outputs,      // a library the outputs provide
  Dependency,   // a --deps directory, in order
  OwnSearchList // the file's own RUNPATH or RPATH, build directories aside
};
const char *pinSourceName(PinSource s);

struct Change {
  std::string what; // "soname", "needed", "runpath", "rpath", "interpreter"
  std::string from, to, why;
  std::string reason; // runpath/rpath: pin::reasonName of the decision;
                      // needed: pinSourceName
};

// The edits planned for a file; empty when it is to stay as it is.
struct Plan {
  std::optional<std::string> soname;
  std::map<size_t, std::string> needed; // DT_NEEDED index -> new value
  std::optional<std::string> runpath;   // new RUNPATH/RPATH ("" removes it)
  std::optional<std::string> interpreter;
  std::optional<note::Record> record; // the record to write, when it has one
  std::vector<Change> changes;
  std::vector<pin::Decision> searchList; // every RUNPATH/RPATH entry
};

struct File {
  std::string path;
  std::optional<elf::ElfInfo> info; // nullopt: not ELF, or unreadable
  std::string error;                // why it could not be read as ELF
  std::optional<note::Record> record;
  Plan plan;
  // "unchanged", "record space", "runpath space" (the bytes of its old
  // RUNPATH), "patchelf".
  std::string method = "unchanged";
  // Its other names in the outputs (hard links), replaced with it; and
  // whether every hard link to it is in the outputs, so that --in-place may
  // write into it (a link to a dependency's file must not change that file).
  std::vector<std::string> aliases;
  bool allLinksInOutputs = false;
  std::vector<std::string> problems;
  // check: the interposition analysis of its closure, when it was run (a
  // program or shared library whose closure could be followed).
  std::optional<interpose::Result> interposition;

  bool dynamic() const { return info && info->hasDynamic && info->dynstr; }
  bool planned() const {
    return plan.soname || !plan.needed.empty() || plan.runpath ||
           plan.interpreter ||
           (plan.record && record && !(*plan.record == *record));
  }
};

} // namespace ldpin::fixup
