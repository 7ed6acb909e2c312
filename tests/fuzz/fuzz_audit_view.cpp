// libFuzzer target: the audit module's freestanding reader, built hosted,
// on any bytes: readElf, every NEEDED, every version need, the record and a
// version definition lookup; nothing may read outside the input (ASan) or
// loop (the fuzzer's timeout). Seeds: the same ELF files as the editor's.
#include "elf_view.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // An exact-size copy, so that a read one past the end is caught.
  std::vector<unsigned char> bytes(data, data + size);
  ldpin::audit::ElfView v;
  if (ldpin::audit::readElf(bytes.data(), bytes.size(), v) || !v.native())
    return 0;
  size_t total = 0;
  bool bad = false;
  ldpin::audit::forEachNeeded(
      v, [&](const char *n) { return total += strlen(n), true; }, &bad);
  ldpin::audit::forEachVersionNeed(v, [&](const char *f, const char *n, bool) {
    total += strlen(f) + strlen(n);
    return true;
  });
  ldpin::audit::definesVersion(v, "GLIBC_2.2.5");
  if (v.record.present) {
    for (const char *s : {v.record.channel, v.record.libc, v.record.soname})
      if (s)
        total += strlen(s);
  }
  return total == SIZE_MAX;
}
