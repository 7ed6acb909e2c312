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
  if (*fixupCmds.fixup || *fixupCmds.check) {
    fixup.checkOnly = bool(*fixupCmds.check);
    return ldpin::fixup::run(fixup, llvm::outs(), llvm::errs());
  }
  return 2;
}
