// The fixup engine behind `ldpin fixup` and `ldpin check`, which the setup
// hook runs on every output of a derivation: pin the ELF files of installed
// outputs and refuse what would not load.
//
// It walks the outputs (walk.h: regular files, each inode once, symbolic
// links left as they are), reads every ELF file once, in parallel, and plans
// for each (plan.h, a pure planner): an absolute SONAME for a shared
// library, an absolute DT_NEEDED for every name still bare (from the file's
// .note.ldpin record, the outputs themselves or the declared dependencies,
// the way the loader would find it), a RUNPATH without build-tree entries
// that keeps only what the policy keeps (pin.h), and for prebuilt programs
// the store's dynamic linker. The applier (apply.h) edits a file the wrapper
// linked in the space it reserved; any other file in unreferenced string
// bytes when they suffice, else by patchelf on a copy that is checked before
// it replaces the original. Every write replaces the file through
// replaceFile() (mode and owner kept), and every other hard link to it in
// the outputs; with --in-place, the editor's changes go into the file itself
// (see Editor::writeInPlace) unless it has hard links outside the outputs. A
// file that fails is left as it was. Then every ELF file's closure is
// validated (validate.h, through ldpin/loader.h) and every problem is listed,
// not only the first, in text or as JSON (report.h, doc/fixup-json.md).
//
// check does the validation alone and changes nothing; it also searches
// every closure for interposition hazards (ldpin/interpose.h), which are
// problems.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <llvm/Support/raw_ostream.h>

namespace ldpin::fixup {

struct Options {
  std::vector<std::string> outputs; // OUTPUT...: directories or files
  // --deps PREFIX: a dependency whose lib/ (and lib64/) directories provide
  // libraries; a directory without either is taken as a library directory.
  std::vector<std::string> deps;
  // --runtime-dependency PREFIX: its library directories are added to the
  // RUNPATH of every program and library (autoPatchelfHook's
  // runtimeDependencies, for what is dlopen()ed by bare name).
  std::vector<std::string> runtimeDependencies;
  // --ignore-missing GLOB: DT_NEEDED names (fnmatch) that may stay
  // unresolved.
  std::vector<std::string> ignoreMissing;
  // --interpreter PATH: the dynamic linker for programs whose interpreter is
  // outside the store (prebuilt binaries); also where the loader's default
  // directories are taken from.
  std::string interpreter;
  // --build-dir DIR: build and temporary directories (besides NIX_BUILD_TOP,
  // TMPDIR, TMP, TEMP, TEMPDIR) that no output may name after the fixup.
  std::vector<std::string> buildDirs;
  std::string report = "text"; // --report: "text" or "json" (stdout)
  std::string config;          // --config: ldpin.toml (else LDPIN_CONFIG)
  std::string store;           // --store (else NIX_STORE, else /nix/store)
  unsigned jobs = 0;           // --jobs: threads (0: one per core)
  bool verbose = false;        // --verbose: one line per change
  bool checkOnly = false;      // `ldpin check`
  // check --max-probes N: a file whose start-up would make more than N
  // failed probes searching for libraries is a problem.
  std::optional<unsigned> maxProbes;
  // check --require-pinned: a DT_NEEDED the fixup would still pin (a bare
  // name the loader searches for) is a problem.
  bool requirePinned = false;
  bool inPlace = false;        // --in-place
};

// Runs fixup (or check). Returns 0 when every file is fine, 1 when a problem
// was found (all are listed on `err`, and in the JSON report), 2 for bad
// arguments.
int run(const Options &options, llvm::raw_ostream &out, llvm::raw_ostream &err);

} // namespace ldpin::fixup
