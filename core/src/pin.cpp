// The pinning decision (see pin.h). The rules of decideSearchList are tried
// in the order of the Reason enum; the first that applies decides.
#include "ldpin/pin.h"

#include "ldpin/paths.h"

#include <algorithm>
#include <set>

namespace ldpin::pin {

bool under(const std::string &p, const std::string &dir) {
  if (dir.empty() || p.compare(0, dir.size(), dir) != 0)
    return false;
  return p.size() == dir.size() || p[dir.size()] == '/' || dir.back() == '/';
}

namespace {

bool underAny(const std::string &p, const std::vector<std::string> &dirs) {
  return std::any_of(dirs.begin(), dirs.end(),
                     [&](const std::string &d) { return under(p, d); });
}

std::string withoutTrailingSlashes(std::string d) {
  while (d.size() > 1 && d.back() == '/')
    d.pop_back();
  return d;
}

bool isOrigin(const std::string &entry) {
  return entry.find("$ORIGIN") != std::string::npos ||
         entry.find("${ORIGIN}") != std::string::npos;
}

} // namespace

bool Directories::inOutputs(const std::string &p) const {
  return underAny(p, outputs);
}

bool Directories::inBuild(const std::string &p) const {
  return !inStore(p) && !inOutputs(p) && underAny(p, build);
}

bool Directories::impure(const std::string &p) const {
  if (p.empty() || p[0] != '/' || p == "/dev/null")
    return false;
  return !inStore(p) && !underAny(p, build);
}

Directories fromEnvironment(
    const std::function<const std::string *(const std::string &)> &var) {
  Directories d;
  if (const std::string *s = var("NIX_STORE"); s && !s->empty())
    d.store = withoutTrailingSlashes(*s);
  d.build.push_back("/tmp");
  for (const char *name : {"NIX_BUILD_TOP", "TMPDIR", "TMP", "TEMP", "TEMPDIR"})
    if (const std::string *v = var(name); v && !v->empty() && (*v)[0] == '/') {
      std::string dir = withoutTrailingSlashes(*v);
      if (std::find(d.build.begin(), d.build.end(), dir) == d.build.end())
        d.build.push_back(dir);
    }
  const std::string *outputs = var("outputs");
  for (const std::string &name : splitWords(outputs ? *outputs : "out"))
    if (const std::string *v = var(name); v && !v->empty() && (*v)[0] == '/')
      d.outputs.push_back(withoutTrailingSlashes(*v));
  return d;
}

bool pinnable(const Policy &policy, const Directories &dirs,
              const std::string &path) {
  if (path.empty() || path[0] != '/')
    return false;
  switch (policy.pin) {
  case Policy::Pin::None:
    return false;
  case Policy::Pin::All:
    return !dirs.inBuild(path);
  case Policy::Pin::Store:
    return dirs.inStore(path) || dirs.inOutputs(path) ||
           underAny(path, dirs.declared);
  }
  return false;
}

const char *reasonName(Reason r) {
  switch (r) {
  case Reason::Reserved:
    return "reserved";
  case Reason::Empty:
    return "empty";
  case Reason::Duplicate:
    return "duplicate";
  case Reason::Relative:
    return "relative";
  case Reason::Origin:
    return "origin";
  case Reason::DlopenDir:
    return "dlopen-dir";
  case Reason::BuildTree:
    return "build-tree";
  case Reason::InstallDir:
    return "install-dir";
  case Reason::Impure:
    return "impure";
  case Reason::ProvidesNeeded:
    return "provides-needed";
  case Reason::ServesClosure:
    return "serves-closure";
  case Reason::Unused:
    return "unused";
  case Reason::RuntimeDependency:
    return "runtime-dependency";
  }
  return "?";
}

std::vector<Decision> decideSearchList(const Policy &policy,
                                       const Directories &dirs,
                                       const ListInput &in) {
  std::vector<Decision> out;
  std::set<std::string> seen;
  const bool link = in.stage == Stage::Link;
  for (const ListInput::Entry &e : in.entries) {
    Decision d;
    d.entry = e.text;
    auto decide = [&](bool keep, Reason why, std::string detail = "") {
      d.keep = keep;
      d.reason = why;
      d.detail = std::move(detail);
    };
    const std::string &dir = e.text;
    if (e.reserved) {
      decide(true, Reason::Reserved);
      // Its build-tree directories are for the fixup to remove.
      for (const std::string &part : splitList(dir, ':'))
        if (!part.empty() && dirs.inBuild(part))
          d.buildRunpath.push_back(part);
    } else if (dir.empty()) {
      decide(false, Reason::Empty);
    } else if (!seen.insert(dir).second) {
      decide(false, Reason::Duplicate);
    } else if (dir[0] != '/' && dir[0] != '$') {
      decide(false, Reason::Relative);
    } else if (isOrigin(dir)) {
      decide(true, Reason::Origin);
    } else if (std::find(policy.dlopen_dirs.begin(), policy.dlopen_dirs.end(),
                         dir) != policy.dlopen_dirs.end()) {
      decide(true, Reason::DlopenDir);
    } else if (dirs.inBuild(dir)) {
      // Until it is installed the program loads its in-tree libraries from
      // here (tests run in the build tree); installed, nothing may name it.
      std::string lib = link ? in.provides(dir) : "";
      decide(!lib.empty(), Reason::BuildTree, lib);
      if (!lib.empty())
        d.buildRunpath.push_back(dir);
    } else if (link && !in.inTree.empty() && dirs.inOutputs(dir)) {
      // libtool's "-rpath $libdir": empty now, but where the in-tree library
      // will be installed. The fixup pins it there and drops the entry.
      decide(true, Reason::InstallDir, in.inTree);
      d.buildRunpath.push_back(dir);
    } else if (link && in.purity && dirs.impure(dir)) {
      decide(false, Reason::Impure);
    } else if (std::string lib = in.provides(dir); !lib.empty()) {
      decide(true, Reason::ProvidesNeeded, lib);
    } else if (in.servesClosure && in.servesClosure(dir)) {
      decide(true, Reason::ServesClosure);
    } else {
      decide(false, Reason::Unused);
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::string describe(const Decision &d) {
  std::string s =
      std::string(d.keep ? "kept" : "dropped") + " (" + reasonName(d.reason);
  if (!d.detail.empty())
    s += ": " + d.detail;
  return s + ")";
}

std::string keptList(const std::vector<Decision> &decisions) {
  std::string s;
  for (const Decision &d : decisions)
    if (d.keep)
      s += (s.empty() ? "" : ":") + d.entry;
  return s;
}

} // namespace ldpin::pin
