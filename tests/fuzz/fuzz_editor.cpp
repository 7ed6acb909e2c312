// libFuzzer target for the in-place editor (ldpin/editor.h): an input that
// reads as ELF is edited the way ldpin-ld and ldpin fixup edit files, written
// out, and read again. The result must read, have the input's size, and
// differ from it only where the edit says: the strings and values it set
// read back as set, every other dynamic entry, DT_NEEDED, version need and
// definition and note as it was, and no byte changed outside the reserved
// space, the dynamic entries edited, the vn_file words of a renamed library
// and the record's descriptor (.dynsym names are not compared: the reader
// does not read them). A violated property prints the edit and what was
// wrong, then traps. The editor refusing an edit (no space, nothing to
// set, a file it cannot read) is fine.
//
// The edit is chosen by a hash of the whole input, so that a real ELF file
// seeds the corpus as it is and every mutation of it tries another edit:
// the reserved space (the record's, a RUNPATH/RPATH string as the wrapper
// and the fixup take it, or none), then up to three of: SONAME, one
// DT_NEEDED, RUNPATH set or removed, the record rewritten; each value new
// (of a few lengths), another string of the file, or the one it has. The
// placeholder RUNPATH is always set first, as the editor requires. The file
// is written by applyInPlace(), writeInPlace() or commit(), in a temporary
// directory of the process.
#include "ldpin/editor.h"
#include "ldpin/elf.h"
#include "ldpin/note.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/MemoryBufferRef.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ldpin;

namespace {

// Takes choices out of a 64-bit hash, a few bits at a time.
class Choices {
public:
  explicit Choices(uint64_t bits) : bits_(bits) {}
  unsigned take(unsigned n) {
    unsigned v = static_cast<unsigned>(bits_ % n);
    bits_ /= n;
    return v;
  }

private:
  uint64_t bits_;
};

uint64_t fnv1a(const uint8_t *data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i)
    h = (h ^ data[i]) * 0x100000001b3ull;
  return h;
}

// The edit asked for so far, printed with the property that failed.
struct Trace {
  std::string plan;
  [[noreturn]] void fail(const std::string &what) const {
    std::fprintf(stderr, "fuzz_editor: %s\n  edit: %s\n", what.c_str(),
                 plan.c_str());
    __builtin_trap();
  }
  void require(bool ok, const std::string &what) const {
    if (!ok)
      fail(what);
  }
};

bool isRunpathTag(int64_t tag) {
  return tag == llvm::ELF::DT_RUNPATH || tag == llvm::ELF::DT_RPATH;
}

// The directory the edited file is written in, made once per process (a
// function-local static: libFuzzer gives the target no state of its own) and
// removed at exit. Never freed, so that the exit handler can still read it.
const std::string &scratchDir() {
  static const std::string &dir = *new std::string([] {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "ldpin-fuzz-editor-XXXXXX")
            .string();
    if (!::mkdtemp(tmpl.data()))
      Trace{"cannot make a temporary directory"}.fail(tmpl);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratchDir(), ec);
    });
    return tmpl;
  }());
  return dir;
}

bool writeFile(const std::string &path, const uint8_t *data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(data),
            static_cast<std::streamsize>(size));
  return bool(out.flush());
}

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

// The editor's view of the file, kept in step with the edits: which entries
// of the original dynamic table are still there, what each string entry and
// version need names now.
struct Model {
  std::vector<size_t> live;             // indices into the original table
  std::map<size_t, std::string> set;    // original index -> string written
  std::optional<size_t> removed;        // the first entry removed
  std::optional<size_t> placeholder;    // original index
  std::vector<std::string> vnFiles;     // each version need's file
  std::vector<size_t> renamedVn;        // version needs whose vn_file moved
  std::optional<note::Record> record;   // as written by setRecord()
  std::map<size_t, std::string> strNow; // original index -> current string
  // A DT_RUNPATH the editor added in the table's spare DT_NULL slot (a file
  // with neither RUNPATH nor RPATH), and the slot's file offset.
  std::optional<std::string> added;
  uint64_t addedAt = 0;

  std::optional<size_t> findTag(const elf::ElfInfo &before, int64_t tag) const {
    for (size_t i : live)
      if (before.dynamic[i].tag == tag)
        return i;
    return std::nullopt;
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef input(reinterpret_cast<const char *>(data), size);
  // The editor reads the loader's view; so does every comparison here.
  const elf::ReadOptions loaderView{/*sections=*/false};
  llvm::Expected<elf::ElfInfo> read =
      elf::read(llvm::MemoryBufferRef(input, "fuzz"), loaderView);
  if (!read) {
    llvm::consumeError(read.takeError());
    return 0;
  }
  const elf::ElfInfo &before = *read;
  if (!before.hasDynamic || !before.dynstr)
    return 0;

  const std::string path = scratchDir() + "/edited";
  if (!writeFile(path, data, size))
    Trace{"writing the input"}.fail("cannot write " + path);
  llvm::Expected<edit::Editor> loaded = edit::Editor::load(path);
  if (!loaded) {
    llvm::consumeError(loaded.takeError());
    return 0;
  }
  edit::Editor &ed = *loaded;
  Trace tr;
  tr.require(ed.bytes().size() == size &&
                 std::equal(ed.bytes().begin(), ed.bytes().end(), data),
             "the editor did not load the bytes of the file");

  Choices choose(fnv1a(data, size));
  Model m;
  for (size_t i = 0; i < before.dynamic.size(); ++i) {
    m.live.push_back(i);
    if (before.dynamic[i].str)
      m.strNow[i] = *before.dynamic[i].str;
  }
  for (const elf::VersionNeed &v : before.versionNeeds)
    m.vnFiles.push_back(v.file);
  const elf::Note *recordNote = nullptr;
  for (const elf::Note &n : before.notes)
    if (n.kind == elf::NoteKind::Ldpin)
      recordNote = &n;
  std::optional<note::Record> record;
  if (recordNote) {
    llvm::Expected<note::Record> r =
        note::parse(recordNote->desc, before.bigEndian);
    if (r)
      record = std::move(*r);
    else
      llvm::consumeError(r.takeError());
  }

  // The reserved space.
  std::vector<size_t> holders;
  for (size_t i = 0; i < before.dynamic.size(); ++i)
    if (isRunpathTag(before.dynamic[i].tag))
      holders.push_back(i);
  const unsigned space = choose.take(3);
  llvm::Error e = llvm::Error::success();
  if (space == 0 && record) {
    tr.plan = "reserveRange(" + std::to_string(record->reserveOffset) + ", " +
              std::to_string(record->reserveSize) + ")";
    e = ed.reserveRange(record->reserveOffset, record->reserveSize);
  } else if (space <= 1 && !holders.empty()) {
    m.placeholder = holders[choose.take(static_cast<unsigned>(holders.size()))];
    tr.plan = "reserveFromEntry(" + std::to_string(*m.placeholder) + ")";
    e = ed.reserveFromEntry(*m.placeholder);
  } else {
    tr.plan = "no reserved space";
  }
  if (e) {
    llvm::consumeError(std::move(e));
    return 0;
  }
  const uint64_t regionBegin = ed.regionOffset();
  const uint64_t regionEnd = regionBegin + ed.regionSize();

  // The edits.
  std::vector<std::string> fileStrings;
  for (const auto &[i, s] : m.strNow)
    fileStrings.push_back(s);
  auto value = [&](const std::optional<size_t> &target) -> std::string {
    switch (choose.take(4)) {
    case 0: {
      static const size_t lengths[] = {0, 1, 7, 40, 200};
      return "/nix/store/" +
             std::string(lengths[choose.take(5)],
                         static_cast<char>('a' + choose.take(26))) +
             "/lib";
    }
    case 1:
      if (!fileStrings.empty())
        return fileStrings[choose.take(
            static_cast<unsigned>(fileStrings.size()))];
      return "/x";
    case 2:
      if (target && m.strNow.count(*target))
        return m.strNow[*target];
      return "";
    default:
      return "/" + std::string(1, static_cast<char>('0' + choose.take(10)));
    }
  };
  const unsigned count = 1 + choose.take(3);
  for (unsigned k = 0; k < count; ++k) {
    unsigned kind = m.placeholder ? 2 + choose.take(2) : choose.take(5);
    if (kind == 0) { // SONAME
      std::optional<size_t> t = m.findTag(before, llvm::ELF::DT_SONAME);
      std::string v = value(t);
      tr.plan += "; setSoname('" + v + "')";
      if (llvm::Error err = ed.setSoname(v)) {
        llvm::consumeError(std::move(err));
        return 0;
      }
      tr.require(t.has_value(), "setSoname succeeded without a DT_SONAME");
      if (m.strNow[*t] != v)
        m.set[*t] = v;
      m.strNow[*t] = v;
    } else if (kind == 1) { // DT_NEEDED
      std::vector<size_t> needed;
      for (size_t i : m.live)
        if (before.dynamic[i].tag == llvm::ELF::DT_NEEDED)
          needed.push_back(i);
      const unsigned n = static_cast<unsigned>(needed.size()) + 1;
      const size_t index = choose.take(n); // one past the end, now and then
      std::optional<size_t> t;
      if (index < needed.size())
        t = needed[index];
      std::string v = value(t);
      tr.plan += "; setNeeded(" + std::to_string(index) + ", '" + v + "')";
      if (llvm::Error err = ed.setNeeded(index, v)) {
        llvm::consumeError(std::move(err));
        return 0;
      }
      tr.require(t.has_value(), "setNeeded succeeded past the last DT_NEEDED");
      const std::string old = m.strNow[*t];
      if (old != v) {
        m.set[*t] = v;
        for (size_t j = 0; j < m.vnFiles.size(); ++j)
          if (m.vnFiles[j] == old) {
            m.vnFiles[j] = v;
            m.renamedVn.push_back(j);
          }
      }
      m.strNow[*t] = v;
    } else if (kind <= 3) { // RUNPATH set (2) or removed (3)
      if (m.added)
        continue; // the model follows one added entry, not its edits
      std::optional<size_t> t = m.placeholder;
      if (!t)
        t = m.findTag(before, llvm::ELF::DT_RUNPATH);
      if (!t)
        t = m.findTag(before, llvm::ELF::DT_RPATH);
      std::string v = kind == 3 ? "" : value(t);
      tr.plan += "; setRunpath('" + v + "')";
      const bool holder = m.placeholder.has_value();
      m.placeholder.reset();
      if (llvm::Error err = ed.setRunpath(v)) {
        llvm::consumeError(std::move(err));
        return 0;
      }
      if (!t) {
        // Added in the spare slot: the old DT_NULL, with another after it.
        if (!v.empty()) {
          m.added = v;
          // Where the DT_NULL is now: entries removed before moved it up.
          const uint64_t entrySize = before.elfClass == 64 ? 16 : 8;
          m.addedAt = before.dynamic.front().fileOffset +
                      (m.live.size() - 1) * entrySize;
          tr.require(before.dynamic.back().tag == llvm::ELF::DT_NULL,
                     "setRunpath added an entry to a table without DT_NULL");
        }
        continue;
      }
      if (v.empty()) {
        if (!m.removed || *t < *m.removed)
          m.removed = *t;
        m.live.erase(std::find(m.live.begin(), m.live.end(), *t));
        m.set.erase(*t);
        m.strNow.erase(*t);
      } else {
        if (holder || m.strNow[*t] != v)
          m.set[*t] = v;
        m.strNow[*t] = v;
      }
    } else { // the record
      if (!recordNote)
        continue;
      note::Record r = record.value_or(note::Record{});
      r.channel = "fuzz";
      tr.plan += "; setRecord";
      if (llvm::Error err = ed.setRecord(r)) {
        llvm::consumeError(std::move(err));
        return 0;
      }
      r.version = note::kVersion;
      r.reserveOffset = ed.regionOffset();
      r.reserveSize = ed.regionSize();
      m.record = r;
    }
  }
  if (m.placeholder) // never asked to set it: the editor may refuse that
    return 0;

  // Written out, and read back from the file.
  const unsigned how = choose.take(3);
  if (how == 0) {
    tr.plan += "; applyInPlace";
    if (llvm::Error err = ed.applyInPlace(path))
      tr.fail("applyInPlace: " + llvm::toString(std::move(err)));
  } else if (how == 1) {
    tr.plan += "; writeInPlace";
    llvm::Expected<bool> written = ed.writeInPlace(path);
    if (!written)
      tr.fail("writeInPlace: " + llvm::toString(written.takeError()));
    if (!*written) { // not writable here (running as root: never)
      if (llvm::Error err = ed.commit(path))
        tr.fail("commit: " + llvm::toString(std::move(err)));
    }
  } else {
    tr.plan += "; commit";
    if (llvm::Error err = ed.commit(path))
      tr.fail("commit: " + llvm::toString(std::move(err)));
  }
  const std::vector<uint8_t> out = readFile(path);
  tr.require(out.size() == size,
             "the file changed size: " + std::to_string(size) + " -> " +
                 std::to_string(out.size()));
  tr.require(std::equal(out.begin(), out.end(), ed.bytes().begin()),
             "the file written is not the editor's image");
  llvm::Expected<elf::ElfInfo> reread =
      elf::read(llvm::MemoryBufferRef(
                    llvm::StringRef(reinterpret_cast<const char *>(out.data()),
                                    out.size()),
                    "edited"),
                loaderView);
  if (!reread)
    tr.fail("the edited file does not read: " +
            llvm::toString(reread.takeError()));
  const elf::ElfInfo &after = *reread;

  // The dynamic table: the original's entries but those removed, each
  // with the tag it had; those set name what was set, the others are as
  // they were.
  const size_t expected = m.live.size() + (m.added ? 1 : 0);
  tr.require(after.dynamic.size() == expected,
             "the dynamic table has " + std::to_string(after.dynamic.size()) +
                 " entries, expected " + std::to_string(expected));
  if (m.added) {
    const elf::DynEntry &now = after.dynamic[m.live.size() - 1];
    tr.require(now.tag == llvm::ELF::DT_RUNPATH && now.str == *m.added &&
                   now.fileOffset == m.addedAt &&
                   after.dynamic.back().tag == llvm::ELF::DT_NULL,
               "the added RUNPATH is not where the DT_NULL was, or not '" +
                   *m.added + "'");
  }
  for (size_t j = 0; j < m.live.size(); ++j) {
    if (m.added && j == m.live.size() - 1)
      continue; // the DT_NULL that became the RUNPATH, checked above
    const elf::DynEntry &was = before.dynamic[m.live[j]];
    const elf::DynEntry &now = after.dynamic[j];
    const std::string at = "dynamic entry " + std::to_string(m.live[j]);
    tr.require(now.tag == was.tag, at + ": tag changed");
    auto it = m.set.find(m.live[j]);
    if (it != m.set.end()) {
      tr.require(now.str && *now.str == it->second,
                 at + ": reads '" + now.str.value_or("(none)") + "', not '" +
                     it->second + "'");
    } else {
      tr.require(now.value == was.value, at + ": value changed");
      tr.require(now.str == was.str, at + ": string changed from '" +
                                         was.str.value_or("") + "' to '" +
                                         now.str.value_or("") + "'");
    }
  }
  tr.require(after.needed.size() == before.needed.size(),
             "the number of DT_NEEDED changed");

  // Symbol versioning and the notes.
  tr.require(after.versionNeeds.size() == before.versionNeeds.size(),
             "the number of version needs changed");
  for (size_t j = 0; j < before.versionNeeds.size(); ++j) {
    const elf::VersionNeed &was = before.versionNeeds[j],
                           &now = after.versionNeeds[j];
    tr.require(now.file == m.vnFiles[j], "version need " + std::to_string(j) +
                                             " names '" + now.file +
                                             "', not '" + m.vnFiles[j] + "'");
    tr.require(now.version == was.version && now.aux.size() == was.aux.size(),
               "version need " + std::to_string(j) + " changed");
    for (size_t a = 0; a < was.aux.size(); ++a)
      tr.require(now.aux[a].name == was.aux[a].name &&
                     now.aux[a].nameOffset == was.aux[a].nameOffset &&
                     now.aux[a].hash == was.aux[a].hash &&
                     now.aux[a].other == was.aux[a].other,
                 "version need " + std::to_string(j) + " aux " +
                     std::to_string(a) + " changed");
  }
  tr.require(after.versionDefs.size() == before.versionDefs.size(),
             "the number of version definitions changed");
  for (size_t j = 0; j < before.versionDefs.size(); ++j)
    tr.require(after.versionDefs[j].names == before.versionDefs[j].names &&
                   after.versionDefs[j].nameOffsets ==
                       before.versionDefs[j].nameOffsets,
               "version definition " + std::to_string(j) + " changed");
  tr.require(after.notes.size() == before.notes.size(),
             "the number of notes changed");
  for (size_t j = 0; j < before.notes.size(); ++j) {
    const elf::Note &was = before.notes[j], &now = after.notes[j];
    tr.require(now.owner == was.owner && now.type == was.type &&
                   now.fileOffset == was.fileOffset &&
                   now.desc.size() == was.desc.size(),
               "note " + std::to_string(j) + " changed its header");
    if (&was == recordNote && m.record) {
      llvm::Expected<note::Record> r = note::parse(now.desc, after.bigEndian);
      if (!r)
        tr.fail("the record written does not parse: " +
                llvm::toString(r.takeError()));
      tr.require(*r == *m.record, "the record does not read back as written");
    } else {
      tr.require(now.desc == was.desc,
                 "note " + std::to_string(j) + " (" + was.owner + ") changed");
    }
  }
  tr.require(after.interpreter == before.interpreter, "PT_INTERP changed");

  // Bytes: only where the edit says.
  std::vector<std::pair<uint64_t, uint64_t>> allowed; // [begin, end)
  const uint64_t str = before.dynstr->offset;
  allowed.emplace_back(str + regionBegin, str + regionEnd);
  const uint64_t word = before.elfClass == 64 ? 8 : 4;
  if (m.removed)
    allowed.emplace_back(before.dynamic[*m.removed].fileOffset,
                         before.dynamic.back().fileOffset + 2 * word);
  for (const auto &[i, s] : m.set)
    allowed.emplace_back(before.dynamic[i].fileOffset + word,
                         before.dynamic[i].fileOffset + 2 * word);
  if (m.added)
    allowed.emplace_back(m.addedAt, m.addedAt + 2 * word);
  for (size_t j : m.renamedVn)
    allowed.emplace_back(before.versionNeeds[j].fileOffset + 4,
                         before.versionNeeds[j].fileOffset + 8);
  if (m.record) // the descriptor, wherever the editor takes it to start
    allowed.emplace_back(recordNote->fileOffset + 12,
                         recordNote->fileOffset + 24 + recordNote->desc.size());
  for (size_t i = 0; i < size; ++i) {
    if (out[i] == data[i])
      continue;
    bool ok = false;
    for (const auto &[b, en] : allowed)
      ok |= i >= b && i < en;
    if (!ok) {
      char msg[96];
      std::snprintf(msg, sizeof msg,
                    "byte at offset 0x%zx changed (0x%02x -> 0x%02x)", i,
                    data[i], out[i]);
      tr.fail(msg);
    }
  }
  // With a record written, a byte of the region the edit changed is zero
  // or part of a string a dynamic entry or version need now names: nothing
  // stale stays readable.
  if (m.record) {
    std::vector<std::pair<uint64_t, uint64_t>> named; // [begin, end] offsets
    for (const elf::DynEntry &d : after.dynamic)
      if (d.str)
        named.emplace_back(d.value, d.value + d.str->size());
    for (const elf::VersionNeed &v : after.versionNeeds)
      named.emplace_back(v.fileNameOffset, v.fileNameOffset + v.file.size());
    for (uint64_t i = regionBegin; i < regionEnd; ++i) {
      if (out[str + i] == 0 || out[str + i] == data[str + i])
        continue;
      bool inNamed = false;
      for (const auto &[b, en] : named)
        inNamed |= i >= b && i <= en;
      tr.require(inNamed, "a changed byte of the reserved region is not zero "
                          "and no string names it");
    }
  }
  return 0;
}
