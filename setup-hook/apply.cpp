// The fixup's applier (see apply.h).
#include "apply.h"

#include "ldpin/checked.h"
#include "ldpin/editor.h"
#include "ldpin/paths.h"
#include "ldpin/process.h"
#include "ldpin/replace.h"

#include <llvm/BinaryFormat/ELF.h>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace ldpin::fixup {
namespace {

// After `f.path` was replaced by a new file: its other names in the outputs
// become links to the new file too (each by a link renamed over it), so that
// they stay one file.
void replaceAliases(File &f) {
  for (const std::string &alias : f.aliases) {
    std::string tmp = alias + ".ldpin-link";
    ::unlink(tmp.c_str());
    // rename() over a name of the same file does nothing and leaves the
    // temporary link: it is removed in any case.
    const bool done = ::link(f.path.c_str(), tmp.c_str()) == 0 &&
                      ::rename(tmp.c_str(), alias.c_str()) == 0;
    const int saved = errno;
    ::unlink(tmp.c_str());
    if (!done)
      f.problems.push_back(
          "cannot replace its hard link " + printable(alias) +
          ", which is left as it was: " + std::strerror(saved));
  }
}

// Edits with the core editor: into the space the record names, or (no
// record) into the bytes of the RUNPATH string, which the edit replaces.
// False with `why` when the strings do not fit.
bool applyWithEditor(File &f, bool haveRecord, bool inPlace, std::string &why) {
  Plan &p = f.plan;
  llvm::Expected<edit::Editor> loaded = edit::Editor::load(f.path);
  if (!loaded) {
    why = llvm::toString(loaded.takeError());
    return false;
  }
  edit::Editor &ed = *loaded;
  llvm::Error e = llvm::Error::success();
  std::optional<std::string> runpath = p.runpath;
  if (haveRecord) {
    e = ed.reserveRange(f.record->reserveOffset, f.record->reserveSize);
  } else {
    std::optional<size_t> holder;
    for (size_t i = 0; i < ed.info().dynamic.size(); ++i)
      if (ed.info().dynamic[i].tag == llvm::ELF::DT_RUNPATH ||
          ed.info().dynamic[i].tag == llvm::ELF::DT_RPATH)
        holder = i;
    if (!holder && (p.soname || !p.needed.empty())) {
      why = "no reserved space and no RUNPATH string to reuse";
      return false;
    }
    if (holder) {
      e = ed.reserveFromEntry(*holder);
      if (!e && !runpath) // the holder is rewritten: keep its value
        runpath = ed.info().dynamic[*holder].str.value_or("");
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
  if (runpath)
    if (llvm::Error e2 = ed.setRunpath(*runpath))
      return fail(std::move(e2));
  if (p.soname)
    if (llvm::Error e2 = ed.setSoname(*p.soname))
      return fail(std::move(e2));
  for (const auto &[i, value] : p.needed)
    if (llvm::Error e2 = ed.setNeeded(i, value))
      return fail(std::move(e2));
  if (haveRecord && p.record)
    if (llvm::Error e2 = ed.setRecord(*p.record))
      return fail(std::move(e2));
  if (inPlace && f.allLinksInOutputs) {
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

// Copies the bytes of `from` to `fd`.
llvm::Error copyInto(const std::string &from, int fd) {
  std::string bytes;
  if (llvm::Error e = readWhole(from, bytes))
    return makeError("cannot read it: " +
                     llvm::Twine(llvm::toString(std::move(e))));
  return writeAll(fd, reinterpret_cast<const uint8_t *>(bytes.data()),
                  bytes.size(), 0);
}

// patchelf on a copy beside the file, checked before it replaces the file.
// One patchelf run per kind of change: patchelf 0.14 given --set-soname and
// --replace-needed together writes the same string for both (seen here; the
// check below caught it).
void applyWithPatchelf(File &f) {
  const elf::ElfInfo &info = *f.info;
  const Plan &p = f.plan;
  std::vector<std::vector<std::string>> runs;
  if (p.interpreter)
    runs.push_back({"--set-interpreter", *p.interpreter});
  if (p.soname)
    runs.push_back({"--set-soname", *p.soname});
  if (!p.needed.empty()) {
    runs.emplace_back();
    for (const auto &[i, value] : p.needed)
      runs.back().insert(runs.back().end(),
                         {"--replace-needed", info.needed[i], value});
  }
  if (p.runpath) {
    if (p.runpath->empty())
      runs.push_back({"--remove-rpath"});
    else if (!info.runpath && info.rpath)
      runs.push_back(
          {"--set-rpath", *p.runpath, "--force-rpath"}); // DT_RPATH stays
    else
      runs.push_back({"--set-rpath", *p.runpath});
  }
  auto patch = [&](const std::string &tmp) -> llvm::Error {
    for (std::vector<std::string> &argv : runs) {
      argv.insert(argv.begin(), "patchelf");
      argv.push_back(tmp);
      std::string output;
      int rc = runCapture(argv, output);
      if (rc != 0)
        return makeError((rc < 0 ? "cannot run patchelf (needed because the "
                                   "new strings do not fit in place): "
                                 : "patchelf failed: ") +
                         llvm::Twine(output));
    }
    // Check the result with our own reader before it replaces the file.
    llvm::Expected<elf::ElfInfo> after = elf::readFile(tmp);
    if (!after)
      return makeError("patchelf wrote a file that does not read back: " +
                       llvm::Twine(llvm::toString(after.takeError())));
    std::vector<std::string> wantNeeded = info.needed;
    for (const auto &[i, value] : p.needed)
      wantNeeded[i] = value;
    std::optional<std::string> wantList =
        p.runpath ? (p.runpath->empty() ? std::nullopt : p.runpath)
                  : (info.runpath ? info.runpath : info.rpath);
    std::optional<std::string> gotList =
        after->runpath ? after->runpath : after->rpath;
    if (after->needed != wantNeeded ||
        after->soname != (p.soname ? p.soname : info.soname) ||
        gotList != wantList ||
        after->interpreter !=
            (p.interpreter ? p.interpreter : info.interpreter))
      return makeError("patchelf's result does not say what was asked for");
    return llvm::Error::success();
  };
  if (llvm::Error e = replaceFile(
          f.path, [&](int fd) { return copyInto(f.path, fd); }, patch)) {
    f.problems.push_back(llvm::toString(std::move(e)));
    return;
  }
  f.method = "patchelf";
  replaceAliases(f);
}

} // namespace

void apply(File &f, bool inPlace) {
  if (!f.planned())
    return;
  std::string why;
  if (f.record) {
    // Linked through ldpin-ld: edited in the space it reserved, never grown.
    if (f.plan.interpreter) {
      f.problems.push_back("linked through ldpin-ld with the interpreter " +
                           printable(*f.info->interpreter) +
                           ", outside the store: link it with the store's "
                           "dynamic linker");
      return;
    }
    if (applyWithEditor(f, true, inPlace, why))
      f.method = "record space";
    else
      f.problems.push_back("cannot be fixed in the space ldpin-ld reserved: " +
                           why);
    return;
  }
  if (!f.plan.interpreter && applyWithEditor(f, false, inPlace, why)) {
    f.method = "runpath space";
    return;
  }
  applyWithPatchelf(f);
}

} // namespace ldpin::fixup
