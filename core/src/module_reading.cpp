// See module_reading.h.
#include "module_reading.h"

#include "elf_view.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ldpin::loader::detail {
namespace {

ModuleReading from(const char *why, const audit::Record &r) {
  ModuleReading out;
  if (why) {
    out.why = why;
    return out;
  }
  out.record = r.present;
  if (r.present && r.channel)
    out.channel = r.channel;
  if (r.present && r.libc)
    out.libc = r.libc;
  return out;
}

} // namespace

bool moduleReads(unsigned elfClass, uint16_t machine) {
  return elfClass == (audit::kNativeClass == ELFCLASS64 ? 64u : 32u) &&
         machine == audit::kNativeMachine;
}

ModuleReading readAsTheModule(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return {};
  struct stat st;
  void *p = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE,
               fd, 0);
  ::close(fd);
  if (p == MAP_FAILED)
    return {};
  audit::ElfView v{};
  const char *why = audit::readElf(static_cast<const unsigned char *>(p),
                                   static_cast<size_t>(st.st_size), v);
  ModuleReading out = from(why, v.record);
  ::munmap(p, static_cast<size_t>(st.st_size));
  return out;
}

ModuleReading parseAsTheModule(const std::vector<uint8_t> &desc) {
  audit::Record r{};
  const char *why = audit::parseRecord(desc.data(), desc.size(), r);
  return from(why, r);
}

} // namespace ldpin::loader::detail
