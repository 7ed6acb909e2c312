// The fixup's report (see report.h).
#include "report.h"

#include "ldpin/checked.h"

#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/JSON.h>

#include <algorithm>

namespace ldpin::fixup {
namespace {

std::string utf8(const std::string &s) {
  return llvm::json::isUTF8(s) ? s : llvm::json::fixUTF8(s);
}

// The interposition analysis of a file's closure: every pair of objects that
// define the same symbols, each symbol with the object the loader binds it
// to, the object of the pair whose own references go to the other's
// definition (if one's do), and why that is benign, if it is.
llvm::json::Array interpositionJson(const interpose::Result &r) {
  llvm::json::Array pairs;
  for (const interpose::Pair &p : r.pairs) {
    llvm::json::Array symbols;
    for (const interpose::Duplicate &d : p.symbols) {
      llvm::json::Object sym{{"name", utf8(d.name)},
                             {"version", utf8(d.version)},
                             {"binds", utf8(r.objects[d.binds]->path)},
                             {"interposed", nullptr},
                             {"hazard", d.hazard()}};
      if (d.interposed != SIZE_MAX)
        sym["interposed"] = utf8(r.objects[d.interposed]->path);
      if (d.benign != interpose::Benign::None)
        sym["benign"] = interpose::benignName(d.benign);
      symbols.push_back(std::move(sym));
    }
    pairs.push_back(
        llvm::json::Object{{"first", utf8(r.objects[p.first]->path)},
                           {"second", utf8(r.objects[p.second]->path)},
                           {"hazard", p.hazard()},
                           {"symbols", std::move(symbols)}});
  }
  return pairs;
}

// check -v: the duplicates that are no hazard, one line per pair, with why.
void printDuplicates(const File &f, llvm::raw_ostream &err) {
  const interpose::Result &r = *f.interposition;
  for (const interpose::Pair &p : r.pairs) {
    if (p.hazard())
      continue; // a problem, printed as one
    std::string names, why;
    for (size_t i = 0; i < p.symbols.size(); ++i) {
      const interpose::Duplicate &d = p.symbols[i];
      if (i < 5)
        names += (i ? ", " : "") + printable(interpose::spelled(d));
      std::string reason = d.benign != interpose::Benign::None
                               ? interpose::benignName(d.benign)
                               : "their own references stay in them";
      if (why.find(reason) == std::string::npos)
        why += (why.empty() ? "" : ", ") + reason;
    }
    if (p.symbols.size() > 5)
      names += " and " + std::to_string(p.symbols.size() - 5) + " more";
    err << "ldpin: check: " << printable(f.path) << ": "
        << printable(r.objects[p.second]->path) << " defines " << names
        << " as " << printable(r.objects[p.first]->path)
        << " does, loaded before it: no hazard (" << why << ")\n";
  }
}

} // namespace

void report(const std::vector<File> &files,
            const std::vector<std::string> &walkErrors, const ReportOptions &o,
            llvm::raw_ostream &out, llvm::raw_ostream &err) {
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
      err << "ldpin: fixup: " << printable(f.path) << ": "
          << f.plan.changes.size() << " change"
          << (f.plan.changes.size() == 1 ? "" : "s") << " (" << f.method
          << ")\n";
      for (const Change &c : f.plan.changes)
        err << "ldpin: fixup:   " << c.what << " "
            << printable(c.from.empty() ? c.to : c.from)
            << (c.from.empty() || c.to.empty() ? "" : " -> " + printable(c.to))
            << ": " << printable(c.why) << "\n";
    }
    // check -v: the RUNPATH decisions a fixup would make, as NIX_DEBUG
    // prints them at link time.
    if (o.verbose && o.checkOnly)
      for (const pin::Decision &d : f.plan.searchList)
        err << "ldpin: check: " << printable(f.path) << ": rpath "
            << printable(d.entry) << ": " << printable(pin::describe(d))
            << "\n";
    if (o.verbose && f.interposition)
      printDuplicates(f, err);
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
  } else if (o.checkOnly && !o.json) {
    size_t elf = 0;
    for (const File &f : files)
      elf += f.info.has_value();
    err << "ldpin: check: " << elf << " ELF file" << (elf == 1 ? "" : "s")
        << " of " << files.size() << " file" << (files.size() == 1 ? "" : "s")
        << " checked, no problem\n";
  }
  if (!o.json)
    return;
  llvm::json::Array fileArray;
  for (const File &f : files) {
    if (!f.info && f.error.empty())
      continue; // not ELF
    llvm::json::Array changes, probs;
    for (const Change &c : f.plan.changes) {
      llvm::json::Object change{{"what", c.what},
                                {"from", utf8(c.from)},
                                {"to", utf8(c.to)},
                                {"why", utf8(c.why)}};
      if (!c.reason.empty())
        change["reason"] = c.reason;
      changes.push_back(std::move(change));
    }
    llvm::json::Array searchList;
    for (const pin::Decision &d : f.plan.searchList)
      searchList.push_back(
          llvm::json::Object{{"entry", utf8(d.entry)},
                             {"kept", d.keep},
                             {"reason", pin::reasonName(d.reason)},
                             {"detail", utf8(d.detail)}});
    for (const std::string &p : f.problems)
      probs.push_back(utf8(p));
    llvm::json::Object file{{"path", utf8(f.path)},
                            {"method", f.method},
                            {"changes", std::move(changes)},
                            {"search_list", std::move(searchList)},
                            {"problems", std::move(probs)}};
    if (f.interposition)
      file["interposition"] = interpositionJson(*f.interposition);
    fileArray.push_back(std::move(file));
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

} // namespace ldpin::fixup
