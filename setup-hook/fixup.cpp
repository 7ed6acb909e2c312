// The fixup engine's run: set up, walk, read, plan, apply, validate, report
// (see fixup.h).
#include "fixup.h"

#include "apply.h"
#include "file.h"
#include "parallel.h"
#include "plan.h"
#include "report.h"
#include "validate.h"
#include "walk.h"

#include "ldpin/checked.h"
#include "ldpin/note.h"
#include "ldpin/paths.h"
#include "ldpin/pin.h"
#include "ldpin/policy.h"

#include <llvm/BinaryFormat/ELF.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sys/stat.h>

namespace ldpin::fixup {
namespace {

// A prefix's library directories: lib/ and lib64/, or the prefix itself
// when it has neither.
std::vector<std::string> libDirs(const std::string &prefix) {
  std::vector<std::string> dirs;
  struct stat st;
  for (const char *sub : {"/lib", "/lib64"})
    if (::stat((prefix + sub).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      dirs.push_back(prefix + sub);
  if (dirs.empty())
    dirs.push_back(prefix);
  return dirs;
}

// The planner's inputs from the options and the environment; false (with
// the message on `err`) for bad arguments.
bool setUp(const Options &o, PlanInputs &in, llvm::raw_ostream &err) {
  if (o.report != "text" && o.report != "json") {
    err << "ldpin: --report must be text or json, not " << printable(o.report)
        << "\n";
    return false;
  }
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
    in.policy = std::move(*p);
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
  in.dirs = pin::fromEnvironment([&](const std::string &name) {
    auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
  });
  for (const std::string &d : o.buildDirs)
    if (!d.empty())
      in.dirs.build.push_back(absolute(d));
  auto usage = [&](const std::string &what, const std::string &why) {
    err << "ldpin: " << printable(what) << ": " << why << "\n";
    return false;
  };
  // What will be written into binaries, or decides what is: refused before
  // any file is read.
  if (!o.store.empty() && o.store[0] != '/')
    return usage(o.store, "--store must be an absolute path");
  if (!o.interpreter.empty()) {
    struct stat st;
    if (o.interpreter[0] != '/')
      return usage(o.interpreter, "--interpreter must be an absolute path");
    if (::stat(o.interpreter.c_str(), &st) != 0)
      return usage(o.interpreter,
                   std::string("--interpreter: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
      return usage(o.interpreter, "--interpreter is not a regular file");
  }
  for (const std::string &d : o.runtimeDependencies) {
    struct stat st;
    if (d.empty() || d[0] != '/' || d.find(':') != std::string::npos)
      return usage(d, "--runtime-dependency must be an absolute path without "
                      "':' (it is written into RUNPATH)");
    if (::stat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return usage(d, "--runtime-dependency is not a directory");
  }
  for (const std::string &out : o.outputs) {
    // Followed, as the walk follows it: a dangling link is missing.
    struct stat st;
    if (::stat(out.c_str(), &st) != 0)
      return usage(out, std::strerror(errno));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
      return usage(out, "not a directory or regular file");
    in.dirs.outputs.push_back(absolute(out));
    if (std::string real = realPath(out);
        !real.empty() && real != absolute(out))
      in.dirs.outputs.push_back(real);
  }
  for (const std::string &d : o.deps) {
    in.dirs.declared.push_back(absolute(d));
    for (std::string &l : libDirs(absolute(d)))
      in.depDirs.push_back(std::move(l));
  }
  for (const std::string &d : o.runtimeDependencies)
    for (std::string &l : libDirs(directoryKey(d)))
      in.runtimeDirs.push_back(std::move(l));
  in.interpreter = o.interpreter;
  return true;
}

// Reads `f.path` as ELF, with its record.
void readOne(File &f) {
  llvm::Expected<elf::ElfInfo> info = elf::readFile(
      f.path, elf::ReadOptions{/*sections=*/false, /*versions=*/true});
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
}

// What the outputs provide, by soname and by file name (links included).
std::map<std::string, std::string>
providedBy(const std::vector<File> &files,
           const std::vector<std::string> &links, const Planner &planner,
           loader::FileCache &cache) {
  std::map<std::string, std::string> provided;
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
        provided.emplace(baseName(*f.info->soname),
                         planner.installedPath(f.path, *f.info));
      provided.emplace(baseName(f.path), f.path);
    }
  for (const std::string &link : links) // stat follows the link
    if (auto id = cache.identity(link); id && byId.count(*id))
      provided.emplace(baseName(link), link);
  return provided;
}

// check --max-probes: the failed probes the loader's searches would make
// when `f` starts (or, for a library, when a program loads it first), from
// the start-up model `ldpin tree` uses, with no LD_LIBRARY_PATH.
void checkProbes(File &f, unsigned maxProbes, loader::FileCache &cache,
                 loader::InterpreterDefaultsCache &interpreters,
                 const std::string &interpreter) {
  loader::ProbeLog log;
  loader::SearchSettings settings = loader::startupSettings(
      *f.info, cache, interpreters, log, std::nullopt, false, interpreter);
  loader::Closure c =
      loader::closureOf(f.path, cache, settings, nullptr, interpreter);
  size_t searching = 0;
  std::vector<const loader::Edge *> costly;
  for (const loader::Edge &e : c.edges) {
    searching += e.failedProbes;
    if (e.failedProbes)
      costly.push_back(&e);
  }
  if (searching <= maxProbes)
    return;
  std::stable_sort(costly.begin(), costly.end(), [](auto *a, auto *b) {
    return a->failedProbes > b->failedProbes;
  });
  std::string worst;
  for (size_t i = 0; i < costly.size() && i < 3; ++i)
    worst += (i ? ", " : "") + printable(costly[i]->name) + " of " +
             printable(c.objects[costly[i]->from].path) + " (" +
             std::to_string(costly[i]->failedProbes) + ", " +
             loader::howName(costly[i]->how) + ")";
  f.problems.push_back("its start-up would make " + std::to_string(searching) +
                       " failed probes searching for libraries (more than "
                       "--max-probes " +
                       std::to_string(maxProbes) + "), the most for " + worst +
                       "; `ldpin tree` shows each search");
}

} // namespace

int run(const Options &o, llvm::raw_ostream &out, llvm::raw_ostream &err) {
  PlanInputs in;
  if (!setUp(o, in, err))
    return 2;
  // An OUTPUT that is a symbolic link (nix-build's ./result) is walked
  // where it points; links inside the outputs are not followed.
  std::vector<std::string> roots;
  for (const std::string &output : o.outputs) {
    struct stat st;
    std::string real = realPath(output);
    roots.push_back(::lstat(output.c_str(), &st) == 0 && S_ISLNK(st.st_mode) &&
                            !real.empty()
                        ? real
                        : absolute(output));
  }
  Walked walked = walk(roots);
  std::vector<File> files(walked.files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    files[i].path = walked.files[i].path;
    files[i].aliases = std::move(walked.files[i].aliases);
    files[i].allLinksInOutputs = walked.files[i].allLinksInOutputs;
  }
  // Read every file once, in parallel.
  parallelFor(files.size(), o.jobs, [&](size_t i) { readOne(files[i]); });
  for (File &f : files)
    if (!f.error.empty()) {
      f.problems.push_back(o.checkOnly ? f.error
                                       : f.error + " (left as it was)");
      f.info.reset();
    }
  loader::FileCache cache;
  loader::InterpreterDefaultsCache interpreters;
  Planner planner(in, cache, interpreters);
  in.provided = providedBy(files, walked.links, planner, cache);
  for (File &f : files)
    if (f.dynamic())
      f.plan = planner.plan(f);
  if (o.checkOnly) {
    // check changes nothing: its report lists no change, and keeps the
    // RUNPATH decisions the fixup would make, with the same reason names.
    // With --require-pinned, a DT_NEEDED the fixup would pin is a problem:
    // a bare name the loader searches for at every start.
    for (File &f : files) {
      for (const Change &c : f.plan.changes)
        if (o.requirePinned && c.what == "needed")
          f.problems.push_back(
              "DT_NEEDED " + printable(c.from) +
              " is bare, so the loader searches for it at every start; "
              "`ldpin fixup` would pin it to " +
              printable(c.to) + " (" + c.why + ")");
      f.plan.changes.clear();
    }
  } else {
    parallelFor(files.size(), o.jobs, [&](size_t i) {
      if (files[i].dynamic())
        apply(files[i], o.inPlace);
    });
  }
  // The interposition analysis reads every symbol table of every closure:
  // check's, not the setup hook's fixup, which must stay fast.
  validate(files, planner, in.dirs, o.ignoreMissing, o.interpreter, o.jobs,
           /*interposition=*/o.checkOnly);
  if (o.checkOnly && o.maxProbes)
    for (File &f : files)
      if (f.dynamic())
        checkProbes(f, *o.maxProbes, cache, interpreters, o.interpreter);
  report(files, walked.errors, {o.report == "json", o.verbose, o.checkOnly},
         out, err);
  bool bad = !walked.errors.empty() ||
             std::any_of(files.begin(), files.end(),
                         [](const File &f) { return !f.problems.empty(); });
  return bad ? 1 : 0;
}

} // namespace ldpin::fixup
