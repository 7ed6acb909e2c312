// The `.note.ldpin` record (format: doc/ldpin-note.md): what an output was
// linked against and where its reserved string space is. One encoder and one
// parser, used by every tool; the parser checks everything it reads.
#pragma once

#include "ldpin/note_format.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/Support/Error.h>

namespace ldpin::note {

// The layout's constants (ldpin/note_format.h, shared with the audit
// module's parser).
using format::kBuildRunpath;
using format::kChannel;
using format::kEnd;
using format::kHeaderSize;
using format::kLibc;
using format::kNeeded;
using format::kNoteHeaderSize;
using format::kOldestVersion;
using format::kSoname;
using format::kType;
using format::kVersion;
using format::Tag;

struct Needed {
  std::string name;    // the DT_NEEDED string the linker wrote
  std::string path;    // what it resolved to at link time ("" if nothing)
  std::string buildId; // lowercase hex ("" if none)
  bool operator==(const Needed &) const = default;
};

struct Record {
  uint32_t version = kVersion; // as read; encode() writes kVersion
  // The reserved string space, an offset in .dynstr and a size: the whole
  // region (version 2; version 1: its part still free).
  uint32_t reserveOffset = 0;
  uint32_t reserveSize = 0;
  std::optional<std::string> channel;
  std::optional<std::string> libc;
  std::vector<Needed> needed;
  std::optional<std::string> soname;
  std::vector<std::string> buildRunpath;
  bool operator==(const Record &) const = default;
};

// Bytes of descriptor `r` needs (a multiple of 4).
uint32_t encodedSize(const Record &r);
// Bytes one entry whose value is `valueLength` bytes long (its strings with
// their NULs) adds to encodedSize(): for sizing a record from lengths alone.
uint32_t entrySize(uint64_t valueLength);

// The descriptor for `r`, `descSize` bytes long (zero padded), in the given
// byte order. Fails when `descSize` is smaller than encodedSize(r) or not a
// multiple of 4.
llvm::Expected<std::vector<uint8_t>> encode(const Record &r, bool bigEndian,
                                            uint32_t descSize);

// The whole note (header, name, descriptor) for `r` with a descriptor of
// `descSize` bytes.
llvm::Expected<std::vector<uint8_t>> encodeNote(const Record &r, bool bigEndian,
                                                uint32_t descSize);

// Parses a descriptor. Errors name what is wrong; unknown tags are skipped.
llvm::Expected<Record> parse(llvm::ArrayRef<uint8_t> desc, bool bigEndian);

} // namespace ldpin::note
