// The fixup's tree walk (see walk.h).
#include "walk.h"

#include "ldpin/checked.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <map>
#include <sys/stat.h>

namespace ldpin::fixup {
namespace {

struct Walker {
  Walked out;
  struct Seen {
    size_t index;
    nlink_t links;
  };
  std::map<std::pair<dev_t, ino_t>, Seen> seen;

  void visit(const std::string &path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      out.errors.push_back(printable(path) + ": " + std::strerror(errno));
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      out.links.push_back(path);
      return;
    }
    if (S_ISREG(st.st_mode)) {
      auto [it, added] = seen.try_emplace({st.st_dev, st.st_ino},
                                          Seen{out.files.size(), st.st_nlink});
      if (added) {
        out.files.push_back({path, {}, false});
        return;
      }
      // Another name of a file already met; the same name again (an
      // output given twice, or a file inside an output given too) is not
      // another name.
      Walked::Entry &first = out.files[it->second.index];
      if (path != first.path &&
          std::find(first.aliases.begin(), first.aliases.end(), path) ==
              first.aliases.end())
        first.aliases.push_back(path);
      return;
    }
    if (!S_ISDIR(st.st_mode))
      return;
    DIR *d = ::opendir(path.c_str());
    if (!d) {
      out.errors.push_back(printable(path) + ": " + std::strerror(errno));
      return;
    }
    std::vector<std::string> names;
    while (struct dirent *e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
        names.push_back(e->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end()); // the same order on every run
    for (const std::string &n : names)
      visit(path + (path.back() == '/' ? "" : "/") + n);
  }
};

} // namespace

Walked walk(const std::vector<std::string> &roots) {
  Walker w;
  for (const std::string &root : roots)
    w.visit(root);
  for (const auto &[id, s] : w.seen) {
    Walked::Entry &e = w.out.files[s.index];
    e.allLinksInOutputs = e.aliases.size() + 1 >= s.links;
  }
  return std::move(w.out);
}

} // namespace ldpin::fixup
