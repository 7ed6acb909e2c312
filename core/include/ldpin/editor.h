// The in-place ELF editor: rewrites dynamic strings (DT_NEEDED, DT_SONAME,
// DT_RUNPATH/DT_RPATH) and the `.note.ldpin` record without moving or growing
// anything.
//
// New strings go into a reserved region of the dynamic string table: at link
// time the placeholder RUNPATH string the wrapper asked the linker for, later
// the region the record names. Only bytes that nothing references when the
// file is loaded are used, first fit: bfd merges string suffixes, so a
// symbol or version name may end inside the region, and a string may start
// before it and run into it; every dynamic string entry, .dynsym name,
// verneed and verdef name is looked at, and every byte of each string that
// lies in the region is kept. Strings an edit replaces become free for the
// next edit (not this one: a file written in place must load at every step),
// so edits that alternate between values do not use the region up. `vn_file`
// entries are rewritten together with the DT_NEEDED they name (glibc asserts
// when a version need names a library no loaded object answers to).
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
  // Uses [offset, offset + size) of .dynstr (from the record) as the
  // region; its bytes that nothing references are free.
  llvm::Error reserveRange(uint32_t offset, uint32_t size);

  // Sets DT_NEEDED number `neededIndex` (in DT_NEEDED order) to `value`, and
  // every vn_file that named the old string.
  llvm::Error setNeeded(size_t neededIndex, const std::string &value);
  // Sets DT_SONAME (which must exist).
  llvm::Error setSoname(const std::string &value);
  // Sets the RUNPATH (or RPATH, whichever the file has) to `value`; an empty
  // value removes the entry (an empty RUNPATH would mean the current
  // directory to some loaders). A file with neither gets a DT_RUNPATH in a
  // spare DT_NULL slot of its dynamic table, when it has one.
  llvm::Error setRunpath(const std::string &value);
  // Sets DT_AUDIT (the audit modules glibc loads for a program) to the one
  // path `value`. A file without one gets it in the place of its DT_SONAME
  // when that reads `slot` (non-empty; the wrapper links with it for this),
  // else in a spare DT_NULL slot of its dynamic table.
  llvm::Error setAudit(const std::string &value, const std::string &slot = "");
  // Rewrites the descriptor of the `.note.ldpin` note in place (format
  // version note::kVersion), with the reserved region filled in from the
  // editor's state; the bytes of the region that nothing references after
  // the edit are zeroed (in the last step of writeInPlace). It is the last
  // edit: a string edit after it is an error.
  llvm::Error setRecord(note::Record record);

  // The reserved region, and how many of its bytes are free now.
  uint32_t regionOffset() const { return static_cast<uint32_t>(regionBegin_); }
  uint32_t regionSize() const {
    return static_cast<uint32_t>(regionEnd_ - regionBegin_);
  }
  uint32_t freeSize() const;

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

  // A byte patch at a file offset, of `size` bytes (the bytes are in
  // image_); `late` ones are written in writeInPlace's last step.
  struct Patch {
    uint64_t offset, size;
    bool late;
  };

  llvm::Error init();
  llvm::Expected<std::vector<uint32_t>> referencedOffsets(size_t skipDyn) const;
  llvm::Error setRegion(uint64_t begin, uint64_t end, size_t skipDyn);
  // Marks the bytes of the region that the strings starting at `refs` use.
  void markUsed(const std::vector<uint32_t> &refs,
                std::vector<bool> &used) const;
  llvm::Expected<uint32_t> allocate(const std::string &s);
  // Points dynamic entry `d` at `value` (allocated when new); returns the
  // string's offset.
  llvm::Expected<uint32_t> setEntryString(elf::DynEntry &d,
                                          const std::string &value);
  // A byte patch; `late` ones are written in the last step of writeInPlace
  // (zeroing strings the new dynamic entries no longer name).
  void patch(uint64_t offset, const void *data, size_t size, bool late = false);
  // The patches at offsets `keep` accepts, as sorted [begin, end) runs with
  // the small gaps between them filled in: one write each.
  std::vector<std::pair<uint64_t, uint64_t>>
  patchRuns(llvm::function_ref<bool(const Patch &)> keep) const;
  void patchWord(uint64_t offset, uint64_t value, unsigned size);
  llvm::Error removeDynamicEntry(size_t dynIndex);
  llvm::Error addStringEntry(int64_t tag, const std::string &value,
                             const char *what);
  // An error once setRecord() has run (it is the last edit).
  llvm::Error notAfterRecord() const;
  std::optional<size_t> findTag(int64_t tag) const;

  Image image_;
  // The file it was loaded from, for writeInPlace(); dev 0 and ino 0 when
  // made from bytes.
  dev_t loadedDev_ = 0;
  ino_t loadedIno_ = 0;
  elf::ElfInfo info_;
  // The region, in .dynstr offsets; used_[i]: byte regionBegin_ + i is
  // referenced since the file was loaded, or was allocated since.
  uint64_t regionBegin_ = 0, regionEnd_ = 0;
  std::vector<bool> used_;
  size_t firstFree_ = 0; // used_[0, firstFree_) are all used
  bool haveRegion_ = false;
  bool recordWritten_ = false; // setRecord() is the last edit
  // PT_DYNAMIC's end in the file (where spare DT_NULL slots may be).
  std::optional<uint64_t> dynamicEnd_;
  std::optional<size_t> placeholderEntry_; // entry to rewrite or remove
  std::vector<size_t> neededEntries_; // DT_NEEDED positions in info_.dynamic
  std::map<std::string, uint32_t> written_; // strings placed this session
  // (file offset, bytes), in the order they were made.
  std::vector<Patch> patches_;
};

} // namespace ldpin::edit
