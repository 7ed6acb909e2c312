// The ELF reader (see elf.h): one template over libObject's ELFType, so that
// byte order and class are carried by the types, and every access to the file
// goes through the checked helpers of checked.h.
//
// Tables the loader reaches through addresses (DT_STRTAB, DT_VERNEED,
// DT_VERDEF, and with ReadOptions::symbols DT_SYMTAB, its hash tables,
// DT_VERSYM and the relocation tables) are mapped to file offsets through
// PT_LOAD segments, as readelf and the loader do, so stripped section
// headers change nothing.
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

#include <algorithm>
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
  using Sym = typename ELFT::Sym;
  using Rel = typename ELFT::Rel;
  using Rela = typename ELFT::Rela;
  using Word = typename ELFT::Word;
  using Half = typename ELFT::Half;

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
    if (options.versions || options.symbols) {
      if (Error e = readVersionNeeds())
        return e;
      if (Error e = readVersionDefs())
        return e;
    }
    if (options.symbols)
      if (Error e = readSymbols())
        return e;
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

  // --- dynamic symbols and relocations (ReadOptions::symbols) ----------

  // Entry `index` of a table of T at address `vaddr`.
  template <class T>
  Expected<T> readEntry(uint64_t vaddr, uint64_t index, const Twine &what) {
    LDPIN_TRY(delta, checkedMul(index, sizeof(T), what));
    LDPIN_TRY(at, checkedAdd(vaddr, delta, what));
    return readAt<T>(at, what);
  }

  // How many entries DT_SYMTAB has as far as lookups go. The loader never
  // needs the number (it reaches definitions through the hash table), so it
  // comes from the hash table as the loader walks it: DT_HASH's nchain, or
  // for DT_GNU_HASH one past the last symbol of the highest chain (or its
  // symoffset when it hashes no symbol at all). Only a file with neither
  // takes it from its .dynsym section header.
  Expected<uint64_t> symbolCount() {
    if (std::optional<uint64_t> gnu = dynValue(llvm::ELF::DT_GNU_HASH))
      return gnuHashCount(*gnu);
    if (std::optional<uint64_t> hash = dynValue(llvm::ELF::DT_HASH)) {
      // Entries are 32-bit words, but 64-bit on s390x and Alpha.
      if (ELFT::Is64Bits && (out.machine == llvm::ELF::EM_S390 ||
                             out.machine == 0x9026 /* EM_ALPHA */)) {
        LDPIN_TRY(n, readEntry<typename ELFT::Xword>(*hash, 1, "DT_HASH"));
        return uint64_t(n);
      }
      LDPIN_TRY(n, readEntry<Word>(*hash, 1, "DT_HASH"));
      return uint64_t(n);
    }
    for (const Section &s : out.sections)
      if (s.type == llvm::ELF::SHT_DYNSYM) {
        if (s.entsize != sizeof(Sym))
          return makeError(".dynsym sh_entsize is " + Twine(s.entsize) +
                           ", expected " + Twine(sizeof(Sym)));
        return s.size / sizeof(Sym);
      }
    return makeError("DT_SYMTAB without DT_GNU_HASH or DT_HASH, and no "
                     ".dynsym section header gives its size");
  }

  // DT_GNU_HASH: nbuckets, symoffset, bloom_size, bloom_shift, the bloom
  // words (of the class's size), the buckets, then one chain word per
  // symbol from symoffset on, whose low bit ends a chain.
  Expected<uint64_t> gnuHashCount(uint64_t at) {
    LDPIN_TRY(nbuckets, readEntry<Word>(at, 0, "DT_GNU_HASH"));
    LDPIN_TRY(symoffset, readEntry<Word>(at, 1, "DT_GNU_HASH"));
    LDPIN_TRY(bloomSize, readEntry<Word>(at, 2, "DT_GNU_HASH"));
    LDPIN_TRY(bloomBytes, checkedMul(bloomSize, sizeof(typename ELFT::Addr),
                                     "DT_GNU_HASH"));
    LDPIN_TRY(bloomEnd, checkedAdd(at, 16, "DT_GNU_HASH"));
    LDPIN_TRY(buckets, checkedAdd(bloomEnd, bloomBytes, "DT_GNU_HASH"));
    LDPIN_TRY(bucketBytes, checkedMul(nbuckets, 4, "DT_GNU_HASH buckets"));
    LDPIN_TRY(bucketOff,
              mapAddress(buckets, bucketBytes, "DT_GNU_HASH buckets"));
    LDPIN_TRY(bucketTable, checkedSlice(file, bucketOff, bucketBytes,
                                        "DT_GNU_HASH buckets"));
    uint64_t last = 0;
    for (uint64_t i = 0; i < nbuckets; ++i) {
      LDPIN_TRY(b, checkedRead<Word>(bucketTable, i * 4, "DT_GNU_HASH bucket"));
      last = std::max<uint64_t>(last, b);
    }
    if (last == 0)
      return uint64_t(symoffset); // no symbol is hashed
    if (last < symoffset)
      return makeError("DT_GNU_HASH bucket names symbol " + Twine(last) +
                       ", below its first hashed symbol " + Twine(symoffset));
    LDPIN_TRY(chains, checkedAdd(buckets, bucketBytes, "DT_GNU_HASH chains"));
    // The chain of the last bucket ends at the table's last symbol. Each
    // step reads one word further into the file, so the walk ends.
    for (uint64_t i = last;; ++i) {
      LDPIN_TRY(c, readEntry<Word>(chains, i - symoffset, "DT_GNU_HASH chain"));
      if (c & 1)
        return checkedAdd(i, 1, "DT_GNU_HASH chain");
    }
  }

  Error readSymbols() {
    std::optional<uint64_t> symtab = dynValue(llvm::ELF::DT_SYMTAB);
    uint64_t count = 0;
    if (symtab) {
      if (!out.dynstr)
        return makeError("DT_SYMTAB without DT_STRTAB");
      if (std::optional<uint64_t> ent = dynValue(llvm::ELF::DT_SYMENT);
          ent && *ent != sizeof(Sym))
        return makeError("DT_SYMENT is " + Twine(*ent) + ", expected " +
                         Twine(sizeof(Sym)));
      LDPIN_TRY(n, symbolCount());
      count = n;
    }
    if (Error e = readRelocations())
      return e;
    // A relocation makes the loader read the entry it names, whatever the
    // hash table says: the undefined symbols a GNU hash table does not hash
    // may lie past its last chain (GNU ld puts them after symoffset when
    // nothing is hashed).
    std::string what = "DT_SYMTAB";
    if (!out.relocatedSymbols.empty()) {
      uint64_t last = out.relocatedSymbols.back();
      if (!symtab)
        return makeError("a dynamic relocation names symbol " + Twine(last) +
                         ", but there is no DT_SYMTAB");
      if (last >= count) {
        count = last + 1;
        what = "DT_SYMTAB up to symbol " + std::to_string(last) +
               ", which a dynamic relocation names,";
      }
    }
    if (count) {
      LDPIN_TRY(size, checkedMul(count, sizeof(Sym), what));
      LDPIN_TRY(off, mapAddress(*symtab, size, what));
      LDPIN_TRY(table, checkedSlice(file, off, size, what));
      ArrayRef<uint8_t> versyms;
      if (std::optional<uint64_t> vs = dynValue(llvm::ELF::DT_VERSYM)) {
        LDPIN_TRY(vsize, checkedMul(count, 2, "DT_VERSYM"));
        LDPIN_TRY(voff, mapAddress(*vs, vsize, "DT_VERSYM"));
        LDPIN_TRY(v, checkedSlice(file, voff, vsize, "DT_VERSYM"));
        versyms = v;
        out.hasVersym = true;
      }
      // Version names by index: a definition's vd_ndx, a need's vna_other.
      std::vector<const std::string *> versionNames;
      auto name = [&](uint16_t index, const std::string &n) {
        if (versionNames.size() <= index)
          versionNames.resize(index + 1, nullptr);
        versionNames[index] = &n;
      };
      for (const VersionDef &d : out.versionDefs)
        if (!d.names.empty())
          name(d.index & 0x7fff, d.names[0]);
      for (const VersionNeed &n : out.versionNeeds)
        for (const VersionNeedAux &a : n.aux)
          name(a.other & 0x7fff, a.name);
      out.symbols.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        LDPIN_TRY(sym, checkedRead<Sym>(table, i * sizeof(Sym), "DT_SYMTAB"));
        Symbol s;
        LDPIN_TRY(
            n, dynString(sym.st_name, "dynamic symbol " + Twine(i) + " name"));
        s.name = n.str();
        s.binding = sym.getBinding();
        s.type = sym.getType();
        s.visibility = sym.getVisibility();
        s.shndx = sym.st_shndx;
        s.value = sym.st_value;
        s.size = sym.st_size;
        if (!versyms.empty()) {
          LDPIN_TRY(v, checkedRead<Half>(versyms, i * 2, "DT_VERSYM"));
          s.versionIndex = v & 0x7fff;
          s.versionHidden = (v & 0x8000) != 0;
          // 0 and 1 are local and global: no version of a name.
          if (s.versionIndex > 1) {
            if (s.versionIndex >= versionNames.size() ||
                !versionNames[s.versionIndex])
              return makeError("dynamic symbol " + Twine(i) + " (" +
                               printable(s.name, kMessageNameMax) +
                               ") has version index " + Twine(s.versionIndex) +
                               ", which no version definition or need has");
            s.version = *versionNames[s.versionIndex];
          }
        }
        out.symbols.push_back(std::move(s));
      }
    }
    return Error::success();
  }

  // The symbols that the dynamic relocations name: DT_RELA, DT_REL and
  // DT_JMPREL (of the kind DT_PLTREL says). DT_RELR holds relative
  // relocations only, which name no symbol.
  Error readRelocations() {
    const bool mips64el =
        out.machine == llvm::ELF::EM_MIPS && ELFT::Is64Bits && !out.bigEndian;
    std::vector<uint32_t> named;
    auto table = [&](int64_t addrTag, int64_t sizeTag, int64_t entTag,
                     bool rela, const char *what) -> Error {
      std::optional<uint64_t> addr = dynValue(addrTag);
      if (!addr)
        return Error::success();
      std::optional<uint64_t> size = dynValue(sizeTag);
      const uint64_t entry = rela ? sizeof(Rela) : sizeof(Rel);
      const std::string sizeName =
          "DT_" + describe::dynamicTagName(out.machine, sizeTag);
      if (!size)
        return makeError(Twine(what) + " without " + sizeName);
      if (std::optional<uint64_t> ent =
              entTag ? dynValue(entTag) : std::nullopt;
          ent && *ent != entry)
        return makeError("DT_" + describe::dynamicTagName(out.machine, entTag) +
                         " is " + Twine(*ent) + ", expected " + Twine(entry));
      if (*size % entry != 0)
        return makeError(sizeName + " " + Twine(*size) +
                         " is not a multiple of the entry size " +
                         Twine(entry));
      LDPIN_TRY(off, mapAddress(*addr, *size, what));
      LDPIN_TRY(bytes, checkedSlice(file, off, *size, what));
      for (uint64_t at = 0; at < bytes.size(); at += entry) {
        uint32_t sym;
        if (rela) {
          LDPIN_TRY(r, checkedRead<Rela>(bytes, at, what));
          sym = r.getSymbol(mips64el);
        } else {
          LDPIN_TRY(r, checkedRead<Rel>(bytes, at, what));
          sym = r.getSymbol(mips64el);
        }
        if (sym != 0)
          named.push_back(sym);
      }
      return Error::success();
    };
    if (Error e = table(llvm::ELF::DT_RELA, llvm::ELF::DT_RELASZ,
                        llvm::ELF::DT_RELAENT, true, "DT_RELA"))
      return e;
    if (Error e = table(llvm::ELF::DT_REL, llvm::ELF::DT_RELSZ,
                        llvm::ELF::DT_RELENT, false, "DT_REL"))
      return e;
    if (dynValue(llvm::ELF::DT_JMPREL)) {
      std::optional<uint64_t> kind = dynValue(llvm::ELF::DT_PLTREL);
      if (!kind)
        return makeError("DT_JMPREL without DT_PLTREL");
      if (*kind != uint64_t(llvm::ELF::DT_RELA) &&
          *kind != uint64_t(llvm::ELF::DT_REL))
        return makeError("DT_PLTREL is " + Twine(*kind) +
                         ", neither DT_RELA (7) nor DT_REL (17)");
      if (Error e = table(llvm::ELF::DT_JMPREL, llvm::ELF::DT_PLTRELSZ, 0,
                          *kind == uint64_t(llvm::ELF::DT_RELA), "DT_JMPREL"))
        return e;
    }
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    out.relocatedSymbols = std::move(named);
    return Error::success();
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
