// The loader model (see loader.h). search() follows _dl_map_object in
// glibc's elf/dl-load.c step by step; closureOf() follows _dl_map_object_deps
// (breadth first, an object loaded once however many ask for it) and
// _dl_check_map_versions (elf/dl-version.c) for symbol versions.
#include "ldpin/loader.h"

#include "ldpin/checked.h"
#include "ldpin/paths.h"
#include "ldpin/process.h"

#include <llvm/BinaryFormat/ELF.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace ldpin::loader {
namespace {

// realpath(3), or `p` itself when it fails.
std::string realOf(const std::string &p) {
  std::string r = realPath(p);
  return r.empty() ? p : r;
}

// A directory to search, and the entry of its list it came from.
struct Dir {
  std::string path;
  std::string entry;
};

// What one search looked at: the directories in order, and a candidate the
// loader would refuse outright (the search ends there).
struct Trace {
  std::vector<std::string> tried;
  std::string refused;
};

// Looks for `name` in each directory of a list; the index of the first
// that has a usable file. A candidate the loader refuses outright (see
// SearchSettings::refused) ends the search: `trace.refused` says which.
std::optional<std::pair<std::string, size_t>>
inDirs(const std::string &name, const std::vector<Dir> &dirs,
       const Object &forObject, const SearchSettings &settings, Trace &trace) {
  for (size_t i = 0; i < dirs.size() && trace.refused.empty(); ++i) {
    const std::string &dir = dirs[i].path;
    // An empty entry is the current directory to glibc; a build never
    // means that, and the model does not follow it.
    if (dir.empty())
      continue;
    trace.tried.push_back(dir);
    std::string candidate = dir + (dir.back() == '/' ? "" : "/") + name;
    if (settings.usable(candidate, forObject.elfClass, forObject.machine))
      return std::make_pair(candidate, i);
    if (settings.refused &&
        settings.refused(candidate, forObject.elfClass, forObject.machine))
      trace.refused = candidate;
  }
  return std::nullopt;
}

std::vector<Dir> plain(const std::vector<std::string> &dirs) {
  std::vector<Dir> out;
  for (const std::string &d : dirs)
    out.push_back({d, d});
  return out;
}

std::vector<Dir> expanded(const std::string &list,
                          const std::string &objectPath) {
  std::vector<Dir> out;
  for (const std::string &entry : splitList(list, ':'))
    if (std::optional<std::string> e = expandOrigin(entry, objectPath))
      out.push_back({*e, entry});
  return out;
}

} // namespace

const char *howName(How how) {
  switch (how) {
  case How::Path:
    return "path";
  case How::Rpath:
    return "rpath";
  case How::LdLibraryPath:
    return "LD_LIBRARY_PATH";
  case How::Runpath:
    return "runpath";
  case How::Default:
    return "default";
  case How::NotFound:
    return "not found";
  }
  return "?";
}

Object objectOf(const std::string &path, const elf::ElfInfo &info) {
  Object o;
  o.path = path;
  o.elfClass = info.elfClass;
  o.machine = info.machine;
  o.rpath = info.rpath;
  o.runpath = info.runpath;
  o.flags1 = info.dtFlags1.value_or(0);
  return o;
}

std::optional<std::string> expandOrigin(const std::string &entry,
                                        const std::string &objectPath) {
  // A dynamic string token as glibc's is_dst() takes it: $NAME followed by
  // a character that cannot continue a name, or ${NAME}.
  auto token = [&](size_t i, const char *name) -> size_t {
    size_t n = std::strlen(name);
    if (entry.compare(i + 1, n, name) == 0 &&
        (i + 1 + n == entry.size() ||
         !(std::isalnum(static_cast<unsigned char>(entry[i + 1 + n])) ||
           entry[i + 1 + n] == '_')))
      return n + 1;
    if (entry.compare(i + 1, n + 2, "{" + std::string(name) + "}") == 0)
      return n + 3;
    return 0;
  };
  std::string out;
  for (size_t i = 0; i < entry.size();) {
    if (entry[i] != '$') {
      out += entry[i++];
      continue;
    }
    if (size_t len = token(i, "ORIGIN")) {
      out += dirName(objectPath);
      i += len;
    } else if (token(i, "LIB") || token(i, "PLATFORM")) {
      return std::nullopt; // tokens the model does not expand
    } else {
      out += entry[i++]; // any other '$' is itself, as in glibc
    }
  }
  return out;
}

Found search(const std::string &name, const Object &requester,
             const std::vector<const Object *> &loaders,
             const SearchSettings &settings) {
  Found out;
  Trace trace;
  auto finish = [&](How how, std::string path) {
    out.how = how;
    out.path = std::move(path);
    out.tried = std::move(trace.tried);
    out.refused = std::move(trace.refused);
    return out;
  };
  // A name with a slash is opened as it is, not searched for, after its
  // dynamic string tokens are expanded ($ORIGIN: the requester's directory).
  if (name.find('/') != std::string::npos) {
    std::optional<std::string> path = expandOrigin(name, requester.path);
    if (path && settings.usable(*path, requester.elfClass, requester.machine))
      return finish(How::Path, *path);
    if (path && settings.refused &&
        settings.refused(*path, requester.elfClass, requester.machine))
      trace.refused = *path;
    return finish(How::NotFound, "");
  }
  // 1. DT_RPATH, unless the requester has DT_RUNPATH: the requester's own,
  //    then that of each object that loaded it, up to the executable. An
  //    object with DT_RUNPATH has no DT_RPATH as far as the loader goes.
  if (!requester.runpath) {
    std::vector<const Object *> chain = {&requester};
    chain.insert(chain.end(), loaders.begin(), loaders.end());
    for (const Object *o : chain)
      if (!o->runpath && o->rpath) {
        std::vector<Dir> dirs = expanded(*o->rpath, o->path);
        if (auto f = inDirs(name, dirs, requester, settings, trace)) {
          out.rpathOwner = o;
          out.entry = dirs[f->second].entry;
          return finish(How::Rpath, f->first);
        }
      }
  }
  // 2. LD_LIBRARY_PATH.
  if (auto f = inDirs(name, plain(settings.ldLibraryPath), requester, settings,
                      trace))
    return finish(How::LdLibraryPath, f->first);
  // 3. DT_RUNPATH of the requester (never of the objects that loaded it).
  if (requester.runpath)
    if (auto f = inDirs(name, expanded(*requester.runpath, requester.path),
                        requester, settings, trace))
      return finish(How::Runpath, f->first);
  // 4. ld.so.cache: not modelled (see loader.h).
  // 5. The default directories, unless the requester was linked with
  //    -z nodeflib.
  if (!(requester.flags1 & llvm::ELF::DF_1_NODEFLIB))
    if (auto f = inDirs(name, plain(settings.defaultDirs), requester, settings,
                        trace))
      return finish(How::Default, f->first);
  return finish(How::NotFound, "");
}

const elf::ElfInfo *FileCache::get(const std::string &path,
                                   std::string *error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = files_.find(path);
    if (it != files_.end()) {
      if (error)
        *error = it->second.error;
      return it->second.info.get();
    }
  }
  // Read without the lock; a thread that read it meanwhile wins.
  Entry e;
  llvm::Expected<elf::ElfInfo> info = elf::readFile(path, options_);
  if (info)
    e.info = std::make_shared<const elf::ElfInfo>(std::move(*info));
  else
    e.error = llvm::toString(info.takeError());
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = files_.emplace(path, std::move(e)).first;
  if (error)
    *error = it->second.error;
  return it->second.info.get();
}

void FileCache::put(const std::string &path, elf::ElfInfo info) {
  put(path, std::make_shared<const elf::ElfInfo>(std::move(info)));
}

void FileCache::put(const std::string &path,
                    std::shared_ptr<const elf::ElfInfo> info) {
  std::lock_guard<std::mutex> lock(mutex_);
  files_[path] = Entry{std::move(info), ""};
}

const std::string &FileCache::real(const std::string &path) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = reals_.find(path);
    if (it != reals_.end())
      return it->second;
  }
  std::string r = realOf(path);
  std::lock_guard<std::mutex> lock(mutex_);
  return reals_.emplace(path, std::move(r)).first->second;
}

FileCache::StatResult FileCache::statOf(const std::string &path) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = stats_.find(path);
    if (it != stats_.end())
      return it->second;
  }
  StatResult r;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    r.ok = true;
    r.regular = S_ISREG(st.st_mode);
    r.dev = st.st_dev;
    r.ino = st.st_ino;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_.emplace(path, r).first->second;
}

bool FileCache::regular(const std::string &path) {
  return statOf(path).regular;
}

std::optional<std::pair<uint64_t, uint64_t>>
FileCache::identity(const std::string &path) {
  StatResult r = statOf(path);
  if (!r.ok)
    return std::nullopt;
  return std::make_pair(r.dev, r.ino);
}

std::function<bool(const std::string &, unsigned, uint16_t)>
usableFrom(FileCache &cache) {
  return
      [&cache](const std::string &path, unsigned elfClass, uint16_t machine) {
        if (!cache.regular(path))
          return false;
        const elf::ElfInfo *info = cache.get(path);
        return info && info->type == llvm::ELF::ET_DYN &&
               info->elfClass == elfClass && info->machine == machine;
      };
}

std::function<bool(const std::string &, unsigned, uint16_t)>
refusedFrom(FileCache &cache) {
  return [&cache](const std::string &path, unsigned elfClass,
                  uint16_t machine) {
    // What open_verify does before it judges a file: open, then read the
    // ELF header. A file that cannot be opened (missing, EACCES) is
    // skipped.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return false;
    struct stat st;
    unsigned char ident[llvm::ELF::EI_NIDENT + 16] = {};
    bool isDir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    ssize_t n = isDir ? -1 : ::pread(fd, ident, sizeof ident, 0);
    ::close(fd);
    if (isDir || n < static_cast<ssize_t>(sizeof ident) ||
        std::memcmp(ident, llvm::ELF::ElfMagic, 4) != 0)
      return true; // "cannot read file data", "file too short", "invalid ELF
                   // header"
    unsigned cls = ident[llvm::ELF::EI_CLASS] == llvm::ELF::ELFCLASS64   ? 64
                   : ident[llvm::ELF::EI_CLASS] == llvm::ELF::ELFCLASS32 ? 32
                                                                         : 0;
    if (cls != elfClass)
      return false; // another class: skipped
    const elf::ElfInfo *info = cache.get(path);
    if (!info)
      return true; // ELF of this class that cannot be read: not loadable
    if (info->machine != machine)
      return false; // another machine: skipped
    return info->type != llvm::ELF::ET_DYN;
  };
}

SearchSettings settingsFor(const elf::ElfInfo &info, FileCache &files,
                           InterpreterDefaultsCache &interpreters,
                           const std::string &fallbackInterpreter) {
  SearchSettings settings;
  settings.usable = usableFrom(files);
  settings.refused = refusedFrom(files);
  std::string interp = info.interpreter.value_or(fallbackInterpreter);
  if (!interp.empty() && files.regular(interp))
    settings.defaultDirs = interpreters.get(interp).dirs;
  return settings;
}

namespace {

bool isLoaderName(const std::string &soname);

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = llvm::ELF::EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = llvm::ELF::EM_AARCH64;
#else
constexpr uint16_t kHostMachine = llvm::ELF::EM_NONE;
#endif

// The lines of `ld.so --help` after "Shared library search path:":
//   "  (libraries located via /etc/ld.so.cache)"
//   "  /lib/x86_64-linux-gnu (system search path)"
// until the first line that does not start with two spaces.
bool parseHelp(const std::string &text, InterpreterDefaults &out) {
  size_t at = text.find("Shared library search path:\n");
  if (at == std::string::npos)
    return false;
  at = text.find('\n', at) + 1;
  const std::string viaCache = "(libraries located via ";
  const std::string system = " (system search path)";
  while (at < text.size() && text.compare(at, 2, "  ") == 0) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(
        at + 2, end == std::string::npos ? std::string::npos : end - at - 2);
    if (line.rfind(viaCache, 0) == 0 && line.back() == ')')
      out.cache =
          line.substr(viaCache.size(), line.size() - viaCache.size() - 1);
    else if (line.size() > system.size() &&
             line.compare(line.size() - system.size(), system.size(), system) ==
                 0)
      out.dirs.push_back(line.substr(0, line.size() - system.size()));
    if (end == std::string::npos)
      break;
    at = end + 1;
  }
  return true;
}

} // namespace

InterpreterDefaults interpreterDefaults(const std::string &interpreter) {
  InterpreterDefaults out;
  std::string real = realOf(interpreter);
  llvm::Expected<elf::ElfInfo> info = elf::readFile(real);
  bool runnable = false;
  if (info) {
    runnable = info->type == llvm::ELF::ET_DYN && !info->interpreter &&
               info->soname && isLoaderName(baseName(*info->soname)) &&
               info->machine == kHostMachine && info->elfClass == 64;
  } else {
    llvm::consumeError(info.takeError());
  }
  if (runnable) {
    std::string text;
    const std::vector<std::string> noEnvironment;
    if (runCapture({real, "--help"}, text, &noEnvironment) == 0 &&
        parseHelp(text, out)) {
      out.reported = true;
      return out;
    }
    out = InterpreterDefaults{};
  }
  out.dirs.push_back(dirName(real));
  return out;
}

const InterpreterDefaults &
InterpreterDefaultsCache::get(const std::string &interpreter) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = known_.find(interpreter);
    if (it != known_.end())
      return *it->second;
  }
  auto d =
      std::make_unique<InterpreterDefaults>(interpreterDefaults(interpreter));
  std::lock_guard<std::mutex> lock(mutex_);
  return *known_.emplace(interpreter, std::move(d)).first->second;
}

namespace {

bool isLibcName(const std::string &soname) {
  return soname.rfind("libc.so.", 0) == 0;
}

bool isLoaderName(const std::string &soname) {
  return soname.rfind("ld-linux", 0) == 0 || soname.rfind("ld64.so", 0) == 0 ||
         soname.rfind("ld.so", 0) == 0;
}

} // namespace

Closure closureOf(const std::string &root, FileCache &cache,
                  const SearchSettings &settings,
                  const std::function<bool(const std::string &)> &ignoreMissing,
                  const std::string &fallbackInterpreter) {
  Closure out;
  std::string error;
  const elf::ElfInfo *rootInfo = cache.get(root, &error);
  if (!rootInfo) {
    out.problems.push_back({root, "cannot be read: " + error});
    return out;
  }

  struct Loaded {
    Object object;
    const elf::ElfInfo *info;
    std::vector<size_t> chain; // indices of the objects that loaded it
  };
  // A deque: the search keeps pointers to the loaders' objects while the
  // closure grows, and a deque's elements stay where they are.
  std::deque<Loaded> loaded;
  // Names a loaded object answers to: the name it was asked for by, its
  // path, and its DT_SONAME (glibc matches a loaded object's soname before
  // it searches), and its real path (the loader compares file identities).
  std::map<std::string, size_t> byName;
  std::map<std::pair<uint64_t, uint64_t>, size_t> byId;
  // (object, DT_NEEDED string) -> the object it loaded.
  std::map<std::pair<size_t, std::string>, size_t> provider;

  auto add = [&](const std::string &path, const elf::ElfInfo *info,
                 std::vector<size_t> chain, const ClosureEntry &entry) {
    size_t index = loaded.size();
    loaded.push_back({objectOf(path, *info), info, std::move(chain)});
    out.objects.push_back(entry);
    byName.emplace(entry.name.empty() ? path : entry.name, index);
    byName.emplace(path, index);
    if (info->soname)
      byName.emplace(*info->soname, index);
    if (std::optional<std::pair<uint64_t, uint64_t>> id = cache.identity(path))
      byId.emplace(*id, index);
    return index;
  };
  add(root, rootInfo, {}, {root, "", "", How::Path});
  // The dynamic linker is loaded before anything else and answers to its
  // soname (libc.so.6 needs ld-linux-x86-64.so.2 and finds it so). With no
  // interpreter known (a library checked on its own), a name of a dynamic
  // linker is taken as satisfied by whichever program loads the library.
  std::string interp = rootInfo->interpreter.value_or(fallbackInterpreter);
  bool anyLoader = interp.empty();
  if (!interp.empty()) {
    const elf::ElfInfo *ldso = cache.get(interp, &error);
    if (ldso) {
      size_t index = loaded.size();
      loaded.push_back({objectOf(interp, *ldso), ldso, {0}});
      out.objects.push_back({interp, root, "", How::Path});
      byName.emplace(interp, index);
      if (ldso->soname)
        byName.emplace(*ldso->soname, index);
      if (std::optional<std::pair<uint64_t, uint64_t>> id =
              cache.identity(interp))
        byId.emplace(*id, index);
    } else {
      out.problems.push_back({root, "its interpreter " + printable(interp) +
                                        " cannot be read: " + error});
    }
  }

  for (size_t i = 0; i < loaded.size(); ++i) {
    const elf::ElfInfo *info = loaded[i].info;
    std::vector<const Object *> loaders;
    for (size_t j : loaded[i].chain)
      loaders.push_back(&loaded[j].object);
    std::vector<size_t> childChain = {i};
    childChain.insert(childChain.end(), loaded[i].chain.begin(),
                      loaded[i].chain.end());
    for (const std::string &name : info->needed) {
      if (auto it = byName.find(name); it != byName.end()) {
        provider[{i, name}] = it->second;
        continue;
      }
      Found f = search(name, loaded[i].object, loaders, settings);
      if (name.find('/') == std::string::npos)
        out.searches.push_back({f.path, loaded[i].object.path, name, f.how});
      if (f.how == How::NotFound) {
        if ((ignoreMissing && ignoreMissing(name)) ||
            (anyLoader && isLoaderName(baseName(name))))
          continue;
        std::string why;
        if (!f.refused.empty()) {
          why = "and the loader stops at " + printable(f.refused) +
                ", which it cannot load (not a shared library of this "
                "object's class and machine)";
        } else if (name.find('/') != std::string::npos) {
          std::string path =
              expandOrigin(name, loaded[i].object.path).value_or(name);
          struct stat st;
          why = ::stat(path.c_str(), &st) != 0
                    ? "which does not exist"
                    : "which is not a shared library of this object's class "
                      "and machine";
        } else {
          why = "which no RPATH, RUNPATH or default directory provides";
          if (f.tried.empty())
            why += " (nothing to search: it has no RPATH or RUNPATH, and no "
                   "interpreter whose default directories apply; "
                   "--interpreter names one)";
          else {
            why += " (searched: ";
            for (size_t k = 0; k < f.tried.size(); ++k)
              why += (k ? ", " : "") + printable(f.tried[k]);
            why += ")";
          }
          why += "; if a dependency has it, name its prefix with --deps "
                 "(the setup hook passes the build's inputs)";
        }
        out.problems.push_back(
            {loaded[i].object.path, "needs " + printable(name) + ", " + why});
        continue;
      }
      if (f.rpathOwner)
        out.rpathUses.push_back(
            {loaded[i].object.path, name, f.rpathOwner->path, f.entry});
      std::optional<std::pair<uint64_t, uint64_t>> id = cache.identity(f.path);
      if (auto it = id ? byId.find(*id) : byId.end(); it != byId.end()) {
        provider[{i, name}] = it->second;
        byName.emplace(name, it->second);
        continue;
      }
      const elf::ElfInfo *childInfo = cache.get(f.path, &error);
      if (!childInfo)
        continue; // usable() read it; it cannot fail now
      provider[{i, name}] = add(f.path, childInfo, childChain,
                                {f.path, loaded[i].object.path, name, f.how});
    }
  }

  // Symbol versions: each version an object needs (not weak) must be
  // defined by the object its vn_file names. An object that defines no
  // versions at all only earns a warning from glibc, not a failure.
  for (size_t i = 0; i < loaded.size(); ++i)
    for (const elf::VersionNeed &vn : loaded[i].info->versionNeeds) {
      auto p = provider.find({i, vn.file});
      if (p == provider.end())
        continue; // not loaded: reported above, or ignored
      const elf::ElfInfo *def = loaded[p->second].info;
      if (def->versionDefs.empty())
        continue;
      for (const elf::VersionNeedAux &aux : vn.aux) {
        if (aux.flags & llvm::ELF::VER_FLG_WEAK)
          continue;
        bool defined = false;
        for (const elf::VersionDef &vd : def->versionDefs)
          if (!vd.names.empty() && vd.names[0] == aux.name)
            defined = true;
        const std::string &by = loaded[p->second].object.path;
        if (!defined)
          out.problems.push_back(
              {loaded[i].object.path,
               "needs version " + printable(aux.name) +
                   (vn.file == by ? "" : " of " + printable(vn.file)) +
                   ", which " + printable(by) + " does not define"});
      }
    }

  // One C library and one dynamic linker, from one directory.
  std::map<std::string, std::string> libcs, interpreters; // real -> who
  for (size_t i = 0; i < loaded.size(); ++i) {
    const elf::ElfInfo *info = loaded[i].info;
    std::string soname =
        baseName(info->soname ? *info->soname : loaded[i].object.path);
    const std::string who = out.objects[i].neededBy.empty()
                                ? loaded[i].object.path
                                : out.objects[i].neededBy;
    if (isLibcName(soname))
      libcs.emplace(cache.real(loaded[i].object.path), who);
    if (isLoaderName(soname))
      interpreters.emplace(cache.real(loaded[i].object.path), who);
  }
  if (rootInfo->interpreter) {
    if (cache.regular(*rootInfo->interpreter))
      interpreters.emplace(cache.real(*rootInfo->interpreter), root);
  }
  auto describeAll = [](const std::map<std::string, std::string> &m) {
    std::string s;
    for (const auto &[path, who] : m)
      s += (s.empty() ? "" : ", ") + printable(path) + " (for " +
           printable(who) + ")";
    return s;
  };
  if (libcs.size() > 1)
    out.problems.push_back(
        {root, "loads two C libraries: " + describeAll(libcs)});
  if (interpreters.size() > 1)
    out.problems.push_back(
        {root, "names two dynamic linkers: " + describeAll(interpreters)});
  if (libcs.size() == 1 && interpreters.size() == 1 &&
      dirName(libcs.begin()->first) != dirName(interpreters.begin()->first))
    out.problems.push_back(
        {root, "its C library " + printable(libcs.begin()->first) +
                   " and its dynamic linker " +
                   printable(interpreters.begin()->first) +
                   " come from different directories (two glibcs)"});
  return out;
}

std::set<std::string> rpathServingClosure(const Closure &closure,
                                          const std::string &root) {
  std::set<std::string> entries;
  for (const RpathUse &u : closure.rpathUses)
    if (u.owner == root && u.requester != root)
      entries.insert(u.entry);
  return entries;
}

} // namespace ldpin::loader
