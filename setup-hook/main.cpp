// ldpin: the command-line front end. Parses arguments with CLI11 and hands
// each subcommand to its library function; only this file exits.
#include "fixup_command.h"
#include "inspect_command.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <llvm/Support/raw_ostream.h>

int main(int argc, char **argv) {
  CLI::App app{"ldpin: search-free dynamic linking for Nix.\n"
               "Reads and pins the libraries ELF programs load."};
  app.name("ldpin");
  app.require_subcommand(1);
  app.set_version_flag("--version", "ldpin 0.1.0");

  ldpin::cli::InspectOptions inspect;
  CLI::App *inspectCmd = app.add_subcommand(
      "inspect",
      "Show what an ELF file asks of the loader: class, type, machine, "
      "interpreter, NEEDED, SONAME, RPATH/RUNPATH, flags, symbol versions, "
      "build-id and notes (including ldpin's own record)");
  inspectCmd->add_option("FILE", inspect.files, "ELF files to read")
      ->required();
  inspectCmd->add_flag("--json", inspect.json,
                       "Print one JSON document (schema ldpin-inspect/1, see "
                       "doc/inspect-json.md) instead of text");

  ldpin::cli::FixupOptions fixup;
  fixup.report = "text";
  CLI::App *fixupCmd = app.add_subcommand(
      "fixup",
      "Pin the ELF files of installed outputs: absolute SONAME for libraries, "
      "absolute DT_NEEDED for every name still bare (from the file's "
      ".note.ldpin record, the outputs or --deps), RUNPATH without build "
      "directories; then validate every file's closure (every library found, "
      "every needed symbol version defined, one C library) and fail listing "
      "every problem. Files are replaced atomically; a file with a problem is "
      "left as it was");
  CLI::App *checkCmd = app.add_subcommand(
      "check", "Validate, as fixup does after its edits, without changing "
               "anything");
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
    cmd->add_option("--report", fixup.report,
                    "text (problems on stderr) or json (schema ldpin-fixup/1 "
                    "on stdout: every change and its reason, per file)")
        ->check(CLI::IsMember({"text", "json"}));
    cmd->add_option("--config", fixup.config,
                    "The policy file (default: LDPIN_CONFIG)");
    cmd->add_option("--store", fixup.store,
                    "The store directory (default: NIX_STORE, /nix/store)");
    cmd->add_option("-j,--jobs", fixup.jobs,
                    "Threads reading and editing files (default: one per "
                    "core)");
    cmd->add_flag("-v,--verbose", fixup.verbose,
                  "One line per changed file on stderr");
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

  // Exit status: 0 fine, 1 problems found, 2 bad usage (README, "Exit
  // status"). CLI11's own codes (105-109) are not used.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    if (e.get_exit_code() == 0) // --help, --version
      return app.exit(e);
    std::string msg = e.what();
    if (msg.size() > 1 && std::islower(static_cast<unsigned char>(msg[1])))
      msg[0] =
          static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
    llvm::errs() << "ldpin: " << msg << " (see ldpin --help)\n";
    return 2;
  }
  if (*inspectCmd)
    return ldpin::cli::runInspect(inspect, llvm::outs(), llvm::errs());
  if (*fixupCmd || *checkCmd) {
    fixup.checkOnly = bool(*checkCmd);
    return ldpin::cli::runFixup(fixup, llvm::outs(), llvm::errs());
  }
  return 2;
}
