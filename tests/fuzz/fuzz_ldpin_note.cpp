// libFuzzer target for the `.note.ldpin` parser: any descriptor either parses
// or gives a one-line error; what parses must encode back to a descriptor that
// parses to the same record (in the current format version: a version 1
// range is written as a version 2 region, which the editor reads the same).
#include "ldpin/note.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  bool big = data[0] & 1;
  llvm::ArrayRef<uint8_t> desc(data + 1, size - 1);
  llvm::Expected<ldpin::note::Record> r = ldpin::note::parse(desc, big);
  if (!r) {
    std::string msg = llvm::toString(r.takeError());
    if (msg.empty() || msg.find('\n') != std::string::npos)
      __builtin_trap();
    return 0;
  }
  llvm::Expected<std::vector<uint8_t>> again =
      ldpin::note::encode(*r, big, ldpin::note::encodedSize(*r));
  if (!again)
    __builtin_trap();
  llvm::Expected<ldpin::note::Record> back = ldpin::note::parse(*again, big);
  r->version = ldpin::note::kVersion;
  if (!back || !(*back == *r))
    __builtin_trap();
  return 0;
}
