// The layout of the `.note.ldpin` record (doc/ldpin-note.md) as plain
// constants, for every parser of it: core's (ldpin/note.h) and the audit
// module's, which is freestanding (no libc, no libstdc++), so this header
// includes nothing but the compiler's own <stdint.h> (a test compiles it
// with -ffreestanding -nostdinc++). One place for the format, so that both
// parsers follow one.
#pragma once

#include <stdint.h>

namespace ldpin::note::format {

// The note: owner "ldpin" (6 bytes with its NUL, padded to 8), type 1.
inline constexpr char kOwner[] = "ldpin";
inline constexpr uint32_t kOwnerSize = 6;
inline constexpr uint32_t kType = 1;            // NT_LDPIN_RECORD
inline constexpr uint32_t kNoteHeaderSize = 20; // Nhdr + "ldpin\0" padded

// The descriptor's header: four u32 in the file's byte order.
inline constexpr uint32_t kVersionAt = 0;
inline constexpr uint32_t kUsedAt = 4;
inline constexpr uint32_t kReserveOffsetAt = 8;
inline constexpr uint32_t kReserveSizeAt = 12;
inline constexpr uint32_t kHeaderSize = 16;
// Version 2: reserve_offset/reserve_size name the whole reserved region
// (the editor takes its free bytes to be those nothing references); version
// 1 named the part still free. Both are read; version 2 is written.
inline constexpr uint32_t kVersion = 2;
inline constexpr uint32_t kOldestVersion = 1;

// Then records: u32 tag, u32 length, the value, zero padding to 4.
inline constexpr uint32_t kRecordHeaderSize = 8;
enum Tag : uint32_t {
  kEnd = 0,
  kChannel = 1,
  kLibc = 2,
  kNeeded = 3, // name\0path\0build-id\0
  kSoname = 4,
  kBuildRunpath = 5,
};

} // namespace ldpin::note::format
