// The fixup's planner (see plan.h).
#include "plan.h"

#include "ldpin/describe.h"
#include "ldpin/paths.h"

#include <sys/stat.h>

namespace ldpin::fixup {

const char *pinSourceName(PinSource s) {
  switch (s) {
  case PinSource::Record:
    return "record";
  case PinSource::InTreeCopy:
    return "in-tree-copy";
  case PinSource::Outputs:
    return "outputs";
  case PinSource::Dependency:
    return "dependency";
  case PinSource::OwnSearchList:
    return "own-search-list";
  }
  return "?";
}

std::string Planner::installedPath(const std::string &path,
                                   const elf::ElfInfo &info) const {
  const std::optional<std::string> &soname = info.soname;
  if (soname && !soname->empty() && (*soname)[0] == '/')
    return *soname;
  if (soname && !soname->empty() && soname->find('/') == std::string::npos) {
    std::string named = dirName(path) + "/" + *soname;
    if (auto id = cache_.identity(named); id && id == cache_.identity(path))
      return named;
  }
  return path;
}

std::optional<Pin> Planner::resolve(const File &f, size_t index) const {
  const std::string &name = f.info->needed[index];
  // 1. What the record says it was linked against.
  if (f.record && index < f.record->needed.size() &&
      f.record->needed[index].name == name &&
      !f.record->needed[index].path.empty()) {
    const note::Needed &r = f.record->needed[index];
    if (in_.dirs.inBuild(r.path)) {
      auto it = in_.provided.find(name);
      if (it != in_.provided.end() &&
          pin::pinnable(in_.policy, in_.dirs, it->second)) {
        const elf::ElfInfo *lib = cache_.get(it->second);
        std::string id = lib ? describe::hexBytes(lib->buildId) : "";
        if (r.buildId.empty() || id.empty() || id == r.buildId)
          return Pin{it->second, PinSource::InTreeCopy,
                     "the installed copy of the in-tree library it was "
                     "linked against" +
                         std::string(r.buildId.empty() || id.empty()
                                         ? ""
                                         : " (same build-id)")};
      }
    } else if (pinnable(r.path, *f.info)) {
      return Pin{r.path, PinSource::Record,
                 "the library it was linked against"};
    }
  }
  // 2. The outputs.
  if (auto it = in_.provided.find(name); it != in_.provided.end())
    if (pinnable(it->second, *f.info))
      return Pin{it->second, PinSource::Outputs, "provided by the outputs"};
  // 3. The declared dependencies, in order.
  for (const std::string &dir : in_.depDirs) {
    std::string candidate = dir + "/" + name;
    if (pinnable(candidate, *f.info))
      return Pin{candidate, PinSource::Dependency,
                 "provided by dependency " + dir};
  }
  // 4. Its own RUNPATH or RPATH, as the loader would search it (build
  //    directories aside).
  const std::optional<std::string> &list =
      f.info->runpath ? f.info->runpath : f.info->rpath;
  if (list)
    for (const std::string &entry : splitList(*list, ':')) {
      std::optional<std::string> dir = loader::expandOrigin(entry, f.path);
      if (!dir || dir->empty() || in_.dirs.inBuild(*dir))
        continue;
      std::string candidate = *dir + "/" + name;
      if (pinnable(candidate, *f.info))
        return Pin{candidate, PinSource::OwnSearchList,
                   "found in its " +
                       std::string(f.info->runpath ? "RUNPATH" : "RPATH") +
                       " entry " + entry};
    }
  return std::nullopt;
}

loader::SearchSettings Planner::settingsFor(const elf::ElfInfo &info,
                                            loader::FileCache &files) const {
  return loader::settingsFor(info, files, interpreters_, in_.interpreter);
}

// DT_RPATH serves what the libraries load too, and pinning the file's own
// DT_NEEDED does not make those entries unused.
std::set<std::string> Planner::rpathServingClosure(const File &f) const {
  return loader::rpathServingClosure(
      loader::closureOf(f.path, cache_, settingsFor(*f.info, cache_), nullptr,
                        in_.interpreter),
      f.path);
}

Plan Planner::plan(const File &f) const {
  const elf::ElfInfo &info = *f.info;
  Plan p;
  // SONAME.
  if (in_.policy.absolute_soname && info.soname && !info.soname->empty() &&
      (*info.soname)[0] != '/' && info.soname->find('/') == std::string::npos) {
    std::string abs = installedPath(f.path, info);
    p.soname = abs;
    p.changes.push_back(
        {"soname", *info.soname, abs, "its installed path", ""});
  }
  // DT_NEEDED: what the loader would open, when the policy pins it.
  std::vector<std::string> stillBare;
  for (size_t i = 0; i < info.needed.size(); ++i) {
    const std::string &name = info.needed[i];
    if (name.find('/') != std::string::npos)
      continue;
    if (std::optional<Pin> r = resolve(f, i)) {
      p.needed[i] = r->path;
      p.changes.push_back(
          {"needed", name, r->path, r->why, pinSourceName(r->source)});
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
  pin::ListInput input;
  input.stage = pin::Stage::Install;
  if (list)
    for (std::string &entry : splitList(*list, ':'))
      input.entries.push_back({std::move(entry)});
  input.provides = [&](const std::string &dir) {
    for (const std::string &b : stillBare)
      if (usable(dir + "/" + b, info))
        return b;
    return std::string();
  };
  std::set<std::string> serving;
  if (list && !isRunpath) {
    serving = rpathServingClosure(f);
    input.servesClosure = [&](const std::string &entry) {
      return serving.count(entry) != 0;
    };
  }
  p.searchList = pin::decideSearchList(in_.policy, in_.dirs, input);
  std::set<std::string> kept;
  for (const pin::Decision &d : p.searchList)
    if (d.keep)
      kept.insert(d.entry);
    else
      p.changes.push_back(
          {what, d.entry, "", pin::describe(d), pin::reasonName(d.reason)});
  for (const std::string &d : in_.runtimeDirs)
    if (kept.insert(d).second) {
      pin::Decision added;
      added.entry = d;
      added.keep = true;
      added.reason = pin::Reason::RuntimeDependency;
      p.searchList.push_back(added);
      p.changes.push_back(
          {what, "", d, pin::describe(added), pin::reasonName(added.reason)});
    }
  std::string newList = pin::keptList(p.searchList);
  if (newList != list.value_or(""))
    p.runpath = newList;
  // The interpreter of a prebuilt program.
  if (!in_.interpreter.empty() && info.interpreter &&
      *info.interpreter != in_.interpreter &&
      !in_.dirs.inStore(*info.interpreter)) {
    p.interpreter = in_.interpreter;
    p.changes.push_back(
        {"interpreter", *info.interpreter, in_.interpreter, "the store's", ""});
  }
  // The record: what each DT_NEEDED resolves to now, no build directories.
  if (f.record) {
    note::Record r = *f.record;
    for (size_t i = 0; i < r.needed.size(); ++i)
      if (in_.dirs.inBuild(r.needed[i].path)) {
        auto it = p.needed.find(i);
        r.needed[i].path = it != p.needed.end() ? it->second : "";
      }
    r.buildRunpath.clear();
    p.record = std::move(r);
  }
  return p;
}

} // namespace ldpin::fixup
