// What the audit module reads of a candidate library, from its bytes (the
// file mapped read-only): the header, the dynamic section, the version
// needs and the `.note.ldpin` record. Freestanding (no libc, no
// allocation): every offset is checked against the file's size and every
// walk is bounded, so a truncated or hostile file gives an error, never a
// read outside the bytes or a loop. Built hosted too, for its fuzzer and
// unit tests.
//
// Only files of the module's own class and byte order are read beyond the
// header: a file of another class or machine is refused from the header
// alone.
#pragma once

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

namespace ldpin::audit {

#if __SIZEOF_POINTER__ == 8
using Ehdr = Elf64_Ehdr;
using Phdr = Elf64_Phdr;
using Dyn = Elf64_Dyn;
using Nhdr = Elf64_Nhdr;
inline constexpr unsigned char kNativeClass = ELFCLASS64;
#else
using Ehdr = Elf32_Ehdr;
using Phdr = Elf32_Phdr;
using Dyn = Elf32_Dyn;
using Nhdr = Elf32_Nhdr;
inline constexpr unsigned char kNativeClass = ELFCLASS32;
#endif
using Verneed = Elf64_Verneed; // the same layout in both classes
using Vernaux = Elf64_Vernaux;
using Verdef = Elf64_Verdef;
using Verdaux = Elf64_Verdaux;

#if defined(__x86_64__)
inline constexpr uint16_t kNativeMachine = EM_X86_64;
#elif defined(__i386__)
inline constexpr uint16_t kNativeMachine = EM_386;
#elif defined(__aarch64__)
inline constexpr uint16_t kNativeMachine = EM_AARCH64;
#else
#error "ldpin-audit: unknown machine"
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
inline constexpr unsigned char kNativeData = ELFDATA2LSB;
#else
inline constexpr unsigned char kNativeData = ELFDATA2MSB;
#endif

// Bounds on what is walked: far above what any linker writes.
inline constexpr size_t kMaxPhdrs = 512;
inline constexpr size_t kMaxDynamic = 65536;
inline constexpr size_t kMaxVersionEntries = 65536;
inline constexpr size_t kMaxNotes = 4096;

// The T at offset `at` of the `size` bytes at `file`, copied (the bytes need
// not be aligned); false when it does not lie inside them.
template <class T>
bool loadAt(const unsigned char *file, size_t size, uint64_t at, T &out) {
  if (at > size || size - at < sizeof(T))
    return false;
  __builtin_memcpy(&out, file + at, sizeof(T));
  return true;
}

// A string of the record: a pointer into the file, NUL-terminated inside
// its value, or null when the record has none.
struct Record {
  bool present;
  const char *channel;
  const char *libc;
  const char *soname;
};

struct ElfView {
  const unsigned char *file;
  size_t size;
  unsigned char elfClass, data;
  uint16_t type, machine;
  // What glibc's open_verify checks beyond class and machine.
  unsigned char identVersion, osabi, abiVersion;
  uint32_t version;
  // Of a native file only:
  bool hasDynamic;
  uint64_t dynamicOffset; // of the first entry
  size_t dynamicCount;
  uint64_t strtab; // file offset
  uint64_t strsz;
  bool hasVersionNeeds;
  uint64_t verneed; // file offset
  uint64_t verneedNum;
  bool hasVersionDefs;
  uint64_t verdef; // file offset
  uint64_t verdefNum;
  uint64_t flags1; // DT_FLAGS_1 (DF_1_PIE: glibc refuses to load it)
  Record record;

  bool native() const {
    return elfClass == kNativeClass && data == kNativeData &&
           machine == kNativeMachine;
  }
  // The NUL-terminated string at `offset` of the string table, or null
  // when it does not lie (with its NUL) inside it.
  const char *string(uint64_t offset) const;
  // Dynamic entry i (i < dynamicCount), copied: the bytes need not be
  // aligned.
  Dyn dyn(size_t i) const {
    Dyn d;
    __builtin_memcpy(&d, file + dynamicOffset + i * sizeof(Dyn), sizeof d);
    return d;
  }
};

// Reads `size` bytes at `file`. Returns null, or why the file cannot be
// read (a constant string). A file of another class, byte order or machine
// is read (its header only) and returns null: ElfView::native() tells.
const char *readElf(const unsigned char *file, size_t size, ElfView &out);

// Finds the `.note.ldpin` record among the notes in bytes [p, p + size)
// (a PT_NOTE segment, in a file or in memory) with the segment's
// alignment. Returns null (out.present says whether there was one), or why
// the record is malformed; notes that run past the segment end the walk.
const char *findRecord(const unsigned char *p, size_t size, uint64_t align,
                       Record &out);

// findRecord at the segment's alignment (p_align), and at 4 when an 8
// finds none.
const char *findRecordIn(const unsigned char *p, size_t size, uint64_t align,
                         Record &out);

// Parses a `.note.ldpin` descriptor (the file's byte order is the native
// one). Returns null, or why the record is malformed.
const char *parseRecord(const unsigned char *desc, size_t size, Record &out);

// Whether the file's version definitions include `version` (false when
// they are malformed).
bool definesVersion(const ElfView &v, const char *version);

// Calls f(name) for each DT_NEEDED string; stops and returns false when f
// does; a NEEDED whose string is outside the table returns false too (and
// sets *bad).
template <class F> bool forEachNeeded(const ElfView &v, F &&f, bool *bad) {
  for (size_t i = 0; i < v.dynamicCount; ++i) {
    const Dyn d = v.dyn(i);
    if (d.d_tag == DT_NULL)
      break;
    if (d.d_tag != DT_NEEDED)
      continue;
    const char *name = v.string(d.d_un.d_val);
    if (!name) {
      *bad = true;
      return false;
    }
    if (!f(name))
      return false;
  }
  return true;
}

// Calls f(file, version, weak) for each version needed; returns null, or
// why the version needs are malformed, or `stopped` when f returned false.
inline constexpr const char kStopped[] = "stopped";
template <class F> const char *forEachVersionNeed(const ElfView &v, F &&f) {
  if (!v.hasVersionNeeds)
    return nullptr;
  uint64_t at = v.verneed;
  size_t seen = 0;
  for (uint64_t n = 0; n < v.verneedNum; ++n) {
    Verneed need;
    if (!loadAt(v.file, v.size, at, need))
      return "a version need lies outside the file";
    const char *file = v.string(need.vn_file);
    if (!file)
      return "a version need names a string outside the string table";
    uint64_t aux = at + need.vn_aux;
    for (unsigned k = 0; k < need.vn_cnt; ++k) {
      if (++seen > kMaxVersionEntries)
        return "too many version needs";
      Vernaux a;
      if (!loadAt(v.file, v.size, aux, a))
        return "a version need's entry lies outside the file";
      const char *name = v.string(a.vna_name);
      if (!name)
        return "a version name lies outside the string table";
      if (!f(file, name, (a.vna_flags & VER_FLG_WEAK) != 0))
        return kStopped;
      if (a.vna_next == 0)
        break;
      aux += a.vna_next;
    }
    if (need.vn_next == 0)
      break;
    at += need.vn_next;
  }
  return nullptr;
}

} // namespace ldpin::audit
