// The in-place ELF editor (see editor.h).
#include "ldpin/editor.h"

#include "ldpin/checked.h"
#include "ldpin/replace.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/Endian.h>
#include <llvm/Support/MemoryBufferRef.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ldpin::edit {

using llvm::Error;
using llvm::Expected;
using llvm::Twine;

namespace {

// Reads all `size` bytes at `offset`, retrying short reads: 0, or the errno
// (EIO at an early end of file).
int readAll(int fd, uint8_t *data, size_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? errno : EIO;
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return 0;
}

} // namespace

Expected<Image> Image::map(int fd, size_t size) {
  void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    return makeError("cannot map: " + Twine(std::strerror(errno)));
  Image image;
  image.map_ = static_cast<uint8_t *>(p);
  image.mapSize_ = size;
  return image;
}

Image &Image::operator=(Image &&other) noexcept {
  if (this != &other) {
    if (map_)
      ::munmap(map_, mapSize_);
    owned_ = std::move(other.owned_);
    map_ = other.map_;
    mapSize_ = other.mapSize_;
    other.map_ = nullptr;
    other.mapSize_ = 0;
  }
  return *this;
}

Image::~Image() {
  if (map_)
    ::munmap(map_, mapSize_);
}

Expected<Editor> Editor::load(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return makeError("cannot read: " + Twine(std::strerror(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError("not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  Image image;
  if (size > kMapAbove) {
    Expected<Image> mapped = Image::map(fd, size);
    ::close(fd);
    if (!mapped)
      return mapped.takeError();
    image = std::move(*mapped);
  } else {
    std::vector<uint8_t> bytes(size);
    int err = readAll(fd, bytes.data(), bytes.size(), 0);
    ::close(fd);
    if (err != 0)
      return makeError("cannot read: " + Twine(std::strerror(err)));
    image = Image(std::move(bytes));
  }
  Editor e;
  e.image_ = std::move(image);
  e.loadedDev_ = st.st_dev;
  e.loadedIno_ = st.st_ino;
  if (Error err = e.init())
    return err;
  return e;
}

Expected<Editor> Editor::fromBytes(std::vector<uint8_t> bytes) {
  Editor e;
  e.image_ = Image(std::move(bytes));
  if (Error err = e.init())
    return err;
  return e;
}

Error Editor::init() {
  llvm::StringRef view(reinterpret_cast<const char *>(image_.data()),
                       image_.size());
  // The loader's view: the editor changes only what the loader reads, the
  // record lies in a PT_NOTE, and .dynsym's length comes from DT_HASH or
  // DT_GNU_HASH. Section headers are not needed (or trusted).
  Expected<elf::ElfInfo> info =
      elf::read(llvm::MemoryBufferRef(view, ""), {/*sections=*/false});
  if (!info)
    return info.takeError();
  info_ = std::move(*info);
  if (!info_.hasDynamic || !info_.dynstr)
    return makeError(ErrorKind::NoDynamic,
                     "has no dynamic section with a string table; nothing "
                     "to edit (a static or relocatable file?)");
  for (size_t i = 0; i < info_.dynamic.size(); ++i)
    if (info_.dynamic[i].tag == llvm::ELF::DT_NEEDED)
      neededEntries_.push_back(i);
  // What the editor writes must not lie in what it reads as something
  // else: a file whose dynamic table, string table, version needs and
  // definitions or notes overlap (no linker makes one) is not edited, since
  // changing one would change the other.
  struct Range {
    uint64_t begin, end;
    const char *what;
  };
  std::vector<Range> ranges;
  const uint64_t entry = info_.elfClass == 64 ? 16 : 8;
  ranges.push_back({info_.dynstr->offset,
                    info_.dynstr->offset + info_.dynstr->size, "string table"});
  for (const elf::Segment &seg : info_.segments)
    if (seg.type == llvm::ELF::PT_DYNAMIC)
      dynamicEnd_ = seg.offset + seg.filesz;
  if (dynamicEnd_)
    ranges.push_back({info_.dynamicOffset,
                      std::max(*dynamicEnd_, info_.dynamicOffset +
                                                 info_.dynamic.size() * entry),
                      "dynamic table"});
  for (const elf::VersionNeed &v : info_.versionNeeds) {
    ranges.push_back({v.fileOffset, v.fileOffset + 16, "version needs"});
    for (const elf::VersionNeedAux &a : v.aux)
      ranges.push_back({a.fileOffset, a.fileOffset + 16, "version needs"});
  }
  for (const elf::VersionDef &v : info_.versionDefs) {
    ranges.push_back({v.fileOffset, v.fileOffset + 20, "version definitions"});
    for (uint64_t a : v.auxOffsets)
      ranges.push_back({a, a + 8, "version definitions"});
  }
  // Every note, not just the record: the editor promises to change no
  // note but the record, so none may lie in what it writes.
  for (const elf::Note &n : info_.notes)
    ranges.push_back(
        {n.fileOffset, n.descOffset + n.desc.size(),
         n.kind == elf::NoteKind::Ldpin ? ".note.ldpin record" : "note"});
  for (size_t i = 0; i < ranges.size(); ++i)
    for (size_t j = i + 1; j < ranges.size(); ++j)
      if (ranges[i].begin < ranges[j].end && ranges[j].begin < ranges[i].end &&
          ranges[i].what != ranges[j].what)
        return makeError(llvm::Twine("its ") + ranges[i].what + " and its " +
                         ranges[j].what + " overlap in the file; not edited");
  return Error::success();
}

std::optional<size_t> Editor::findTag(int64_t tag) const {
  for (size_t i = 0; i < info_.dynamic.size(); ++i)
    if (info_.dynamic[i].tag == tag)
      return i;
  return std::nullopt;
}

void Editor::patch(uint64_t offset, const void *data, size_t size, bool late) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  if (std::equal(p, p + size, image_.begin() + offset))
    return;
  std::copy(p, p + size, image_.begin() + offset);
  patches_.push_back({offset, size, late});
}

void Editor::patchWord(uint64_t offset, uint64_t value, unsigned size) {
  uint8_t buf[8];
  llvm::support::endianness order =
      info_.bigEndian ? llvm::support::big : llvm::support::little;
  if (size == 8)
    llvm::support::endian::write64(buf, value, order);
  else if (size == 4)
    llvm::support::endian::write32(buf, static_cast<uint32_t>(value), order);
  else
    llvm::support::endian::write16(buf, static_cast<uint16_t>(value), order);
  patch(offset, buf, size);
}

// Offsets into .dynstr at which something starts a string: every string
// valued dynamic entry but `skipDyn`, every .dynsym name, every verneed and
// verdef name.
Expected<std::vector<uint32_t>>
Editor::referencedOffsets(size_t skipDyn) const {
  std::vector<uint32_t> refs;
  for (size_t i = 0; i < info_.dynamic.size(); ++i)
    if (info_.dynamic[i].str && i != skipDyn)
      refs.push_back(static_cast<uint32_t>(info_.dynamic[i].value));
  for (const elf::VersionNeed &v : info_.versionNeeds) {
    refs.push_back(v.fileNameOffset);
    for (const elf::VersionNeedAux &a : v.aux)
      refs.push_back(a.nameOffset);
  }
  for (const elf::VersionDef &v : info_.versionDefs)
    refs.insert(refs.end(), v.nameOffsets.begin(), v.nameOffsets.end());
  llvm::ArrayRef<uint8_t> file(image_);
  llvm::support::endianness order =
      info_.bigEndian ? llvm::support::big : llvm::support::little;
  auto word = [&](uint64_t off) {
    return llvm::support::endian::read32(&file[off], order);
  };
  // .dynsym: its length comes from DT_HASH or DT_GNU_HASH, as the loader
  // would see it (the editor does not read section headers).
  std::optional<size_t> symtab = findTag(llvm::ELF::DT_SYMTAB);
  if (!symtab)
    return refs;
  uint64_t entsize = info_.elfClass == 64 ? 24 : 16;
  uint64_t count = 0;
  if (std::optional<size_t> hash = findTag(llvm::ELF::DT_HASH)) {
    Expected<uint64_t> off =
        elf::fileOffsetOf(info_, info_.dynamic[*hash].value, 8, "DT_HASH");
    if (!off)
      return off.takeError();
    count = word(*off + 4);
  } else if (std::optional<size_t> gnu = findTag(llvm::ELF::DT_GNU_HASH)) {
    uint64_t base = info_.dynamic[*gnu].value;
    Expected<uint64_t> off = elf::fileOffsetOf(info_, base, 16, "DT_GNU_HASH");
    if (!off)
      return off.takeError();
    uint32_t nbuckets = word(*off), symoffset = word(*off + 4),
             bloom = word(*off + 8);
    uint64_t buckets = base + 16 + uint64_t(bloom) * (info_.elfClass / 8);
    Expected<uint64_t> b =
        elf::fileOffsetOf(info_, buckets, uint64_t(nbuckets) * 4, "buckets");
    if (!b)
      return b.takeError();
    uint32_t last = 0;
    for (uint32_t i = 0; i < nbuckets; ++i)
      last = std::max(last, word(*b + 4 * uint64_t(i)));
    count = symoffset;
    if (last >= symoffset) {
      uint64_t chain = buckets + uint64_t(nbuckets) * 4;
      for (uint64_t i = last;; ++i) {
        Expected<uint64_t> c = elf::fileOffsetOf(
            info_, chain + (i - symoffset) * 4, 4, "DT_GNU_HASH chain");
        if (!c)
          return c.takeError();
        if (word(*c) & 1) {
          count = i + 1;
          break;
        }
      }
    }
  } else {
    return makeError("cannot tell how many dynamic symbols there are (no "
                     "DT_HASH or DT_GNU_HASH)");
  }
  Expected<uint64_t> syms = elf::fileOffsetOf(
      info_, info_.dynamic[*symtab].value, count * entsize, ".dynsym");
  if (!syms)
    return syms.takeError();
  for (uint64_t i = 0; i < count; ++i)
    refs.push_back(word(*syms + i * entsize));
  return refs;
}

void Editor::markUsed(const std::vector<uint32_t> &refs,
                      std::vector<bool> &used) const {
  const uint8_t *str = image_.data() + info_.dynstr->offset;
  const uint64_t size = info_.dynstr->size;
  for (uint32_t r : refs) {
    if (r >= regionEnd_ || r >= size)
      continue;
    // The string runs from r to its NUL; a string that starts before the
    // region may run into it (a suffix it shares, a hostile table).
    uint64_t end = r;
    while (end < size && str[end] != 0)
      ++end;
    if (end < regionBegin_)
      continue;
    for (uint64_t i = std::max<uint64_t>(r, regionBegin_);
         i <= end && i < regionEnd_; ++i)
      used[i - regionBegin_] = true;
  }
}

Error Editor::setRegion(uint64_t begin, uint64_t end, size_t skipDyn) {
  Expected<std::vector<uint32_t>> refs = referencedOffsets(skipDyn);
  if (!refs)
    return refs.takeError();
  regionBegin_ = begin;
  regionEnd_ = end;
  used_.assign(end - begin, false);
  markUsed(*refs, used_);
  firstFree_ = 0;
  haveRegion_ = true;
  return Error::success();
}

uint32_t Editor::freeSize() const {
  return static_cast<uint32_t>(std::count(used_.begin(), used_.end(), false));
}

Error Editor::reserveFromEntry(size_t dynIndex) {
  if (dynIndex >= info_.dynamic.size() || !info_.dynamic[dynIndex].str)
    return makeError("dynamic entry " + Twine(dynIndex) +
                     " does not name a string");
  const elf::DynEntry &d = info_.dynamic[dynIndex];
  placeholderEntry_ = dynIndex;
  // The terminating NUL may be shared with a suffix-merged string, so the
  // region is the string's bytes without it.
  return setRegion(d.value, d.value + d.str->size(), dynIndex);
}

Error Editor::reserveRange(uint32_t offset, uint32_t size) {
  uint64_t end = uint64_t(offset) + size;
  if (end > info_.dynstr->size)
    return makeError("reserved space " + hex(offset) + " + " + hex(size) +
                     " lies outside the dynamic string table of size " +
                     hex(info_.dynstr->size));
  return setRegion(offset, end, SIZE_MAX);
}

Expected<uint32_t> Editor::allocate(const std::string &s) {
  auto it = written_.find(s);
  if (it != written_.end())
    return it->second;
  if (!haveRegion_)
    return makeError("no reserved string space to write '" +
                     printable(s, kMessageNameMax) + "' into");
  if (s.find('\0') != std::string::npos)
    return makeError("a string cannot hold a NUL byte");
  // First fit among the bytes nothing uses.
  const size_t need = s.size() + 1;
  while (firstFree_ < used_.size() && used_[firstFree_])
    ++firstFree_;
  size_t at = firstFree_, run = 0;
  for (size_t i = firstFree_; i < used_.size() && run < need; ++i) {
    if (used_[i]) {
      run = 0;
      at = i + 1;
    } else {
      ++run;
    }
  }
  if (run < need)
    return makeError("reserved string space is full: '" +
                     printable(s, kMessageNameMax) + "' needs " + Twine(need) +
                     " bytes, " + Twine(freeSize()) +
                     " are free in pieces too small");
  std::fill(used_.begin() + at, used_.begin() + at + need, true);
  const uint64_t offset = regionBegin_ + at;
  patch(info_.dynstr->offset + offset, s.c_str(), need);
  written_.emplace(s, static_cast<uint32_t>(offset));
  return static_cast<uint32_t>(offset);
}

Error Editor::notAfterRecord() const {
  if (recordWritten_)
    return makeError("the record is written last: no string may change after "
                     "it");
  return Error::success();
}

Expected<uint32_t> Editor::setEntryString(elf::DynEntry &d,
                                          const std::string &value) {
  if (Error e = notAfterRecord())
    return e;
  if (d.str && *d.str == value)
    return static_cast<uint32_t>(d.value);
  Expected<uint32_t> at = allocate(value);
  if (!at)
    return at.takeError();
  unsigned word = info_.elfClass == 64 ? 8 : 4;
  patchWord(d.fileOffset + word, *at, word); // d_val
  d.value = *at;
  d.str = value;
  return at;
}

Error Editor::setNeeded(size_t neededIndex, const std::string &value) {
  if (neededIndex >= neededEntries_.size())
    return makeError("there is no DT_NEEDED number " + Twine(neededIndex));
  elf::DynEntry &d = info_.dynamic[neededEntries_[neededIndex]];
  if (*d.str == value)
    return Error::success();
  const std::string old = *d.str;
  Expected<uint32_t> at = setEntryString(d, value);
  if (!at)
    return at.takeError();
  // The version needs that named the old string (usually one).
  for (elf::VersionNeed &v : info_.versionNeeds)
    if (v.fileNameOffset != *at && v.file == old) {
      patchWord(v.fileOffset + 4, *at, 4);
      v.file = value;
      v.fileNameOffset = *at;
    }
  info_.needed[neededIndex] = value;
  return Error::success();
}

Error Editor::setSoname(const std::string &value) {
  std::optional<size_t> i = findTag(llvm::ELF::DT_SONAME);
  if (!i)
    return makeError("has no DT_SONAME to set");
  Expected<uint32_t> at = setEntryString(info_.dynamic[*i], value);
  if (!at)
    return at.takeError();
  info_.soname = value;
  return Error::success();
}

Error Editor::removeDynamicEntry(size_t dynIndex) {
  // Shift the entries after it up by one; the DT_NULL that ended the table
  // moves up too and the last slot becomes DT_NULL.
  unsigned entry = info_.elfClass == 64 ? 16 : 8;
  uint64_t from = info_.dynamic[dynIndex].fileOffset;
  uint64_t last = info_.dynamic.back().fileOffset; // the DT_NULL
  if (info_.dynamic.back().tag != llvm::ELF::DT_NULL)
    return makeError("the dynamic table has no DT_NULL to end it");
  std::vector<uint8_t> moved(image_.begin() + from + entry,
                             image_.begin() + last + entry);
  moved.resize(moved.size() + entry, 0);
  patch(from, moved.data(), moved.size());
  info_.dynamic.erase(info_.dynamic.begin() + dynIndex);
  neededEntries_.erase(
      std::remove(neededEntries_.begin(), neededEntries_.end(), dynIndex),
      neededEntries_.end());
  for (size_t &i : neededEntries_)
    if (i > dynIndex)
      --i;
  for (size_t i = dynIndex; i < info_.dynamic.size(); ++i)
    info_.dynamic[i].fileOffset -= entry;
  return Error::success();
}

// A string entry the file lacks (a RUNPATH, a DT_AUDIT) goes in a spare
// slot of its dynamic table: a second DT_NULL after the one that ends it,
// inside PT_DYNAMIC (bfd, gold and mold leave some; the editor leaves one
// wherever it removed an entry, as at link time when no RUNPATH stays). The
// first DT_NULL becomes the entry; the loader stops at the next.
Error Editor::addStringEntry(int64_t tag, const std::string &value,
                             const char *what) {
  const unsigned word = info_.elfClass == 64 ? 8 : 4, entry = 2 * word;
  if (!dynamicEnd_ || info_.dynamic.empty() ||
      info_.dynamic.back().tag != llvm::ELF::DT_NULL)
    return makeError(Twine("has no ") + what + " entry to set");
  const uint64_t slot = info_.dynamic.back().fileOffset;
  const uint64_t spare = slot + entry;
  if (spare + entry > *dynamicEnd_ || spare + entry > image_.size() ||
      std::any_of(image_.begin() + spare, image_.begin() + spare + entry,
                  [](uint8_t b) { return b != 0; }))
    return makeError(Twine("has no ") + what +
                     " entry to set, and no spare slot in its dynamic table "
                     "to add one");
  Expected<uint32_t> at = allocate(value);
  if (!at)
    return at.takeError();
  patchWord(slot, static_cast<uint64_t>(tag), word);
  patchWord(slot + word, *at, word);
  elf::DynEntry added = info_.dynamic.back();
  added.tag = tag;
  added.value = *at;
  added.str = value;
  info_.dynamic.back() = added;
  elf::DynEntry null;
  null.tag = llvm::ELF::DT_NULL;
  null.fileOffset = spare;
  info_.dynamic.push_back(null);
  return Error::success();
}

Error Editor::setAudit(const std::string &value, const std::string &slot) {
  if (Error e = notAfterRecord())
    return e;
  if (value.empty() || value.find(':') != std::string::npos)
    return makeError("a DT_AUDIT module must be one path, not '" + value + "'");
  std::optional<size_t> i = findTag(elf::kDtAudit);
  if (!i && !slot.empty())
    if (std::optional<size_t> s = findTag(llvm::ELF::DT_SONAME);
        s && info_.dynamic[*s].str == slot) {
      // The slot's tag becomes DT_AUDIT; its string is written anew.
      elf::DynEntry &d = info_.dynamic[*s];
      patchWord(d.fileOffset, static_cast<uint64_t>(elf::kDtAudit),
                info_.elfClass == 64 ? 8 : 4);
      d.tag = elf::kDtAudit;
      d.str.reset();
      info_.soname.reset();
      i = s;
    }
  if (i) {
    Expected<uint32_t> at = setEntryString(info_.dynamic[*i], value);
    return at ? Error::success() : at.takeError();
  }
  return addStringEntry(elf::kDtAudit, value, "DT_AUDIT");
}

Error Editor::setRunpath(const std::string &value) {
  if (Error e = notAfterRecord())
    return e;
  std::optional<size_t> i = placeholderEntry_;
  if (!i)
    i = findTag(llvm::ELF::DT_RUNPATH);
  if (!i)
    i = findTag(llvm::ELF::DT_RPATH);
  if (!i) {
    if (value.empty())
      return Error::success();
    if (Error e = addStringEntry(llvm::ELF::DT_RUNPATH, value,
                                 "DT_RUNPATH or DT_RPATH"))
      return e;
    info_.runpath = value;
    return Error::success();
  }
  // The entry whose string became the reserved region must get its value
  // written anew, even an unchanged one: its old bytes are free space.
  const bool holder = placeholderEntry_ == i;
  placeholderEntry_.reset();
  if (value.empty()) {
    if (info_.dynamic[*i].tag == llvm::ELF::DT_RUNPATH)
      info_.runpath.reset();
    else
      info_.rpath.reset();
    return removeDynamicEntry(*i);
  }
  elf::DynEntry &d = info_.dynamic[*i];
  if (holder)
    d.str.reset(); // so that setEntryString does not keep the old offset
  Expected<uint32_t> at = setEntryString(d, value);
  if (!at)
    return at.takeError();
  (d.tag == llvm::ELF::DT_RUNPATH ? info_.runpath : info_.rpath) = value;
  return Error::success();
}

Error Editor::setRecord(note::Record record) {
  const elf::Note *found = nullptr;
  for (const elf::Note &n : info_.notes)
    if (n.kind == elf::NoteKind::Ldpin)
      found = &n;
  if (!found)
    return makeError("has no .note.ldpin record to write");
  if (recordWritten_)
    return makeError("the record is written once, last");
  if (placeholderEntry_)
    return makeError("the placeholder RUNPATH must be rewritten or removed "
                     "before the record is written");
  // Zero the bytes of the region that nothing names once the new entries
  // are in place (old strings included: late, in writeInPlace's last step),
  // so that nothing stale remains readable as a string; record the region.
  if (haveRegion_) {
    Expected<std::vector<uint32_t>> refs = referencedOffsets(SIZE_MAX);
    if (!refs)
      return refs.takeError();
    std::vector<bool> named(used_.size(), false);
    markUsed(*refs, named);
    // One patch per run of bytes to zero (the placeholder's bytes are not
    // zero): a patch per byte costs the link its time.
    std::vector<uint8_t> zeros;
    for (size_t i = 0; i < named.size();) {
      if (named[i]) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < named.size() && !named[j])
        ++j;
      zeros.assign(j - i, 0);
      patch(info_.dynstr->offset + regionBegin_ + i, zeros.data(), zeros.size(),
            /*late=*/true);
      i = j;
    }
  }
  record.reserveOffset = haveRegion_ ? regionOffset() : 0;
  record.reserveSize = haveRegion_ ? regionSize() : 0;
  Expected<std::vector<uint8_t>> desc = note::encode(
      record, info_.bigEndian, static_cast<uint32_t>(found->desc.size()));
  if (!desc)
    return desc.takeError();
  patch(found->descOffset, desc->data(), desc->size());
  recordWritten_ = true;
  return Error::success();
}

std::vector<std::pair<uint64_t, uint64_t>>
Editor::patchRuns(llvm::function_ref<bool(const Patch &)> keep) const {
  // The image holds every patch applied, so each run of patches (sorted,
  // with gaps of less than kMergeGap bytes between them, which hold the
  // file's own bytes) is one write from it. A gap that holds a patch of
  // another step is not bridged: its bytes are written in that step.
  constexpr uint64_t kMergeGap = 4096;
  std::vector<std::pair<uint64_t, uint64_t>> ranges, others, merged;
  for (const Patch &p : patches_)
    (keep(p) ? ranges : others).emplace_back(p.offset, p.offset + p.size);
  std::sort(ranges.begin(), ranges.end());
  std::sort(others.begin(), others.end());
  auto bridges = [&](uint64_t from,
                     uint64_t to) { // no other patch in [from, to)
    auto it = std::lower_bound(others.begin(), others.end(),
                               std::make_pair(from, uint64_t(0)));
    if (it != others.begin() && std::prev(it)->second > from)
      return false;
    return it == others.end() || it->first >= to;
  };
  for (size_t i = 0; i < ranges.size();) {
    uint64_t begin = ranges[i].first, end = ranges[i].second;
    for (++i; i < ranges.size() && ranges[i].first <= end + kMergeGap &&
              (ranges[i].first <= end || bridges(end, ranges[i].first));
         ++i)
      end = std::max(end, ranges[i].second);
    merged.emplace_back(begin, end);
  }
  return merged;
}

Error Editor::applyInPlace(const std::string &path) const {
  if (patches_.empty())
    return Error::success();
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError("cannot open for writing: " + Twine(std::strerror(errno)));
  for (const auto &[begin, end] : patchRuns([](const Patch &) { return true; }))
    if (Error e = writeAll(fd, image_.data() + begin, end - begin, begin)) {
      ::close(fd);
      return e;
    }
  if (::close(fd) != 0)
    return makeError("cannot write: " + Twine(std::strerror(errno)));
  return Error::success();
}

Expected<bool> Editor::writeInPlace(const std::string &path) const {
  if (patches_.empty())
    return true;
  int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EACCES || errno == EPERM || errno == ETXTBSY || errno == EROFS)
      return false;
    return makeError("cannot open for writing: " + Twine(std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_dev != loadedDev_ ||
      st.st_ino != loadedIno_ ||
      static_cast<uint64_t>(st.st_size) != image_.size()) {
    ::close(fd);
    return makeError("changed since it was read; not written");
  }
  // Each patch's step, then the runs of each step in turn.
  const uint64_t strBegin = info_.dynstr ? info_.dynstr->offset : 0;
  const uint64_t strEnd = info_.dynstr ? strBegin + info_.dynstr->size : 0;
  uint64_t noteBegin = 0, noteEnd = 0;
  for (const elf::Note &n : info_.notes)
    if (n.kind == elf::NoteKind::Ldpin) {
      noteBegin = n.fileOffset;
      noteEnd = n.descOffset + n.desc.size();
    }
  auto step = [&](const Patch &p) {
    if (p.late || (p.offset >= noteBegin && p.offset < noteEnd))
      return 2;
    if (p.offset >= strBegin && p.offset < strEnd)
      return 0;
    return 1;
  };
  struct Run {
    uint64_t begin, end;
    std::vector<uint8_t> before;
  };
  std::vector<Run> runs;
  for (int s = 0; s < 3; ++s)
    for (const auto &[begin, end] :
         patchRuns([&](const Patch &p) { return step(p) == s; }))
      runs.push_back({begin, end, {}});
  // What is there now, to put back if a write fails.
  auto restore = [&](size_t upTo) {
    for (size_t k = upTo; k-- > 0;)
      consumeError(writeAll(fd, runs[k].before.data(), runs[k].before.size(),
                            runs[k].begin));
  };
  for (Run &r : runs) {
    r.before.resize(r.end - r.begin);
    if (int err = readAll(fd, r.before.data(), r.before.size(), r.begin)) {
      ::close(fd);
      return makeError("cannot read: " + Twine(std::strerror(err)));
    }
  }
  for (size_t k = 0; k < runs.size(); ++k)
    if (Error e = writeAll(fd, image_.data() + runs[k].begin,
                           runs[k].end - runs[k].begin, runs[k].begin)) {
      restore(k + 1); // a short write may have changed part of run k
      ::close(fd);
      return e;
    }
  if (::close(fd) != 0)
    return makeError("cannot write: " + Twine(std::strerror(errno)));
  return true;
}

Error Editor::commit(const std::string &path) const {
  if (patches_.empty())
    return Error::success();
  return replaceFile(path, [&](int fd) {
    return writeAll(fd, image_.data(), image_.size(), 0);
  });
}

} // namespace ldpin::edit
