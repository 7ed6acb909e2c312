// The ELF reader (see elf.h): one template over libObject's ELFType, so that
// byte order and class are carried by the types, and every access to the file
// goes through the checked helpers of checked.h.
//
// Tables the loader reaches through addresses (DT_STRTAB, DT_VERNEED,
// DT_VERDEF) are mapped to file offsets through PT_LOAD segments, as readelf
// and the loader do, so stripped section headers change nothing.
#include "ldpin/elf.h"

#include "ldpin/checked.h"
#include "ldpin/describe.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Object/ELFTypes.h>
#include <llvm/Support/MemoryBuffer.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace ldpin::elf {
namespace {

using describe::segmentTypeName;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

// Propagates the error of an Expected out of the enclosing function.
#define LDPIN_TRY(var, expr)                                                   \
  auto var##OrErr = (expr);                                                    \
  if (!var##OrErr)                                                             \
    return var##OrErr.takeError();                                             \
  auto var = std::move(*var##OrErr)

bool isStringTag(int64_t tag) {
  switch (tag) {
  case llvm::ELF::DT_NEEDED:
  case llvm::ELF::DT_SONAME:
  case llvm::ELF::DT_RPATH:
  case llvm::ELF::DT_RUNPATH:
  case llvm::ELF::DT_AUXILIARY:
  case llvm::ELF::DT_FILTER:
  case kDtAudit:
  case kDtDepaudit:
  case kDtConfig:
    return true;
  default:
    return false;
  }
}

NoteKind classifyNote(StringRef owner, uint32_t type) {
  if (owner == "GNU") {
    switch (type) {
    case llvm::ELF::NT_GNU_ABI_TAG:
      return NoteKind::GnuAbiTag;
    case llvm::ELF::NT_GNU_BUILD_ID:
      return NoteKind::GnuBuildId;
    case llvm::ELF::NT_GNU_PROPERTY_TYPE_0:
      return NoteKind::GnuProperty;
    default:
      return NoteKind::Other;
    }
  }
  if (owner == "FDO" && type == kNtFdoDlopen)
    return NoteKind::FdoDlopen;
  if (owner == "FDO" && type == kNtFdoPackage)
    return NoteKind::FdoPackage;
  if (owner == kLdpinNoteOwner)
    return NoteKind::Ldpin;
  return NoteKind::Other;
}

template <class ELFT> class Reader {
public:
  using Ehdr = typename ELFT::Ehdr;
  using Phdr = typename ELFT::Phdr;
  using Shdr = typename ELFT::Shdr;
  using Dyn = typename ELFT::Dyn;
  using Nhdr = typename ELFT::Nhdr;
  using Verneed = typename ELFT::Verneed;
  using Vernaux = typename ELFT::Vernaux;
  using Verdef = typename ELFT::Verdef;
  using Verdaux = typename ELFT::Verdaux;

  Reader(ArrayRef<uint8_t> file, ElfInfo &out, const ReadOptions &options)
      : file(file), out(out), options(options) {}

  Error run() {
    if (Error e = readHeader())
      return e;
    if (Error e = readProgramHeaders())
      return e;
    if (options.sections)
      readSectionHeaders(); // problems here are warnings
    if (Error e = readInterpreter())
      return e;
    if (Error e = readDynamic())
      return e;
    if (options.versions) {
      if (Error e = readVersionNeeds())
        return e;
      if (Error e = readVersionDefs())
        return e;
    }
    return readNotes();
  }

private:
  ArrayRef<uint8_t> file;
  ElfInfo &out;
  const ReadOptions &options;
  Ehdr ehdr{};

  Error readHeader() {
    LDPIN_TRY(h, checkedRead<Ehdr>(file, 0, "ELF header"));
    ehdr = h;
    out.elfClass = ELFT::Is64Bits ? 64 : 32;
    out.bigEndian = ELFT::TargetEndianness == llvm::support::big;
    out.osabi = ehdr.e_ident[llvm::ELF::EI_OSABI];
    out.abiVersion = ehdr.e_ident[llvm::ELF::EI_ABIVERSION];
    out.type = ehdr.e_type;
    out.machine = ehdr.e_machine;
    out.version = ehdr.e_version;
    out.flags = ehdr.e_flags;
    out.entry = ehdr.e_entry;
    out.phoff = ehdr.e_phoff;
    out.shoff = ehdr.e_shoff;
    out.fileSize = file.size();
    return Error::success();
  }

  // The first section header, which holds the real counts when e_phnum,
  // e_shnum or e_shstrndx overflow their fields.
  Expected<Shdr> sectionZero() {
    if (ehdr.e_shoff == 0)
      return makeError("extended numbering is used but there is no section "
                       "header table");
    return checkedRead<Shdr>(file, ehdr.e_shoff, "section header 0");
  }

  Error readProgramHeaders() {
    uint64_t count = ehdr.e_phnum;
    if (count == 0)
      return Error::success();
    if (ehdr.e_phentsize != sizeof(Phdr))
      return makeError("e_phentsize is " + Twine(ehdr.e_phentsize) +
                       ", expected " + Twine(sizeof(Phdr)));
    if (count == kPnXnum) {
      LDPIN_TRY(zero, sectionZero());
      count = zero.sh_info;
    }
    LDPIN_TRY(size, checkedMul(count, sizeof(Phdr), "program header table"));
    LDPIN_TRY(table,
              checkedSlice(file, ehdr.e_phoff, size, "program header table"));
    out.segments.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      LDPIN_TRY(p,
                checkedRead<Phdr>(table, i * sizeof(Phdr), "program header"));
      Segment s;
      s.type = p.p_type;
      s.flags = p.p_flags;
      s.offset = p.p_offset;
      s.vaddr = p.p_vaddr;
      s.paddr = p.p_paddr;
      s.filesz = p.p_filesz;
      s.memsz = p.p_memsz;
      s.align = p.p_align;
      // The loader maps these bytes; past the end of the file they would
      // fault at run time.
      LDPIN_TRY(bytes, checkedSlice(file, s.offset, s.filesz,
                                    "program header " + Twine(i) + " (" +
                                        Twine(segmentTypeName(s.type)) + ")"));
      (void)bytes;
      out.segments.push_back(s);
    }
    return Error::success();
  }

  void readSectionHeaders() {
    if (Error e = readSectionHeadersOrFail()) {
      out.warnings.push_back("section header table ignored: " +
                             llvm::toString(std::move(e)));
      out.sections.clear();
    }
  }

  Error readSectionHeadersOrFail() {
    if (ehdr.e_shoff == 0)
      return Error::success();
    if (ehdr.e_shentsize != sizeof(Shdr))
      return makeError("e_shentsize is " + Twine(ehdr.e_shentsize) +
                       ", expected " + Twine(sizeof(Shdr)));
    uint64_t count = ehdr.e_shnum;
    uint64_t strndx = ehdr.e_shstrndx;
    if (count == 0 || strndx == llvm::ELF::SHN_XINDEX) {
      LDPIN_TRY(zero, sectionZero());
      if (count == 0)
        count = zero.sh_size;
      if (strndx == llvm::ELF::SHN_XINDEX)
        strndx = zero.sh_link;
    }
    if (count == 0)
      return Error::success();
    LDPIN_TRY(size, checkedMul(count, sizeof(Shdr), "section header table"));
    LDPIN_TRY(table,
              checkedSlice(file, ehdr.e_shoff, size, "section header table"));
    std::vector<Shdr> headers(count);
    for (uint64_t i = 0; i < count; ++i) {
      LDPIN_TRY(h,
                checkedRead<Shdr>(table, i * sizeof(Shdr), "section header"));
      headers[i] = h;
    }
    ArrayRef<uint8_t> names;
    if (strndx != llvm::ELF::SHN_UNDEF) {
      if (strndx >= count)
        return makeError("e_shstrndx " + Twine(strndx) + " is not below the " +
                         Twine(count) + " sections");
      const Shdr &s = headers[strndx];
      if (s.sh_type != llvm::ELF::SHT_STRTAB)
        return makeError("section name table " + Twine(strndx) +
                         " is not SHT_STRTAB");
      LDPIN_TRY(
          n, checkedSlice(file, s.sh_offset, s.sh_size, "section name table"));
      names = n;
    }
    out.sections.reserve(count);
    for (const Shdr &h : headers) {
      Section s;
      if (!names.empty()) {
        LDPIN_TRY(name, checkedCString(names, h.sh_name, "section name"));
        s.name = name.str();
      }
      s.type = h.sh_type;
      s.flags = h.sh_flags;
      s.addr = h.sh_addr;
      s.offset = h.sh_offset;
      s.size = h.sh_size;
      s.link = h.sh_link;
      s.info = h.sh_info;
      s.align = h.sh_addralign;
      s.entsize = h.sh_entsize;
      out.sections.push_back(std::move(s));
    }
    return Error::success();
  }

  Error readInterpreter() {
    for (const Segment &s : out.segments) {
      if (s.type != llvm::ELF::PT_INTERP)
        continue;
      if (out.interpreter)
        return makeError("more than one PT_INTERP");
      LDPIN_TRY(bytes, checkedSlice(file, s.offset, s.filesz, "PT_INTERP"));
      LDPIN_TRY(path, checkedCString(bytes, 0, "PT_INTERP"));
      out.interpreter = path.str();
    }
    return Error::success();
  }

  Expected<uint64_t> mapAddress(uint64_t vaddr, uint64_t size,
                                const Twine &what) {
    return fileOffsetOf(out, vaddr, size, what);
  }

  template <class T> Expected<T> readAt(uint64_t vaddr, const Twine &what) {
    LDPIN_TRY(off, mapAddress(vaddr, sizeof(T), what));
    return checkedRead<T>(file, off, what);
  }

  std::optional<uint64_t> dynValue(int64_t tag) const {
    for (const DynEntry &d : out.dynamic)
      if (d.tag == tag)
        return d.value;
    return std::nullopt;
  }

  Expected<StringRef> dynString(uint64_t off, const Twine &what) {
    if (!out.dynstr)
      return makeError(what + " names a string but there is no DT_STRTAB");
    ArrayRef<uint8_t> table = file.slice(out.dynstr->offset, out.dynstr->size);
    return checkedCString(table, off, what);
  }

  Error readDynamic() {
    const Segment *dyn = nullptr;
    for (const Segment &s : out.segments) {
      if (s.type != llvm::ELF::PT_DYNAMIC)
        continue;
      if (dyn)
        return makeError("more than one PT_DYNAMIC");
      dyn = &s;
    }
    if (!dyn)
      return Error::success();
    out.hasDynamic = true;
    out.dynamicOffset = dyn->offset;
    LDPIN_TRY(bytes,
              checkedSlice(file, dyn->offset, dyn->filesz, "dynamic section"));
    uint64_t count = bytes.size() / sizeof(Dyn);
    // The table usually ends (DT_NULL) well before its segment does.
    out.dynamic.reserve(std::min<uint64_t>(count, 1024));
    for (uint64_t i = 0; i < count; ++i) {
      LDPIN_TRY(d, checkedRead<Dyn>(bytes, i * sizeof(Dyn), "dynamic entry"));
      DynEntry e;
      e.tag = d.d_tag;
      e.value = d.d_un.d_val;
      e.fileOffset = dyn->offset + i * sizeof(Dyn);
      out.dynamic.push_back(e);
      if (e.tag == llvm::ELF::DT_NULL)
        break;
    }

    std::optional<uint64_t> strtab = dynValue(llvm::ELF::DT_STRTAB);
    std::optional<uint64_t> strsz = dynValue(llvm::ELF::DT_STRSZ);
    if (strtab && !strsz)
      return makeError("DT_STRTAB without DT_STRSZ");
    if (strtab) {
      LDPIN_TRY(off, mapAddress(*strtab, *strsz, "DT_STRTAB"));
      out.dynstr = StringTable{*strtab, off, *strsz};
    }

    for (DynEntry &e : out.dynamic) {
      if (!isStringTag(e.tag))
        continue;
      std::string what =
          "dynamic entry DT_" + describe::dynamicTagName(out.machine, e.tag);
      LDPIN_TRY(s, dynString(e.value, what));
      e.str = s.str();
      switch (e.tag) {
      case llvm::ELF::DT_NEEDED:
        out.needed.push_back(*e.str);
        break;
      case llvm::ELF::DT_SONAME:
        out.soname = e.str;
        break;
      case llvm::ELF::DT_RPATH:
        out.rpath = e.str;
        break;
      case llvm::ELF::DT_RUNPATH:
        out.runpath = e.str;
        break;
      case kDtAudit:
        out.audit = e.str;
        break;
      case kDtDepaudit:
        out.depaudit = e.str;
        break;
      default:
        break;
      }
    }
    out.dtFlags = dynValue(llvm::ELF::DT_FLAGS);
    out.dtFlags1 = dynValue(llvm::ELF::DT_FLAGS_1);
    return Error::success();
  }

  // .gnu.version_r and .gnu.version_d are chains of records linked by
  // relative offsets: `count` records starting at address `at`. `visit`
  // reads the record at an address and returns its offset to the next one.
  // A zero offset ends a chain (glibc stops there), so a chain that ends
  // before its count is an error. Offsets are unsigned and the walk stops at
  // zero, so it always moves forward and ends.
  template <class Visit>
  Error walkChain(uint64_t at, uint64_t count, const Twine &what, Visit visit) {
    for (uint64_t i = 0; i < count; ++i) {
      Expected<uint32_t> next = visit(at);
      if (!next)
        return next.takeError();
      if (i + 1 == count)
        break;
      if (*next == 0)
        return makeError(what + ": the chain ends after " + Twine(i + 1) +
                         " of " + Twine(count) + " entries");
      LDPIN_TRY(n, checkedAdd(at, *next, what));
      at = n;
    }
    return Error::success();
  }

  Error readVersionNeeds() {
    std::optional<uint64_t> addr = dynValue(llvm::ELF::DT_VERNEED);
    std::optional<uint64_t> num = dynValue(llvm::ELF::DT_VERNEEDNUM);
    if (!addr)
      return Error::success();
    if (!num)
      return makeError("DT_VERNEED without DT_VERNEEDNUM");
    return walkChain(
        *addr, *num, ".gnu.version_r", [&](uint64_t at) -> Expected<uint32_t> {
          LDPIN_TRY(off,
                    mapAddress(at, sizeof(Verneed), ".gnu.version_r entry"));
          LDPIN_TRY(vn,
                    checkedRead<Verneed>(file, off, ".gnu.version_r entry"));
          VersionNeed need;
          need.version = vn.vn_version;
          need.fileNameOffset = vn.vn_file;
          need.fileOffset = off;
          LDPIN_TRY(name, dynString(vn.vn_file, ".gnu.version_r vn_file"));
          need.file = name.str();
          LDPIN_TRY(auxAt, checkedAdd(at, vn.vn_aux, ".gnu.version_r vn_aux"));
          Error e = walkChain(
              auxAt, vn.vn_cnt,
              ".gnu.version_r aux of " + printable(need.file, kMessageNameMax),
              [&](uint64_t a) -> Expected<uint32_t> {
                LDPIN_TRY(auxOff, mapAddress(a, sizeof(Vernaux),
                                             ".gnu.version_r aux entry"));
                LDPIN_TRY(va, checkedRead<Vernaux>(file, auxOff,
                                                   ".gnu.version_r aux entry"));
                VersionNeedAux aux;
                aux.fileOffset = auxOff;
                aux.hash = va.vna_hash;
                aux.flags = va.vna_flags;
                aux.other = va.vna_other;
                aux.nameOffset = va.vna_name;
                LDPIN_TRY(n, dynString(va.vna_name, ".gnu.version_r vna_name"));
                aux.name = n.str();
                need.aux.push_back(std::move(aux));
                return uint32_t(va.vna_next);
              });
          if (e)
            return e;
          out.versionNeeds.push_back(std::move(need));
          return uint32_t(vn.vn_next);
        });
  }

  Error readVersionDefs() {
    std::optional<uint64_t> addr = dynValue(llvm::ELF::DT_VERDEF);
    std::optional<uint64_t> num = dynValue(llvm::ELF::DT_VERDEFNUM);
    if (!addr)
      return Error::success();
    if (!num)
      return makeError("DT_VERDEF without DT_VERDEFNUM");
    return walkChain(
        *addr, *num, ".gnu.version_d", [&](uint64_t at) -> Expected<uint32_t> {
          LDPIN_TRY(defOff,
                    mapAddress(at, sizeof(Verdef), ".gnu.version_d entry"));
          LDPIN_TRY(vd,
                    checkedRead<Verdef>(file, defOff, ".gnu.version_d entry"));
          VersionDef def;
          def.fileOffset = defOff;
          def.version = vd.vd_version;
          def.flags = vd.vd_flags;
          def.index = vd.vd_ndx;
          def.hash = vd.vd_hash;
          LDPIN_TRY(auxAt, checkedAdd(at, vd.vd_aux, ".gnu.version_d vd_aux"));
          Error e = walkChain(
              auxAt, vd.vd_cnt, ".gnu.version_d aux",
              [&](uint64_t a) -> Expected<uint32_t> {
                LDPIN_TRY(auxOff, mapAddress(a, sizeof(Verdaux),
                                             ".gnu.version_d aux entry"));
                LDPIN_TRY(va, checkedRead<Verdaux>(file, auxOff,
                                                   ".gnu.version_d aux entry"));
                def.auxOffsets.push_back(auxOff);
                LDPIN_TRY(n, dynString(va.vda_name, ".gnu.version_d vda_name"));
                def.names.push_back(n.str());
                def.nameOffsets.push_back(va.vda_name);
                return uint32_t(va.vda_next);
              });
          if (e)
            return e;
          out.versionDefs.push_back(std::move(def));
          return uint32_t(vd.vd_next);
        });
  }

  // Notes come from SHT_NOTE sections when the file has usable section
  // headers (that is where their names are), else from PT_NOTE segments.
  Error readNotes() {
    bool fromSections = !out.sections.empty();
    if (fromSections) {
      for (const Section &s : out.sections)
        if (s.type == llvm::ELF::SHT_NOTE)
          if (Error e = readNoteBlock(s.offset, s.size, s.align, s.name))
            return e;
    } else {
      for (const Segment &s : out.segments)
        if (s.type == llvm::ELF::PT_NOTE)
          if (Error e = readNoteSegment(s))
            return e;
    }
    for (const Note &n : out.notes)
      if (n.kind == NoteKind::GnuBuildId) {
        out.buildId = n.desc;
        break;
      }
    return Error::success();
  }

  // A PT_NOTE segment. Some linkers (mold 1.10) put 4-byte aligned notes
  // into a segment aligned to 8 behind an 8-byte aligned GNU property note;
  // read that way they do not parse. A GNU property note reads the same at
  // alignment 4, so such a segment is read again at 4, with a warning.
  Error readNoteSegment(const Segment &s) {
    size_t before = out.notes.size();
    Error e = readNoteBlock(s.offset, s.filesz, s.align, "");
    if (!e || s.align != 8)
      return e;
    std::string first = llvm::toString(std::move(e));
    out.notes.resize(before);
    if (Error again = readNoteBlock(s.offset, s.filesz, 4, "")) {
      llvm::consumeError(std::move(again));
      return makeError(first);
    }
    out.warnings.push_back("PT_NOTE at offset " + hex(s.offset) +
                           " mixes note alignments; read with alignment 4");
    return Error::success();
  }

  Error readNoteBlock(uint64_t offset, uint64_t size, uint64_t align,
                      const std::string &section) {
    std::string what = section.empty() ? std::string("PT_NOTE")
                                       : printable(section, kMessageNameMax);
    // Names and descriptors are padded to the block's alignment; 0 and 1
    // mean 4, as in readelf and the kernel.
    if (align < 4)
      align = 4;
    if (align != 4 && align != 8)
      return makeError(what + ": note alignment " + Twine(align) +
                       " is neither 4 nor 8");
    LDPIN_TRY(block, checkedSlice(file, offset, size, what));
    uint64_t pos = 0;
    while (block.size() - pos >= sizeof(Nhdr)) {
      LDPIN_TRY(h, checkedRead<Nhdr>(block, pos, what + " note header"));
      uint64_t nameAt = pos + sizeof(Nhdr);
      uint64_t namesz = h.n_namesz, descsz = h.n_descsz;
      // The descriptor and the next note start at the next multiple of the
      // alignment, counted from this note's header.
      uint64_t descAt = pos + llvm::alignTo(sizeof(Nhdr) + namesz, align);
      LDPIN_TRY(name, checkedSlice(block, nameAt, namesz, what + " note name"));
      LDPIN_TRY(desc,
                checkedSlice(block, descAt, descsz, what + " note descriptor"));
      Note n;
      n.section = section;
      n.owner = std::string(
          reinterpret_cast<const char *>(name.data()),
          strnlen(reinterpret_cast<const char *>(name.data()), name.size()));
      n.type = h.n_type;
      n.kind = classifyNote(n.owner, n.type);
      n.desc.assign(desc.begin(), desc.end());
      n.fileOffset = offset + pos;
      n.descOffset = offset + descAt;
      out.notes.push_back(std::move(n));
      // Both sizes are below 2^32 and inside the block: no overflow here.
      pos += llvm::alignTo(descAt - pos + descsz, align);
      if (pos >= block.size())
        break;
    }
    return Error::success();
  }
};

} // namespace

Expected<uint64_t> fileOffsetOf(const ElfInfo &info, uint64_t vaddr,
                                uint64_t size, const Twine &what) {
  uint64_t end;
  if (__builtin_add_overflow(vaddr, size, &end))
    return makeError(what + ": address " + hex(vaddr) + " + " + hex(size) +
                     " overflows 64 bits");
  for (const Segment &s : info.segments) {
    if (s.type != llvm::ELF::PT_LOAD || vaddr < s.vaddr)
      continue;
    uint64_t segEnd;
    if (__builtin_add_overflow(s.vaddr, s.filesz, &segEnd) || end > segEnd)
      continue;
    // Inside the file: the reader checked every segment's range.
    return s.offset + (vaddr - s.vaddr);
  }
  return makeError(what + " at address " + hex(vaddr) + " (size " + hex(size) +
                   ") is not inside the file part of any PT_LOAD segment");
}

namespace {

template <class ELFT>
Expected<ElfInfo> readAs(ArrayRef<uint8_t> bytes, const ReadOptions &options) {
  ElfInfo info;
  Reader<ELFT> reader(bytes, info, options);
  if (Error e = reader.run())
    return e;
  return info;
}

} // namespace

Expected<ElfInfo> read(llvm::MemoryBufferRef image,
                       const ReadOptions &options) {
  ArrayRef<uint8_t> bytes(
      reinterpret_cast<const uint8_t *>(image.getBufferStart()),
      image.getBufferSize());
  if (bytes.size() < llvm::ELF::EI_NIDENT ||
      std::memcmp(bytes.data(), llvm::ELF::ElfMagic, 4) != 0)
    return makeError(ErrorKind::NotElf, "not an ELF file");
  uint8_t cls = bytes[llvm::ELF::EI_CLASS];
  uint8_t data = bytes[llvm::ELF::EI_DATA];
  if (data != llvm::ELF::ELFDATA2LSB && data != llvm::ELF::ELFDATA2MSB)
    return makeError("unknown ELF byte order " + llvm::Twine(unsigned(data)) +
                     " in e_ident");
  bool little = data == llvm::ELF::ELFDATA2LSB;
  if (cls == llvm::ELF::ELFCLASS32)
    return little ? readAs<llvm::object::ELF32LE>(bytes, options)
                  : readAs<llvm::object::ELF32BE>(bytes, options);
  if (cls == llvm::ELF::ELFCLASS64)
    return little ? readAs<llvm::object::ELF64LE>(bytes, options)
                  : readAs<llvm::object::ELF64BE>(bytes, options);
  return makeError("unknown ELF class " + llvm::Twine(unsigned(cls)) +
                   " in e_ident");
}

Expected<ElfInfo> readFile(const std::string &path,
                           const ReadOptions &options) {
  // This runs for every library of every link, so it saves syscalls: a
  // small file is read whole with one read(); only a file larger than the
  // buffer is mapped, and then only the pages the reader touches are
  // loaded, so a large library costs what its headers cost.
  // O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then
  // refuses it); it changes nothing for regular files.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      return makeError("no such file");
    if (err == EISDIR)
      return makeError("is a directory");
    return makeError("cannot read: " + llvm::Twine(std::strerror(err)));
  }
  constexpr size_t kSmall = 64 * 1024;
  // Not zero-filled: read() writes what is used.
  std::unique_ptr<char[]> buf = std::make_unique_for_overwrite<char[]>(kSmall);
  ssize_t n;
  do
    n = ::read(fd, buf.get(), kSmall);
  while (n < 0 && errno == EINTR);
  int readErr = errno;
  struct stat st;
  if (n > 0 && static_cast<size_t>(n) < kSmall && ::fstat(fd, &st) == 0 &&
      S_ISREG(st.st_mode) && st.st_size == n) {
    ::close(fd); // the whole regular file is in the buffer
    return read(llvm::MemoryBufferRef(llvm::StringRef(buf.get(), n), path),
                options);
  }
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return makeError("cannot stat: " + llvm::Twine(std::strerror(err)));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return makeError("is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError("not a regular file");
  }
  if (n < 0) {
    ::close(fd);
    return makeError("cannot read: " + llvm::Twine(std::strerror(readErr)));
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return makeError(ErrorKind::NotElf, "not an ELF file");
  }
  void *map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int mapErr = errno;
  ::close(fd);
  if (map == MAP_FAILED)
    return makeError("cannot read: " + llvm::Twine(std::strerror(mapErr)));
  Expected<ElfInfo> info =
      read(llvm::MemoryBufferRef(
               llvm::StringRef(static_cast<const char *>(map), size), path),
           options);
  ::munmap(map, size);
  return info;
}

} // namespace ldpin::elf
