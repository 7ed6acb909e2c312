// ldpin-ld: the link-time front end, a drop-in for nixpkgs' bintools-wrapper
// `ld` (pkgs/build-support/bintools-wrapper/ld-wrapper.sh).
//
// It takes the same inputs as the bash wrapper: the command line (response
// files expanded), NIX_LDFLAGS / NIX_LDFLAGS_BEFORE / NIX_LDFLAGS_AFTER for
// the roles this wrapper serves (NIX_BINTOOLS_WRAPPER_TARGET_{BUILD,HOST,
// TARGET}_<salt>), NIX_LINK_TYPE_<salt> from a cc-wrapper, NIX_DONT_SET_RPATH,
// NIX_SET_BUILD_ID, NIX_ENFORCE_PURITY with NIX_STORE and the build and
// temporary directories, NIX_DYNAMIC_LINKER_<salt> and
// nix-support/dynamic-linker, nix-support/libc-ldflags(-before), hardening
// (relro, bindnow) and NIX_DEBUG. Where it deliberately differs: it adds no
// -rpath for -L directories; instead it resolves every library the way the
// linker will, links with a placeholder RUNPATH and a `.note.ldpin` object,
// and then writes absolute DT_NEEDED for store libraries, the RUNPATH that is
// still needed and the record.
#pragma once

#include "ldpin/policy.h"

#include <map>
#include <string>
#include <vector>

#include <llvm/Support/raw_ostream.h>

namespace ldpin::wrapper {

struct Context {
  std::map<std::string, std::string> env; // the process environment
  std::string nixSupport; // the wrapper package's nix-support/, "" if none
  // The name it was started by, without its directory ("ld", "ld.gold",
  // "x86_64-unknown-linux-gnu-ld.lld"): a wrapper package wraps every ld.*
  // variant, and `-fuse-ld=gold` starts ld.gold.
  std::string invokedAs = "ld";
  llvm::raw_ostream *err = &llvm::errs();
};

// Runs one link; returns the process exit status.
int run(const std::vector<std::string> &args, Context &ctx);

// The nix-support/ directory of the wrapper package that `argv0` names (found
// on PATH when it has no slash), without resolving symbolic links: the
// package's bin/ld may be a link to ldpin's own binary.
std::string findNixSupport(const std::string &argv0,
                           const std::map<std::string, std::string> &env);

} // namespace ldpin::wrapper
