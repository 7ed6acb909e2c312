// The linker command line as the real linker will read it: arguments in
// order, with the state that applies at each position (--as-needed,
// -Bstatic, --push-state/--pop-state) kept with every library input. Every
// spelling GNU ld, gold, lld and mold accept for the options ldpin cares
// about is recognised; options that take a separate argument are skipped with
// it, so that their argument is never taken for an input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ldpin::wrapper {

struct LibraryInput {
  enum class Kind {
    Name,     // -lfoo: libfoo.so or libfoo.a in the search directories
    Verbatim, // -l:file: that file in the search directories
    Path,     // a file named directly
  } kind = Kind::Path;
  std::string spec; // "foo", "libfoo.so.1" or the path as given
  bool asNeeded = false;
  bool staticOnly = false; // -Bstatic in force: archives only
  // The arguments it occupies ("-l foo" is two); a script's libraries have
  // the script's.
  size_t argIndex = 0, argCount = 1;
  bool asNeededByScript = false; // inside a linker script's AS_NEEDED ( )
};

struct RpathArg {
  std::string value; // may hold several directories separated by ':'
  size_t argIndex = 0;
  size_t argCount = 1; // arguments it occupies (2 for "-rpath X")
};

struct Command {
  std::string output = "a.out";
  bool relocatable = false; // -r, -i, --relocatable
  bool shared = false;      // -shared, -Bshareable
  bool isStatic = false;    // -static (as a link type)
  bool staticPie = false;   // -static-pie / --no-dynamic-linker with -pie
  bool infoOnly = false;    // --version, -v, --help: no link happens
  std::optional<std::string> soname;
  std::optional<bool> newDtags;        // last --enable/--disable-new-dtags
  std::string sysroot;                 // --sysroot ("" for the default, /)
  std::vector<std::string> searchDirs; // -L, in order (all apply to all -l),
                                       // '=' and $SYSROOT resolved
  std::vector<RpathArg> rpaths;
  std::vector<LibraryInput> inputs; // libraries and objects, in order
};

// Reads `args` (response files already expanded). `isDirectory` decides
// whether `-R X` means -rpath (a directory) or --just-symbols (a file).
Command parseCommand(const std::vector<std::string> &args,
                     bool (*isDirectory)(const std::string &));

} // namespace ldpin::wrapper
