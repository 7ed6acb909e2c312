// The pinning decision, in one place: which directories are the store, the
// build (and temporary directories) and the outputs; which resolved library
// may become an absolute DT_NEEDED; and which RUNPATH/RPATH entries stay,
// each with a reason from one enum. ldpin-ld calls it at link time and
// `ldpin fixup` at install time; NIX_DEBUG, the fixup's JSON report and the
// docs print the same reason names (reasonName).
#pragma once

#include "ldpin/policy.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ldpin::pin {

// Whether `p` is `dir` or below it (a trailing slash on `dir` is allowed).
bool under(const std::string &p, const std::string &dir);

// The directories the decision depends on, read once per run.
struct Directories {
  std::string store = "/nix/store";
  // Build and temporary directories: NIX_BUILD_TOP, TMPDIR, TMP, TEMP,
  // TEMPDIR, /tmp, and any named on the command line.
  std::vector<std::string> build;
  // The derivation's outputs (link time: $out, $lib...; install time: the
  // outputs the fixup was given).
  std::vector<std::string> outputs;
  // Dependencies declared to the fixup (--deps): pinned like the store.
  std::vector<std::string> declared;

  bool inStore(const std::string &p) const { return under(p, store); }
  bool inOutputs(const std::string &p) const;
  // Under a build or temporary directory, and not in the store or an
  // output: those are more specific (a test store below /tmp, an output
  // installed below TMPDIR).
  bool inBuild(const std::string &p) const;
  // nixpkgs' badPath: absolute, outside the store and the build.
  bool impure(const std::string &p) const;
};

// The directories from an environment: `var(NAME)` is the variable's value
// or nullptr. NIX_STORE (default /nix/store), the build and temporary
// variables with /tmp, and the outputs named by `outputs` (default "out").
Directories fromEnvironment(
    const std::function<const std::string *(const std::string &)> &var);

// Whether the policy lets DT_NEEDED name `path` absolutely: "store" pins
// libraries in the store, the outputs or a declared dependency, "all" every
// absolute path outside the build, "none" nothing.
bool pinnable(const Policy &policy, const Directories &dirs,
              const std::string &path);

// Why a RUNPATH/RPATH entry is kept or dropped, in the order the rules are
// tried. The names (reasonName) are what NIX_DEBUG and the reports print.
enum class Reason {
  Reserved,          // kept: an -rpath value with empty entries (CMake)
  Empty,             // dropped: an empty entry (the current directory)
  Duplicate,         // dropped: named earlier in the list
  Relative,          // dropped: resolved against the current directory
  Origin,            // kept: a $ORIGIN form
  DlopenDir,         // kept: declared in dlopen_dirs
  BuildTree,         // link: kept while it provides an in-tree library;
                     // install: dropped
  InstallDir,        // kept at link time: where an in-tree library goes
  Impure,            // dropped: outside the store under NIX_ENFORCE_PURITY
  ProvidesNeeded,    // kept: provides a NEEDED that is still bare
  ServesClosure,     // kept: DT_RPATH that provides a library the closure
                     // loads (RPATH is searched for transitive NEEDED too)
  Unused,            // dropped: provides nothing the file loads
  RuntimeDependency, // added at install time: --runtime-dependency
};
const char *reasonName(Reason r);

enum class Stage { Link, Install };

struct ListInput {
  Stage stage = Stage::Link;
  bool purity = false; // NIX_ENFORCE_PURITY=1 (link time)
  // The entries in order; at link time a whole -rpath value with empty
  // entries (CMake's padded build RPATH) is one entry, marked reserved.
  struct Entry {
    std::string text;
    bool reserved = false;
  };
  std::vector<Entry> entries;
  // The first NEEDED still bare that directory `dir` provides, "" for none.
  std::function<std::string(const std::string &dir)> provides;
  // DT_RPATH only: whether the closure loads a library from `dir` (nullptr
  // for DT_RUNPATH, which serves the file's own NEEDED alone).
  std::function<bool(const std::string &dir)> servesClosure;
  // A bare NEEDED that resolved in the build tree ("" for none): an output's
  // directory is then kept at link time as its install directory.
  std::string inTree;
};

struct Decision {
  std::string entry;
  bool keep = false;
  Reason reason = Reason::Unused;
  std::string detail; // the library it provides, when there is one
  // Link time: the directories it keeps for now that the fixup is to
  // remove (the entry itself for a build-tree or install directory, the
  // build-tree parts of a reserved value), for the record.
  std::vector<std::string> buildRunpath;
};

// One decision per entry (empty entries included), in order.
std::vector<Decision> decideSearchList(const Policy &policy,
                                       const Directories &dirs,
                                       const ListInput &in);

// "dropped (unused)", "kept (provides libz.so.1)": one line of NIX_DEBUG.
std::string describe(const Decision &d);

// The kept entries, joined with ':'.
std::string keptList(const std::vector<Decision> &decisions);

} // namespace ldpin::pin
