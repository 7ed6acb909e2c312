// The `fixup` and `check` subcommands (see fixup_command.h).
#include "fixup_command.h"

namespace ldpin::cli {

FixupCommands addFixupCommands(CLI::App &app, fixup::Options &fixup) {
  CLI::App *fixupCmd = app.add_subcommand(
      "fixup",
      "Pin the ELF files of installed outputs: absolute SONAME for libraries, "
      "absolute DT_NEEDED for every name still bare (from the file's "
      ".note.ldpin record, the outputs or --deps), RUNPATH without build "
      "directories; then validate every file's closure (every library found, "
      "every needed symbol version defined, one C library) and fail listing "
      "every problem. Files are replaced atomically; a file that cannot be "
      "read or edited is left as it was, and one the validation then faults "
      "is reported as changed by the fixup");
  CLI::App *checkCmd = app.add_subcommand(
      "check", "Validate, as fixup does after its edits, without changing "
               "anything (a RUNPATH naming a build directory is a problem), "
               "and look for interposition hazards in every closure (an "
               "object whose own references another object's definition of "
               "the same symbol takes); with --require-pinned, a bare "
               "DT_NEEDED the fixup would pin is a problem, and with "
               "--max-probes N, more failed probes at start-up than N");
  for (CLI::App *cmd : {fixupCmd, checkCmd}) {
    cmd->add_option("OUTPUT", fixup.outputs,
                    "Output directories (or files) to walk")
        ->required();
    cmd->add_option("--deps", fixup.deps,
                    "A dependency prefix whose lib/ and lib64/ provide "
                    "libraries (a directory with neither is a library "
                    "directory itself); repeatable, searched in order");
    cmd->add_option("--ignore-missing", fixup.ignoreMissing,
                    "A glob of DT_NEEDED names that may stay unresolved; "
                    "repeatable");
    cmd->add_option("--interpreter", fixup.interpreter,
                    "The store's dynamic linker: set for programs whose "
                    "interpreter is outside the store, and where the "
                    "loader's default directories are taken from");
    cmd->add_option("--build-dir", fixup.buildDirs,
                    "A build or temporary directory no output may name "
                    "(NIX_BUILD_TOP, TMPDIR, TMP, TEMP and TEMPDIR are always "
                    "taken); repeatable");
    CLI::Option *json = cmd->add_flag_callback(
        "--json", [&fixup] { fixup.report = "json"; },
        "Print one JSON document on stdout (schema ldpin-fixup/1, see "
        "doc/fixup-json.md: every change and its reason, per file); "
        "problems still go to stderr");
    cmd->add_option("--report", fixup.report,
                    "text (the default) or json: the same as --json")
        ->check(CLI::IsMember({"text", "json"}))
        ->excludes(json);
    cmd->add_option("--config", fixup.config,
                    "The policy file (default: LDPIN_CONFIG)");
    cmd->add_option("--store", fixup.store,
                    "The store directory (default: NIX_STORE, /nix/store)");
    const bool edits = cmd == fixupCmd;
    cmd->add_option("-j,--jobs", fixup.jobs,
                    edits ? "Threads reading and editing files (default: one "
                            "per core)"
                          : "Threads reading files (default: one per core)");
    cmd->add_flag("-v,--verbose", fixup.verbose,
                  edits ? "One line per changed file on stderr, with the "
                          "reason of each change"
                        : "The RUNPATH decisions a fixup would make, one "
                          "line each with its reason, on stderr");
  }
  fixupCmd->add_option("--runtime-dependency", fixup.runtimeDependencies,
                       "A prefix whose library directories are added to the "
                       "RUNPATH of every file (for libraries loaded with "
                       "dlopen by bare name); repeatable");
  fixupCmd->add_flag(
      "--in-place", fixup.inPlace,
      "Write the changes into the files themselves (the same inode) when every "
      "hard link to a file is in the outputs, in steps that each leave a "
      "loadable file, for build outputs nothing else reads yet (the setup "
      "hook passes it). Default: each changed file is written to a temporary "
      "file beside it, renamed over it");
  checkCmd->add_flag("--require-pinned", fixup.requirePinned,
                     "A DT_NEEDED that the fixup would pin (a bare name the "
                     "loader searches for at every start) is a problem");
  checkCmd->add_option(
      "--max-probes", fixup.maxProbes,
      "A file whose start-up would make more than N failed probes (open and "
      "stat calls of the loader that fail) searching for its libraries is a "
      "problem; predicted as `ldpin tree` predicts them, with no "
      "LD_LIBRARY_PATH (default: no limit)");
  return {fixupCmd, checkCmd};
}

} // namespace ldpin::cli
