// `ldpin tree`: the dependency tree of each file as glibc's loader would
// resolve it at start-up, without running anything (loader.h's start-up
// model): for each library where it was found and why, its `.note.ldpin`
// channel, and the failed probes the search cost; what is not found, with
// every directory tried; the total of failed probes the start-up makes.
// Text (libtree's shape; colour only on a terminal, NO_COLOR honoured) or
// JSON (doc/tree-json.md).
#pragma once

#include <llvm/Support/raw_ostream.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ldpin::cli {

inline constexpr const char *kTreeSchema = "ldpin-tree/1";

struct TreeOptions {
  std::vector<std::string> files;          // positional FILE...
  bool json = false;                       // --json
  bool probes = false;                     // --probes: list every failed one
  std::optional<std::string> libraryPath;  // --library-path (else the env)
  bool secure = false;                     // --secure
  std::string interpreter;                 // --interpreter, for libraries
  std::string color = "auto";              // --color auto|always|never
  // --audit, --no-audit: model libldpin-audit.so (by default when LD_AUDIT
  // or the program's DT_AUDIT names it).
  bool audit = false, noAudit = false;
};

using Getenv = std::function<std::optional<std::string>(const char *)>;

// The process exit status: 0 when every file was read and every library
// found, 1 otherwise. `getenv` gives LD_LIBRARY_PATH, NO_COLOR, LD_AUDIT
// and the audit module's LDPIN_* settings; `terminal` says whether `out` is
// one; `module` is the audit module of ldpin's own package ("" for none).
int runTree(const TreeOptions &opts, llvm::raw_ostream &out,
            llvm::raw_ostream &err, const Getenv &getenv, bool terminal,
            const std::string &module);

} // namespace ldpin::cli
