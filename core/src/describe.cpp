// Names and renderings for `ldpin inspect` (see describe.h). Flag names follow
// readelf's spelling so that people can compare the two outputs by eye, and
// the test suite compares them by program.
#include "ldpin/describe.h"

#include "ldpin/checked.h"
#include "ldpin/note.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/Format.h>

#include <array>
#include <utility>

namespace ldpin::describe {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

const char *genericTagName(int64_t tag) {
  switch (tag) {
#define DYNAMIC_TAG(name, value)                                               \
  case value:                                                                  \
    return #name;
#define AARCH64_DYNAMIC_TAG(name, value)
#define HEXAGON_DYNAMIC_TAG(name, value)
#define MIPS_DYNAMIC_TAG(name, value)
#define PPC_DYNAMIC_TAG(name, value)
#define PPC64_DYNAMIC_TAG(name, value)
#define RISCV_DYNAMIC_TAG(name, value)
#define DYNAMIC_TAG_MARKER(name, value)
#include <llvm/BinaryFormat/DynamicTags.def>
#undef DYNAMIC_TAG
#undef AARCH64_DYNAMIC_TAG
#undef HEXAGON_DYNAMIC_TAG
#undef MIPS_DYNAMIC_TAG
#undef PPC_DYNAMIC_TAG
#undef PPC64_DYNAMIC_TAG
#undef RISCV_DYNAMIC_TAG
#undef DYNAMIC_TAG_MARKER
  default:
    return nullptr;
  }
}

// Processor-specific tags share the DT_LOPROC..DT_HIPROC range, so their
// names depend on the machine.
struct ArchTag {
  uint16_t machine;
  int64_t tag;
  const char *name;
};

const ArchTag kArchTags[] = {
#define DYNAMIC_TAG(name, value)
#define DYNAMIC_TAG_MARKER(name, value)
#define AARCH64_DYNAMIC_TAG(name, value) {llvm::ELF::EM_AARCH64, value, #name},
#define HEXAGON_DYNAMIC_TAG(name, value) {llvm::ELF::EM_HEXAGON, value, #name},
#define MIPS_DYNAMIC_TAG(name, value) {llvm::ELF::EM_MIPS, value, #name},
#define PPC_DYNAMIC_TAG(name, value) {llvm::ELF::EM_PPC, value, #name},
#define PPC64_DYNAMIC_TAG(name, value) {llvm::ELF::EM_PPC64, value, #name},
#define RISCV_DYNAMIC_TAG(name, value) {llvm::ELF::EM_RISCV, value, #name},
#include <llvm/BinaryFormat/DynamicTags.def>
#undef DYNAMIC_TAG
#undef DYNAMIC_TAG_MARKER
#undef AARCH64_DYNAMIC_TAG
#undef HEXAGON_DYNAMIC_TAG
#undef MIPS_DYNAMIC_TAG
#undef PPC_DYNAMIC_TAG
#undef PPC64_DYNAMIC_TAG
#undef RISCV_DYNAMIC_TAG
};

const char *machineTagName(uint16_t machine, int64_t tag) {
  for (const ArchTag &t : kArchTags)
    if (t.machine == machine && t.tag == tag)
      return t.name;
  return nullptr;
}

// Values and their names, for the switch-free lookups below.
template <size_t N>
using NameTable = std::array<std::pair<uint64_t, const char *>, N>;

template <size_t N>
const char *lookup(const NameTable<N> &table, uint64_t value) {
  for (const auto &[v, name] : table)
    if (v == value)
      return name;
  return nullptr;
}

template <size_t N>
std::vector<std::string> bitNames(uint64_t flags, const NameTable<N> &table) {
  std::vector<std::string> names;
  for (const auto &[bit, name] : table)
    if (flags & bit) {
      names.emplace_back(name);
      flags &= ~bit;
    }
  for (uint64_t bit = 1; flags; bit <<= 1)
    if (flags & bit) {
      names.push_back(hex(bit));
      flags &= ~bit;
    }
  return names;
}

Value flagsJson(const std::optional<uint64_t> &v,
                std::vector<std::string> (*names)(uint64_t)) {
  if (!v)
    return nullptr;
  Array n;
  for (std::string &s : names(*v))
    n.push_back(std::move(s));
  return Object{{"value", *v}, {"names", std::move(n)}};
}

std::string segmentFlags(uint32_t f) {
  std::string s;
  s += (f & llvm::ELF::PF_R) ? 'R' : ' ';
  s += (f & llvm::ELF::PF_W) ? 'W' : ' ';
  s += (f & llvm::ELF::PF_X) ? 'E' : ' ';
  return s;
}

// The JSON text of an FDO note, without the NUL padding.
std::string noteText(const elf::Note &n) {
  std::string s(n.desc.begin(), n.desc.end());
  size_t nul = s.find('\0');
  if (nul != std::string::npos)
    s.resize(nul);
  return s;
}

bool isJsonNote(elf::NoteKind k) {
  return k == elf::NoteKind::FdoDlopen || k == elf::NoteKind::FdoPackage;
}

} // namespace

std::string dynamicTagName(uint16_t machine, int64_t tag) {
  if (const char *name = machineTagName(machine, tag))
    return name;
  if (const char *name = genericTagName(tag))
    return name;
  switch (tag) {
  case elf::kDtConfig:
    return "CONFIG";
  case elf::kDtDepaudit:
    return "DEPAUDIT";
  case elf::kDtAudit:
    return "AUDIT";
  default:
    break;
  }
  return hex(static_cast<uint64_t>(tag));
}

std::string segmentTypeName(uint32_t type) {
  static const NameTable<12> table{{
      {llvm::ELF::PT_NULL, "NULL"},
      {llvm::ELF::PT_LOAD, "LOAD"},
      {llvm::ELF::PT_DYNAMIC, "DYNAMIC"},
      {llvm::ELF::PT_INTERP, "INTERP"},
      {llvm::ELF::PT_NOTE, "NOTE"},
      {llvm::ELF::PT_SHLIB, "SHLIB"},
      {llvm::ELF::PT_PHDR, "PHDR"},
      {llvm::ELF::PT_TLS, "TLS"},
      {llvm::ELF::PT_GNU_EH_FRAME, "GNU_EH_FRAME"},
      {llvm::ELF::PT_GNU_STACK, "GNU_STACK"},
      {llvm::ELF::PT_GNU_RELRO, "GNU_RELRO"},
      {llvm::ELF::PT_GNU_PROPERTY, "GNU_PROPERTY"},
  }};
  const char *name = lookup(table, type);
  return name ? name : hex(type);
}

std::string fileTypeName(uint16_t type) {
  static const NameTable<5> table{{
      {llvm::ELF::ET_NONE, "NONE"},
      {llvm::ELF::ET_REL, "REL"},
      {llvm::ELF::ET_EXEC, "EXEC"},
      {llvm::ELF::ET_DYN, "DYN"},
      {llvm::ELF::ET_CORE, "CORE"},
  }};
  const char *name = lookup(table, type);
  return name ? name : hex(type);
}

std::string machineName(uint16_t machine) {
  static const NameTable<12> table{{
      {llvm::ELF::EM_386, "i386"},
      {llvm::ELF::EM_X86_64, "x86_64"},
      {llvm::ELF::EM_ARM, "arm"},
      {llvm::ELF::EM_AARCH64, "aarch64"},
      {llvm::ELF::EM_MIPS, "mips"},
      {llvm::ELF::EM_PPC, "ppc"},
      {llvm::ELF::EM_PPC64, "ppc64"},
      {llvm::ELF::EM_RISCV, "riscv"},
      {llvm::ELF::EM_S390, "s390"},
      {llvm::ELF::EM_SPARC, "sparc"},
      {llvm::ELF::EM_SPARCV9, "sparcv9"},
      {llvm::ELF::EM_LOONGARCH, "loongarch"},
  }};
  const char *name = lookup(table, machine);
  return name ? name : "EM_" + std::to_string(machine);
}

std::vector<std::string> dtFlagsNames(uint64_t flags) {
  static const NameTable<5> table{{
      {llvm::ELF::DF_ORIGIN, "ORIGIN"},
      {llvm::ELF::DF_SYMBOLIC, "SYMBOLIC"},
      {llvm::ELF::DF_TEXTREL, "TEXTREL"},
      {llvm::ELF::DF_BIND_NOW, "BIND_NOW"},
      {llvm::ELF::DF_STATIC_TLS, "STATIC_TLS"},
  }};
  return bitNames(flags, table);
}

std::vector<std::string> dtFlags1Names(uint64_t flags) {
  static const NameTable<28> table{{
      {llvm::ELF::DF_1_NOW, "NOW"},
      {llvm::ELF::DF_1_GLOBAL, "GLOBAL"},
      {llvm::ELF::DF_1_GROUP, "GROUP"},
      {llvm::ELF::DF_1_NODELETE, "NODELETE"},
      {llvm::ELF::DF_1_LOADFLTR, "LOADFLTR"},
      {llvm::ELF::DF_1_INITFIRST, "INITFIRST"},
      {llvm::ELF::DF_1_NOOPEN, "NOOPEN"},
      {llvm::ELF::DF_1_ORIGIN, "ORIGIN"},
      {llvm::ELF::DF_1_DIRECT, "DIRECT"},
      {llvm::ELF::DF_1_TRANS, "TRANS"},
      {llvm::ELF::DF_1_INTERPOSE, "INTERPOSE"},
      {llvm::ELF::DF_1_NODEFLIB, "NODEFLIB"},
      {llvm::ELF::DF_1_NODUMP, "NODUMP"},
      {llvm::ELF::DF_1_CONFALT, "CONFALT"},
      {llvm::ELF::DF_1_ENDFILTEE, "ENDFILTEE"},
      {llvm::ELF::DF_1_DISPRELDNE, "DISPRELDNE"},
      {llvm::ELF::DF_1_DISPRELPND, "DISPRELPND"},
      {llvm::ELF::DF_1_NODIRECT, "NODIRECT"},
      {llvm::ELF::DF_1_IGNMULDEF, "IGNMULDEF"},
      {llvm::ELF::DF_1_NOKSYMS, "NOKSYMS"},
      {llvm::ELF::DF_1_NOHDR, "NOHDR"},
      {llvm::ELF::DF_1_EDITED, "EDITED"},
      {llvm::ELF::DF_1_NORELOC, "NORELOC"},
      {llvm::ELF::DF_1_SYMINTPOSE, "SYMINTPOSE"},
      {llvm::ELF::DF_1_GLOBAUDIT, "GLOBAUDIT"},
      {llvm::ELF::DF_1_SINGLETON, "SINGLETON"},
      {llvm::ELF::DF_1_PIE, "PIE"},
      {0x10000000, "KMOD"},
  }};
  return bitNames(flags, table);
}

const char *noteKindName(elf::NoteKind kind) {
  switch (kind) {
  case elf::NoteKind::GnuAbiTag:
    return "gnu-abi-tag";
  case elf::NoteKind::GnuBuildId:
    return "gnu-build-id";
  case elf::NoteKind::GnuProperty:
    return "gnu-property";
  case elf::NoteKind::FdoDlopen:
    return "fdo-dlopen";
  case elf::NoteKind::FdoPackage:
    return "fdo-package";
  case elf::NoteKind::Ldpin:
    return "ldpin";
  case elf::NoteKind::Other:
    return "other";
  }
  return "other";
}

std::string hexBytes(llvm::ArrayRef<uint8_t> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

namespace {

// Builds the JSON form of one file. Strings from the file or the command line
// need not be UTF-8, which JSON requires: each goes through str(), which
// replaces invalid bytes with U+FFFD and remembers that it did.
class JsonBuilder {
public:
  Value build(const std::string &path, const elf::ElfInfo &info);

private:
  bool lossy = false;

  Value str(const std::string &s) {
    if (llvm::json::isUTF8(s))
      return s;
    lossy = true;
    return llvm::json::fixUTF8(s);
  }
  Value optionalStr(const std::optional<std::string> &s) {
    return s ? str(*s) : Value(nullptr);
  }
  Array strings(const std::vector<std::string> &v) {
    Array a;
    for (const std::string &s : v)
      a.push_back(str(s));
    return a;
  }

  // The parsed `.note.ldpin` record as "record", or why it does not parse
  // as "record_error".
  void addRecord(Object &o, const elf::Note &n, bool bigEndian) {
    llvm::Expected<note::Record> r = note::parse(n.desc, bigEndian);
    if (!r) {
      o["record_error"] = llvm::toString(r.takeError());
      return;
    }
    Array needed;
    for (const note::Needed &d : r->needed)
      needed.push_back(Object{{"name", str(d.name)},
                              {"path", str(d.path)},
                              {"build_id", str(d.buildId)}});
    o["record"] = Object{{"version", r->version},
                         {"reserve_offset", r->reserveOffset},
                         {"reserve_size", r->reserveSize},
                         {"channel", optionalStr(r->channel)},
                         {"libc", optionalStr(r->libc)},
                         {"needed", std::move(needed)},
                         {"soname", optionalStr(r->soname)},
                         {"build_runpath", strings(r->buildRunpath)}};
  }
};

Value JsonBuilder::build(const std::string &path, const elf::ElfInfo &info) {
  Array segments;
  for (const elf::Segment &s : info.segments)
    segments.push_back(Object{{"type", segmentTypeName(s.type)},
                              {"type_value", s.type},
                              {"flags", s.flags},
                              {"offset", s.offset},
                              {"vaddr", s.vaddr},
                              {"paddr", s.paddr},
                              {"filesz", s.filesz},
                              {"memsz", s.memsz},
                              {"align", s.align}});
  Array sections;
  for (const elf::Section &s : info.sections)
    sections.push_back(Object{{"name", str(s.name)},
                              {"type", s.type},
                              {"flags", s.flags},
                              {"addr", s.addr},
                              {"offset", s.offset},
                              {"size", s.size},
                              {"link", s.link},
                              {"info", s.info},
                              {"align", s.align},
                              {"entsize", s.entsize}});
  Value dynamic = nullptr;
  if (info.hasDynamic) {
    Array entries;
    for (const elf::DynEntry &d : info.dynamic) {
      Object e{{"tag", d.tag},
               {"name", dynamicTagName(info.machine, d.tag)},
               {"value", d.value}};
      if (d.str)
        e["string"] = str(*d.str);
      entries.push_back(std::move(e));
    }
    Value strtab = nullptr;
    if (info.dynstr)
      strtab = Object{{"vaddr", info.dynstr->vaddr},
                      {"offset", info.dynstr->offset},
                      {"size", info.dynstr->size}};
    dynamic = Object{{"offset", info.dynamicOffset},
                     {"entries", std::move(entries)},
                     {"strtab", std::move(strtab)}};
  }
  Array vneeds;
  for (const elf::VersionNeed &v : info.versionNeeds) {
    Array aux;
    for (const elf::VersionNeedAux &a : v.aux)
      aux.push_back(Object{{"name", str(a.name)},
                           {"hash", a.hash},
                           {"flags", a.flags},
                           {"index", a.other}});
    vneeds.push_back(Object{{"file", str(v.file)},
                            {"version", v.version},
                            {"entries", std::move(aux)}});
  }
  Array vdefs;
  for (const elf::VersionDef &v : info.versionDefs)
    vdefs.push_back(Object{{"version", v.version},
                           {"flags", v.flags},
                           {"index", v.index},
                           {"hash", v.hash},
                           {"names", strings(v.names)}});
  Array notes;
  for (const elf::Note &n : info.notes) {
    Object o{{"section", n.section.empty() ? Value(nullptr) : str(n.section)},
             {"owner", str(n.owner)},
             {"type", n.type},
             {"kind", noteKindName(n.kind)},
             {"size", static_cast<uint64_t>(n.desc.size())},
             {"desc", hexBytes(n.desc)}};
    if (isJsonNote(n.kind))
      o["text"] = str(noteText(n));
    if (n.kind == elf::NoteKind::Ldpin)
      addRecord(o, n, info.bigEndian);
    notes.push_back(std::move(o));
  }

  Object out{
      {"path", str(path)},
      {"class", info.elfClass},
      {"endian", info.bigEndian ? "big" : "little"},
      {"osabi", info.osabi},
      {"abi_version", info.abiVersion},
      {"type", fileTypeName(info.type)},
      {"type_value", info.type},
      {"machine", machineName(info.machine)},
      {"machine_value", info.machine},
      {"flags", info.flags},
      {"entry", info.entry},
      {"file_size", info.fileSize},
      {"segments", std::move(segments)},
      {"sections", std::move(sections)},
      {"interpreter", optionalStr(info.interpreter)},
      {"dynamic", std::move(dynamic)},
      {"needed", strings(info.needed)},
      {"soname", optionalStr(info.soname)},
      {"rpath", optionalStr(info.rpath)},
      {"runpath", optionalStr(info.runpath)},
      {"audit", optionalStr(info.audit)},
      {"depaudit", optionalStr(info.depaudit)},
      {"dt_flags", flagsJson(info.dtFlags, dtFlagsNames)},
      {"dt_flags_1", flagsJson(info.dtFlags1, dtFlags1Names)},
      {"version_needs", std::move(vneeds)},
      {"version_defs", std::move(vdefs)},
      {"build_id",
       info.buildId.empty() ? Value(nullptr) : Value(hexBytes(info.buildId))},
      {"notes", std::move(notes)},
      {"warnings", strings(info.warnings)},
  };
  out["lossy_strings"] = lossy;
  return out;
}

} // namespace

Value toJson(const std::string &path, const elf::ElfInfo &info) {
  return JsonBuilder().build(path, info);
}

Value errorJson(const std::string &path, const std::string &error) {
  bool lossy = !llvm::json::isUTF8(path) || !llvm::json::isUTF8(error);
  return Object{{"path", llvm::json::fixUTF8(path)},
                {"error", llvm::json::fixUTF8(error)},
                {"lossy_strings", lossy}};
}

namespace {

void printRecord(llvm::raw_ostream &os, const elf::Note &n, bool bigEndian) {
  llvm::Expected<note::Record> r = note::parse(n.desc, bigEndian);
  if (!r) {
    os << "    invalid record: " << llvm::toString(r.takeError()) << '\n';
    return;
  }
  if (r->channel)
    os << "    channel:  " << printable(*r->channel) << '\n';
  if (r->libc)
    os << "    libc:     " << printable(*r->libc) << '\n';
  for (const note::Needed &d : r->needed)
    os << "    linked:   " << printable(d.name) << " -> "
       << (d.path.empty() ? "(unresolved)" : printable(d.path))
       << (d.buildId.empty() ? "" : " [" + d.buildId + "]") << '\n';
  if (r->soname)
    os << "    soname:   " << printable(*r->soname) << '\n';
  for (const std::string &d : r->buildRunpath)
    os << "    build-tree runpath: " << printable(d) << '\n';
  os << "    reserved: " << r->reserveSize
     << (r->version < 2 ? " bytes free at .dynstr+" : " bytes at .dynstr+")
     << llvm::format_hex(r->reserveOffset, 0) << " (record version "
     << r->version << ")\n";
}

} // namespace

void printText(llvm::raw_ostream &os, const std::string &path,
               const elf::ElfInfo &info) {
  os << printable(path) << ":\n";
  os << "  ELF" << info.elfClass << ' ' << (info.bigEndian ? "big" : "little")
     << "-endian " << fileTypeName(info.type) << ' '
     << machineName(info.machine) << ", " << info.fileSize << " bytes\n";
  if (info.interpreter)
    os << "  interpreter: " << printable(*info.interpreter) << '\n';
  if (info.soname)
    os << "  soname:      " << printable(*info.soname) << '\n';
  for (const std::string &n : info.needed)
    os << "  needed:      " << printable(n) << '\n';
  if (info.rpath)
    os << "  rpath:       " << printable(*info.rpath) << '\n';
  if (info.runpath)
    os << "  runpath:     " << printable(*info.runpath) << '\n';
  if (info.audit)
    os << "  audit:       " << printable(*info.audit) << '\n';
  if (info.depaudit)
    os << "  depaudit:    " << printable(*info.depaudit) << '\n';
  auto printFlags = [&](const char *label, const std::optional<uint64_t> &v,
                        std::vector<std::string> (*names)(uint64_t)) {
    if (!v)
      return;
    os << "  " << label;
    for (const std::string &n : names(*v))
      os << ' ' << n;
    os << '\n';
  };
  printFlags("flags:      ", info.dtFlags, dtFlagsNames);
  printFlags("flags_1:    ", info.dtFlags1, dtFlags1Names);
  if (!info.buildId.empty())
    os << "  build-id:    " << hexBytes(info.buildId) << '\n';
  for (const elf::VersionNeed &v : info.versionNeeds) {
    os << "  version needs from " << printable(v.file) << ':';
    for (const elf::VersionNeedAux &a : v.aux)
      os << ' ' << printable(a.name);
    os << '\n';
  }
  for (const elf::VersionDef &v : info.versionDefs) {
    os << "  version defined: ";
    for (size_t i = 0; i < v.names.size(); ++i)
      os << (i ? " (parent " : "") << printable(v.names[i]) << (i ? ")" : "");
    os << ((v.flags & llvm::ELF::VER_FLG_BASE) ? " [base]" : "") << '\n';
  }
  if (!info.segments.empty()) {
    os << "  segments:\n";
    for (const elf::Segment &s : info.segments)
      os << "    " << llvm::left_justify(segmentTypeName(s.type), 13) << ' '
         << segmentFlags(s.flags) << " offset " << llvm::format_hex(s.offset, 0)
         << " vaddr " << llvm::format_hex(s.vaddr, 0) << " filesz "
         << llvm::format_hex(s.filesz, 0) << " memsz "
         << llvm::format_hex(s.memsz, 0) << '\n';
  }
  for (const elf::Note &n : info.notes) {
    os << "  note " << (n.section.empty() ? "(PT_NOTE)" : printable(n.section))
       << ": " << printable(n.owner) << ' ' << llvm::format_hex(n.type, 0)
       << " (" << noteKindName(n.kind) << ", " << n.desc.size() << " bytes)";
    if (isJsonNote(n.kind))
      os << ' ' << printable(noteText(n));
    os << '\n';
    if (n.kind == elf::NoteKind::Ldpin)
      printRecord(os, n, info.bigEndian);
  }
  for (const std::string &w : info.warnings)
    os << "  warning: " << printable(w) << '\n';
}

} // namespace ldpin::describe
