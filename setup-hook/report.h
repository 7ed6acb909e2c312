// The fixup's report: problems (and, with verbose, every change and its
// reason, and for check the duplicate definitions that are no hazard) on
// `err` as text, and with json the document of schema ldpin-fixup/1
// (doc/fixup-json.md) on `out`.
#pragma once

#include "file.h"

#include <string>
#include <vector>

#include <llvm/Support/raw_ostream.h>

namespace ldpin::fixup {

struct ReportOptions {
  bool json = false;
  bool verbose = false;
  bool checkOnly = false;
};

void report(const std::vector<File> &files,
            const std::vector<std::string> &walkErrors,
            const ReportOptions &options, llvm::raw_ostream &out,
            llvm::raw_ostream &err);

} // namespace ldpin::fixup
