// Path and file helpers shared by the tools: string operations on paths,
// realPath (which resolves symbolic links), lists, reading a whole file and
// listing a directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Support/Error.h>

namespace ldpin {

// "/a/b" -> "/a", "b" -> ".", "/b" -> "/".
std::string dirName(const std::string &p);
// "/a/b" -> "b".
std::string baseName(const std::string &p);
// `p` made absolute against the current directory (no symlinks resolved; a
// leading "./" is dropped).
std::string absolute(const std::string &p);
// `dir` without trailing slashes ("/" stays).
std::string directoryKey(const std::string &dir);
// realpath(3), or "" when it fails.
std::string realPath(const std::string &p);

// `s` cut at every `sep` ("a::b" -> "a", "", "b"; "" -> nothing).
std::vector<std::string> splitList(const std::string &s, char sep);
// The words of `s` between runs of blanks (space, \t, \n, \v, \f, \r).
std::vector<std::string> splitWords(const std::string &s);

// Appends the contents of `path` to `text`, stopping once `maxBytes` have
// been read. The error message is strerror() of the call that failed.
llvm::Error readWhole(const std::string &path, std::string &text,
                      size_t maxBytes = SIZE_MAX);

enum class Listing { Listed, TooLarge, Failed };

// Calls `each` with every name in directory `dir` (".", ".." included), in
// the order the file system returns them: open, getdents64 until the end,
// close. A directory whose entries take more than `maxBytes` is left as
// soon as that shows (TooLarge); `each` may have seen some of its names. One
// whose size (st_size: what the file system keeps for its entries, about
// the same bytes on ext4, 20 per entry on tmpfs) is already above `maxBytes`
// is not read at all: reading a large ext4 directory costs more than the
// probes it saves.
Listing listDirectory(const std::string &dir, uint64_t maxBytes,
                      llvm::function_ref<void(llvm::StringRef)> each);

} // namespace ldpin
