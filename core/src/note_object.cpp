// The relocatable object that carries `.note.ldpin` (see note_object.h),
// written through libObject's ELFType structures so that class and byte
// order come from the types.
#include "ldpin/note_object.h"

#include "ldpin/checked.h"
#include "ldpin/note.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Object/ELFTypes.h>

#include <cstring>

namespace ldpin::note {
namespace {

constexpr uint64_t kShfGnuRetain = 0x200000;

template <class ELFT>
std::vector<uint8_t> writeObject(const ObjectTarget &t,
                                 const std::vector<uint8_t> &noteBytes) {
  using Ehdr = typename ELFT::Ehdr;
  using Shdr = typename ELFT::Shdr;
  const bool withProperty = !t.gnuProperty.empty();
  std::string shstrtab(1, '\0');
  auto addName = [&](const char *n) {
    uint32_t at = static_cast<uint32_t>(shstrtab.size());
    shstrtab += n;
    shstrtab += '\0';
    return at;
  };
  uint32_t noteName = addName(".note.ldpin");
  uint32_t propName = withProperty ? addName(".note.gnu.property") : 0;
  uint32_t stackName = addName(".note.GNU-stack");
  uint32_t strName = addName(".shstrtab");

  std::vector<uint8_t> out(sizeof(Ehdr), 0);
  auto place = [&](const void *data, size_t size, uint64_t align) {
    out.resize(llvm::alignTo(out.size(), align), 0);
    uint64_t at = out.size();
    const uint8_t *p = static_cast<const uint8_t *>(data);
    out.insert(out.end(), p, p + size);
    return at;
  };
  uint64_t noteAt = place(noteBytes.data(), noteBytes.size(), 4);
  uint64_t propAt = withProperty
                        ? place(t.gnuProperty.data(), t.gnuProperty.size(),
                                t.gnuPropertyAlign)
                        : 0;
  uint64_t strAt = place(shstrtab.data(), shstrtab.size(), 1);

  std::vector<Shdr> shdrs(1); // the null section
  Shdr note{};
  note.sh_name = noteName;
  note.sh_type = llvm::ELF::SHT_NOTE;
  note.sh_flags = llvm::ELF::SHF_ALLOC | kShfGnuRetain;
  note.sh_offset = noteAt;
  note.sh_size = noteBytes.size();
  note.sh_addralign = 4;
  shdrs.push_back(note);
  if (withProperty) {
    Shdr prop{};
    prop.sh_name = propName;
    prop.sh_type = llvm::ELF::SHT_NOTE;
    prop.sh_flags = llvm::ELF::SHF_ALLOC;
    prop.sh_offset = propAt;
    prop.sh_size = t.gnuProperty.size();
    prop.sh_addralign = t.gnuPropertyAlign;
    shdrs.push_back(prop);
  }
  // An empty .note.GNU-stack: without it GNU ld gives the whole output an
  // executable stack.
  Shdr stack{};
  stack.sh_name = stackName;
  stack.sh_type = llvm::ELF::SHT_PROGBITS;
  stack.sh_offset = strAt;
  stack.sh_addralign = 1;
  shdrs.push_back(stack);
  Shdr str{};
  str.sh_name = strName;
  str.sh_type = llvm::ELF::SHT_STRTAB;
  str.sh_offset = strAt;
  str.sh_size = shstrtab.size();
  str.sh_addralign = 1;
  shdrs.push_back(str);
  uint64_t shoff =
      place(shdrs.data(), shdrs.size() * sizeof(Shdr), ELFT::Is64Bits ? 8 : 4);

  Ehdr h{};
  std::memcpy(h.e_ident, llvm::ELF::ElfMagic, 4);
  h.e_ident[llvm::ELF::EI_CLASS] =
      ELFT::Is64Bits ? llvm::ELF::ELFCLASS64 : llvm::ELF::ELFCLASS32;
  h.e_ident[llvm::ELF::EI_DATA] =
      t.bigEndian ? llvm::ELF::ELFDATA2MSB : llvm::ELF::ELFDATA2LSB;
  h.e_ident[llvm::ELF::EI_VERSION] = llvm::ELF::EV_CURRENT;
  h.e_type = llvm::ELF::ET_REL;
  h.e_machine = t.machine;
  h.e_version = llvm::ELF::EV_CURRENT;
  h.e_flags = t.flags;
  h.e_ehsize = sizeof(Ehdr);
  h.e_shoff = shoff;
  h.e_shentsize = sizeof(Shdr);
  h.e_shnum = static_cast<uint16_t>(shdrs.size());
  h.e_shstrndx = static_cast<uint16_t>(shdrs.size() - 1);
  std::memcpy(out.data(), &h, sizeof(Ehdr));
  return out;
}

} // namespace

ObjectTarget targetOf(const elf::ElfInfo &obj, llvm::ArrayRef<uint8_t> bytes) {
  ObjectTarget t;
  t.elfClass = obj.elfClass;
  t.bigEndian = obj.bigEndian;
  t.machine = obj.machine;
  t.flags = obj.flags;
  for (const elf::Section &s : obj.sections)
    if (s.type == llvm::ELF::SHT_NOTE && s.name == ".note.gnu.property" &&
        s.offset <= bytes.size() && s.size <= bytes.size() - s.offset) {
      t.gnuProperty.assign(bytes.begin() + s.offset,
                           bytes.begin() + s.offset + s.size);
      t.gnuPropertyAlign = std::max<uint64_t>(s.align, 4);
      break;
    }
  return t;
}

llvm::Expected<std::vector<uint8_t>> makeObject(const ObjectTarget &target,
                                                uint32_t descSize) {
  llvm::Expected<std::vector<uint8_t>> noteBytes =
      encodeNote(Record{}, target.bigEndian, descSize);
  if (!noteBytes)
    return noteBytes.takeError();
  if (target.elfClass == 64)
    return target.bigEndian
               ? writeObject<llvm::object::ELF64BE>(target, *noteBytes)
               : writeObject<llvm::object::ELF64LE>(target, *noteBytes);
  return target.bigEndian
             ? writeObject<llvm::object::ELF32BE>(target, *noteBytes)
             : writeObject<llvm::object::ELF32LE>(target, *noteBytes);
}

} // namespace ldpin::note
