// The in-place ELF editor: rewrites dynamic strings (DT_NEEDED, DT_SONAME,
// DT_RUNPATH/DT_RPATH) and the `.note.ldpin` record without moving or growing
// anything.
//
// New strings go into a reserved region of the dynamic string table: at link
// time the placeholder RUNPATH string the wrapper asked the linker for, later
// the free space the record names. Only bytes that nothing references are
// used: bfd merges string suffixes, so a symbol or version name may end
// inside the region; every dynamic string entry, .dynsym name, verneed and
// verdef name is looked at, and the region stops before the first byte any
// of them uses. `vn_file` entries are rewritten together with the DT_NEEDED
// they name (glibc asserts when a version need names a library no loaded
// object answers to).
//
// The editor works on a private copy of the image (a copy-on-write mapping
// for a large file, so that only the pages it reads are touched) and keeps a
// list of byte patches; applyInPlace() writes them into a file the caller owns
// (the wrapper's temporary link output), writeInPlace() into an installed file
// in an order that keeps it loadable at every step, and commit() writes a
// temporary file beside the target and renames it over it.
#pragma once

#include "ldpin/elf.h"
#include "ldpin/note.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/Support/Error.h>

namespace ldpin::edit {

// The bytes of a file being edited: owned in memory, or a private
// copy-on-write mapping of the file.
class Image {
public:
  Image() = default;
  explicit Image(std::vector<uint8_t> bytes) : owned_(std::move(bytes)) {}
  // Maps `size` bytes of `fd` privately (PROT_READ | PROT_WRITE).
  static llvm::Expected<Image> map(int fd, size_t size);
  Image(Image &&other) noexcept { *this = std::move(other); }
  Image &operator=(Image &&other) noexcept;
  Image(const Image &) = delete;
  Image &operator=(const Image &) = delete;
  ~Image();

  uint8_t *data() { return map_ ? map_ : owned_.data(); }
  const uint8_t *data() const { return map_ ? map_ : owned_.data(); }
  size_t size() const { return map_ ? mapSize_ : owned_.size(); }
  uint8_t *begin() { return data(); }
  const uint8_t *begin() const { return data(); }
  operator llvm::ArrayRef<uint8_t>() const { return {data(), size()}; }

private:
  std::vector<uint8_t> owned_;
  uint8_t *map_ = nullptr;
  size_t mapSize_ = 0;
};

class Editor {
public:
  // Reads `path` (a file above kMapAbove bytes is mapped) and parses it; it
  // must have a dynamic section with a string table.
  static constexpr size_t kMapAbove = 64 * 1024;
  static llvm::Expected<Editor> load(const std::string &path);
  static llvm::Expected<Editor> fromBytes(std::vector<uint8_t> bytes);

  const elf::ElfInfo &info() const { return info_; }
  llvm::ArrayRef<uint8_t> bytes() const { return image_; }

  // Makes the string of dynamic entry `dynIndex` (its position in
  // info().dynamic) the reserved region, for an output just linked with a
  // placeholder RUNPATH: its bytes, minus any that something else references,
  // become free space, and the entry itself will be rewritten or removed.
  llvm::Error reserveFromEntry(size_t dynIndex);
  // Uses [offset, offset + size) of .dynstr (from the record) as free space.
  llvm::Error reserveRange(uint32_t offset, uint32_t size);

  // Sets DT_NEEDED number `neededIndex` (in DT_NEEDED order) to `value`, and
  // every vn_file that named the old string.
  llvm::Error setNeeded(size_t neededIndex, const std::string &value);
  // Sets DT_SONAME (which must exist).
  llvm::Error setSoname(const std::string &value);
  // Sets the RUNPATH (or RPATH, whichever the file has) to `value`; an empty
  // value removes the entry (an empty RUNPATH would mean the current
  // directory to some loaders).
  llvm::Error setRunpath(const std::string &value);
  // Rewrites the descriptor of the `.note.ldpin` note in place, with the free
  // reserved space filled in from the editor's state.
  llvm::Error setRecord(note::Record record);

  // Bytes of reserved space still free, and where.
  uint32_t freeOffset() const { return static_cast<uint32_t>(cursor_); }
  uint32_t freeSize() const { return static_cast<uint32_t>(limit_ - cursor_); }

  bool changed() const { return !patches_.empty(); }

  // Writes the patches into `path`, which must hold the same bytes the
  // editor was loaded from (a file the caller owns).
  llvm::Error applyInPlace(const std::string &path) const;
  // Writes the patches into `path`, which must still be the file the editor
  // was loaded from (same device, inode and size: checked on the open file),
  // in three steps, each a prefix after which the file still loads and means
  // the old or the new: first the bytes of .dynstr (new strings go where
  // nothing points yet), then the rest (dynamic entries, vn_file), then the
  // `.note.ldpin` record. The bytes about to be overwritten are read first;
  // when a write fails they are written back and the error is returned.
  // False, with nothing written, when the file cannot be opened for writing
  // (permissions, a running program, a read-only file system): the caller
  // may commit() instead, which needs only the directory to be writable.
  llvm::Expected<bool> writeInPlace(const std::string &path) const;
  // Writes the edited image to a temporary file beside `path` (same mode
  // and owner) and renames it over `path`. Does nothing when unchanged.
  llvm::Error commit(const std::string &path) const;

private:
  Editor() = default;

  llvm::Error init();
  llvm::Expected<std::vector<uint32_t>> referencedOffsets(size_t skipDyn) const;
  llvm::Error setRegion(uint64_t begin, uint64_t end, size_t skipDyn);
  llvm::Expected<uint32_t> allocate(const std::string &s);
  // Points dynamic entry `d` at `value` (allocated when new); returns the
  // string's offset.
  llvm::Expected<uint32_t> setEntryString(elf::DynEntry &d,
                                          const std::string &value);
  void patch(uint64_t offset, const void *data, size_t size);
  // The patches at offsets `keep` accepts, as sorted [begin, end) runs with
  // the small gaps between them filled in: one write each.
  std::vector<std::pair<uint64_t, uint64_t>>
  patchRuns(llvm::function_ref<bool(uint64_t)> keep) const;
  void patchWord(uint64_t offset, uint64_t value, unsigned size);
  llvm::Error removeDynamicEntry(size_t dynIndex);
  std::optional<size_t> findTag(int64_t tag) const;

  Image image_;
  // The file it was loaded from, for writeInPlace(); dev 0 and ino 0 when
  // made from bytes.
  dev_t loadedDev_ = 0;
  ino_t loadedIno_ = 0;
  elf::ElfInfo info_;
  uint64_t cursor_ = 0, limit_ = 0; // free space in .dynstr offsets
  bool haveRegion_ = false;
  std::optional<size_t> placeholderEntry_; // entry to rewrite or remove
  std::vector<size_t> neededEntries_; // DT_NEEDED positions in info_.dynamic
  std::map<std::string, uint32_t> written_; // strings placed this session
  // (file offset, bytes), in the order they were made.
  // (offset, size) of every patch; the bytes are in image_.
  std::vector<std::pair<uint64_t, uint64_t>> patches_;
};

} // namespace ldpin::edit
