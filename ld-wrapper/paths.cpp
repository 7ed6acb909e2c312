// Path helpers (see paths.h).
#include "paths.h"

#include <climits>
#include <cstdlib>
#include <unistd.h>

namespace ldpin::wrapper {

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
  return std::string(cwd) + "/" + p;
}

std::string realPath(const std::string &p) {
  char *r = ::realpath(p.c_str(), nullptr);
  if (!r)
    return "";
  std::string out(r);
  std::free(r);
  return out;
}

} // namespace ldpin::wrapper
