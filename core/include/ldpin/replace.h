// Replacing a file with a new one made beside it, the one way every tool of
// ldpin replaces a file: the editor's commit() and the fixup's patchelf
// route both go through replaceFile(), so that a replaced file keeps its
// owner and mode (set-ID bits included) and is never seen half-written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/Support/Error.h>

namespace ldpin {

// Writes all of `size` bytes of `data` at `offset` of `fd`, retrying short
// writes. The message is "cannot write: REASON".
llvm::Error writeAll(int fd, const uint8_t *data, size_t size, uint64_t offset);

// Replaces `path`: a temporary file is made beside it (PATH.ldpin-XXXXXX,
// mode 0600 then), `fill` writes its contents through the open descriptor,
// the descriptor is closed, `finish` (when given) may work on the temporary
// file by name (run a tool on it, check it), then the temporary file gets
// `path`'s owner (when run as root) and then its mode (chown clears set-ID
// bits that chmod sets), and is renamed over `path`. Any failure removes the
// temporary file and leaves `path` as it was; messages do not name `path`
// (the caller does).
llvm::Error replaceFile(
    const std::string &path, llvm::function_ref<llvm::Error(int fd)> fill,
    llvm::function_ref<llvm::Error(const std::string &tmp)> finish = nullptr);

} // namespace ldpin
