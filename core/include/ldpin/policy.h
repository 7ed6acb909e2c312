// The policy: `ldpin.toml`, found through LDPIN_CONFIG or the wrapper's
// nix-support/ldpin.toml. Every key has a default that serves a plain
// `nix build`; the fields are named after their keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <llvm/Support/Error.h>

namespace ldpin {

struct Policy {
  // linker: the real linker to run (absolute path); empty means "take it
  // from LDPIN_LINKER or the wrapper's nix-support".
  std::string linker;
  // dlopen_dirs: directories kept in RUNPATH because the program dlopen()s
  // from them by bare name.
  std::vector<std::string> dlopen_dirs;
  // pin: which resolved libraries get an absolute DT_NEEDED.
  enum class Pin {
    Store, // pin = "store": libraries under NIX_STORE (the default)
    All,   // pin = "all": every library resolved to an absolute path
    None,  // pin = "none": pin nothing (the record is still written)
  } pin = Pin::Store;
  // new_dtags: write DT_RUNPATH (true) or DT_RPATH (false) when the user did
  // not choose with --enable/--disable-new-dtags.
  bool new_dtags = true;
  // absolute_soname: `ldpin fixup` makes the SONAME of an installed library
  // its absolute path, so that whatever links against it later records
  // that path. A bare dlopen("libfoo.so.1") then no longer finds the
  // library already loaded under its absolute name (glibc compares
  // sonames); false keeps sonames bare.
  bool absolute_soname = true;
  // preload_searched: a library that the output loads and that ldpin did
  // not link (libstdc++ from the toolchain) may still name a dependency
  // bare (libm.so.6), which the loader then searches for through that
  // library's RUNPATH, with failed lookups, unless an object loaded before
  // answers to the name. With true, ldpin-ld links the output again with
  // each such dependency, as the search would find it, named by its
  // absolute path: the loader maps it with the output's own DT_NEEDED, and
  // the search becomes a match by soname.
  bool preload_searched = true;
  // reserve_extra: bytes of string space reserved beyond what the wrapper
  // computes, for edits after link time.
  uint32_t reserve_extra = 256;
  // audit: the audit module an executable records as DT_AUDIT, which glibc
  // loads for that program only (LD_AUDIT is inherited by children; DT_AUDIT
  // is not). Empty: none (the default); `audit = true` in the file: the
  // module of ldpin-ld's own package (kAuditBuiltin); or an absolute path.
  std::string audit;
  // symbolic, symbolic_functions: globs (fnmatch) of shared libraries that
  // ldpin-ld links with -Bsymbolic (every symbol), or -Bsymbolic-functions
  // (functions only), matched against the file name of the library's
  // soname, or of its output when it has none ("libfoo.so*"). The linker
  // then binds the library's own references to its own definitions, so
  // that a definition of the same symbol in an object loaded before it
  // cannot take them (the interposition hazard `ldpin check` reports).
  std::vector<std::string> symbolic;
  std::vector<std::string> symbolic_functions;
};

inline constexpr const char *kAuditBuiltin = "builtin";

// The flag `symbolic` or `symbolic_functions` asks for in the link of the
// shared library `name` (a file name): "-Bsymbolic" when a glob of
// `symbolic` matches (it covers functions too), else "-Bsymbolic-functions"
// when one of `symbolic_functions` does, else nullptr. `glob`, when given,
// gets the glob that matched.
const char *symbolicFlag(const Policy &policy, const std::string &name,
                         std::string *glob = nullptr);

// Reads and checks a policy file. A key ldpin does not know is an error (a
// typo must not silently fall back to a default).
llvm::Expected<Policy> readPolicy(const std::string &path);

// The same from TOML text (`name` is used in messages).
llvm::Expected<Policy> parsePolicy(const std::string &text,
                                   const std::string &name);

} // namespace ldpin
