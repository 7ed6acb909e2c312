// Path helpers (see paths.h).
#include "ldpin/paths.h"

#include "ldpin/checked.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ldpin {

std::string dirName(const std::string &p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::string baseName(const std::string &p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string absolute(const std::string &p) {
  if (!p.empty() && p[0] == '/')
    return p;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd))
    return p;
  std::string rest = p;
  while (rest.compare(0, 2, "./") == 0)
    rest.erase(0, 2);
  return rest.empty() || rest == "." ? std::string(cwd)
                                     : std::string(cwd) + "/" + rest;
}

std::string directoryKey(const std::string &dir) {
  size_t end = dir.size();
  while (end > 1 && dir[end - 1] == '/')
    --end;
  return dir.substr(0, end);
}

std::string realPath(const std::string &p) {
  char *r = ::realpath(p.c_str(), nullptr);
  if (!r)
    return "";
  std::string out(r);
  std::free(r);
  return out;
}

std::vector<std::string> splitList(const std::string &s, char sep) {
  std::vector<std::string> out;
  if (s.empty())
    return out;
  size_t start = 0;
  for (size_t end; (end = s.find(sep, start)) != std::string::npos;
       start = end + 1)
    out.push_back(s.substr(start, end - start));
  out.push_back(s.substr(start));
  return out;
}

std::vector<std::string> splitWords(const std::string &s) {
  constexpr const char *kBlanks = " \t\n\v\f\r";
  std::vector<std::string> out;
  for (size_t start = s.find_first_not_of(kBlanks);
       start != std::string::npos;) {
    size_t end = s.find_first_of(kBlanks, start);
    out.push_back(s.substr(start, end - start));
    start = end == std::string::npos ? end : s.find_first_not_of(kBlanks, end);
  }
  return out;
}

llvm::Error readWhole(const std::string &path, std::string &text,
                      size_t maxBytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError(std::strerror(errno));
  char buf[8192];
  size_t read = 0;
  while (read < maxBytes) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return makeError(std::strerror(err));
    }
    if (n == 0)
      break;
    text.append(buf, static_cast<size_t>(n));
    read += static_cast<size_t>(n);
  }
  ::close(fd);
  return llvm::Error::success();
}

Listing listDirectory(const std::string &dir, uint64_t maxBytes,
                      llvm::function_ref<void(llvm::StringRef)> each) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return Listing::Failed;
  struct stat st;
  if (::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) > maxBytes) {
    ::close(fd);
    return Listing::TooLarge;
  }
  alignas(8) char buf[32 * 1024];
  uint64_t total = 0;
  long n;
  while ((n = ::syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    total += static_cast<uint64_t>(n);
    if (total > maxBytes) {
      ::close(fd);
      return Listing::TooLarge;
    }
    for (long pos = 0; pos < n;) {
      const struct dirent64 *e =
          reinterpret_cast<const struct dirent64 *>(buf + pos);
      each(e->d_name);
      pos += e->d_reclen;
    }
  }
  ::close(fd);
  return n == 0 ? Listing::Listed : Listing::Failed;
}

} // namespace ldpin
