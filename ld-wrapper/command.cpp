// The linker command line (see command.h).
#include "command.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace ldpin::wrapper {
namespace {

// Options that take their argument as the next word when it is not attached
// with '=' (long) or directly (short). Long names are listed without their
// leading dashes; GNU ld accepts them with one dash or two.
constexpr std::array<std::string_view, 70> kLongWithArg = {
    "output",
    "library",
    "library-path",
    "rpath",
    "rpath-link",
    "soname",
    "dynamic-linker",
    "entry",
    "script",
    "undefined",
    "trace-symbol",
    "format",
    "mri-script",
    "auxiliary",
    "filter",
    "gpsize",
    "just-symbols",
    "version-script",
    "dynamic-list",
    "defsym",
    "wrap",
    "section-start",
    "Ttext",
    "Tdata",
    "Tbss",
    "Ttext-segment",
    "Trodata-segment",
    "Tldata-segment",
    "Map",
    "plugin",
    "plugin-opt",
    "init",
    "fini",
    "exclude-libs",
    "retain-symbols-file",
    "dependency-file",
    "out-implib",
    "audit",
    "depaudit",
    "assert",
    "oformat",
    "default-script",
    "dT",
    "section-ordering-file",
    "spare-dynamic-tags",
    "task-link",
    "version-exports-section",
    "require-defined",
    "image-base",
    "error-handling-script",
    "hash-style",
    "sort-section",
    "emulation",
    "package-metadata",
    "thread-count",
    "threads",
    "chroot",
    "symbol-ordering-file",
    "call-graph-ordering-file",
    "lto-O",
    "lto-partitions",
    "mllvm",
    "plugin-opt=",
    "build-id-link-dir",
    "dynamic-list-cpp-typeinfo-file",
    "export-dynamic-symbol",
    "export-dynamic-symbol-list",
    "undefined-glob",
    "sysroot",
    "exclude-libs"};

// Single-letter options whose argument is the next word when they stand
// alone ("-o out").
constexpr std::string_view kShortSeparate = "oLlehImRTuyYzAbcfFGOPa";
// Single-letter options that also take their argument attached ("-Ldir",
// "-lz", "-znow"). Other letters begin long flags too ("-export-dynamic" is
// not "-e xport-dynamic"), so for them only the separate form is read.
constexpr std::string_view kShortAttached = "LlzTohRImyYu";
// Long flags that begin with one of those letters.
constexpr std::array<std::string_view, 4> kLongFlagsLikeShort = {
    "unique", "omagic", "no-undefined", "hash-size"};

bool longTakesArg(std::string_view name) {
  return std::find(kLongWithArg.begin(), kLongWithArg.end(), name) !=
         kLongWithArg.end();
}

constexpr size_t npos = std::string_view::npos;

struct State {
  bool asNeeded = false;
  bool staticOnly = false;
};

} // namespace

Command parseCommand(const std::vector<std::string> &args,
                     bool (*isDirectory)(const std::string &)) {
  Command c;
  State state;
  std::vector<State> pushed;
  const size_t n = args.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string &a = args[i];
    auto next = [&]() -> std::optional<std::string> {
      if (i + 1 < n)
        return args[++i];
      return std::nullopt;
    };
    if (a.empty() || a[0] != '-' || a == "-") {
      c.inputs.push_back(
          {LibraryInput::Kind::Path, a, state.asNeeded, state.staticOnly, i});
      continue;
    }
    // Long options: "-name", "--name", "-name=value", "--name=value".
    std::string_view body(a);
    body.remove_prefix(body.size() > 1 && body[1] == '-' ? 2 : 1);
    std::string_view name = body.substr(0, body.find('='));
    std::optional<std::string> attached;
    if (body.find('=') != std::string_view::npos)
      attached = std::string(body.substr(body.find('=') + 1));
    auto value = [&]() { return attached ? attached : next(); };

    if (name == "as-needed") {
      state.asNeeded = true;
    } else if (name == "no-as-needed") {
      state.asNeeded = false;
    } else if (name == "Bstatic" || name == "dn" || name == "non_shared") {
      state.staticOnly = true;
    } else if (name == "Bdynamic" || name == "dy" || name == "call_shared") {
      state.staticOnly = false;
    } else if (name == "push-state") {
      pushed.push_back(state);
    } else if (name == "pop-state") {
      if (!pushed.empty()) {
        state = pushed.back();
        pushed.pop_back();
      }
    } else if (name == "static") {
      c.isStatic = true;
      state.staticOnly = true;
    } else if (name == "static-pie") {
      c.staticPie = true;
      state.staticOnly = true;
    } else if (name == "shared" || name == "Bshareable") {
      c.shared = true;
    } else if (name == "r" || name == "i" || name == "relocatable") {
      c.relocatable = true;
    } else if (name == "enable-new-dtags") {
      c.newDtags = true;
    } else if (name == "disable-new-dtags") {
      c.newDtags = false;
    } else if (name == "version" || name == "v" || name == "V" ||
               name == "help") {
      c.infoOnly = true;
    } else if (name == "rpath") {
      size_t at = i;
      if (std::optional<std::string> v = value())
        c.rpaths.push_back({*v, at, attached ? 1u : 2u});
    } else if (name == "soname") {
      if (std::optional<std::string> v = value())
        c.soname = *v;
    } else if (name == "output") {
      if (std::optional<std::string> v = value())
        c.output = *v;
    } else if (name == "library-path") {
      if (std::optional<std::string> v = value())
        c.searchDirs.push_back(*v);
    } else if (name == "library") {
      size_t at = i;
      if (std::optional<std::string> v = value()) {
        bool verbatim = !v->empty() && (*v)[0] == ':';
        c.inputs.push_back(
            {verbatim ? LibraryInput::Kind::Verbatim : LibraryInput::Kind::Name,
             verbatim ? v->substr(1) : *v, state.asNeeded, state.staticOnly,
             at, i - at + 1});
      }
    } else if (name == "sysroot") {
      if (std::optional<std::string> v = value())
        c.sysroot = *v;
    } else if (longTakesArg(name)) {
      if (!attached)
        next(); // an option whose argument is the next word
    } else if (a[1] != '-' &&
               ((a.size() == 2 && kShortSeparate.find(a[1]) != npos) ||
                (a.size() > 2 && kShortAttached.find(a[1]) != npos &&
                 std::find(kLongFlagsLikeShort.begin(),
                           kLongFlagsLikeShort.end(),
                           name) == kLongFlagsLikeShort.end()))) {
      // Short options, with their argument attached or in the next word.
      // (Checked after the long names: "-rpath" and "-soname" begin with
      // letters that are short options too.)
      char opt = a[1];
      size_t at = i;
      std::optional<std::string> v =
          a.size() > 2 ? std::optional<std::string>(a.substr(2)) : next();
      if (!v)
        continue;
      switch (opt) {
      case 'o':
        c.output = *v;
        break;
      case 'L':
        c.searchDirs.push_back(*v);
        break;
      case 'l': {
        bool verbatim = !v->empty() && (*v)[0] == ':';
        c.inputs.push_back(
            {verbatim ? LibraryInput::Kind::Verbatim : LibraryInput::Kind::Name,
             verbatim ? v->substr(1) : *v, state.asNeeded, state.staticOnly,
             at, i - at + 1});
        break;
      }
      case 'h':
        c.soname = *v;
        break;
      case 'R':
        // -R DIR is -rpath; -R FILE is --just-symbols.
        if (isDirectory(*v))
          c.rpaths.push_back({*v, at, a.size() > 2 ? 1u : 2u});
        break;
      default:
        break;
      }
    }
    // Anything else is a flag.
  }
  // A search directory that starts with '=' or "$SYSROOT" is below the
  // sysroot (--sysroot, else the linker's own: "/" for a native linker).
  for (std::string &dir : c.searchDirs) {
    size_t prefix = dir.rfind('=', 0) == 0          ? 1
                    : dir.rfind("$SYSROOT", 0) == 0 ? 8
                                                    : 0;
    if (prefix) {
      std::string root = c.sysroot;
      while (!root.empty() && root.back() == '/')
        root.pop_back();
      dir = root + dir.substr(prefix);
      if (dir.empty())
        dir = "/";
    }
  }
  return c;
}

} // namespace ldpin::wrapper
