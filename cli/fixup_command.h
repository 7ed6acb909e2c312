// The `fixup` and `check` subcommands of `ldpin`: their options, parsed into
// the fixup engine's Options (setup-hook/fixup.h).
#pragma once

#include "fixup.h"

#include <CLI/CLI.hpp>

namespace ldpin::cli {

struct FixupCommands {
  CLI::App *fixup = nullptr;
  CLI::App *check = nullptr;
};

// Adds both subcommands to `app`; their options are written to `options`.
FixupCommands addFixupCommands(CLI::App &app, fixup::Options &options);

} // namespace ldpin::cli
