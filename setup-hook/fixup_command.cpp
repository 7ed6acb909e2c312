// `ldpin fixup` and `ldpin check` (see fixup_command.h).
#include "fixup_command.h"

#include "ldpin/checked.h"
#include "ldpin/describe.h"
#include "ldpin/editor.h"
#include "ldpin/elf.h"
#include "ldpin/loader.h"
#include "ldpin/note.h"
#include "ldpin/paths.h"
#include "ldpin/pin.h"
#include "ldpin/policy.h"
#include "ldpin/process.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/JSON.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <map>
#include <optional>
#include <set>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace ldpin::cli {
namespace {

// --- small helpers -------------------------------------------------------

std::string utf8(const std::string &s) {
  return llvm::json::isUTF8(s) ? s : llvm::json::fixUTF8(s);
}

void parallelFor(size_t n, unsigned jobs,
                 const std::function<void(size_t)> &fn) {
  unsigned threads =
      jobs ? jobs : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, n));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i)
      fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n;)
        fn(i);
    });
  for (std::thread &t : pool)
    t.join();
}

// --- the files -------------------------------------------------------------

struct Change {
  std::string what; // "soname", "needed", "runpath", "rpath", "interpreter"
  std::string from, to, why;
  std::string reason; // runpath/rpath: pin::reasonName of the decision
};

struct File {
  std::string path;
  std::optional<elf::ElfInfo> info; // nullopt: not ELF, or unreadable
  std::string error;                // why it could not be read as ELF
  std::optional<note::Record> record;
  // The plan.
  std::optional<std::string> soname;
  std::map<size_t, std::string> needed; // DT_NEEDED index -> new value
  std::optional<std::string> runpath;   // new RUNPATH/RPATH ("" removes it)
  std::optional<std::string> interpreter;
  std::optional<note::Record> newRecord;
  std::vector<Change> changes;
  std::vector<pin::Decision> searchList; // every RUNPATH/RPATH entry
  std::string method = "unchanged";      // "record space", "runpath space" (the
                                    // bytes of its old RUNPATH), "patchelf"
  // Its other names in the outputs (hard links), replaced with it; and
  // whether every hard link to it is in the outputs, so that --in-place may
  // write into it (a link to a dependency's file must not change that file).
  std::vector<std::string> aliases;
  bool allLinksInOutputs = false;
  std::vector<std::string> problems;

  bool dynamic() const { return info && info->hasDynamic && info->dynstr; }
  bool planned() const {
    return soname || !needed.empty() || runpath || interpreter ||
           (newRecord && record && !(*newRecord == *record));
  }
};

class Fixup {
public:
  Fixup(const FixupOptions &o, llvm::raw_ostream &out, llvm::raw_ostream &err)
      : o(o), out(out), err(err) {}
  int run();

private:
  const FixupOptions &o;
  llvm::raw_ostream &out, &err;
  Policy policy;
  pin::Directories dirs;
  std::vector<std::string> depDirs, runtimeDirs;
  loader::InterpreterDefaultsCache interpreters;
  std::vector<File> files;
  std::vector<std::string> walkErrors;
  // Names the outputs provide: soname or file name -> installed path.
  std::map<std::string, std::string> provided;
  loader::FileCache cache;
  const std::function<bool(const std::string &, unsigned, uint16_t)>
      usableFile = loader::usableFrom(cache);

  bool setUp();
  // Each file found: its index in `found`, its link count and its names in
  // the outputs after the first.
  struct Seen {
    size_t index;
    nlink_t links;
    std::vector<std::string> aliases;
  };
  void walk(const std::string &path,
            std::map<std::pair<dev_t, ino_t>, Seen> &seen,
            std::vector<std::string> &found, std::vector<std::string> &links);
  bool inBuildDir(const std::string &p) const { return dirs.inBuild(p); }
  loader::SearchSettings settingsFor(const elf::ElfInfo &info,
                                     loader::FileCache &files);
  std::set<std::string> rpathServingClosure(const File &f);
  bool usable(const std::string &path, const elf::ElfInfo &forFile) {
    return usableFile(path, forFile.elfClass, forFile.machine);
  }
  bool pinnable(const std::string &path, const elf::ElfInfo &forFile) {
    return pin::pinnable(policy, dirs, path) && usable(path, forFile);
  }
  std::string installedPath(const File &lib);
  std::optional<std::pair<std::string, std::string>> resolve(const File &f,
                                                             size_t index);
  void plan(File &f);
  void apply(File &f);
  bool applyWithEditor(File &f, bool haveRecord, std::string &why);
  void applyWithPatchelf(File &f);
  void replaceAliases(File &f);
  void validate();
  void report();
};

bool Fixup::setUp() {
  std::string config = o.config;
  if (config.empty())
    if (const char *c = std::getenv("LDPIN_CONFIG"))
      config = c;
  if (!config.empty()) {
    llvm::Expected<Policy> p = readPolicy(config);
    if (!p) {
      err << "ldpin: " << llvm::toString(p.takeError()) << "\n";
      return false;
    }
    policy = std::move(*p);
  }
  // The store, the build and temporary directories and the outputs, as
  // ldpin-ld reads them (pin::fromEnvironment), with the command line's.
  std::map<std::string, std::string> env;
  for (const char *name :
       {"NIX_STORE", "NIX_BUILD_TOP", "TMPDIR", "TMP", "TEMP", "TEMPDIR"})
    if (const char *v = std::getenv(name))
      env[name] = v;
  if (!o.store.empty())
    env["NIX_STORE"] = o.store;
  env["outputs"] = ""; // the outputs are the ones given, below
  dirs = pin::fromEnvironment([&](const std::string &name) {
    auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
  });
  for (const std::string &d : o.buildDirs)
    if (!d.empty())
      dirs.build.push_back(absolute(d));
  for (const std::string &out : o.outputs) {
    dirs.outputs.push_back(absolute(out));
    if (std::string real = realPath(out);
        !real.empty() && real != absolute(out))
      dirs.outputs.push_back(real);
  }
  auto libDirs = [](const std::string &prefix) {
    std::vector<std::string> dirs;
    struct stat st;
    for (const char *sub : {"/lib", "/lib64"})
      if (::stat((prefix + sub).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        dirs.push_back(prefix + sub);
    if (dirs.empty())
      dirs.push_back(prefix);
    return dirs;
  };
  for (const std::string &d : o.deps) {
    dirs.declared.push_back(absolute(d));
    for (std::string &l : libDirs(d))
      depDirs.push_back(std::move(l));
  }
  for (const std::string &d : o.runtimeDependencies)
    for (std::string &l : libDirs(d))
      runtimeDirs.push_back(std::move(l));
  for (const std::string &out : o.outputs) {
    struct stat st;
    if (::lstat(out.c_str(), &st) != 0) {
      err << "ldpin: " << printable(out) << ": " << std::strerror(errno)
          << "\n";
      return false;
    }
  }
  if (o.report != "text" && o.report != "json") {
    err << "ldpin: --report must be text or json, not " << printable(o.report)
        << "\n";
    return false;
  }
  return true;
}

void Fixup::walk(const std::string &path,
                 std::map<std::pair<dev_t, ino_t>, Seen> &seen,
                 std::vector<std::string> &found,
                 std::vector<std::string> &links) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    walkErrors.push_back(printable(path) + ": " + std::strerror(errno));
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    links.push_back(path);
    return;
  }
  if (S_ISREG(st.st_mode)) {
    auto [it, added] = seen.try_emplace({st.st_dev, st.st_ino},
                                        Seen{found.size(), st.st_nlink, {}});
    if (added)
      found.push_back(path);
    else
      it->second.aliases.push_back(path);
    return;
  }
  if (!S_ISDIR(st.st_mode))
    return;
  DIR *d = ::opendir(path.c_str());
  if (!d) {
    walkErrors.push_back(printable(path) + ": " + std::strerror(errno));
    return;
  }
  std::vector<std::string> names;
  while (struct dirent *e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      names.push_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end()); // the same order on every run
  for (const std::string &n : names)
    walk(path + (path.back() == '/' ? "" : "/") + n, seen, found, links);
}

// The absolute SONAME of an installed library: the file its soname names in
// its directory (libfoo.so.1, usually a link to libfoo.so.1.2.3) when there
// is one, else the file itself.
std::string Fixup::installedPath(const File &lib) {
  const std::optional<std::string> &soname = lib.info->soname;
  if (soname && (*soname)[0] == '/')
    return *soname;
  if (soname && soname->find('/') == std::string::npos) {
    std::string named = dirName(lib.path) + "/" + *soname;
    struct stat st;
    if (::stat(named.c_str(), &st) == 0 &&
        cache.identity(named) == cache.identity(lib.path))
      return named;
  }
  return lib.path;
}

// The file DT_NEEDED number `index` of `f` should name, and why: the first
// candidate, in this order, that the loader could use and the policy pins.
std::optional<std::pair<std::string, std::string>>
Fixup::resolve(const File &f, size_t index) {
  const std::string &name = f.info->needed[index];
  // 1. What the record says it was linked against.
  if (f.record && index < f.record->needed.size() &&
      f.record->needed[index].name == name &&
      !f.record->needed[index].path.empty()) {
    const note::Needed &r = f.record->needed[index];
    if (inBuildDir(r.path)) {
      auto it = provided.find(name);
      if (it != provided.end() && pin::pinnable(policy, dirs, it->second)) {
        const elf::ElfInfo *lib = cache.get(it->second);
        std::string id = lib ? describe::hexBytes(lib->buildId) : "";
        if (r.buildId.empty() || id.empty() || id == r.buildId)
          return std::make_pair(
              it->second, "the installed copy of the in-tree library it was "
                          "linked against" +
                              std::string(r.buildId.empty() || id.empty()
                                              ? ""
                                              : " (same build-id)"));
      }
    } else if (pinnable(r.path, *f.info)) {
      return std::make_pair(r.path, "the library it was linked against");
    }
  }
  // 2. The outputs.
  if (auto it = provided.find(name); it != provided.end())
    if (pinnable(it->second, *f.info))
      return std::make_pair(it->second, "provided by the outputs");
  // 3. The declared dependencies, in order.
  for (const std::string &dir : depDirs) {
    std::string candidate = dir + "/" + name;
    if (pinnable(candidate, *f.info))
      return std::make_pair(candidate, "provided by dependency " + dir);
  }
  // 4. Its own RUNPATH or RPATH, as the loader would search it (build
  //    directories aside).
  const std::optional<std::string> &list =
      f.info->runpath ? f.info->runpath : f.info->rpath;
  if (list)
    for (const std::string &entry : splitList(*list, ':')) {
      std::optional<std::string> dir = loader::expandOrigin(entry, f.path);
      if (!dir || dir->empty() || inBuildDir(*dir))
        continue;
      std::string candidate = *dir + "/" + name;
      if (pinnable(candidate, *f.info))
        return std::make_pair(candidate, "found in its RUNPATH entry " + entry);
    }
  return std::nullopt;
}

// How the loader searches for `info`'s libraries: no LD_LIBRARY_PATH, and
// the default directories its interpreter reports (or the fixup's
// --interpreter, for a file without one).
loader::SearchSettings Fixup::settingsFor(const elf::ElfInfo &info,
                                          loader::FileCache &files) {
  loader::SearchSettings settings;
  settings.usable = loader::usableFrom(files);
  std::string interp = info.interpreter.value_or(o.interpreter);
  if (!interp.empty() && files.regular(interp))
    settings.defaultDirs = interpreters.get(interp).dirs;
  return settings;
}

// The entries of `f`'s DT_RPATH that answer a search of another object of
// its closure: DT_RPATH serves what the libraries load too, and pinning the
// file's own DT_NEEDED does not make those entries unused.
std::set<std::string> Fixup::rpathServingClosure(const File &f) {
  return loader::rpathServingClosure(
      loader::closureOf(f.path, cache, settingsFor(*f.info, cache), nullptr,
                        o.interpreter),
      f.path);
}

void Fixup::plan(File &f) {
  const elf::ElfInfo &info = *f.info;
  // SONAME.
  if (policy.absolute_soname && info.soname && !info.soname->empty() &&
      (*info.soname)[0] != '/' && info.soname->find('/') == std::string::npos) {
    std::string abs = installedPath(f);
    f.soname = abs;
    f.changes.push_back(
        {"soname", *info.soname, abs, "its installed path", ""});
  }
  // DT_NEEDED: what the loader would open, when the policy pins it.
  std::vector<std::string> stillBare;
  for (size_t i = 0; i < info.needed.size(); ++i) {
    const std::string &name = info.needed[i];
    if (name.find('/') != std::string::npos)
      continue;
    std::optional<std::pair<std::string, std::string>> r = resolve(f, i);
    if (r) {
      f.needed[i] = r->first;
      f.changes.push_back({"needed", name, r->first, r->second, ""});
    } else {
      stillBare.push_back(name);
    }
  }
  // RUNPATH (or RPATH), by the rules ldpin-ld applies at link time
  // (pin::decideSearchList); the runtime dependencies are added.
  const bool isRunpath = info.runpath.has_value();
  const std::optional<std::string> &list =
      isRunpath ? info.runpath : info.rpath;
  const char *what = isRunpath || !list ? "runpath" : "rpath";
  pin::ListInput in;
  in.stage = pin::Stage::Install;
  if (list)
    for (std::string &entry : splitList(*list, ':'))
      in.entries.push_back({std::move(entry)});
  in.provides = [&](const std::string &dir) {
    for (const std::string &b : stillBare)
      if (usable(dir + "/" + b, info))
        return b;
    return std::string();
  };
  std::set<std::string> serving;
  if (list && !isRunpath) {
    serving = rpathServingClosure(f);
    in.servesClosure = [&](const std::string &entry) {
      return serving.count(entry) != 0;
    };
  }
  f.searchList = pin::decideSearchList(policy, dirs, in);
  std::set<std::string> kept;
  for (const pin::Decision &d : f.searchList)
    if (d.keep)
      kept.insert(d.entry);
    else
      f.changes.push_back(
          {what, d.entry, "", pin::describe(d), pin::reasonName(d.reason)});
  for (const std::string &d : runtimeDirs)
    if (kept.insert(d).second) {
      pin::Decision added;
      added.entry = d;
      added.keep = true;
      added.reason = pin::Reason::RuntimeDependency;
      f.searchList.push_back(added);
      f.changes.push_back(
          {what, "", d, pin::describe(added), pin::reasonName(added.reason)});
    }
  std::string newList = pin::keptList(f.searchList);
  if (newList != list.value_or(""))
    f.runpath = newList;
  // The interpreter of a prebuilt program.
  if (!o.interpreter.empty() && info.interpreter &&
      *info.interpreter != o.interpreter && !dirs.inStore(*info.interpreter)) {
    f.interpreter = o.interpreter;
    f.changes.push_back(
        {"interpreter", *info.interpreter, o.interpreter, "the store's", ""});
  }
  // The record: what each DT_NEEDED resolves to now, no build directories.
  if (f.record) {
    note::Record r = *f.record;
    for (size_t i = 0; i < r.needed.size(); ++i)
      if (inBuildDir(r.needed[i].path)) {
        auto it = f.needed.find(i);
        r.needed[i].path = it != f.needed.end() ? it->second : "";
      }
    r.buildRunpath.clear();
    f.newRecord = std::move(r);
  }
}

// Edits with the core editor: into the space the record names, or (no
// record) into the bytes of the RUNPATH string, which the edit replaces.
// False with `why` when the strings do not fit.
bool Fixup::applyWithEditor(File &f, bool haveRecord, std::string &why) {
  llvm::Expected<edit::Editor> loaded = edit::Editor::load(f.path);
  if (!loaded) {
    why = llvm::toString(loaded.takeError());
    return false;
  }
  edit::Editor &ed = *loaded;
  llvm::Error e = llvm::Error::success();
  if (haveRecord) {
    e = ed.reserveRange(f.record->reserveOffset, f.record->reserveSize);
  } else {
    std::optional<size_t> holder;
    for (size_t i = 0; i < ed.info().dynamic.size(); ++i)
      if (ed.info().dynamic[i].tag == llvm::ELF::DT_RUNPATH ||
          ed.info().dynamic[i].tag == llvm::ELF::DT_RPATH)
        holder = i;
    if (!holder && (f.soname || !f.needed.empty())) {
      why = "no reserved space and no RUNPATH string to reuse";
      return false;
    }
    if (holder) {
      e = ed.reserveFromEntry(*holder);
      if (!e && !f.runpath) // the holder is rewritten: keep its value
        f.runpath = ed.info().dynamic[*holder].str.value_or("");
    }
  }
  auto fail = [&](llvm::Error error) {
    why = llvm::toString(std::move(error));
    return false;
  };
  if (e)
    return fail(std::move(e));
  // The RUNPATH first: written where it was, a kept one leaves its bytes as
  // they are and a shorter one frees the rest for the other strings.
  if (f.runpath)
    if (llvm::Error e2 = ed.setRunpath(*f.runpath))
      return fail(std::move(e2));
  if (f.soname)
    if (llvm::Error e2 = ed.setSoname(*f.soname))
      return fail(std::move(e2));
  for (const auto &[i, value] : f.needed)
    if (llvm::Error e2 = ed.setNeeded(i, value))
      return fail(std::move(e2));
  if (haveRecord && f.newRecord)
    if (llvm::Error e2 = ed.setRecord(*f.newRecord))
      return fail(std::move(e2));
  if (o.inPlace && f.allLinksInOutputs) {
    llvm::Expected<bool> written = ed.writeInPlace(f.path);
    if (!written)
      return fail(written.takeError());
    if (*written)
      return true;
  }
  if (llvm::Error e2 = ed.commit(f.path))
    return fail(std::move(e2));
  replaceAliases(f);
  return true;
}

// patchelf on a copy beside the file, checked before it replaces the file.
// One patchelf run per kind of change: patchelf 0.14 given --set-soname and
// --replace-needed together writes the same string for both (seen here; the
// check below caught it).
void Fixup::applyWithPatchelf(File &f) {
  const elf::ElfInfo &info = *f.info;
  std::vector<std::vector<std::string>> runs;
  if (f.interpreter)
    runs.push_back({"--set-interpreter", *f.interpreter});
  if (f.soname)
    runs.push_back({"--set-soname", *f.soname});
  if (!f.needed.empty()) {
    runs.emplace_back();
    for (const auto &[i, value] : f.needed)
      runs.back().insert(runs.back().end(),
                         {"--replace-needed", info.needed[i], value});
  }
  if (f.runpath) {
    if (f.runpath->empty())
      runs.push_back({"--remove-rpath"});
    else if (!info.runpath && info.rpath)
      runs.push_back(
          {"--set-rpath", *f.runpath, "--force-rpath"}); // DT_RPATH stays
    else
      runs.push_back({"--set-rpath", *f.runpath});
  }
  struct stat st;
  if (::stat(f.path.c_str(), &st) != 0) {
    f.problems.push_back(std::string("cannot stat: ") + std::strerror(errno));
    return;
  }
  std::string tmp = f.path + ".ldpin-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    f.problems.push_back(std::string("cannot create a temporary file beside "
                                     "it: ") +
                         std::strerror(errno));
    return;
  }
  auto abandon = [&](const std::string &msg) {
    ::unlink(tmp.c_str());
    f.problems.push_back(msg);
  };
  std::string bytes;
  {
    int in = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    char buf[65536];
    ssize_t n = 0;
    while (in >= 0 && (n = ::read(in, buf, sizeof buf)) > 0)
      bytes.append(buf, static_cast<size_t>(n));
    if (in >= 0)
      ::close(in);
    bool ok = in >= 0 && n == 0;
    size_t done = 0;
    while (ok && done < bytes.size()) {
      ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (w <= 0)
        ok = false;
      else
        done += static_cast<size_t>(w);
    }
    ok = ok && ::fchmod(fd, (st.st_mode & 07777) | S_IWUSR) == 0;
    if (::close(fd) != 0)
      ok = false;
    if (!ok)
      return abandon(std::string("cannot copy it for patchelf: ") +
                     std::strerror(errno));
  }
  for (std::vector<std::string> &argv : runs) {
    argv.insert(argv.begin(), "patchelf");
    argv.push_back(tmp);
    std::string output;
    int rc = runCapture(argv, output);
    if (rc != 0)
      return abandon(rc < 0 ? "cannot run patchelf (needed because the new "
                              "strings do not fit in place): " +
                                  output
                            : "patchelf failed: " + output);
  }
  // Check the result with our own reader before it replaces the file.
  llvm::Expected<elf::ElfInfo> after = elf::readFile(tmp);
  if (!after)
    return abandon("patchelf wrote a file that does not read back: " +
                   llvm::toString(after.takeError()));
  std::vector<std::string> wantNeeded = info.needed;
  for (const auto &[i, value] : f.needed)
    wantNeeded[i] = value;
  std::optional<std::string> wantList =
      f.runpath ? (f.runpath->empty() ? std::nullopt : f.runpath)
                : (info.runpath ? info.runpath : info.rpath);
  std::optional<std::string> gotList =
      after->runpath ? after->runpath : after->rpath;
  if (after->needed != wantNeeded ||
      after->soname != (f.soname ? f.soname : info.soname) ||
      gotList != wantList ||
      after->interpreter != (f.interpreter ? f.interpreter : info.interpreter))
    return abandon("patchelf's result does not say what was asked for");
  // The owner before the mode: chown clears the set-ID bits.
  if ((::getuid() == 0 && ::chown(tmp.c_str(), st.st_uid, st.st_gid) != 0) ||
      ::chmod(tmp.c_str(), st.st_mode & 07777) != 0)
    return abandon(std::string("cannot keep mode and owner: ") +
                   std::strerror(errno));
  if (::rename(tmp.c_str(), f.path.c_str()) != 0)
    return abandon(std::string("cannot replace it: ") + std::strerror(errno));
  f.method = "patchelf";
  replaceAliases(f);
}

// After `f.path` was replaced by a new file: its other names in the outputs
// become links to the new file too (each by a link renamed over it), so that
// they stay one file.
void Fixup::replaceAliases(File &f) {
  for (const std::string &alias : f.aliases) {
    std::string tmp = alias + ".ldpin-link";
    ::unlink(tmp.c_str());
    if (::link(f.path.c_str(), tmp.c_str()) != 0 ||
        ::rename(tmp.c_str(), alias.c_str()) != 0) {
      f.problems.push_back(
          "cannot replace its hard link " + printable(alias) +
          ", which is left as it was: " + std::strerror(errno));
      ::unlink(tmp.c_str());
    }
  }
}

void Fixup::apply(File &f) {
  if (!f.planned())
    return;
  std::string why;
  if (f.record) {
    // Linked through ldpin-ld: edited in the space it reserved, never grown.
    if (f.interpreter) {
      f.problems.push_back("linked through ldpin-ld with the interpreter " +
                           printable(*f.info->interpreter) +
                           ", outside the store: link it with the store's "
                           "dynamic linker");
      return;
    }
    if (applyWithEditor(f, true, why))
      f.method = "record space";
    else
      f.problems.push_back("cannot be fixed in the space ldpin-ld reserved: " +
                           why);
    return;
  }
  if (!f.interpreter && applyWithEditor(f, false, why)) {
    f.method = "runpath space";
    return;
  }
  applyWithPatchelf(f);
}

void Fixup::validate() {
  // The files as they are now: those left unchanged as read at the start,
  // the others read again (which also checks what was written).
  loader::FileCache fresh;
  for (const File &f : files)
    if (f.info && f.method == "unchanged")
      fresh.put(f.path, *f.info);
  auto ignored = [&](const std::string &name) {
    for (const std::string &g : o.ignoreMissing)
      if (::fnmatch(g.c_str(), name.c_str(), 0) == 0 ||
          ::fnmatch(g.c_str(), baseName(name).c_str(), 0) == 0)
        return true;
    return false;
  };
  // Each file's closure, in parallel; the problems are gathered per file
  // and handed out afterwards in file order, so that the report is the same
  // on every run.
  std::vector<std::vector<loader::Problem>> found(files.size());
  parallelFor(files.size(), o.jobs, [&](size_t k) {
    const File &f = files[k];
    if (!f.dynamic() || !f.problems.empty())
      return;
    std::string error;
    const elf::ElfInfo *now = fresh.get(f.path, &error);
    if (!now) {
      found[k].push_back(
          {f.path, "does not read back after the fixup: " + error});
      return;
    }
    found[k] = loader::closureOf(f.path, fresh, settingsFor(*now, fresh),
                                 ignored, o.interpreter)
                   .problems;
    // Nothing may name the build: as nixpkgs' audit-tmpdir.
    std::vector<std::pair<std::string, std::string>> strings;
    for (const std::string &n : now->needed)
      strings.emplace_back("DT_NEEDED", n);
    if (now->soname)
      strings.emplace_back("SONAME", *now->soname);
    if (now->runpath)
      strings.emplace_back("RUNPATH", *now->runpath);
    if (now->rpath)
      strings.emplace_back("RPATH", *now->rpath);
    for (const auto &[what, s] : strings)
      for (const std::string &entry : splitList(s, ':'))
        if (dirs.inBuild(entry))
          found[k].push_back({f.path, "its " + what +
                                          " names the build directory " +
                                          printable(entry)});
  });
  std::map<std::string, File *> byPath;
  for (File &f : files)
    byPath[f.path] = &f;
  std::set<std::pair<std::string, std::string>> reported;
  for (size_t k = 0; k < files.size(); ++k)
    for (const loader::Problem &p : found[k]) {
      if (!reported.insert({p.file, p.message}).second)
        continue;
      auto it = byPath.find(p.file);
      if (it != byPath.end())
        it->second->problems.push_back(p.message);
      else
        files[k].problems.push_back(printable(p.file) + " " + p.message);
    }
}

void Fixup::report() {
  size_t problems = walkErrors.size(), withProblems = 0, changed = 0,
         changedWithProblems = 0;
  for (const std::string &w : walkErrors)
    err << "ldpin: " << w << "\n";
  for (const File &f : files) {
    const bool wasChanged = f.method != "unchanged";
    if (!f.problems.empty()) {
      ++withProblems;
      changedWithProblems += wasChanged;
    }
    changed += wasChanged;
    for (const std::string &p : f.problems) {
      err << "ldpin: " << printable(f.path) << ": " << p << "\n";
      ++problems;
    }
    // A file is "left as it was" only when it was: one the fixup wrote and
    // the validation then faulted says so.
    if (!f.problems.empty() && wasChanged)
      err << "ldpin: " << printable(f.path) << ": was changed by this fixup ("
          << f.method << ") before the problem was found\n";
    if (o.verbose && wasChanged) {
      err << "ldpin: fixup: " << printable(f.path) << ": " << f.changes.size()
          << " change" << (f.changes.size() == 1 ? "" : "s") << " (" << f.method
          << ")\n";
      for (const Change &c : f.changes)
        err << "ldpin: fixup:   " << c.what << " "
            << printable(c.from.empty() ? c.to : c.from)
            << (c.from.empty() || c.to.empty() ? "" : " -> " + printable(c.to))
            << ": " << printable(c.why) << "\n";
    }
  }
  if (problems) {
    err << "ldpin: " << problems << " problem" << (problems == 1 ? "" : "s")
        << " in " << std::max<size_t>(withProblems, 1) << " file"
        << (withProblems == 1 ? "" : "s");
    if (!o.checkOnly) {
      size_t left = withProblems - changedWithProblems;
      if (changedWithProblems == 0)
        err << "; files with problems were left as they were";
      else
        err << "; " << left << " left as "
            << (left == 1 ? "it was" : "they were") << ", "
            << changedWithProblems << " changed before the problem "
            << "was found";
    }
    err << "\n";
  } else if (o.checkOnly && o.report != "json") {
    size_t elf = 0;
    for (const File &f : files)
      elf += f.info.has_value();
    err << "ldpin: check: " << elf << " ELF file" << (elf == 1 ? "" : "s")
        << " of " << files.size() << " file" << (files.size() == 1 ? "" : "s")
        << " checked, no problem\n";
  }
  if (o.report != "json")
    return;
  llvm::json::Array fileArray;
  for (const File &f : files) {
    if (!f.info && f.error.empty())
      continue; // not ELF
    llvm::json::Array changes, probs;
    for (const Change &c : f.changes) {
      llvm::json::Object change{{"what", c.what},
                                {"from", utf8(c.from)},
                                {"to", utf8(c.to)},
                                {"why", utf8(c.why)}};
      if (!c.reason.empty())
        change["reason"] = c.reason;
      changes.push_back(std::move(change));
    }
    llvm::json::Array searchList;
    for (const pin::Decision &d : f.searchList)
      searchList.push_back(
          llvm::json::Object{{"entry", utf8(d.entry)},
                             {"kept", d.keep},
                             {"reason", pin::reasonName(d.reason)},
                             {"detail", utf8(d.detail)}});
    for (const std::string &p : f.problems)
      probs.push_back(utf8(p));
    fileArray.push_back(
        llvm::json::Object{{"path", utf8(f.path)},
                           {"method", f.method},
                           {"changes", std::move(changes)},
                           {"search_list", std::move(searchList)},
                           {"problems", std::move(probs)}});
  }
  llvm::json::Array walkArray;
  for (const std::string &w : walkErrors)
    walkArray.push_back(utf8(w));
  llvm::json::Object doc{{"schema", "ldpin-fixup/1"},
                         {"mode", o.checkOnly ? "check" : "fixup"},
                         {"files", std::move(fileArray)},
                         {"errors", std::move(walkArray)},
                         {"changed", static_cast<int64_t>(changed)},
                         {"problems", static_cast<int64_t>(problems)}};
  out << llvm::formatv("{0:2}", llvm::json::Value(std::move(doc))) << "\n";
}

int Fixup::run() {
  if (!setUp())
    return 2;
  std::map<std::pair<dev_t, ino_t>, Seen> seen;
  std::vector<std::string> paths;
  std::vector<std::string> links;
  for (const std::string &output : o.outputs)
    walk(absolute(output), seen, paths, links);
  files.resize(paths.size());
  for (auto &[id, s] : seen) {
    files[s.index].allLinksInOutputs = s.aliases.size() + 1 >= s.links;
    files[s.index].aliases = std::move(s.aliases);
  }
  // Read every file once, in parallel.
  parallelFor(paths.size(), o.jobs, [&](size_t i) {
    File &f = files[i];
    f.path = paths[i];
    llvm::Expected<elf::ElfInfo> info =
        elf::readFile(f.path, elf::ReadOptions{/*sections=*/false,
                                               /*versions=*/true});
    if (!info) {
      llvm::Error e = info.takeError();
      if (!isKind(e, ErrorKind::NotElf))
        f.error = llvm::toString(std::move(e));
      return;
    }
    f.info = std::move(*info);
    for (const elf::Note &n : f.info->notes)
      if (n.kind == elf::NoteKind::Ldpin) {
        llvm::Expected<note::Record> r =
            note::parse(llvm::ArrayRef<uint8_t>(n.desc), f.info->bigEndian);
        if (r)
          f.record = std::move(*r);
        else
          f.error = "its .note.ldpin record is corrupt: " +
                    llvm::toString(r.takeError());
      }
  });
  for (File &f : files)
    if (!f.error.empty()) {
      f.problems.push_back(f.error + " (left as it was)");
      f.info.reset();
    }
  // What the outputs provide, by soname and by file name (links included).
  std::map<std::pair<uint64_t, uint64_t>, const File *> byId;
  for (const File &f : files)
    if (f.dynamic() && f.info->type == llvm::ELF::ET_DYN) {
      cache.put(f.path, *f.info);
      if (auto id = cache.identity(f.path))
        byId.emplace(*id, &f);
    }
  for (const File &f : files)
    if (f.dynamic() && f.info->type == llvm::ELF::ET_DYN) {
      if (f.info->soname)
        provided.emplace(baseName(*f.info->soname), installedPath(f));
      provided.emplace(baseName(f.path), f.path);
    }
  for (const std::string &link : links) // stat follows the link
    if (auto id = cache.identity(link); id && byId.count(*id))
      provided.emplace(baseName(link), link);

  if (!o.checkOnly) {
    for (File &f : files)
      if (f.dynamic())
        plan(f);
    parallelFor(files.size(), o.jobs, [&](size_t i) {
      if (files[i].dynamic())
        apply(files[i]);
    });
  }
  validate();
  report();
  bool bad = !walkErrors.empty() ||
             std::any_of(files.begin(), files.end(),
                         [](const File &f) { return !f.problems.empty(); });
  return bad ? 1 : 0;
}

} // namespace

int runFixup(const FixupOptions &options, llvm::raw_ostream &out,
             llvm::raw_ostream &err) {
  return Fixup(options, out, err).run();
}

} // namespace ldpin::cli
