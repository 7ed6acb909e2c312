// ldpin: the command-line front end. Parses arguments with CLI11 and hands
// each subcommand to its library function; only this file exits.
#include "fixup_command.h"
#include "inspect_command.h"
#include "tree_command.h"

#include "ldpin/paths.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdlib>
#include <unistd.h>
#include <llvm/Support/raw_ostream.h>

int main(int argc, char **argv) {
  CLI::App app{"ldpin: search-free dynamic linking for Nix.\n"
               "Reads and pins the libraries ELF programs load."};
  app.name("ldpin");
  app.require_subcommand(1);
  app.set_version_flag("--version", "ldpin " LDPIN_VERSION);

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

  ldpin::cli::TreeOptions tree;
  CLI::App *treeCmd = app.add_subcommand(
      "tree",
      "Show the libraries each program loads, as its own glibc loader would "
      "find them at start-up, without running anything: for each NEEDED "
      "where it is found and why (path, loaded, override, rpath, "
      "LD_LIBRARY_PATH, runpath, ld.so.cache, fallback, own glibc, default, "
      "not found), its ldpin channel, and the "
      "failed probes (open and stat calls that fail) its search costs; what "
      "is not found with every directory tried; and the total of failed "
      "probes at start-up. The interpreter's search path, cache, hardware "
      "capability subdirectories, $LIB and $PLATFORM are read from it. Exit "
      "status 1 when a library is not found or a file cannot be read");
  treeCmd->add_option("FILE", tree.files, "ELF programs (or libraries)")
      ->required();
  treeCmd->add_flag("--json", tree.json,
                    "Print one JSON document (schema ldpin-tree/1, see "
                    "doc/tree-json.md) instead of the tree");
  treeCmd->add_flag("--probes", tree.probes,
                    "List every failed probe (with --json: every probe)");
  treeCmd->add_option("--library-path", tree.libraryPath,
                      "The LD_LIBRARY_PATH to model (default: the "
                      "environment's; an empty value is ignored, as glibc "
                      "ignores it)");
  treeCmd->add_flag("--secure", tree.secure,
                    "Model secure mode (AT_SECURE: LD_LIBRARY_PATH ignored, "
                    "$ORIGIN limited), as for a set-user-ID program run by "
                    "another user; on by itself for such a file");
  treeCmd->add_option("--interpreter", tree.interpreter,
                      "The dynamic linker for a file that names none (a "
                      "library): its directories and cache are searched");
  CLI::Option *auditOpt = treeCmd->add_flag(
      "--audit", tree.audit,
      "Model a process that loads libldpin-audit.so (doc/audit.md) with the "
      "LDPIN_FALLBACK_PATH, LDPIN_OVERRIDE and LDPIN_AUDIT_POLICY of the "
      "environment: its overrides, fallback path and judging of candidates. "
      "On by itself when LD_AUDIT or the program's DT_AUDIT names the module");
  treeCmd->add_flag("--no-audit", tree.noAudit,
                    "Model no audit module, whatever LD_AUDIT says")
      ->excludes(auditOpt);
  treeCmd->add_option("--color", tree.color,
                      "auto (the default: on a terminal, unless NO_COLOR is "
                      "set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  ldpin::fixup::Options fixup;
  ldpin::cli::FixupCommands fixupCmds =
      ldpin::cli::addFixupCommands(app, fixup);

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
  if (*treeCmd) {
    auto getenv = [](const char *name) -> std::optional<std::string> {
      const char *v = std::getenv(name);
      return v ? std::optional<std::string>(v) : std::nullopt;
    };
    // The module of ldpin's own package: bin/ldpin beside lib/.
    std::string module = ldpin::dirName(ldpin::dirName(
                             ldpin::realPath("/proc/self/exe"))) +
                         "/lib/libldpin-audit.so";
    if (::access(module.c_str(), R_OK) != 0)
      module.clear();
    return ldpin::cli::runTree(tree, llvm::outs(), llvm::errs(), getenv,
                               ::isatty(STDOUT_FILENO) == 1, module);
  }
  if (*fixupCmds.fixup || *fixupCmds.check) {
    fixup.checkOnly = bool(*fixupCmds.check);
    return ldpin::fixup::run(fixup, llvm::outs(), llvm::errs());
  }
  return 2;
}
