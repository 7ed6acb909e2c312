// Resolving library inputs (see resolve.h).
#include "resolve.h"

#include "ldpin/paths.h"

#include "ldpin/checked.h"
#include "ldpin/describe.h"
#include "ldpin/elf.h"

#include <llvm/BinaryFormat/ELF.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace ldpin::wrapper {
namespace {

constexpr int kMaxScriptDepth = 16;

enum class FileKind { Missing, Shared, Object, Archive, Script, Other };

class Resolver {
public:
  Resolver(const Command &cmd, const std::optional<Target> &target,
           Resolution &out)
      : cmd(cmd), target(target), out(out) {}

  void run() {
    for (const LibraryInput &in : cmd.inputs)
      resolve(in, 0);
  }

private:
  const Command &cmd;
  const std::optional<Target> &target;
  Resolution &out;
  // Where each name first appears in the search directories. Asking every
  // directory for every library is itself an N x N search (90,000 probes
  // for 300 libraries), so the directories are indexed once: each small
  // directory is listed into `first` (name -> index of the first directory
  // that has it). Large directories (the host's library directories that
  // gcc adds, thousands of entries) are not listed; they are asked with
  // stat() for the few names no earlier directory has.
  static constexpr off_t kLargeDirectory = 16 * 1024; // bytes of entries
  bool indexed = false;
  // name -> the listed directories that have it, in order.
  std::unordered_map<std::string, std::vector<size_t>> first;
  std::vector<size_t> large;        // indices of directories asked one by one
  // Each shared library once, by pin path and needed name: its index in
  // out.shared.
  std::map<std::string, size_t> seenShared;

  void buildIndex() {
    indexed = true;
    for (size_t i = 0; i < cmd.searchDirs.size(); ++i) {
      const std::string &dir = cmd.searchDirs[i];
      std::string key = directoryKey(dir);
      bool fresh = out.listed.find(key) == out.listed.end();
      Listing l = listDirectory(dir, kLargeDirectory, [&](llvm::StringRef n) {
        std::vector<size_t> &where = first[n.str()];
        if (where.empty() || where.back() != i)
          where.push_back(i);
        if (fresh)
          out.listed[key].insert(n.str());
      });
      if (l != Listing::Listed && fresh)
        out.listed.erase(key); // not all of it
      if (l == Listing::TooLarge)
        large.push_back(i);
    }
  }

  // The index of the first search directory, among those before `limit`,
  // that has `name` as a file the linker would take: one it can open and,
  // for ELF, of the output's class and machine. The linker skips the others
  // ("skipping incompatible") and goes on to the next directory.
  std::optional<size_t> firstDir(const std::string &name,
                                 size_t limit = SIZE_MAX) {
    if (!indexed)
      buildIndex();
    auto it = first.find(name);
    static const std::vector<size_t> none;
    const std::vector<size_t> &listed = it == first.end() ? none : it->second;
    size_t a = 0, b = 0; // merge the listed and the large directories
    while (a < listed.size() || b < large.size()) {
      bool fromLarge =
          a == listed.size() || (b < large.size() && large[b] < listed[a]);
      size_t i = fromLarge ? large[b++] : listed[a++];
      if (i >= limit)
        break;
      std::string path = cmd.searchDirs[i] + "/" + name;
      if (fromLarge) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0)
          continue;
      }
      if (takes(path))
        return i;
    }
    return std::nullopt;
  }

  // Whether the linker takes `path` as an input of this link: it can be
  // opened, and an ELF file is of the output's class and machine.
  bool takes(const std::string &path) const {
    Head h = headOf(path);
    if (h.kind == FileKind::Missing)
      return false;
    if (!target || h.elfClass == 0)
      return true; // a script, an archive: the linker reads it
    return h.elfClass == target->elfClass && h.machine == target->machine;
  }

  // The first "-L" directory that has `name`, as a path.
  std::optional<std::string> search(const std::string &name) {
    if (std::optional<size_t> i = firstDir(name))
      return cmd.searchDirs[*i] + "/" + name;
    return std::nullopt;
  }

  // What the first bytes of a file say: its kind and, for ELF, its class
  // (32, 64; 0 when the header is cut short) and machine.
  struct Head {
    FileKind kind = FileKind::Missing;
    unsigned elfClass = 0;
    unsigned machine = 0;
  };

  static Head headOf(const std::string &path) {
    Head h;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return h;
    unsigned char head[20] = {};
    ssize_t n = ::read(fd, head, sizeof head);
    ::close(fd);
    if (n < 0)
      return h;
    if (n >= 4 && std::memcmp(head,
                              "\x7f"
                              "ELF",
                              4) == 0) {
      h.kind = FileKind::Other; // the linker will say what is wrong
      if (n < 18)
        return h;
      // e_type and e_machine, in the file's byte order.
      bool big = head[5] == llvm::ELF::ELFDATA2MSB;
      auto half = [&](int at) {
        return big ? (head[at] << 8 | head[at + 1])
                   : (head[at + 1] << 8 | head[at]);
      };
      unsigned type = half(16);
      h.kind = type == llvm::ELF::ET_DYN   ? FileKind::Shared
               : type == llvm::ELF::ET_REL ? FileKind::Object
                                           : FileKind::Other;
      if (n >= 20) {
        h.elfClass = head[4] == llvm::ELF::ELFCLASS32   ? 32
                     : head[4] == llvm::ELF::ELFCLASS64 ? 64
                                                        : 0;
        h.machine = half(18);
      }
      return h;
    }
    h.kind = n >= 8 && (std::memcmp(head, "!<arch>\n", 8) == 0 ||
                        std::memcmp(head, "!<thin>\n", 8) == 0)
                 ? FileKind::Archive
                 : FileKind::Script;
    return h;
  }

  static FileKind kindOf(const std::string &path) { return headOf(path).kind; }

  void resolve(const LibraryInput &in, int depth) {
    std::string found;
    std::string neededIfNoSoname;
    std::optional<size_t> dirIndex; // where a search found it
    switch (in.kind) {
    case LibraryInput::Kind::Name: {
      // The first directory with either file wins; within it, libNAME.so
      // before libNAME.a (unless -Bstatic).
      const std::string so = "lib" + in.spec + ".so";
      std::optional<size_t> soDir = in.staticOnly ? std::nullopt : firstDir(so);
      // Only a directory before the shared library's can hold the archive
      // that wins.
      std::optional<size_t> aDir =
          firstDir("lib" + in.spec + ".a", soDir ? *soDir : SIZE_MAX);
      if (!soDir && !aDir)
        out.unresolved.push_back("-l" + in.spec);
      if (!soDir || aDir)
        return; // not found, or an archive: nothing to pin
      found = cmd.searchDirs[*soDir] + "/" + so;
      dirIndex = soDir;
      neededIfNoSoname = baseName(found);
      break;
    }
    case LibraryInput::Kind::Verbatim: {
      dirIndex = firstDir(in.spec);
      if (!dirIndex) {
        out.unresolved.push_back("-l:" + in.spec);
        return;
      }
      found = cmd.searchDirs[*dirIndex] + "/" + in.spec;
      neededIfNoSoname = in.spec;
      break;
    }
    case LibraryInput::Kind::Path:
      found = in.spec;
      neededIfNoSoname = in.spec;
      break;
    }
    inspect(found, neededIfNoSoname, in, depth, dirIndex);
  }

  void inspect(const std::string &found, const std::string &neededIfNoSoname,
               const LibraryInput &in, int depth,
               std::optional<size_t> dirIndex = std::nullopt) {
    // Files named directly are mostly objects: a look at their header is
    // enough. A file found by -l is nearly always a shared library: read it
    // straight away (one open) and look closer only when it is not ELF.
    if (in.kind == LibraryInput::Kind::Path) {
      FileKind kind = kindOf(found);
      if (kind == FileKind::Script && looksLikeLibrary(found))
        readScript(found, in, depth);
      if (kind != FileKind::Shared)
        return; // a missing direct input is the linker's to report
    }
    // The loader's view is enough: soname, type and the build-id note.
    const elf::ReadOptions loaderView{/*sections=*/false, /*versions=*/false};
    llvm::Expected<elf::ElfInfo> info = elf::readFile(found, loaderView);
    if (!info) {
      llvm::Error e = info.takeError();
      if (isKind(e, ErrorKind::NotElf)) {
        if (kindOf(found) == FileKind::Script)
          readScript(found, in, depth); // libc.so and friends
        return;
      }
      out.problems.push_back(printable(found) + ": " +
                             llvm::toString(std::move(e)));
      return;
    }
    if (info->type != llvm::ELF::ET_DYN)
      return;
    SharedLibrary lib;
    lib.needed = info->soname ? *info->soname : neededIfNoSoname;
    lib.found = found;
    lib.pinPath = pinPathFor(found, lib.needed, dirIndex);
    lib.buildId = describe::hexBytes(info->buildId);
    lib.asNeeded = in.asNeeded;
    lib.info = std::make_shared<const elf::ElfInfo>(std::move(*info));
    auto [seen, added] = seenShared.emplace(lib.pinPath + '\0' + lib.needed,
                                            out.shared.size());
    SharedLibrary &kept = added ? out.shared.emplace_back(std::move(lib))
                                : out.shared[seen->second];
    kept.args.push_back(
        {in.argIndex, in.argCount, in.asNeeded && !in.asNeededByScript});
  }

  static bool looksLikeLibrary(const std::string &path) {
    std::string b = baseName(path);
    return b.find(".so") != std::string::npos ||
           (b.size() > 2 && b.compare(b.size() - 2, 2, ".a") == 0);
  }

  // The absolute path the loader should open for a library found at
  // `found` (in search directory `dir`, when it was found by a search) whose
  // DT_NEEDED will be `needed`: the file named `needed` in the same
  // directory (what a search of that directory would load, libz.so ->
  // libz.so.1), else that file next to its real path (a development output
  // linking into the library's own output), else its real path.
  std::string pinPathFor(const std::string &found, const std::string &needed,
                         std::optional<size_t> dir) {
    if (!needed.empty() && needed[0] == '/')
      return needed; // already absolute (an ldpin-built library)
    if (needed.find('/') != std::string::npos)
      return absolute(found);
    std::string here = dirName(absolute(found)) + "/" + needed;
    if (dir && indexed) {
      auto it = first.find(needed);
      if (it != first.end() && std::find(it->second.begin(), it->second.end(),
                                         *dir) != it->second.end())
        return here; // the index says the directory has it
    }
    struct stat st;
    if (::stat(here.c_str(), &st) == 0)
      return here;
    std::string real = realPath(found);
    if (real.empty())
      return absolute(found);
    std::string beside = dirName(real) + "/" + needed;
    return ::stat(beside.c_str(), &st) == 0 ? beside : real;
  }

  // GNU ld scripts as installed for shared libraries (libc.so, libm.so):
  // GROUP(...), INPUT(...), AS_NEEDED(...) naming files or -lNAME.
  void readScript(const std::string &path, const LibraryInput &in, int depth) {
    if (depth >= kMaxScriptDepth) {
      out.problems.push_back(printable(path) +
                             ": linker scripts nested too deep");
      return;
    }
    std::string text;
    if (llvm::Error e = readWhole(path, text, 1 << 20)) {
      llvm::consumeError(std::move(e)); // the linker will say it cannot
      return;
    }
    std::vector<std::string> tokens;
    for (size_t i = 0; i < text.size();) {
      char c = text[i];
      if (text.compare(i, 2, "/*") == 0) {
        size_t end = text.find("*/", i + 2);
        i = end == std::string::npos ? text.size() : end + 2;
      } else if (c == '(' || c == ')' || c == ',') {
        tokens.emplace_back(1, c);
        ++i;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else {
        size_t j = i;
        while (j < text.size() &&
               !std::isspace(static_cast<unsigned char>(text[j])) &&
               text[j] != '(' && text[j] != ')' && text[j] != ',' &&
               text.compare(j, 2, "/*") != 0)
          ++j;
        tokens.push_back(text.substr(i, j - i));
        i = j;
      }
    }
    // Inside GROUP/INPUT (and AS_NEEDED within them) every word is an input.
    std::vector<std::string> opened; // the commands whose "(" is open
    auto inside = [&](std::initializer_list<const char *> names) {
      return std::any_of(opened.begin(), opened.end(), [&](const auto &o) {
        return std::find(names.begin(), names.end(), o) != names.end();
      });
    };
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string &t = tokens[i];
      if (t == "(") {
        opened.push_back(i ? tokens[i - 1] : t);
        continue;
      }
      if (t == ")") {
        if (!opened.empty())
          opened.pop_back();
        continue;
      }
      bool isCommand = i + 1 < tokens.size() && tokens[i + 1] == "(";
      if (!inside({"GROUP", "INPUT"}) || t == "," || isCommand)
        continue;
      LibraryInput sub = in;
      sub.asNeeded = in.asNeeded || inside({"AS_NEEDED"});
      sub.asNeededByScript = in.asNeededByScript || inside({"AS_NEEDED"});
      if (t.rfind("-l", 0) == 0) {
        sub.kind = LibraryInput::Kind::Name;
        sub.spec = t.substr(2);
        resolve(sub, depth + 1);
      } else {
        sub.kind = LibraryInput::Kind::Path;
        sub.spec = t;
        std::string file = t;
        if (t[0] != '/' && ::access(t.c_str(), F_OK) != 0)
          if (std::optional<std::string> f = search(t))
            file = *f;
        inspect(file, t, sub, depth + 1);
      }
    }
  }
};

} // namespace

std::optional<bool> Resolution::has(const std::string &dir,
                                    const std::string &name) const {
  auto it = listed.find(directoryKey(dir));
  if (it == listed.end())
    return std::nullopt;
  return it->second.count(name) != 0;
}

Resolution resolveInputs(const Command &cmd,
                         const std::optional<Target> &target) {
  Resolution out;
  Resolver(cmd, target, out).run();
  return out;
}

} // namespace ldpin::wrapper
