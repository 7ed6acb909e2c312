#include "elf_view.h"

#include "../core/include/ldpin/note_format.h"
#include "text.h"

namespace ldpin::audit {

namespace fmt = ldpin::note::format;

namespace {

uint32_t load32(const unsigned char *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

uint64_t pad(uint64_t n, uint64_t align) {
  return (n + align - 1) & ~(align - 1);
}

// The file offset of [vaddr, vaddr + need) through the PT_LOAD segments.
bool offsetOf(const unsigned char *file, size_t size, const Ehdr &eh,
              uint64_t vaddr, uint64_t need, uint64_t &out) {
  for (size_t i = 0; i < eh.e_phnum; ++i) {
    Phdr ph;
    if (!loadAt(file, size, eh.e_phoff + i * uint64_t(eh.e_phentsize), ph))
      return false;
    if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr)
      continue;
    uint64_t in = vaddr - ph.p_vaddr;
    if (in > ph.p_filesz || ph.p_filesz - in < need)
      continue;
    uint64_t off = ph.p_offset + in;
    if (off < ph.p_offset || off > size || size - off < need)
      return false;
    out = off;
    return true;
  }
  return false;
}

} // namespace

const char *findRecord(const unsigned char *p, size_t size, uint64_t align,
                       Record &out) {
  out = Record{};
  uint64_t at = 0;
  for (size_t n = 0; n < kMaxNotes && size - at >= sizeof(Nhdr); ++n) {
    Nhdr nh;
    __builtin_memcpy(&nh, p + at, sizeof nh);
    uint64_t name = at + sizeof nh;
    // The descriptor and the next note start at the segment's alignment
    // (4, or 8 for GNU property notes); the segment starts aligned.
    uint64_t desc = pad(name + nh.n_namesz, align);
    if (desc > size || size - desc < nh.n_descsz)
      break; // not a note glibc reads either: the segment has no record

    if (nh.n_type == fmt::kType && nh.n_namesz == fmt::kOwnerSize &&
        __builtin_memcmp(p + name, fmt::kOwner, fmt::kOwnerSize) == 0)
      return parseRecord(p + desc, nh.n_descsz, out);
    uint64_t next = desc + pad(nh.n_descsz, align);
    if (next <= at || next > size)
      break;
    at = next;
  }
  return nullptr;
}

const char *findRecordIn(const unsigned char *p, size_t size, uint64_t align,
                         Record &out) {
  // A segment of alignment 8 may hold notes laid out at 4 (mold merges
  // .note.ldpin, aligned 4, into an 8-aligned PT_NOTE): both are tried.
  if (align == 8) {
    if (const char *why = findRecord(p, size, 8, out))
      return why;
    if (out.present)
      return nullptr;
  }
  return findRecord(p, size, 4, out);
}

const char *ElfView::string(uint64_t offset) const {
  if (offset >= strsz)
    return nullptr;
  const char *s = reinterpret_cast<const char *>(file + strtab + offset);
  for (uint64_t i = offset; i < strsz; ++i, ++s)
    if (*s == '\0')
      return reinterpret_cast<const char *>(file + strtab + offset);
  return nullptr;
}

const char *parseRecord(const unsigned char *desc, size_t size, Record &out) {
  out = Record{};
  if (size < fmt::kHeaderSize)
    return "the ldpin record is shorter than its header";
  uint32_t version = load32(desc + fmt::kVersionAt);
  if (version < fmt::kOldestVersion || version > fmt::kVersion)
    return "the ldpin record has a format version this module does not read";
  uint32_t used = load32(desc + fmt::kUsedAt);
  if (used < fmt::kHeaderSize + fmt::kRecordHeaderSize || used % 4 != 0 ||
      used > size)
    return "the ldpin record's used size is out of bounds";
  uint64_t at = fmt::kHeaderSize;
  while (true) {
    if (used - at < fmt::kRecordHeaderSize)
      return "the ldpin record has no end record";
    uint32_t tag = load32(desc + at), len = load32(desc + at + 4);
    uint64_t value = at + fmt::kRecordHeaderSize;
    if (len > used - value || pad(len, 4) > used - value)
      return "an ldpin record entry lies outside the record";
    if (tag == fmt::kEnd) {
      if (len != 0 || value != used)
        return "the ldpin record's end record is not last";
      break;
    }
    if (tag == fmt::kChannel || tag == fmt::kLibc || tag == fmt::kSoname) {
      const char *s = reinterpret_cast<const char *>(desc + value);
      bool terminated = false;
      for (uint32_t i = 0; i < len; ++i)
        if (s[i] == '\0') {
          terminated = true;
          break;
        }
      if (!terminated)
        return "an ldpin record string is not NUL-terminated";
      const char *&field = tag == fmt::kChannel ? out.channel
                           : tag == fmt::kLibc  ? out.libc
                                                : out.soname;
      if (field)
        return "an ldpin record entry appears twice";
      field = s;
    }
    at = value + pad(len, 4);
  }
  out.present = true;
  return nullptr;
}

const char *readElf(const unsigned char *file, size_t size, ElfView &out) {
  out = ElfView{};
  out.file = file;
  out.size = size;
  if (size < EI_NIDENT || __builtin_memcmp(file, ELFMAG, SELFMAG) != 0)
    return "not an ELF file";
  out.elfClass = file[EI_CLASS];
  out.data = file[EI_DATA];
  if (out.elfClass != ELFCLASS32 && out.elfClass != ELFCLASS64)
    return "an ELF file of no known class";
  // e_type and e_machine are at the same offsets in both classes.
  if (size < 20)
    return "an ELF file shorter than its header";
  uint16_t type, machine;
  __builtin_memcpy(&type, file + 16, 2);
  __builtin_memcpy(&machine, file + 18, 2);
  if (out.data != kNativeData) {
    type = static_cast<uint16_t>(type >> 8 | type << 8);
    machine = static_cast<uint16_t>(machine >> 8 | machine << 8);
  }
  out.type = type;
  out.machine = machine;
  out.identVersion = file[EI_VERSION];
  out.osabi = file[EI_OSABI];
  out.abiVersion = file[EI_ABIVERSION];
  if (!out.native())
    return nullptr;

  Ehdr eh;
  if (!loadAt(file, size, 0, eh))
    return "an ELF file shorter than its header";
  out.version = eh.e_version;
  if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum > kMaxPhdrs)
    return "its program headers are malformed";
  uint64_t dynOffset = 0, dynSize = 0;
  bool hasDynamic = false;
  for (size_t i = 0; i < eh.e_phnum; ++i) {
    Phdr ph;
    if (!loadAt(file, size, eh.e_phoff + i * uint64_t(sizeof(Phdr)), ph))
      return "its program headers lie outside the file";
    if (ph.p_type == PT_DYNAMIC) {
      hasDynamic = true;
      dynOffset = ph.p_offset;
      dynSize = ph.p_filesz;
    } else if (ph.p_type == PT_NOTE && !out.record.present) {
      if (ph.p_offset > size || size - ph.p_offset < ph.p_filesz)
        return "a PT_NOTE segment lies outside the file";
      if (const char *why = findRecordIn(file + ph.p_offset, ph.p_filesz,
                                         ph.p_align, out.record))
        return why;
    }
  }
  if (!hasDynamic)
    return nullptr;
  if (dynOffset > size || size - dynOffset < dynSize)
    return "its dynamic section lies outside the file";
  out.hasDynamic = true;
  out.dynamicOffset = dynOffset;
  out.dynamicCount = dynSize / sizeof(Dyn);
  if (out.dynamicCount > kMaxDynamic)
    return "its dynamic section is too large";
  uint64_t strtabAddr = 0, verneedAddr = 0, verdefAddr = 0;
  bool hasStrtab = false;
  for (size_t i = 0; i < out.dynamicCount; ++i) {
    const Dyn d = out.dyn(i);
    if (d.d_tag == DT_NULL)
      break;
    switch (d.d_tag) {
    case DT_STRTAB:
      strtabAddr = d.d_un.d_ptr;
      hasStrtab = true;
      break;
    case DT_STRSZ:
      out.strsz = d.d_un.d_val;
      break;
    case DT_VERNEED:
      verneedAddr = d.d_un.d_ptr;
      out.hasVersionNeeds = true;
      break;
    case DT_VERNEEDNUM:
      out.verneedNum = d.d_un.d_val;
      break;
    case DT_VERDEF:
      verdefAddr = d.d_un.d_ptr;
      out.hasVersionDefs = true;
      break;
    case DT_VERDEFNUM:
      out.verdefNum = d.d_un.d_val;
      break;
    case DT_FLAGS_1:
      out.flags1 = d.d_un.d_val;
      break;
    default:
      break;
    }
  }
  if (!hasStrtab)
    return "its dynamic section has no string table";
  if (!offsetOf(file, size, eh, strtabAddr, out.strsz, out.strtab))
    return "its string table lies outside the file";
  if (out.hasVersionNeeds &&
      !offsetOf(file, size, eh, verneedAddr, sizeof(Verneed), out.verneed))
    return "its version needs lie outside the file";
  if (out.verneedNum > kMaxVersionEntries)
    return "too many version needs";
  if (out.hasVersionDefs &&
      !offsetOf(file, size, eh, verdefAddr, sizeof(Verdef), out.verdef))
    return "its version definitions lie outside the file";
  return nullptr;
}

bool definesVersion(const ElfView &v, const char *version) {
  if (!v.hasVersionDefs)
    return false;
  uint64_t at = v.verdef;
  for (uint64_t n = 0; n < v.verdefNum && n < kMaxVersionEntries; ++n) {
    Verdef d;
    if (!loadAt(v.file, v.size, at, d))
      return false;
    Verdaux a;
    if (d.vd_cnt > 0 && loadAt(v.file, v.size, at + d.vd_aux, a)) {
      const char *name = v.string(a.vda_name);
      if (name && equal(name, version))
        return true;
    }
    if (d.vd_next == 0)
      break;
    at += d.vd_next;
  }
  return false;
}

} // namespace ldpin::audit
