// The `.note.ldpin` record: encoder and parser (see note.h and
// doc/ldpin-note.md). Integers follow the ELF file's byte order.
#include "ldpin/note.h"

#include "ldpin/checked.h"

#include <llvm/Support/Endian.h>

namespace ldpin::note {
namespace {

uint32_t pad4(uint64_t n) { return static_cast<uint32_t>((n + 3) & ~3ull); }

uint32_t load32(const uint8_t *p, bool big) {
  return big ? llvm::support::endian::read32be(p)
             : llvm::support::endian::read32le(p);
}

void store32(uint8_t *p, uint32_t v, bool big) {
  if (big)
    llvm::support::endian::write32be(p, v);
  else
    llvm::support::endian::write32le(p, v);
}

// Calls f(tag, strings) for each record of `r`, in the order they are
// written; a record's value is its strings, each followed by a NUL.
template <typename F> void forEachRecord(const Record &r, F &&f) {
  if (r.channel)
    f(kChannel, {llvm::StringRef(*r.channel)});
  if (r.libc)
    f(kLibc, {llvm::StringRef(*r.libc)});
  for (const Needed &n : r.needed)
    f(kNeeded, {llvm::StringRef(n.name), llvm::StringRef(n.path),
                llvm::StringRef(n.buildId)});
  if (r.soname)
    f(kSoname, {llvm::StringRef(*r.soname)});
  for (const std::string &d : r.buildRunpath)
    f(kBuildRunpath, {llvm::StringRef(d)});
}

// Splits a value into exactly `count` NUL-terminated strings.
llvm::Expected<std::vector<std::string>>
strings(llvm::ArrayRef<uint8_t> value, size_t count, const char *what) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < value.size()) {
    llvm::Expected<llvm::StringRef> s =
        checkedCString(value, pos, llvm::Twine(what) + " record");
    if (!s)
      return s.takeError();
    out.push_back(s->str());
    pos += s->size() + 1;
  }
  if (out.size() != count)
    return makeError(llvm::Twine(what) + " record holds " +
                     llvm::Twine(out.size()) + " strings, expected " +
                     llvm::Twine(count));
  return out;
}

uint64_t valueLength(std::initializer_list<llvm::StringRef> strings) {
  uint64_t n = 0;
  for (llvm::StringRef s : strings)
    n += s.size() + 1;
  return n;
}
} // namespace

uint32_t entrySize(uint64_t valueLength) {
  return static_cast<uint32_t>(format::kRecordHeaderSize + pad4(valueLength));
}

uint32_t encodedSize(const Record &r) {
  uint64_t size = kHeaderSize + format::kRecordHeaderSize; // header, end record
  forEachRecord(r, [&](uint32_t, std::initializer_list<llvm::StringRef> v) {
    size += entrySize(valueLength(v));
  });
  return static_cast<uint32_t>(size);
}

llvm::Expected<std::vector<uint8_t>> encode(const Record &r, bool bigEndian,
                                            uint32_t descSize) {
  uint32_t used = encodedSize(r);
  if (descSize % 4 != 0)
    return makeError("ldpin note size " + llvm::Twine(descSize) +
                     " is not a multiple of 4");
  if (used > descSize)
    return makeError("ldpin note needs " + llvm::Twine(used) +
                     " bytes but only " + llvm::Twine(descSize) +
                     " are reserved");
  std::vector<uint8_t> out(descSize, 0);
  store32(&out[format::kVersionAt], kVersion, bigEndian);
  store32(&out[format::kUsedAt], used, bigEndian);
  store32(&out[format::kReserveOffsetAt], r.reserveOffset, bigEndian);
  store32(&out[format::kReserveSizeAt], r.reserveSize, bigEndian);
  size_t pos = kHeaderSize;
  forEachRecord(r, [&](uint32_t tag, std::initializer_list<llvm::StringRef> v) {
    uint64_t length = valueLength(v);
    store32(&out[pos], tag, bigEndian);
    store32(&out[pos + 4], static_cast<uint32_t>(length), bigEndian);
    size_t at = pos + 8;
    for (llvm::StringRef s : v) {
      std::copy(s.begin(), s.end(), out.begin() + at);
      at += s.size() + 1; // the NUL: `out` is zero-filled
    }
    pos += entrySize(length);
  });
  store32(&out[pos], kEnd, bigEndian); // and a zero length
  return out;
}

llvm::Expected<std::vector<uint8_t>> encodeNote(const Record &r, bool bigEndian,
                                                uint32_t descSize) {
  llvm::Expected<std::vector<uint8_t>> desc = encode(r, bigEndian, descSize);
  if (!desc)
    return desc.takeError();
  std::vector<uint8_t> out(kNoteHeaderSize, 0);
  store32(&out[0], format::kOwnerSize, bigEndian);
  store32(&out[4], descSize, bigEndian);
  store32(&out[8], kType, bigEndian);
  std::memcpy(&out[12], format::kOwner, format::kOwnerSize);
  out.insert(out.end(), desc->begin(), desc->end());
  return out;
}

llvm::Expected<Record> parse(llvm::ArrayRef<uint8_t> desc, bool bigEndian) {
  if (desc.size() < kHeaderSize + format::kRecordHeaderSize)
    return makeError("ldpin note: descriptor of " + llvm::Twine(desc.size()) +
                     " bytes is too small");
  uint32_t version = load32(&desc[format::kVersionAt], bigEndian);
  if (version < kOldestVersion || version > kVersion)
    return makeError("ldpin note: unsupported format version " +
                     llvm::Twine(version) + " (this ldpin reads versions " +
                     llvm::Twine(kOldestVersion) + " to " +
                     llvm::Twine(kVersion) + ")");
  uint32_t used = load32(&desc[format::kUsedAt], bigEndian);
  if (used < kHeaderSize + format::kRecordHeaderSize || used % 4 != 0 ||
      used > desc.size())
    return makeError("ldpin note: used size " + llvm::Twine(used) +
                     " is not a multiple of 4 between 24 and the descriptor "
                     "size " +
                     llvm::Twine(desc.size()));
  Record r;
  r.version = version;
  r.reserveOffset = load32(&desc[format::kReserveOffsetAt], bigEndian);
  r.reserveSize = load32(&desc[format::kReserveSizeAt], bigEndian);
  uint32_t ignored;
  if (__builtin_add_overflow(r.reserveOffset, r.reserveSize, &ignored))
    return makeError("ldpin note: reserved space " + hex(r.reserveOffset) +
                     " + " + hex(r.reserveSize) + " overflows");
  llvm::ArrayRef<uint8_t> body = desc.take_front(used);
  uint64_t pos = kHeaderSize;
  for (;;) {
    if (body.size() - pos < 8)
      return makeError("ldpin note: no end record inside the used size");
    uint32_t tag = load32(&body[pos], bigEndian);
    uint32_t length = load32(&body[pos + 4], bigEndian);
    llvm::Expected<llvm::ArrayRef<uint8_t>> value =
        checkedSlice(body, pos + 8, length, "ldpin note record");
    if (!value)
      return value.takeError();
    pos += 8 + pad4(length);
    if (tag == kEnd) {
      if (length != 0 || pos != used)
        return makeError("ldpin note: the end record is not last");
      break;
    }
    switch (tag) {
    case kChannel:
    case kLibc:
    case kSoname:
    case kBuildRunpath: {
      const char *what = tag == kChannel  ? "channel"
                         : tag == kLibc   ? "libc"
                         : tag == kSoname ? "soname"
                                          : "build-runpath";
      llvm::Expected<std::vector<std::string>> s = strings(*value, 1, what);
      if (!s)
        return s.takeError();
      if (tag == kBuildRunpath) {
        r.buildRunpath.push_back((*s)[0]);
        break;
      }
      std::optional<std::string> &field = tag == kChannel ? r.channel
                                          : tag == kLibc  ? r.libc
                                                          : r.soname;
      if (field)
        return makeError(llvm::Twine("ldpin note: more than one ") + what +
                         " record");
      field = (*s)[0];
      break;
    }
    case kNeeded: {
      llvm::Expected<std::vector<std::string>> s = strings(*value, 3, "needed");
      if (!s)
        return s.takeError();
      r.needed.push_back({(*s)[0], (*s)[1], (*s)[2]});
      break;
    }
    default:
      break; // a newer tag: skipped
    }
  }
  return r;
}

} // namespace ldpin::note
