// The fixup's validation: every ELF file's closure as the loader would load
// it now (every NEEDED found, every needed symbol version defined, one C
// library; see ldpin/loader.h), and no DT_NEEDED, SONAME, RUNPATH or RPATH
// naming a build directory (as nixpkgs' audit-tmpdir). With `interposition`
// (check), each program's and library's closure is also searched for
// interposition hazards (ldpin/interpose.h), which are problems, and the
// analysis is kept in the file for the report. Files are read as they are
// after the edits; problems go to each file's `problems`, in the same order
// on every run.
#pragma once

#include "file.h"
#include "plan.h"

#include <string>
#include <vector>

namespace ldpin::fixup {

void validate(std::vector<File> &files, const Planner &planner,
              const pin::Directories &dirs,
              const std::vector<std::string> &ignoreMissing,
              const std::string &interpreter, unsigned jobs,
              bool interposition = false);

} // namespace ldpin::fixup
