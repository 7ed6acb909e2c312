// `ldpin inspect`: print what the ELF reader sees in each file, as text or as
// JSON (doc/inspect-json.md). Files that cannot be read are reported on the
// error stream as `ldpin: FILE: reason`; the others are still printed.
#pragma once

#include <llvm/Support/raw_ostream.h>

#include <string>
#include <vector>

namespace ldpin::cli {

struct InspectOptions {
  std::vector<std::string> files; // positional FILE...
  bool json = false;              // --json
};

// Returns the process exit status: 0 when every file was read, 1 otherwise.
int runInspect(const InspectOptions &opts, llvm::raw_ostream &out,
               llvm::raw_ostream &err);

} // namespace ldpin::cli
