// Replacing a file (see replace.h).
#include "ldpin/replace.h"

#include "ldpin/checked.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace ldpin {

using llvm::Error;
using llvm::Twine;

Error writeAll(int fd, const uint8_t *data, size_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) // a write of nothing sets no errno
      return makeError("cannot write: " +
                       Twine(std::strerror(n < 0 ? errno : EIO)));
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Error::success();
}

Error replaceFile(const std::string &path,
                  llvm::function_ref<Error(int fd)> fill,
                  llvm::function_ref<Error(const std::string &tmp)> finish) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return makeError("cannot stat: " + Twine(std::strerror(errno)));
  std::string tmp = path + ".ldpin-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return makeError("cannot create a temporary file beside it: " +
                     Twine(std::strerror(errno)));
  Error e = fill(fd);
  if (::close(fd) != 0 && !e)
    e = makeError("cannot write the temporary file: " +
                  Twine(std::strerror(errno)));
  if (!e && finish)
    e = finish(tmp);
  // The owner before the mode: chown clears the set-user-ID and set-group-ID
  // bits that chmod sets.
  if (!e && ::getuid() == 0 && ::chown(tmp.c_str(), st.st_uid, st.st_gid) != 0)
    e = makeError("cannot keep the owner: " + Twine(std::strerror(errno)));
  if (!e && ::chmod(tmp.c_str(), st.st_mode & 07777) != 0)
    e = makeError("cannot keep the mode: " + Twine(std::strerror(errno)));
  if (!e && ::rename(tmp.c_str(), path.c_str()) != 0)
    e = makeError("cannot replace it: " + Twine(std::strerror(errno)));
  if (e)
    ::unlink(tmp.c_str());
  return e;
}

} // namespace ldpin
