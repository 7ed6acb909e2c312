// Path and file helpers shared by the wrapper's parts: string operations,
// realPath (which resolves symbolic links), and reading a whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <llvm/Support/Error.h>

namespace ldpin::wrapper {

// "/a/b" -> "/a", "b" -> ".", "/b" -> "/".
std::string dirName(const std::string &p);
// "/a/b" -> "b".
std::string baseName(const std::string &p);
// `p` made absolute against the current directory (no symlinks resolved).
std::string absolute(const std::string &p);
// realpath(3), or "" when it fails.
std::string realPath(const std::string &p);

// Appends the contents of `path` to `text`, stopping once `maxBytes` have
// been read. The error message is strerror() of the call that failed.
llvm::Error readWhole(const std::string &path, std::string &text,
                      size_t maxBytes = SIZE_MAX);

} // namespace ldpin::wrapper
