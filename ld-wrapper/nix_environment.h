// What ldpin-ld reads of its environment and of the wrapper package's
// nix-support/ files, read once at the start of a link into a plain struct:
// the variables of nixpkgs' ld-wrapper.sh (role-salted as its
// mangleVarList/mangleVarBool do) and ldpin's own. Nothing after this reads
// the environment; the linker's environment is the Context's.
#pragma once

#include "wrapper.h"

#include "ldpin/pin.h"

#include <string>
#include <vector>

namespace ldpin::wrapper {

struct NixEnvironment {
  int debug = 0;       // NIX_DEBUG
  bool timing = false; // LDPIN_TIMING=1
  // LDPIN_SUFFIX_SALT, nix-support/suffix-salt, else this machine's
  // "<machine>_unknown_linux_gnu"; and the role suffixes this wrapper
  // serves ("_FOR_BUILD", "", "_FOR_TARGET"), from
  // NIX_BINTOOLS_WRAPPER_TARGET_{BUILD,HOST,TARGET}_<salt>.
  std::string salt;
  std::vector<std::string> roles;
  std::string ccLinkType; // NIX_LINK_TYPE_<salt>, set by a cc-wrapper
  // NIX_ENFORCE_PURITY=1.
  bool enforcePurity = false;
  // Whether impure -L, -rpath and -dynamic-linker are dropped: purity, a
  // store, and the link not one that NIX_IGNORE_LD_THROUGH_GCC exempts.
  bool filterImpure = false;
  std::vector<std::string> hardening; // NIX_HARDENING_ENABLE_<salt>
  // NIX_LDFLAGS (+ nix-support/libc-ldflags), nix-support/libc-ldflags-before
  // + NIX_LDFLAGS_BEFORE, NIX_LDFLAGS_AFTER: the words, role-salted.
  std::vector<std::string> ldflags, ldflagsBefore, ldflagsAfter;
  // NIX_DYNAMIC_LINKER_<salt>, else nix-support/dynamic-linker.
  std::string dynamicLinker;
  bool setBuildId = false;           // NIX_SET_BUILD_ID
  std::string buildIdStyle = "sha1"; // NIX_BUILD_ID_STYLE
  bool useResponseFile = false;      // NIX_LD_USE_RESPONSE_FILE >= 1
  std::string tmpdir = "/tmp";       // TMPDIR
  std::string channel;               // LDPIN_CHANNEL
  // The policy file: LDPIN_CONFIG, else nix-support/ldpin.toml when there
  // is one; "" for the defaults.
  std::string policyPath;
  // The real linker's candidates, in order, each with where it came from:
  // LDPIN_LINKER, then (after the policy's `linker`) the variant's
  // nix-support/ldpin-linker.<variant> when started as ld.<variant>, then
  // nix-support/ldpin-linker.
  std::string linkerVar;
  struct Candidate {
    std::string value, from;
  };
  std::vector<Candidate> linkerFiles;
  // The store, the build and temporary directories, and the outputs.
  pin::Directories dirs;
};

NixEnvironment readNixEnvironment(const Context &ctx);

} // namespace ldpin::wrapper
