// ldpin: the command-line front end. Parses arguments with CLI11 and hands
// each subcommand to its library function; only this file exits.
#include "inspect_command.h"

#include <CLI/CLI.hpp>
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (*inspectCmd)
    return ldpin::cli::runInspect(inspect, llvm::outs(), llvm::errs());
  return 2;
}
