// ldpin-ld: the linker wrapper's entry point. Reads the environment once and
// hands everything to wrapper::run (see wrapper.h); only this file exits.
// Its command line is the linker's own, so it has one option of its own,
// `ldpin-ld --ldpin-version` alone (`--version` is the real linker's):
// everything else about it is configured through the environment and the
// wrapper package's nix-support/ files (see README, "ldpin-ld").
#include "wrapper.h"

#include <map>
#include <string>
#include <vector>

extern char **environ;

int main(int argc, char **argv) {
  ldpin::wrapper::Context ctx;
  for (char **e = environ; *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos)
      ctx.env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  auto explicitSupport = ctx.env.find("LDPIN_NIX_SUPPORT");
  ctx.nixSupport = explicitSupport != ctx.env.end()
                       ? explicitSupport->second
                       : ldpin::wrapper::findNixSupport(argv[0], ctx.env);
  std::string self = argc > 0 ? argv[0] : "ld";
  ctx.invokedAs = self.substr(self.rfind('/') + 1);
  std::vector<std::string> args(argv + 1, argv + argc);
  int status = ldpin::wrapper::run(args, ctx);
  llvm::errs().flush();
  return status;
}
