// Resolving library inputs (see resolve.h).
#include "resolve.h"

#include "ldpin/checked.h"
#include "ldpin/describe.h"
#include "ldpin/elf.h"

#include <llvm/BinaryFormat/ELF.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace ldpin::wrapper {
namespace {

constexpr int kMaxScriptDepth = 16;

enum class FileKind { Missing, Shared, Object, Archive, Script, Other };

std::string dirName(const std::string &p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::string baseName(const std::string &p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string absolute(const std::string &p) {
  if (!p.empty() && p[0] == '/')
    return p;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd))
    return p;
  return std::string(cwd) + "/" + p;
}

std::string realPath(const std::string &p) {
  char *r = ::realpath(p.c_str(), nullptr);
  if (!r)
    return "";
  std::string out(r);
  std::free(r);
  return out;
}

class Resolver {
public:
  Resolver(const Command &cmd, Resolution &out) : cmd(cmd), out(out) {}

  void run() {
    for (const LibraryInput &in : cmd.inputs)
      resolve(in, 0);
  }

private:
  const Command &cmd;
  Resolution &out;
  std::map<std::string, std::set<std::string>> listings; // dir -> names
  std::set<std::string> seenShared;                      // by pin path

  // Whether `dir` has an entry `name`, from one listing of the directory.
  bool has(const std::string &dir, const std::string &name) {
    auto it = listings.find(dir);
    if (it == listings.end()) {
      std::set<std::string> names;
      if (DIR *d = ::opendir(dir.c_str())) {
        while (struct dirent *e = ::readdir(d))
          names.insert(e->d_name);
        ::closedir(d);
      }
      it = listings.emplace(dir, std::move(names)).first;
    }
    return it->second.count(name) != 0;
  }

  // The first "-L" directory that has `name`, as a path.
  std::optional<std::string> search(const std::string &name) {
    for (const std::string &dir : cmd.searchDirs)
      if (has(dir, name))
        return dir + "/" + name;
    return std::nullopt;
  }

  static FileKind kindOf(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return FileKind::Missing;
    unsigned char head[18] = {};
    ssize_t n = ::read(fd, head, sizeof head);
    ::close(fd);
    if (n >= 4 && std::memcmp(head, "\x7f" "ELF", 4) == 0) {
      if (n < 18)
        return FileKind::Other; // the linker will say what is wrong
      // e_type, in the file's byte order.
      unsigned type = head[5] == llvm::ELF::ELFDATA2MSB
                          ? (head[16] << 8 | head[17])
                          : (head[17] << 8 | head[16]);
      return type == llvm::ELF::ET_DYN   ? FileKind::Shared
             : type == llvm::ELF::ET_REL ? FileKind::Object
                                         : FileKind::Other;
    }
    if (n >= 8 && (std::memcmp(head, "!<arch>\n", 8) == 0 ||
                   std::memcmp(head, "!<thin>\n", 8) == 0))
      return FileKind::Archive;
    return FileKind::Script;
  }

  void resolve(const LibraryInput &in, int depth) {
    std::string found;
    std::string neededIfNoSoname;
    switch (in.kind) {
    case LibraryInput::Kind::Name: {
      // Per directory: libNAME.so first (unless -Bstatic), then libNAME.a.
      bool hit = false;
      for (const std::string &dir : cmd.searchDirs) {
        if (!in.staticOnly && has(dir, "lib" + in.spec + ".so")) {
          found = dir + "/lib" + in.spec + ".so";
          hit = true;
          break;
        }
        if (has(dir, "lib" + in.spec + ".a")) {
          hit = true; // an archive: nothing to pin
          break;
        }
      }
      if (!hit)
        out.unresolved.push_back("-l" + in.spec);
      if (found.empty())
        return;
      neededIfNoSoname = baseName(found);
      break;
    }
    case LibraryInput::Kind::Verbatim: {
      std::optional<std::string> f = search(in.spec);
      if (!f) {
        out.unresolved.push_back("-l:" + in.spec);
        return;
      }
      found = *f;
      neededIfNoSoname = in.spec;
      break;
    }
    case LibraryInput::Kind::Path:
      found = in.spec;
      neededIfNoSoname = in.spec;
      break;
    }
    inspect(found, neededIfNoSoname, in, depth);
  }

  void inspect(const std::string &found, const std::string &neededIfNoSoname,
               const LibraryInput &in, int depth) {
    switch (kindOf(found)) {
    case FileKind::Missing:
      if (in.kind != LibraryInput::Kind::Path)
        out.problems.push_back(printable(found) + ": cannot read it");
      return; // a missing direct input is the linker's to report
    case FileKind::Object:
      if (out.firstObject.empty())
        out.firstObject = found;
      return;
    case FileKind::Archive:
    case FileKind::Other:
      return;
    case FileKind::Script:
      if (in.kind == LibraryInput::Kind::Path && !looksLikeLibrary(found))
        return; // a linker script given as -T or a plain input
      readScript(found, in, depth);
      return;
    case FileKind::Shared:
      break;
    }
    llvm::Expected<elf::ElfInfo> info = elf::readFile(found);
    if (!info) {
      out.problems.push_back(printable(found) + ": " +
                             llvm::toString(info.takeError()));
      return;
    }
    SharedLibrary lib;
    lib.needed = info->soname ? *info->soname : neededIfNoSoname;
    lib.found = found;
    lib.pinPath = pinPathFor(found, lib.needed);
    lib.buildId = describe::hexBytes(info->buildId);
    lib.asNeeded = in.asNeeded;
    if (!seenShared.insert(lib.pinPath + '\0' + lib.needed).second)
      return;
    out.shared.push_back(std::move(lib));
  }

  static bool looksLikeLibrary(const std::string &path) {
    std::string b = baseName(path);
    return b.find(".so") != std::string::npos ||
           (b.size() > 2 && b.compare(b.size() - 2, 2, ".a") == 0);
  }

  // The absolute path the loader should open for a library found at
  // `found` whose DT_NEEDED will be `needed`: the file named `needed` next to
  // it (what a search of its directory would find), else next to its real
  // path, else its real path.
  static std::string pinPathFor(const std::string &found,
                                const std::string &needed) {
    if (!needed.empty() && needed[0] == '/')
      return needed; // already absolute (an ldpin-built library)
    std::string real = realPath(found);
    for (const std::string &dir : {dirName(absolute(found)), dirName(real)}) {
      std::string candidate = dir + "/" + baseName(needed);
      if (needed.find('/') == std::string::npos &&
          realPath(candidate) == real && !real.empty())
        return candidate;
    }
    return real.empty() ? absolute(found) : real;
  }

  // GNU ld scripts as installed for shared libraries (libc.so, libm.so):
  // GROUP(...), INPUT(...), AS_NEEDED(...) naming files or -lNAME.
  void readScript(const std::string &path, const LibraryInput &in, int depth) {
    if (depth >= kMaxScriptDepth) {
      out.problems.push_back(printable(path) +
                             ": linker scripts nested too deep");
      return;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return;
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < (1 << 20))
      text.append(buf, static_cast<size_t>(n));
    ::close(fd);
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
        while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) &&
               text[j] != '(' && text[j] != ')' && text[j] != ',' &&
               text.compare(j, 2, "/*") != 0)
          ++j;
        tokens.push_back(text.substr(i, j - i));
        i = j;
      }
    }
    // Inside GROUP/INPUT (and AS_NEEDED within them) every word is an input.
    int inputDepth = 0, asNeededDepth = 0;
    std::vector<std::string> opened;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string &t = tokens[i];
      if (t == "(") {
        const std::string &cmdName = i ? tokens[i - 1] : t;
        opened.push_back(cmdName);
        if (cmdName == "GROUP" || cmdName == "INPUT")
          ++inputDepth;
        if (cmdName == "AS_NEEDED")
          ++asNeededDepth;
        continue;
      }
      if (t == ")") {
        if (!opened.empty()) {
          if (opened.back() == "GROUP" || opened.back() == "INPUT")
            --inputDepth;
          if (opened.back() == "AS_NEEDED")
            --asNeededDepth;
          opened.pop_back();
        }
        continue;
      }
      bool isCommand = i + 1 < tokens.size() && tokens[i + 1] == "(";
      if (inputDepth == 0 || t == "," || isCommand)
        continue;
      LibraryInput sub = in;
      sub.asNeeded = in.asNeeded || asNeededDepth > 0;
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

Resolution resolveInputs(const Command &cmd) {
  Resolution out;
  Resolver(cmd, out).run();
  return out;
}

} // namespace ldpin::wrapper
