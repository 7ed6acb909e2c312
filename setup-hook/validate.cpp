// The fixup's validation (see validate.h).
#include "validate.h"

#include "parallel.h"

#include "ldpin/checked.h"
#include "ldpin/interpose.h"
#include "ldpin/paths.h"

#include <llvm/BinaryFormat/ELF.h>

#include <fnmatch.h>
#include <map>
#include <set>

namespace ldpin::fixup {

void validate(std::vector<File> &files, const Planner &planner,
              const pin::Directories &dirs,
              const std::vector<std::string> &ignoreMissing,
              const std::string &interpreter, unsigned jobs,
              bool interposition) {
  // The files as they are now: those left unchanged as read at the start,
  // the others read again (which also checks what was written).
  loader::FileCache fresh;
  for (const File &f : files)
    if (f.info && f.method == "unchanged")
      fresh.put(f.path, *f.info);
  auto ignored = [&](const std::string &name) {
    for (const std::string &g : ignoreMissing)
      if (::fnmatch(g.c_str(), name.c_str(), 0) == 0 ||
          ::fnmatch(g.c_str(), baseName(name).c_str(), 0) == 0)
        return true;
    return false;
  };
  // Each file's closure, in parallel; the problems are gathered per file
  // and handed out afterwards in file order.
  std::vector<std::vector<loader::Problem>> found(files.size());
  // Symbols are read for check only, each file once for every closure.
  interpose::SymbolCache symbols;
  const interpose::Settings symbolSettings{dirs.store};
  std::vector<std::optional<interpose::Result>> analyses(files.size());
  parallelFor(files.size(), jobs, [&](size_t k) {
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
    loader::Closure closure = loader::closureOf(
        f.path, fresh, planner.settingsFor(*now, fresh), ignored, interpreter);
    found[k] = std::move(closure.problems);
    if (interposition &&
        (now->type == llvm::ELF::ET_EXEC || now->type == llvm::ELF::ET_DYN)) {
      interpose::Result r =
          interpose::analyseClosure(closure, symbols, symbolSettings);
      found[k].insert(found[k].end(), r.problems.begin(), r.problems.end());
      for (const interpose::Pair &p : r.pairs)
        for (std::string &m : interpose::hazardMessages(r, p))
          found[k].push_back({f.path, std::move(m)});
      analyses[k] = std::move(r);
    }
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
  for (size_t k = 0; k < files.size(); ++k)
    files[k].interposition = std::move(analyses[k]);
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

} // namespace ldpin::fixup
