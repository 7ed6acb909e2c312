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

} // namespace ldpin::fixup
