// The loader model (see loader.h). search() follows _dl_map_object in
// glibc's elf/dl-load.c step by step; closureOf() follows _dl_map_object_deps
// (breadth first, an object loaded once however many ask for it) and
// _dl_check_map_versions (elf/dl-version.c) for symbol versions.
#include "ldpin/loader.h"

#include "ldpin/checked.h"
#include "ldpin/note.h"
#include "ldpin/paths.h"
#include "ldpin/pin.h"
#include "ldpin/process.h"

#include <llvm/BinaryFormat/ELF.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "module_reading.h"
#include "text.h" // audit/: the names of the C library's own objects

namespace ldpin::loader {
namespace {

// realpath(3), or `p` itself when it fails.
std::string realOf(const std::string &p) {
  std::string r = realPath(p);
  return r.empty() ? p : r;
}

// A directory to search, and the entry of its list it came from.
struct Dir {
  std::string path;
  std::string entry;
};

// What one search looked at: the directories in order, a candidate the
// loader would refuse outright (the search ends there), and, in the
// start-up model, the system calls that failed.
struct Trace {
  std::vector<std::string> tried;
  std::string refused;
  size_t failed = 0;
  int lastError = ENOENT; // errno as open_path last saw it
  // The audit module's answer at the default directories (How::Fallback,
  // How::OwnGlibc), and the candidates it passed over.
  std::optional<How> audit;
  std::vector<AuditSkip> skipped;
};

// A directory as glibc's fillin_rpath keeps it: trailing slashes folded
// into one ("/" stays), "" (the current directory) as it is.
std::string dirKey(const std::string &d) {
  if (d.empty())
    return d;
  std::string k = directoryKey(d);
  if (k.back() != '/')
    k += '/';
  return k;
}

// The directories secure mode trusts an expansion of $ORIGIN in for
// `owner`'s lists: the default ones, for the executable only.
const std::vector<std::string> *trustedFor(const Object &owner,
                                           const SearchSettings &settings) {
  return owner.isMain && settings.secure ? &settings.defaultDirs : nullptr;
}

std::vector<Dir> plain(const std::vector<std::string> &dirs) {
  std::vector<Dir> out;
  for (const std::string &d : dirs)
    out.push_back({d, d});
  return out;
}

void record(const SearchSettings &settings, Trace &trace, Probe::Kind kind,
            const std::string &path, bool ok) {
  settings.probes->calls.push_back({kind, path, ok});
  if (!ok)
    ++trace.failed;
}

// A list as the start-up model searches it: each directory once (the
// first time the list names it), with its key and its states.
struct ProbeDir {
  size_t index; // in the list as written
  std::string key;
  std::vector<uint8_t> *status;
};

std::vector<ProbeDir> probeDirs(const std::vector<Dir> &dirs,
                                const SearchSettings &settings) {
  ProbeLog &log = *settings.probes;
  const size_t ncap = settings.subdirs.size() + 1;
  std::vector<ProbeDir> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < dirs.size(); ++i) {
    std::string key = dirKey(dirs[i].path);
    if (!seen.insert(key).second)
      continue;
    std::vector<uint8_t> &status = log.status[key];
    if (status.size() != ncap)
      status.assign(ncap, !key.empty() && key[0] == '/' ? 0 : 1);
    out.push_back({i, std::move(key), &status});
  }
  return out;
}

// open_path: for each directory (each once per list), each hardware
// capability subdirectory and then the directory itself, unless the
// process already knows it does not exist; a failed open of a directory
// whose existence is unknown is followed by a stat of it, remembered by
// name for the whole process. Relative directories are never judged.
// With `atDefault` (the default directories of a process with the audit
// module), the first candidate glibc tries is first given to the module,
// which may name another file to open instead; glibc still names the
// object, and judges its directory, by the candidate.
std::optional<std::pair<std::string, size_t>>
inDirsProbing(const std::string &name, const std::vector<Dir> &dirs,
              const std::vector<ProbeDir> &list, const Object &forObject,
              const SearchSettings &settings, Trace &trace,
              bool atDefault = false) {
  const size_t ncap = settings.subdirs.size() + 1;
  std::string candidate;
  bool askModule = atDefault && settings.atDefault;
  for (const ProbeDir &d : list) {
    if (!trace.refused.empty())
      break;
    trace.tried.push_back(dirs[d.index].path.empty() ? "."
                                                     : dirs[d.index].path);
    std::vector<uint8_t> &status = *d.status;
    bool hereAny = false;
    for (size_t c = 0; c < ncap; ++c) {
      if (status[c] == 2)
        continue;
      static const std::string none;
      const std::string &sub = c + 1 < ncap ? settings.subdirs[c] : none;
      candidate.assign(d.key).append(sub).append(name);
      std::optional<std::pair<std::string, How>> answer;
      if (askModule) {
        askModule = false;
        AuditWork work;
        answer = settings.atDefault(name, candidate, work);
        for (const Probe &p : work.calls)
          record(settings, trace, p.kind, p.path, p.ok);
        trace.skipped.insert(trace.skipped.end(), work.skipped.begin(),
                             work.skipped.end());
        // The module searches before the default directory it was asked
        // at.
        trace.tried.insert(trace.tried.end() - 1, work.tried.begin(),
                           work.tried.end());
      }
      const std::string &opened = answer ? answer->first : candidate;
      int err = settings.opens(opened);
      record(settings, trace, Probe::Open, opened, err == 0);
      if (err == 0 &&
          settings.usable(opened, forObject.elfClass, forObject.machine)) {
        if (status[c] == 0)
          status[c] = 1;
        if (answer)
          trace.audit = answer->second;
        return std::make_pair(opened, d.index);
      }
      if (err == 0 && settings.refused &&
          settings.refused(opened, forObject.elfClass, forObject.machine)) {
        trace.refused = opened;
        return std::nullopt;
      }
      // A file of another class or machine: open_verify closes it and says
      // ENOENT.
      trace.lastError = err == 0 ? ENOENT : err;
      if (status[c] == 0) {
        // The name cut off, and the slash before it: "/" itself becomes
        // "", which stat refuses, as it refuses it to glibc.
        std::string dir = d.key + sub;
        dir.pop_back();
        int kind = settings.stats ? settings.stats(dir) : -ENOENT;
        record(settings, trace, Probe::Stat, dir, kind >= 0);
        if (kind < 0)
          trace.lastError = -kind;
        status[c] = kind == 1 ? 1 : 2;
      }
      hereAny |= status[c] != 2;
    }
    // open_path: "the file exists and is readable, but something went
    // wrong" (ELOOP, ENOTDIR, ENAMETOOLONG, ...): the rest of this list is
    // not searched.
    if (hereAny && trace.lastError != ENOENT && trace.lastError != EACCES)
      return std::nullopt;
  }
  return std::nullopt;
}

// A directory list of an object, expanded, and as the start-up model
// searches it; memoised per object in the probe log (checked against the
// list and origin it was made from, since objects come and go).
struct List {
  std::string source, origin, lib, platform;
  bool secure = false;
  std::vector<Dir> dirs;
  std::vector<ProbeDir> probe;
};

std::vector<Dir> expanded(const std::string &list, const char *seps,
                          const Object &owner, const SearchSettings &settings);
const std::string &originOf(const Object &o);

std::shared_ptr<const List> listOf(const std::string &list, const char *seps,
                                   const Object &owner, int kind,
                                   const SearchSettings &settings) {
  std::shared_ptr<const void> *slot = nullptr;
  if (settings.probes) {
    slot = &settings.probes->memo[{&owner, kind}];
    if (*slot) {
      auto l = std::static_pointer_cast<const List>(*slot);
      if (l->source == list && l->origin == originOf(owner) &&
          l->lib == settings.lib && l->platform == settings.platform &&
          l->secure == settings.secure)
        return l;
    }
  }
  auto l = std::make_shared<List>();
  l->source = list;
  l->origin = originOf(owner);
  l->lib = settings.lib;
  l->platform = settings.platform;
  l->secure = settings.secure;
  l->dirs = expanded(list, seps, owner, settings);
  if (slot) {
    l->probe = probeDirs(l->dirs, settings);
    *slot = l;
  }
  return l;
}

// Looks for `name` in each directory of a list; the index of the first
// that has a usable file. A candidate the loader refuses outright (see
// SearchSettings::refused) ends the search: `trace.refused` says which.
std::optional<std::pair<std::string, size_t>>
inDirs(const std::string &name, const std::vector<Dir> &dirs,
       const Object &forObject, const SearchSettings &settings, Trace &trace,
       const std::vector<ProbeDir> *probe = nullptr, bool atDefault = false) {
  if (settings.probes)
    return probe ? inDirsProbing(name, dirs, *probe, forObject, settings, trace,
                                 atDefault)
                 : inDirsProbing(name, dirs, probeDirs(dirs, settings),
                                 forObject, settings, trace, atDefault);
  for (size_t i = 0; i < dirs.size() && trace.refused.empty(); ++i) {
    const std::string &dir = dirs[i].path;
    // An empty entry is the current directory to glibc; a build never
    // means that, and the model does not follow it (the start-up model
    // does).
    if (dir.empty())
      continue;
    trace.tried.push_back(dir);
    std::string candidate = dir + (dir.back() == '/' ? "" : "/") + name;
    if (settings.usable(candidate, forObject.elfClass, forObject.machine))
      return std::make_pair(candidate, i);
    if (settings.refused &&
        settings.refused(candidate, forObject.elfClass, forObject.machine))
      trace.refused = candidate;
  }
  return std::nullopt;
}

const std::string &originOf(const Object &o) {
  static thread_local std::string dir;
  if (!o.origin.empty())
    return o.origin;
  // _dl_new_object: a relative name gets the current directory in front,
  // then its last component and the slash before it go ("./lib.so" in
  // /w: "/w/.").
  if (!o.path.empty() && o.path[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd)) {
      std::string full = std::string(cwd) + "/" + o.path;
      size_t slash = full.rfind('/');
      dir = slash == 0 ? "/" : full.substr(0, slash);
      return dir;
    }
  }
  dir = dirName(o.path);
  return dir;
}

// The entries of `list` (split at any of `seps`) expanded for `owner`; an
// entry whose expansion is dropped is left out, as glibc leaves it out.
std::vector<Dir> expanded(const std::string &list, const char *seps,
                          const Object &owner, const SearchSettings &settings) {
  std::vector<Dir> out;
  std::vector<std::string> entries = {""};
  for (char c : list) {
    if (std::strchr(seps, c))
      entries.emplace_back();
    else
      entries.back() += c;
  }
  if (list.empty())
    entries.clear();
  const std::vector<std::string> *trusted = trustedFor(owner, settings);
  for (const std::string &entry : entries) {
    if (entry.empty()) {
      out.push_back({"", ""}); // the current directory, to glibc
      continue;
    }
    if (std::optional<std::string> e =
            expandTokens(entry, originOf(owner), settings.lib,
                         settings.platform, settings.secure, trusted))
      if (!e->empty())
        out.push_back({*e, entry});
  }
  return out;
}

// glibc's is_trusted_path_normalize: `path` with "." and ".." folded away
// lies in one of the `trusted` directories or below one.
bool trustedPath(const std::string &path,
                 const std::vector<std::string> &trusted) {
  std::vector<std::string> parts;
  for (const std::string &p : splitList(path, '/')) {
    if (p.empty() || p == ".")
      continue;
    if (p == "..") {
      if (!parts.empty())
        parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  std::string norm = "/";
  for (const std::string &p : parts)
    norm += p + "/";
  return std::any_of(trusted.begin(), trusted.end(),
                     [&](const std::string &t) { return pin::under(norm, t); });
}

} // namespace

size_t ProbeLog::failed() const {
  size_t n = 0;
  for (const Probe &p : calls)
    n += !p.ok;
  return n;
}

const char *howName(How how) {
  switch (how) {
  case How::Path:
    return "path";
  case How::Loaded:
    return "loaded";
  case How::Rpath:
    return "rpath";
  case How::LdLibraryPath:
    return "LD_LIBRARY_PATH";
  case How::Runpath:
    return "runpath";
  case How::Cache:
    return "ld.so.cache";
  case How::Override:
    return "override";
  case How::Fallback:
    return "fallback";
  case How::OwnGlibc:
    return "own glibc";
  case How::Default:
    return "default";
  case How::NotFound:
    return "not found";
  }
  return "?";
}

AuditRules auditRulesFrom(
    const std::function<std::optional<std::string>(const char *)> &getenv) {
  // The module reads each value whole up to the kernel's limit for one
  // environment string, and ignores a longer one.
  constexpr size_t kVarMax = 131072;
  AuditRules rules;
  auto value = [&](const char *name) -> std::string {
    std::optional<std::string> v = getenv(name);
    if (v && v->size() > kVarMax) {
      rules.warnings.push_back(std::string(name) + " is longer than " +
                               std::to_string(kVarMax) + " bytes; ignored");
      return "";
    }
    return v.value_or("");
  };
  // The log first, as the module reads it: empty is off, a digit 0 to 3 is
  // its level, anything else means warnings.
  std::string level = value("LDPIN_AUDIT_LOG");
  bool logging = !level.empty() && level != "0";
  if (logging && !(level.size() == 1 && level[0] >= '1' && level[0] <= '3'))
    rules.warnings.push_back("LDPIN_AUDIT_LOG is not 0, 1, 2 or 3; logging "
                             "warnings");
  std::optional<std::string> logFile = getenv("LDPIN_AUDIT_LOG_FILE");
  if (logging && logFile && !logFile->empty()) {
    if ((*logFile)[0] != '/' || logFile->size() > 4095)
      rules.warnings.push_back("LDPIN_AUDIT_LOG_FILE is not an absolute path "
                               "of at most 4095 bytes; logging to standard "
                               "error");
    else
      rules.logFile = *logFile;
  }
  rules.fallback = value("LDPIN_FALLBACK_PATH");
  for (const std::string &entry : splitList(rules.fallback, ':'))
    if (!entry.empty() && entry[0] != '/')
      rules.warnings.push_back("LDPIN_FALLBACK_PATH entry '" + entry +
                               "' is not absolute; ignored");
  std::string policy = value("LDPIN_AUDIT_POLICY");
  rules.strict = policy == "strict";
  if (!rules.strict && !policy.empty() && policy != "default")
    rules.warnings.push_back("LDPIN_AUDIT_POLICY='" + policy +
                             "' is not 'default' or 'strict'; using 'default'");
  constexpr size_t kMaxOverrides = 64;
  std::string text = value("LDPIN_OVERRIDE");
  for (const std::string &entry : splitList(text, ':')) {
    if (entry.empty())
      continue;
    size_t eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    std::string target = eq == std::string::npos ? "" : entry.substr(eq + 1);
    bool forced = !target.empty() && target[0] == '!';
    if (forced)
      target.erase(0, 1);
    if (eq == std::string::npos || name.empty() || target.empty() ||
        target[0] != '/') {
      rules.warnings.push_back(
          "LDPIN_OVERRIDE entry '" + name.substr(0, 200) +
          (name.size() > 200 ? "..." : "") + "' is not name=/absolute/path; "
          "ignored");
      continue;
    }
    if (rules.overrides.size() == kMaxOverrides) {
      rules.warnings.push_back("LDPIN_OVERRIDE has more than " +
                               std::to_string(kMaxOverrides) +
                               " entries; the rest are ignored");
      break;
    }
    rules.overrides.push_back({name, target, forced});
  }
  return rules;
}

Object objectOf(const std::string &path, const elf::ElfInfo &info) {
  Object o;
  o.path = path;
  o.elfClass = info.elfClass;
  o.machine = info.machine;
  o.rpath = info.rpath;
  o.runpath = info.runpath;
  o.flags1 = info.dtFlags1.value_or(0);
  return o;
}

std::optional<std::string> expandOrigin(const std::string &entry,
                                        const std::string &objectPath) {
  return expandTokens(entry, dirName(objectPath), "", "");
}

std::optional<std::string>
expandTokens(const std::string &entry, const std::string &origin,
             const std::string &lib, const std::string &platform, bool secure,
             const std::vector<std::string> *trusted) {
  // A dynamic string token as glibc's is_dst() takes it: $NAME followed by
  // a character that cannot continue a name, or ${NAME}.
  auto token = [&](size_t i, const char *name) -> size_t {
    size_t n = std::strlen(name);
    if (entry.compare(i + 1, n, name) == 0 &&
        (i + 1 + n == entry.size() ||
         !(std::isalnum(static_cast<unsigned char>(entry[i + 1 + n])) ||
           entry[i + 1 + n] == '_')))
      return n + 1;
    if (entry.compare(i + 1, n + 2, "{" + std::string(name) + "}") == 0)
      return n + 3;
    return 0;
  };
  std::string out;
  bool checkTrusted = false;
  for (size_t i = 0; i < entry.size();) {
    if (entry[i] != '$') {
      out += entry[i++];
      continue;
    }
    const std::string *value = nullptr;
    size_t len = 0;
    if ((len = token(i, "ORIGIN"))) {
      // Secure mode takes $ORIGIN only at the start of the entry, followed
      // by its end or a slash.
      if (secure && !(i == 0 && (len == entry.size() || entry[len] == '/')))
        return std::nullopt;
      value = &origin;
      checkTrusted = secure && trusted;
    } else if ((len = token(i, "LIB"))) {
      value = &lib;
    } else if ((len = token(i, "PLATFORM"))) {
      value = &platform;
    }
    if (!len) {
      out += entry[i++]; // any other '$' is itself, as in glibc
      continue;
    }
    if (value->empty())
      return std::nullopt; // a token the model has no value for
    out += *value;
    i += len;
  }
  if (checkTrusted && !trustedPath(out, *trusted))
    return std::nullopt;
  return out;
}

Found search(const std::string &name, const Object &requester,
             const std::vector<const Object *> &loaders,
             const SearchSettings &settings) {
  Found out;
  Trace trace;
  auto finish = [&](How how, std::string path) {
    out.how = how;
    out.path = std::move(path);
    out.tried = std::move(trace.tried);
    out.refused = std::move(trace.refused);
    out.failedProbes = trace.failed;
    out.auditSkipped = std::move(trace.skipped);
    return out;
  };
  // One file the loader opens by its name (open_verify): usable, skipped
  // (missing, another class or machine) or refused (the load ends).
  auto tryFile = [&](const std::string &path) {
    if (settings.probes) {
      int err = settings.opens(path);
      record(settings, trace, Probe::Open, path, err == 0);
      if (err != 0)
        return false;
    }
    if (settings.usable(path, requester.elfClass, requester.machine))
      return true;
    if (settings.refused &&
        settings.refused(path, requester.elfClass, requester.machine))
      trace.refused = path;
    return false;
  };
  const Object &main = loaders.empty() ? requester : *loaders.back();
  // A name with a slash is opened as it is, not searched for, after its
  // dynamic string tokens are expanded ($ORIGIN: the requester's directory).
  if (name.find('/') != std::string::npos) {
    std::optional<std::string> path = expandTokens(
        name, originOf(requester), settings.lib, settings.platform,
        settings.secure, trustedFor(requester, settings));
    if (path && tryFile(*path))
      return finish(How::Path, *path);
    return finish(How::NotFound, "");
  }
  // 1. DT_RPATH, unless the requester has DT_RUNPATH: the requester's own,
  //    then that of each object that loaded it, up to the executable. An
  //    object with DT_RUNPATH has no DT_RPATH as far as the loader goes.
  if (!requester.runpath) {
    std::vector<const Object *> chain = {&requester};
    chain.insert(chain.end(), loaders.begin(), loaders.end());
    for (const Object *o : chain)
      if (!o->runpath && o->rpath) {
        std::shared_ptr<const List> l = listOf(*o->rpath, ":", *o, 0, settings);
        if (auto f = inDirs(name, l->dirs, requester, settings, trace,
                            &l->probe)) {
          out.rpathOwner = o;
          out.entry = l->dirs[f->second].entry;
          return finish(How::Rpath, f->first);
        }
        if (!trace.refused.empty())
          return finish(How::NotFound, "");
      }
  }
  // 2. LD_LIBRARY_PATH (ignored in secure mode). The start-up model takes
  //    it as glibc does: split at ':' and ';', tokens expanded for the
  //    executable.
  if (!settings.secure && !settings.ldLibraryPath.empty()) {
    std::shared_ptr<const List> l;
    if (settings.probes) {
      std::string list;
      for (size_t k = 0; k < settings.ldLibraryPath.size(); ++k)
        list += (k ? ":" : "") + settings.ldLibraryPath[k];
      l = listOf(list, ":;", main, 2, settings);
    }
    if (auto f = l ? inDirs(name, l->dirs, requester, settings, trace, &l->probe)
                   : inDirs(name, plain(settings.ldLibraryPath), requester,
                            settings, trace))
      return finish(How::LdLibraryPath, f->first);
    if (!trace.refused.empty())
      return finish(How::NotFound, "");
  }
  // 3. DT_RUNPATH of the requester (never of the objects that loaded it).
  if (requester.runpath) {
    std::shared_ptr<const List> l =
        listOf(*requester.runpath, ":", requester, 1, settings);
    if (auto f =
            inDirs(name, l->dirs, requester, settings, trace, &l->probe))
      return finish(How::Runpath, f->first);
    if (!trace.refused.empty())
      return finish(How::NotFound, "");
  }
  const bool nodeflib = requester.flags1 & llvm::ELF::DF_1_NODEFLIB;
  // 4. ld.so.cache (the start-up model): read at the first search that
  //    gets here; with -z nodeflib its entries in default directories are
  //    not taken.
  if (settings.probes && !settings.cacheFile.empty()) {
    ProbeLog &log = *settings.probes;
    if (log.cache == 0) {
      bool opened = settings.opens(settings.cacheFile) == 0;
      record(settings, trace, Probe::Open, settings.cacheFile, opened);
      log.cache = opened && settings.cache ? 1 : 2;
    }
    std::optional<std::string> cached;
    if (log.cache == 1)
      cached = settings.cache->lookup(name, requester.elfClass,
                                      requester.machine, settings.hwcaps);
    if (cached && nodeflib &&
        std::any_of(settings.defaultDirs.begin(), settings.defaultDirs.end(),
                    [&](const std::string &d) { return pin::under(*cached, d); }))
      cached.reset();
    if (cached) {
      trace.tried.push_back(settings.cacheFile);
      if (tryFile(*cached))
        return finish(How::Cache, *cached);
      if (!trace.refused.empty())
        return finish(How::NotFound, "");
    }
  }
  // 5. The default directories, unless the requester was linked with
  //    -z nodeflib.
  if (!nodeflib)
    if (auto f = inDirs(name, plain(settings.defaultDirs), requester, settings,
                        trace, nullptr, /*atDefault=*/true))
      return finish(trace.audit.value_or(How::Default), f->first);
  return finish(How::NotFound, "");
}

const elf::ElfInfo *FileCache::get(const std::string &path,
                                   std::string *error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = files_.find(path);
    if (it != files_.end()) {
      if (error)
        *error = it->second.error;
      return it->second.info.get();
    }
  }
  // Read without the lock; a thread that read it meanwhile wins.
  Entry e;
  llvm::Expected<elf::ElfInfo> info = elf::readFile(path, options_);
  if (info)
    e.info = std::make_shared<const elf::ElfInfo>(std::move(*info));
  else
    e.error = llvm::toString(info.takeError());
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = files_.emplace(path, std::move(e)).first;
  if (error)
    *error = it->second.error;
  return it->second.info.get();
}

void FileCache::put(const std::string &path, elf::ElfInfo info) {
  put(path, std::make_shared<const elf::ElfInfo>(std::move(info)));
}

void FileCache::put(const std::string &path,
                    std::shared_ptr<const elf::ElfInfo> info) {
  std::lock_guard<std::mutex> lock(mutex_);
  files_[path] = Entry{std::move(info), ""};
}

const std::string &FileCache::real(const std::string &path) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = reals_.find(path);
    if (it != reals_.end())
      return it->second;
  }
  std::string r = realOf(path);
  std::lock_guard<std::mutex> lock(mutex_);
  return reals_.emplace(path, std::move(r)).first->second;
}

FileCache::StatResult FileCache::statOf(const std::string &path) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = stats_.find(path);
    if (it != stats_.end())
      return it->second;
  }
  StatResult r;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    r.ok = true;
    r.regular = S_ISREG(st.st_mode);
    r.dev = st.st_dev;
    r.ino = st.st_ino;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_.emplace(path, r).first->second;
}

bool FileCache::regular(const std::string &path) {
  return statOf(path).regular;
}

std::optional<std::pair<uint64_t, uint64_t>>
FileCache::identity(const std::string &path) {
  StatResult r = statOf(path);
  if (!r.ok)
    return std::nullopt;
  return std::make_pair(r.dev, r.ino);
}

std::optional<bool> FileCache::listed(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string_view dir = slash == std::string::npos
                             ? std::string_view(".")
                             : std::string_view(path).substr(0, slash);
  if (dir.empty())
    dir = "/";
  std::string_view name = std::string_view(path).substr(
      slash == std::string::npos ? 0 : slash + 1);
  std::shared_ptr<const Names> names;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = listings_.find(dir); it != listings_.end())
      names = it->second;
  }
  if (!names) {
    auto fresh = std::make_shared<Names>();
    Listing l = listDirectory(std::string(dir), 4 << 20, [&](llvm::StringRef n) {
      fresh->names.insert(n.str());
    });
    // A directory that is missing holds nothing; one that cannot be listed
    // otherwise (EACCES, a path through a file: ENOTDIR) is unknown, and
    // its candidates are opened for real.
    if (l == Listing::Listed) {
      fresh->known = true;
    } else if (l == Listing::Failed && errno == ENOENT) {
      fresh->known = true;
      fresh->names.clear();
    } else {
      fresh->names.clear();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    names =
        listings_.emplace(std::string(dir), std::move(fresh)).first->second;
  }
  // A name too long for a directory entry fails with ENAMETOOLONG, which
  // only the open itself says; "", "." and ".." (a path ending in '/',
  // "/.", "/..") name directories, which no listing holds.
  if (!names->known || name.size() > NAME_MAX || name.empty() || name == "." ||
      name == "..")
    return std::nullopt;
  return names->names.find(name) != names->names.end();
}

namespace {

// What open_verify and _dl_map_object_from_fd refuse in an ELF file of the
// loader's class and machine, in their order: another byte order, an ELF
// version, OS ABI or ABI version glibc does not load (VALID_ELF_OSABI,
// VALID_ELF_ABIVERSION: System V, or GNU with an ABI version below
// LIBC_ABI_MAX, 4 in glibc 2.36), anything but a shared object, and a
// position-independent executable (DF_1_PIE).
bool loadableHeader(const elf::ElfInfo &info) {
  constexpr bool hostBig = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
  return info.bigEndian == hostBig && info.version == llvm::ELF::EV_CURRENT &&
         (info.osabi == llvm::ELF::ELFOSABI_NONE ||
          info.osabi == llvm::ELF::ELFOSABI_GNU) &&
         (info.abiVersion == 0 ||
          (info.osabi == llvm::ELF::ELFOSABI_GNU && info.abiVersion < 4));
}

bool loadableObject(const elf::ElfInfo &info) {
  return info.type == llvm::ELF::ET_DYN &&
         !(info.dtFlags1.value_or(0) & llvm::ELF::DF_1_PIE);
}

} // namespace

std::function<bool(const std::string &, unsigned, uint16_t)>
usableFrom(FileCache &cache) {
  return
      [&cache](const std::string &path, unsigned elfClass, uint16_t machine) {
        if (!cache.regular(path))
          return false;
        const elf::ElfInfo *info = cache.get(path);
        return info && info->elfClass == elfClass &&
               info->machine == machine && loadableHeader(*info) &&
               loadableObject(*info);
      };
}

std::function<bool(const std::string &, unsigned, uint16_t)>
refusedFrom(FileCache &cache) {
  return [&cache](const std::string &path, unsigned elfClass,
                  uint16_t machine) {
    // What open_verify does before it judges a file: open, then read the
    // ELF header. A file that cannot be opened (missing, EACCES) is
    // skipped.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
      return false;
    struct stat st;
    unsigned char ident[llvm::ELF::EI_NIDENT + 16] = {};
    bool isDir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    ssize_t n = isDir ? -1 : ::pread(fd, ident, sizeof ident, 0);
    ::close(fd);
    if (isDir || n < static_cast<ssize_t>(sizeof ident) ||
        std::memcmp(ident, llvm::ELF::ElfMagic, 4) != 0)
      return true; // "cannot read file data", "file too short", "invalid ELF
                   // header"
    unsigned cls = ident[llvm::ELF::EI_CLASS] == llvm::ELF::ELFCLASS64   ? 64
                   : ident[llvm::ELF::EI_CLASS] == llvm::ELF::ELFCLASS32 ? 32
                                                                         : 0;
    if (cls != elfClass)
      return false; // another class: skipped
    const elf::ElfInfo *info = cache.get(path);
    if (!info || !loadableHeader(*info))
      return true; // byte order, versions, OS ABI: the load fails
    if (info->machine != machine)
      return false; // another machine: skipped
    return !loadableObject(*info);
  };
}

SearchSettings settingsFor(const elf::ElfInfo &info, FileCache &files,
                           InterpreterDefaultsCache &interpreters,
                           const std::string &fallbackInterpreter) {
  SearchSettings settings;
  settings.usable = usableFrom(files);
  settings.refused = refusedFrom(files);
  std::string interp = info.interpreter.value_or(fallbackInterpreter);
  if (!interp.empty() && files.regular(interp))
    settings.defaultDirs = interpreters.get(interp).dirs;
  return settings;
}

namespace {

bool isLoaderName(const std::string &soname);
void parseCapabilities(const std::string &text, InterpreterDefaults &out);
std::string libToken(const std::string &ldso, uint16_t machine,
                     unsigned elfClass);

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = llvm::ELF::EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = llvm::ELF::EM_AARCH64;
#else
constexpr uint16_t kHostMachine = llvm::ELF::EM_NONE;
#endif

// The lines of `ld.so --help` after "Shared library search path:":
//   "  (libraries located via /etc/ld.so.cache)"
//   "  /lib/x86_64-linux-gnu (system search path)"
// until the first line that does not start with two spaces.
bool parseHelp(const std::string &text, InterpreterDefaults &out) {
  size_t at = text.find("Shared library search path:\n");
  if (at == std::string::npos)
    return false;
  at = text.find('\n', at) + 1;
  const std::string viaCache = "(libraries located via ";
  const std::string system = " (system search path)";
  while (at < text.size() && text.compare(at, 2, "  ") == 0) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(
        at + 2, end == std::string::npos ? std::string::npos : end - at - 2);
    if (line.rfind(viaCache, 0) == 0 && line.back() == ')')
      out.cache =
          line.substr(viaCache.size(), line.size() - viaCache.size() - 1);
    else if (line.size() > system.size() &&
             line.compare(line.size() - system.size(), system.size(), system) ==
                 0)
      out.dirs.push_back(line.substr(0, line.size() - system.size()));
    if (end == std::string::npos)
      break;
    at = end + 1;
  }
  parseCapabilities(text, out);
  return true;
}

// The two lists of `ld.so --help` (glibc 2.33 and later) after the search
// path: "Subdirectories of glibc-hwcaps directories, in priority order:"
// and "Legacy HWCAP subdirectories under library search path directories:"
// (gone in 2.37), each line "  NAME" with "(... searched)" when the loader
// searches it. The legacy names are AT_PLATFORM's (marked so), "tls", and
// the hardware capability bits'; glibc 2.36's _dl_important_hwcaps puts
// the bits' names first, then the platform, then tls, and tries every
// combination of them, from all down to none, each written from the last
// component to the first.
void parseCapabilities(const std::string &text, InterpreterDefaults &out) {
  auto lines = [&](const std::string &heading) {
    std::vector<std::string> names;
    std::vector<bool> platform;
    size_t at = text.find(heading + "\n");
    if (at == std::string::npos)
      return std::make_pair(names, platform);
    at = text.find('\n', at) + 1;
    while (at < text.size() && text.compare(at, 2, "  ") == 0) {
      size_t end = text.find('\n', at);
      std::string line = text.substr(at + 2, end == std::string::npos
                                                 ? std::string::npos
                                                 : end - at - 2);
      size_t paren = line.find(" (");
      if (paren != std::string::npos &&
          line.find("searched)", paren) != std::string::npos) {
        names.push_back(line.substr(0, paren));
        platform.push_back(line.find("AT_PLATFORM", paren) !=
                           std::string::npos);
      }
      if (end == std::string::npos)
        break;
      at = end + 1;
    }
    return std::make_pair(names, platform);
  };
  out.hwcaps =
      lines("Subdirectories of glibc-hwcaps directories, in priority order:")
          .first;
  for (const std::string &h : out.hwcaps)
    out.subdirs.push_back("glibc-hwcaps/" + h + "/");
  auto [legacy, isPlatform] = lines(
      "Legacy HWCAP subdirectories under library search path directories:");
  std::vector<std::string> parts; // bits' names, then platform, then tls
  std::string tls;
  for (size_t i = 0; i < legacy.size(); ++i) {
    if (isPlatform[i])
      out.platform = legacy[i];
    else if (legacy[i] == "tls")
      tls = legacy[i];
    else
      parts.push_back(legacy[i]);
  }
  if (!out.platform.empty())
    parts.push_back(out.platform);
  if (!tls.empty())
    parts.push_back(tls);
  if (parts.empty() || parts.size() > 16)
    return;
  for (size_t m = (size_t(1) << parts.size()) - 1; m > 0; --m) {
    std::string sub;
    for (size_t n = parts.size(); n-- > 0;)
      if (m & (size_t(1) << n))
        sub += parts[n] + "/";
    out.subdirs.push_back(sub);
  }
}

// $LIB as compiled into `ldso` (DL_DST_LIB): see InterpreterDefaults::lib.
std::string libToken(const std::string &ldso, uint16_t machine,
                     unsigned elfClass) {
  std::string data;
  if (llvm::Error e = readWhole(ldso, data, 64 << 20)) {
    llvm::consumeError(std::move(e));
    return "lib";
  }
  const char *triplet = machine == llvm::ELF::EM_X86_64
                            ? (elfClass == 64 ? "x86_64-linux-gnu"
                                              : "x86_64-linux-gnux32")
                        : machine == llvm::ELF::EM_386 ? "i386-linux-gnu"
                        : machine == llvm::ELF::EM_AARCH64
                            ? "aarch64-linux-gnu"
                            : nullptr;
  auto holds = [&](const std::string &word) {
    return data.find(std::string(1, '\0') + word + '\0') != std::string::npos;
  };
  if (triplet && holds(std::string("lib/") + triplet))
    return std::string("lib/") + triplet;
  for (const char *word : {"lib64", "lib32", "libx32"})
    if (holds(word))
      return word;
  return "lib";
}

} // namespace

bool trustedInterpreter(const std::string &real) {
  // Running a file named by another file's PT_INTERP runs whatever that
  // file says: only one installed as a dynamic linker is asked, in the
  // store or where the system keeps its own (root's or ours, and nobody
  // else may write it).
  const char *storeEnv = std::getenv("NIX_STORE");
  std::string store = storeEnv && *storeEnv == '/' ? storeEnv : "/nix/store";
  std::vector<std::string> places = {store};
  for (const char *d : {"/lib", "/lib64", "/lib32", "/libx32", "/usr/lib",
                        "/usr/lib64", "/usr/lib32", "/usr/libx32"})
    places.push_back(d);
  bool inPlace = std::any_of(places.begin(), places.end(), [&](auto &p) {
    return pin::under(real, p);
  });
  struct stat st;
  return inPlace && ::stat(real.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         (st.st_uid == 0 || st.st_uid == ::geteuid()) &&
         !(st.st_mode & (S_IWGRP | S_IWOTH));
}

InterpreterDefaults parseInterpreterHelp(const std::string &text) {
  InterpreterDefaults out;
  if (parseHelp(text, out))
    out.reported = true;
  return out;
}

InterpreterDefaults interpreterDefaults(const std::string &interpreter) {
  InterpreterDefaults out;
  std::string real = realOf(interpreter);
  llvm::Expected<elf::ElfInfo> info = elf::readFile(real);
  bool runnable = false;
  if (info) {
    // An i386 ld.so runs on an x86-64 kernel too (Debian's libc6-i386).
    bool hostRuns =
        (info->machine == kHostMachine && info->elfClass == 64) ||
        (kHostMachine == llvm::ELF::EM_X86_64 &&
         info->machine == llvm::ELF::EM_386 && info->elfClass == 32);
    runnable = info->type == llvm::ELF::ET_DYN && !info->interpreter &&
               info->soname && isLoaderName(baseName(*info->soname)) &&
               hostRuns;
    if (runnable && !trustedInterpreter(real)) {
      runnable = false;
      out.notAsked = "it lies outside the Nix store and the system's "
                     "library directories, or others may write it";
    }
  } else {
    llvm::consumeError(info.takeError());
  }
  if (runnable) {
    std::string text;
    const std::vector<std::string> noEnvironment;
    if (runCapture({real, "--help"}, text, &noEnvironment) == 0 &&
        parseHelp(text, out)) {
      out.reported = true;
      out.lib = libToken(real, info->machine, info->elfClass);
      return out;
    }
    out = InterpreterDefaults{};
  }
  out.dirs.push_back(dirName(real));
  return out;
}

const InterpreterDefaults &
InterpreterDefaultsCache::get(const std::string &interpreter) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = known_.find(interpreter);
    if (it != known_.end())
      return *it->second;
  }
  auto d =
      std::make_unique<InterpreterDefaults>(interpreterDefaults(interpreter));
  std::lock_guard<std::mutex> lock(mutex_);
  return *known_.emplace(interpreter, std::move(d)).first->second;
}

// --- ld.so.cache -----------------------------------------------------------

namespace {

template <typename T> bool readAt(const std::string &data, size_t at, T &v) {
  if (at > data.size() || data.size() - at < sizeof(T))
    return false;
  std::memcpy(&v, data.data() + at, sizeof(T));
  return true;
}

// The NUL-terminated string at `at` (relative to `base`), if it lies in
// the file.
std::optional<std::string> stringAt(const std::string &data, size_t base,
                                    uint32_t at) {
  if (base + at >= data.size())
    return std::nullopt;
  size_t end = data.find('\0', base + at);
  if (end == std::string::npos)
    return std::nullopt;
  return data.substr(base + at, end - base - at);
}

// The flags glibc's _dl_cache_check_flags takes for an object of this class
// and machine (sysdeps/*/dl-cache.h): ELF libc6, and the ABI's bits.
bool cacheFlagsFit(int32_t flags, unsigned elfClass, uint16_t machine) {
  constexpr int32_t kElfLibc6 = 0x0003;
  switch (machine) {
  case llvm::ELF::EM_X86_64:
    return flags == (elfClass == 64 ? 0x0300 : 0x0800) + kElfLibc6;
  case llvm::ELF::EM_AARCH64:
    return flags == 0x0a00 + kElfLibc6;
  default:
    return elfClass == 32 && (flags == 1 || flags == kElfLibc6);
  }
}

} // namespace

std::optional<LdCache> LdCache::read(const std::string &path,
                                     std::string *error) {
  std::string data;
  if (llvm::Error e = readWhole(path, data, 256 << 20)) {
    if (error)
      *error = llvm::toString(std::move(e));
    return std::nullopt;
  }
  return parse(data, error);
}

std::optional<LdCache> LdCache::parse(const std::string &data,
                                      std::string *error) {
  auto fail = [&](const std::string &why) -> std::optional<LdCache> {
    if (error)
      *error = why;
    return std::nullopt;
  };
  // glibc 2.32 and later write the new format alone; older ldconfigs put
  // it after the old one ("ld.so-1.7.0", 12-byte entries), 8-aligned.
  static const std::string kOld = "ld.so-1.7.0", kNew = "glibc-ld.so.cache1.1";
  size_t base = 0;
  if (data.compare(0, kOld.size(), kOld) == 0) {
    uint32_t n = 0;
    if (!readAt(data, kOld.size() + 1, n))
      return fail("truncated");
    base = (kOld.size() + 1 + 4 + size_t(n) * 12 + 7) & ~size_t(7);
  }
  if (base > data.size() || data.compare(base, kNew.size(), kNew) != 0)
    return fail("not in the format of glibc 2.32 and later");
  uint32_t nlibs = 0, extensionOffset = 0;
  uint8_t endian = 0;
  if (!readAt(data, base + 20, nlibs) || !readAt(data, base + 28, endian) ||
      !readAt(data, base + 32, extensionOffset))
    return fail("truncated header");
  // Flags 0 and 2 ("unset", "little") read here; 3 is big-endian.
  if ((endian & 3) == 3 || (endian & 3) == 1)
    return fail("of another byte order");
  constexpr size_t kHeader = 48, kEntry = 24;
  if (data.size() - base < kHeader ||
      (data.size() - base - kHeader) / kEntry < nlibs)
    return fail("truncated entries");
  // The glibc-hwcaps names, from the extension directory.
  std::vector<std::string> hwcapNames;
  uint32_t magic = 0, count = 0;
  if (extensionOffset && readAt(data, base + extensionOffset, magic) &&
      magic == 0xeaa42174u &&
      readAt(data, base + extensionOffset + 4, count)) {
    for (uint32_t k = 0; k < count && k < 64; ++k) {
      uint32_t tag = 0, offset = 0, size = 0;
      size_t at = base + extensionOffset + 8 + size_t(k) * 16;
      if (!readAt(data, at, tag) || !readAt(data, at + 8, offset) ||
          !readAt(data, at + 12, size))
        break;
      if (tag != 1) // cache_extension_tag_glibc_hwcaps
        continue;
      for (uint32_t j = 0; j + 4 <= size; j += 4) {
        uint32_t str = 0;
        if (!readAt(data, base + offset + j, str))
          break;
        hwcapNames.push_back(stringAt(data, base, str).value_or(""));
      }
    }
  }
  LdCache out;
  for (uint32_t i = 0; i < nlibs; ++i) {
    size_t at = base + kHeader + size_t(i) * kEntry;
    Entry e;
    uint32_t key = 0, value = 0;
    readAt(data, at, e.flags);
    readAt(data, at + 4, key);
    readAt(data, at + 8, value);
    readAt(data, at + 16, e.hwcap);
    std::optional<std::string> k = stringAt(data, base, key),
                               v = stringAt(data, base, value);
    if (!k || !v)
      continue; // glibc's _dl_cache_verify_ptr skips it too
    e.key = *k;
    e.value = *v;
    // DL_CACHE_HWCAP_EXTENSION (bit 62, the ISA level in bits 32 to 41
    // aside): the low 32 bits index the glibc-hwcaps names.
    if (((e.hwcap >> 32) & ~uint64_t(0x3ff)) == (uint64_t(1) << 30)) {
      uint32_t index = static_cast<uint32_t>(e.hwcap);
      e.hwcapName = index < hwcapNames.size() ? hwcapNames[index] : "?";
    }
    out.byName_[e.key].push_back(out.entries_.size());
    out.entries_.push_back(std::move(e));
  }
  return out;
}

std::optional<std::string>
LdCache::lookup(const std::string &name, unsigned elfClass, uint16_t machine,
                const std::vector<std::string> &hwcaps) const {
  // Entries with a glibc-hwcaps subdirectory come before the others of
  // their name; the best of those by the interpreter's priority wins, else
  // the first plain one (one with legacy hardware capability bits is
  // passed over: this machine's glibc writes none).
  const Entry *best = nullptr;
  size_t bestRank = SIZE_MAX;
  auto named = byName_.find(name);
  if (named == byName_.end())
    return std::nullopt;
  for (size_t i : named->second) {
    const Entry &e = entries_[i];
    if (!cacheFlagsFit(e.flags, elfClass, machine))
      continue;
    if (!e.hwcapName.empty()) {
      for (size_t r = 0; r < hwcaps.size() && r < bestRank; ++r)
        if (hwcaps[r] == e.hwcapName) {
          best = &e;
          bestRank = r;
        }
      continue;
    }
    if (best)
      break;
    if (e.hwcap == 0)
      return e.value;
  }
  if (best)
    return best->value;
  return std::nullopt;
}

std::shared_ptr<const LdCache>
InterpreterDefaultsCache::ldCache(const std::string &file) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = caches_.find(file);
  if (it == caches_.end()) {
    std::optional<LdCache> c = LdCache::read(file);
    it = caches_
             .emplace(file, c ? std::make_shared<const LdCache>(std::move(*c))
                              : nullptr)
             .first;
  }
  return it->second;
}

SearchSettings startupSettings(const elf::ElfInfo &info, FileCache &files,
                               InterpreterDefaultsCache &interpreters,
                               ProbeLog &log,
                               const std::optional<std::string> &ldLibraryPath,
                               bool secure,
                               const std::string &fallbackInterpreter) {
  SearchSettings settings =
      settingsFor(info, files, interpreters, fallbackInterpreter);
  settings.probes = &log;
  settings.secure = secure;
  // A candidate is opened for real only when its directory lists the
  // name (or cannot be listed): a program of a thousand libraries with a
  // RUNPATH of their thousand directories makes half a million probes.
  settings.opens = [&files](const std::string &path) {
    if (files.listed(path) == false)
      return ENOENT;
    // Without waiting: glibc's open of a FIFO waits for a writer (the
    // program hangs there); the model goes on, and refusedFrom says so.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
      return errno;
    ::close(fd);
    return 0;
  };
  settings.stats = [](const std::string &path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      return -errno;
    return S_ISDIR(st.st_mode) ? 1 : 0;
  };
  // glibc ignores an LD_LIBRARY_PATH that is set but empty.
  if (ldLibraryPath && !ldLibraryPath->empty())
    settings.ldLibraryPath = {*ldLibraryPath};
  std::string interp = info.interpreter.value_or(fallbackInterpreter);
  if (!interp.empty() && files.regular(interp)) {
    const InterpreterDefaults &d = interpreters.get(interp);
    settings.subdirs = d.subdirs;
    settings.hwcaps = d.hwcaps;
    settings.lib = d.lib;
    settings.platform = d.platform;
    settings.cacheFile = d.cache;
    if (!d.cache.empty())
      settings.cache = interpreters.ldCache(d.cache);
  }
  return settings;
}

namespace {

// One list of glibc's names, the audit module's.
bool isLibcName(const std::string &soname) {
  return audit::isLibcName(soname.c_str());
}

bool isLoaderName(const std::string &soname) {
  return audit::isLoaderName(soname.c_str());
}

// Why the loader refuses `path` outright (see refusedFrom), in a few words.
std::string refusalReason(const std::string &path, FileCache &cache) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return "it cannot be read";
  if (S_ISDIR(st.st_mode))
    return "a directory";
  if (S_ISFIFO(st.st_mode))
    return "a FIFO: glibc's open waits for a writer, and the program hangs "
           "there";
  if (!S_ISREG(st.st_mode))
    return "not a regular file";
  const elf::ElfInfo *info = cache.get(path);
  if (!info)
    return "not an ELF file, or too short";
  if (!loadableHeader(*info))
    return "an ELF byte order, version or OS ABI glibc does not load";
  if (info->type != llvm::ELF::ET_DYN)
    return "not a shared object";
  if (info->dtFlags1.value_or(0) & llvm::ELF::DF_1_PIE)
    return "a position-independent executable";
  return "not a shared library of this object's class and machine";
}

// An object of the closure as it is loaded.
struct Loaded {
  Object object;
  const elf::ElfInfo *info;
  std::vector<size_t> chain; // indices of the objects that loaded it
};

std::optional<note::Record> recordOf(const elf::ElfInfo &info) {
  for (const elf::Note &n : info.notes)
    if (n.kind == elf::NoteKind::Ldpin) {
      llvm::Expected<note::Record> r = note::parse(n.desc, info.bigEndian);
      if (r)
        return std::move(*r);
      llvm::consumeError(r.takeError());
      return std::nullopt;
    }
  return std::nullopt;
}

// libldpin-audit.so in a process (audit/module.cpp, doc/audit.md): what it
// answers glibc at LA_SER_ORIG and at the first LA_SER_DEFAULT of a
// request, how it judges a candidate, and the calls it makes that can
// fail, in its order. It sees the objects loaded so far (`loaded`, in the
// namespace's order) and the dynamic linker's directory.
class AuditModel {
public:
  AuditModel(const AuditRules &rules, FileCache &files,
             const std::deque<Loaded> &loaded, const Object &program,
             const std::optional<std::string> &programChannel)
      : rules_(rules), files_(files), loaded_(loaded), program_(program),
        channel_(programChannel) {}

  // la_objopen: the C library and the dynamic linker, by their sonames.
  void opened(const Loaded &l) {
    if (l.object.isMain || !isAbsolute(l.object.path) || !l.info->soname)
      return;
    std::string base = baseName(*l.info->soname);
    if (isLibcName(base) && !libc_) {
      libc_ = files_.identity(l.object.path);
      libcPath_ = l.object.path;
    } else if (isLoaderName(base) && !loader_) {
      loader_ = files_.identity(l.object.path);
      glibcDir_ = moduleDir(files_.real(l.object.path));
    }
  }

  // What the module answers at LA_SER_ORIG: the name glibc goes on with.
  struct Original {
    std::string name;
    enum { Unchanged, Override, Loaded } kind = Unchanged;
  };

  // LA_SER_ORIG, before glibc searches for `name`: an override, or the path
  // of an object loaded under an absolute soname that the bare name means.
  Original original(const std::string &name, AuditWork &work) {
    std::vector<Probe> &calls = work.calls;
    if (const AuditRules::Override *o = overrideFor(name)) {
      if (std::optional<std::string> no =
              judge(o->target, o->forced, calls, nullptr))
        work.skipped.push_back({o->target, "override refused: " + *no});
      else
        return {o->target, Original::Override};
    }
    if (name.find('/') != std::string::npos)
      return {name};
    size_t l = loadedByBareName(name, calls);
    if (l != SIZE_MAX)
      return {loaded_[l].object.path, Original::Loaded};
    pending_ = name;
    tried_ = false;
    return {name};
  }

  // The first LA_SER_DEFAULT of the request: LDPIN_FALLBACK_PATH, or for
  // the C library's own names the dynamic linker's directory.
  std::optional<std::pair<std::string, How>>
  atDefault(const std::string &asked, AuditWork &work) {
    std::vector<Probe> &calls = work.calls;
    std::string base = baseName(asked);
    if (tried_ || rules_.fallback.empty() || base != pending_)
      return std::nullopt;
    tried_ = true;
    if (audit::isLibcFamilyName(base.c_str())) {
      if (glibcDir_.empty())
        return std::nullopt;
      std::string own = glibcDir_ + "/" + base;
      struct stat st;
      if (statCall(own, st, calls) != 0 || !S_ISREG(st.st_mode) ||
          own == asked)
        return std::nullopt;
      return std::make_pair(own, How::OwnGlibc);
    }
    for (const std::string &entry : splitList(rules_.fallback, ':')) {
      if (entry.empty() || entry[0] != '/')
        continue;
      size_t n = entry.size();
      while (n > 1 && entry[n - 1] == '/')
        --n; // "dir/" and "dir" are one directory
      std::string candidate = entry.substr(0, n) + (n == 1 ? "" : "/") + base;
      if (candidate.size() >= kPathMax)
        continue;
      work.tried.push_back(entry.substr(0, n));
      bool absent = false;
      if (std::optional<std::string> no =
              judge(candidate, false, calls, &absent)) {
        if (!absent)
          work.skipped.push_back({candidate, *no});
        continue;
      }
      return std::make_pair(candidate, How::Fallback);
    }
    return std::nullopt;
  }

private:
  static constexpr size_t kPathMax = 4096;

  // The module's dirOf: the part before the last slash, "/" for none.
  static std::string moduleDir(const std::string &path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos || slash == 0 ? "/"
                                                    : path.substr(0, slash);
  }

  // statx(2) as the module makes it (links followed): 0 or errno. A name
  // its directory's listing does not hold is not asked for (a fallback path
  // of a thousand directories makes half a million such calls).
  int statCall(const std::string &path, struct stat &st,
               std::vector<Probe> &calls) {
    int err = files_.listed(path) == false      ? ENOENT
              : ::stat(path.c_str(), &st) == 0 ? 0
                                                : errno;
    calls.push_back({Probe::Stat, path, err == 0});
    return err;
  }

  // The module's fileId: the file's identity, nullopt when statx fails.
  std::optional<std::pair<uint64_t, uint64_t>>
  fileId(const std::string &path, std::vector<Probe> &calls) {
    struct stat st;
    if (statCall(path, st, calls) != 0)
      return std::nullopt;
    return std::make_pair(uint64_t(st.st_dev), uint64_t(st.st_ino));
  }

  bool worldWritableDir(const std::string &path, std::vector<Probe> &calls) {
    struct stat st;
    return statCall(moduleDir(path), st, calls) == 0 &&
           (st.st_mode & S_IWOTH) != 0;
  }

  const AuditRules::Override *overrideFor(const std::string &name) const {
    for (const AuditRules::Override &o : rules_.overrides)
      if (o.name == name || (o.name[0] != '/' && name[0] == '/' &&
                             o.name == baseName(name)))
        return &o;
    return nullptr;
  }

  bool inNamespace(const Loaded &l) const {
    return !l.object.isMain && isAbsolute(l.object.path) &&
           l.info->hasDynamic && l.info->dynstr;
  }

  // An object whose DT_SONAME is absolute that a bare `name` means: by the
  // soname's last part or its file's name, else by the soname its record
  // keeps (read from its file).
  size_t loadedByBareName(const std::string &name, std::vector<Probe> &calls) {
    auto absoluteSoname = [&](const Loaded &l) {
      return inNamespace(l) && l.info->soname && isAbsolute(*l.info->soname);
    };
    for (size_t k = 0; k < loaded_.size(); ++k)
      if (absoluteSoname(loaded_[k]) &&
          (baseName(*loaded_[k].info->soname) == name ||
           baseName(loaded_[k].object.path) == name))
        return k;
    for (size_t k = 0; k < loaded_.size(); ++k) {
      if (!absoluteSoname(loaded_[k]))
        continue;
      auto [it, fresh] = keptSonames_.try_emplace(loaded_[k].object.path);
      if (fresh) {
        struct stat st;
        statCall(loaded_[k].object.path, st, calls);
        if (std::optional<note::Record> r = recordOf(*loaded_[k].info))
          it->second = r->soname.value_or("");
      }
      if (!it->second.empty() && it->second == name)
        return k;
    }
    return SIZE_MAX;
  }

  // The loaded object a version need's file names.
  const Loaded *loadedForNeed(const std::string &file) const {
    for (const Loaded &l : loaded_) {
      if (!inNamespace(l))
        continue;
      const std::optional<std::string> &so = l.info->soname;
      if (isAbsolute(file) ? l.object.path == file || (so && *so == file)
                           : (so && baseName(*so) == file) ||
                                 baseName(l.object.path) == file)
        return &l;
    }
    return nullptr;
  }

  // The process's C library: the one loaded, or before that the one beside
  // the dynamic linker (asked once).
  const std::optional<std::pair<uint64_t, uint64_t>> &
  processLibc(std::vector<Probe> &calls) {
    if (libc_ || libcPredicted_ || glibcDir_.empty())
      return libc_ ? libc_ : predictedLibc_;
    libcPredicted_ = true;
    libcPath_ = glibcDir_ + "/libc.so.6";
    predictedLibc_ = fileId(libcPath_, calls);
    return predictedLibc_;
  }

  // Whether the file of the C library's own `name` beside the dynamic
  // linker defines `version` (true when that cannot be told).
  bool glibcDefines(const std::string &name, const std::string &version,
                    std::vector<Probe> &calls) {
    if (glibcDir_.empty())
      return true;
    std::string p = glibcDir_ + "/" + name;
    struct stat st;
    if (statCall(p, st, calls) != 0 || !S_ISREG(st.st_mode))
      return true;
    const elf::ElfInfo *info = files_.get(p);
    if (!info || info->elfClass != program_.elfClass ||
        info->machine != program_.machine)
      return true;
    return std::any_of(info->versionDefs.begin(), info->versionDefs.end(),
                       [&](const elf::VersionDef &d) {
                         return !d.names.empty() && d.names[0] == version;
                       });
  }

  // The module's judge(): why `path` may not be loaded, nullopt when it
  // may. `absent`: it does not exist (the next directory, silently).
  std::optional<std::string> judge(const std::string &path, bool forced,
                                   std::vector<Probe> &calls, bool *absent) {
    using namespace llvm::ELF;
    if (forced) {
      if (worldWritableDir(path, calls))
        return "in a world-writable directory";
      return std::nullopt;
    }
    // mapFile: the type, the open, the directory it really is in.
    struct stat st;
    if (int err = statCall(path, st, calls)) {
      if (absent)
        *absent = err == ENOENT;
      return "cannot be opened (error " + std::to_string(err) + ")";
    }
    if (!S_ISREG(st.st_mode))
      return std::string("is not a regular file");
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    calls.push_back({Probe::Open, path, fd >= 0});
    if (fd < 0)
      return "cannot be opened (error " + std::to_string(errno) + ")";
    ::close(fd);
    bool writable = worldWritableDir(files_.real(path), calls);
    if (static_cast<uint64_t>(st.st_size) <
        (program_.elfClass == 64 ? sizeof(llvm::ELF::Elf64_Ehdr)
                                 : sizeof(llvm::ELF::Elf32_Ehdr)))
      return std::string("is too short to be a shared object");
    if (writable || worldWritableDir(path, calls))
      return "in a world-writable directory";
    std::string error;
    const elf::ElfInfo *info = files_.get(path, &error);
    if (!info)
      return error;
    detail::ModuleReading reading = moduleReading(path, *info);
    if (!reading.why.empty())
      return reading.why;
    const detail::ModuleReading *record = reading.record ? &reading : nullptr;
    if (info->elfClass != program_.elfClass)
      return info->elfClass == 32 ? "ELFCLASS32, not ELFCLASS64"
                                  : "ELFCLASS64, not ELFCLASS32";
    if (info->machine != program_.machine)
      return "built for machine " + std::to_string(info->machine) + ", not " +
             std::to_string(program_.machine);
    if (info->version != EV_CURRENT)
      return std::string("an ELF version glibc does not load");
    if (!(info->osabi == ELFOSABI_NONE && info->abiVersion == 0) &&
        !(info->osabi == ELFOSABI_GNU && info->abiVersion < 16))
      return "an OS ABI glibc does not load (" + std::to_string(info->osabi) +
             " version " + std::to_string(info->abiVersion) + ")";
    if (info->type != ET_DYN)
      return std::string("not a shared object");
    if (!info->hasDynamic)
      return std::string("no dynamic section");
    if (info->dtFlags1.value_or(0) & DF_1_PIE)
      return std::string("a position-independent executable");
    // A second C library or dynamic linker, by absolute NEEDED.
    for (const std::string &n : info->needed) {
      if (!isAbsolute(n))
        continue;
      std::string base = baseName(n);
      const std::optional<std::pair<uint64_t, uint64_t>> *own =
          isLibcName(base)     ? &processLibc(calls)
          : isLoaderName(base) ? &loader_
                               : nullptr;
      if (own && *own && fileId(n, calls) != **own)
        return "needs " + n +
               (own == &loader_ ? ", a dynamic linker other than the process's"
                                : ", a C library other than the process's");
    }
    if (record && record->libc && isAbsolute(*record->libc)) {
      const auto &libc = processLibc(calls);
      if (libc && *record->libc != libcPath_ &&
          fileId(*record->libc, calls) != *libc)
        return "linked against " + *record->libc + ", not the process's " +
               libcPath_;
    }
    // Symbol versions of objects already loaded; of the C library's own
    // objects not loaded yet, of the files beside the dynamic linker.
    for (const elf::VersionNeed &vn : info->versionNeeds)
      for (const elf::VersionNeedAux &aux : vn.aux) {
        if (aux.flags & VER_FLG_WEAK)
          continue;
        const Loaded *l = loadedForNeed(vn.file);
        std::string provider;
        if (!l) {
          std::string base = baseName(vn.file);
          if (!audit::isLibcFamilyName(base.c_str()) ||
              glibcDefines(base, aux.name, calls))
            continue;
          provider = glibcDir_ + " (the process's C library)";
        } else {
          if (std::any_of(l->info->versionDefs.begin(),
                          l->info->versionDefs.end(),
                          [&](const elf::VersionDef &d) {
                            return !d.names.empty() && d.names[0] == aux.name;
                          }))
            continue;
          provider = l->object.path;
        }
        return "needs " + aux.name + " of " + vn.file + ", which " + provider +
               " does not define";
      }
    if (rules_.strict && channel_ && record && record->channel &&
        *channel_ != *record->channel)
      return "channel '" + *record->channel + "', not the program's '" +
             *channel_ + "'";
    return std::nullopt;
  }

  // What the module's own reader (audit/elf_view, the same code) makes of
  // a candidate: why it is malformed, and its `.note.ldpin` record (the
  // first of its PT_NOTE segments). Of a class or machine other than this
  // build's, the file is read by core's reader, its record by the module's
  // parser.
  static detail::ModuleReading moduleReading(const std::string &path,
                                             const elf::ElfInfo &info) {
    if (detail::moduleReads(info.elfClass, info.machine))
      return detail::readAsTheModule(path);
    for (const elf::Note &n : info.notes)
      if (n.kind == elf::NoteKind::Ldpin && n.section.empty())
        return detail::parseAsTheModule(n.desc);
    return {};
  }

  static bool isAbsolute(const std::string &p) {
    return !p.empty() && p[0] == '/';
  }

  const AuditRules &rules_;
  FileCache &files_;
  const std::deque<Loaded> &loaded_;
  const Object &program_;
  std::optional<std::string> channel_;
  std::optional<std::pair<uint64_t, uint64_t>> libc_, loader_, predictedLibc_;
  bool libcPredicted_ = false;
  std::string libcPath_, glibcDir_;
  std::string pending_;
  bool tried_ = false;
  std::map<std::string, std::string> keptSonames_;
};

} // namespace

Closure closureOf(const std::string &root, FileCache &cache,
                  const SearchSettings &settings,
                  const std::function<bool(const std::string &)> &ignoreMissing,
                  const std::string &fallbackInterpreter) {
  Closure out;
  std::string error;
  const elf::ElfInfo *rootInfo = cache.get(root, &error);
  if (!rootInfo) {
    out.problems.push_back({root, "cannot be read: " + error});
    return out;
  }

  // A deque: the search keeps pointers to the loaders' objects while the
  // closure grows, and a deque's elements stay where they are.
  std::deque<Loaded> loaded;
  // Names a loaded object answers to: the name it was asked for by, its
  // path, and its DT_SONAME (glibc matches a loaded object's soname before
  // it searches), and its real path (the loader compares file identities).
  std::map<std::string, size_t> byName;
  std::map<std::pair<uint64_t, uint64_t>, size_t> byId;
  // (object, DT_NEEDED string) -> the object it loaded.
  std::map<std::pair<size_t, std::string>, size_t> provider;

  auto add = [&](const std::string &path, const elf::ElfInfo *info,
                 std::vector<size_t> chain, const ClosureEntry &entry) {
    size_t index = loaded.size();
    loaded.push_back({objectOf(path, *info), info, std::move(chain)});
    out.objects.push_back(entry);
    byName.emplace(entry.name.empty() ? path : entry.name, index);
    byName.emplace(path, index);
    if (info->soname)
      byName.emplace(*info->soname, index);
    if (std::optional<std::pair<uint64_t, uint64_t>> id = cache.identity(path))
      byId.emplace(*id, index);
    return index;
  };
  add(root, rootInfo, {}, {root, "", "", How::Path});
  // The executable's $ORIGIN is the directory of its real path (glibc
  // reads /proc/self/exe); a library's, that of the name it was opened by.
  if (rootInfo->interpreter) {
    loaded[0].object.origin = dirName(cache.real(root));
    loaded[0].object.isMain = true;
  }
  // Before anything else, the loader asks whether /etc/ld.so.preload
  // exists (rtld.c); its libraries are not modelled.
  if (settings.probes)
    settings.probes->calls.push_back(
        {Probe::Access, "/etc/ld.so.preload",
         ::access("/etc/ld.so.preload", R_OK) == 0});
  // The dynamic linker is loaded before anything else and answers to its
  // soname (libc.so.6 needs ld-linux-x86-64.so.2 and finds it so). With no
  // interpreter known (a library checked on its own), a name of a dynamic
  // linker is taken as satisfied by whichever program loads the library.
  std::string interp = rootInfo->interpreter.value_or(fallbackInterpreter);
  bool anyLoader = interp.empty();
  if (!interp.empty()) {
    const elf::ElfInfo *ldso = cache.get(interp, &error);
    if (ldso) {
      size_t index = loaded.size();
      loaded.push_back({objectOf(interp, *ldso), ldso, {0}});
      out.objects.push_back({interp, root, "", How::Path});
      byName.emplace(interp, index);
      if (ldso->soname)
        byName.emplace(*ldso->soname, index);
      // Not by its file's identity: glibc keeps none for the link map of
      // the dynamic linker, and maps the file again when a NEEDED names it
      // by another path.
    } else {
      out.problems.push_back({root, "its interpreter " + printable(interp) +
                                        " cannot be read: " + error});
    }
  }

  // The audit modules (glibc loads none in secure mode), loaded first, in
  // their order: each of ldpin's is an instance of the module, told of the
  // objects loaded so far and asked as glibc asks it, after those before it.
  std::deque<AuditModel> audits;
  SearchSettings withAudit;
  const SearchSettings *active = &settings;
  // The instances' answers at LA_SER_ORIG, each given the name the one
  // before it returned: the name glibc goes on with, and how the last to
  // change it did.
  struct Asked {
    std::string request;
    int changed = AuditModel::Original::Unchanged;
    size_t failed = 0;
    std::vector<AuditSkip> skipped;
  };
  auto askOriginal = [&](const std::string &name) {
    Asked a;
    a.request = name;
    if (audits.empty())
      return a;
    AuditWork work;
    for (AuditModel &m : audits) {
      AuditModel::Original o = m.original(a.request, work);
      if (o.kind != AuditModel::Original::Unchanged)
        a.request = std::move(o.name), a.changed = o.kind;
    }
    for (const Probe &p : work.calls) {
      settings.probes->calls.push_back(p);
      a.failed += !p.ok;
    }
    a.skipped = std::move(work.skipped);
    return a;
  };
  if (settings.audit && settings.probes && !settings.secure) {
    std::optional<note::Record> record = recordOf(*rootInfo);
    withAudit = settings;
    // glibc's _dl_audit_objsearch: each module in turn, given the name the
    // one before it returned.
    withAudit.atDefault = [&audits](const std::string &,
                                    const std::string &asked, AuditWork &work)
        -> std::optional<std::pair<std::string, How>> {
      std::optional<std::pair<std::string, How>> answer;
      for (AuditModel &a : audits)
        if (auto r = a.atDefault(answer ? answer->first : asked, work))
          answer = std::move(r);
      return answer;
    };
    for (const AuditRules::Module &m : settings.audit->modules) {
      AuditLoad load{m.name, m.where, "", false, false};
      if (m.name.find('/') != std::string::npos) {
        load.path = m.name;
        int err = settings.opens(m.name);
        settings.probes->calls.push_back({Probe::Open, m.name, err == 0});
        if (err != 0)
          load.path.clear();
      } else {
        // A bare name is searched as the program's own dlopen would, and
        // the instances of the module loaded before it are asked.
        Asked a = askOriginal(m.name);
        Found f = search(a.request, loaded[0].object, {},
                         audits.empty() ? settings : withAudit);
        load.path = f.path;
      }
      // glibc ignores a file that is not a shared object of the program's
      // class and machine ("cannot be loaded as audit interface").
      load.loaded = !load.path.empty() &&
                    settings.usable(load.path, rootInfo->elfClass,
                                    rootInfo->machine);
      load.modelled = load.loaded && baseName(load.path) == "libldpin-audit.so";
      out.audit.push_back(load);
      if (!load.modelled)
        continue;
      if (const std::string &log = settings.audit->logFile; !log.empty()) {
        // Opened to append, created if need be: that fails when the
        // directory is missing, or the name is a directory or a FIFO
        // (which the module opens without waiting for a reader).
        struct stat st;
        bool ok = ::stat(log.c_str(), &st) == 0
                      ? !S_ISDIR(st.st_mode) && !S_ISFIFO(st.st_mode) &&
                            ::access(log.c_str(), W_OK) == 0
                      : errno == ENOENT &&
                            ::stat(dirName(log).c_str(), &st) == 0 &&
                            S_ISDIR(st.st_mode) &&
                            ::access(dirName(log).c_str(), W_OK) == 0;
        settings.probes->calls.push_back({Probe::Open, log, ok});
      }
      audits.emplace_back(*settings.audit, cache, loaded, loaded[0].object,
                          record ? record->channel : std::nullopt);
      for (const Loaded &l : loaded)
        audits.back().opened(l);
    }
    if (!audits.empty())
      active = &withAudit;
  }

  bool stopped = false; // the start-up model: a fatal error ends the load
  for (size_t i = 0; i < loaded.size() && !stopped; ++i) {
    const elf::ElfInfo *info = loaded[i].info;
    std::vector<const Object *> loaders;
    for (size_t j : loaded[i].chain)
      loaders.push_back(&loaded[j].object);
    std::vector<size_t> childChain = {i};
    childChain.insert(childChain.end(), loaded[i].chain.begin(),
                      loaded[i].chain.end());
    // _dl_map_object_deps takes DT_NEEDED, DT_AUXILIARY and DT_FILTER in
    // the order of the dynamic section; an auxiliary library may be
    // missing. The NEEDED names are those of `needed` (a caller may model a
    // file as it will be pinned by changing them), in the places of the
    // dynamic section's entries. The start-up model also expands dynamic
    // string tokens in a name without a slash, as expand_dst does.
    std::vector<std::pair<std::string, bool>> names; // name, optional
    size_t nextNeeded = 0;
    for (const elf::DynEntry &d : info->dynamic) {
      if (d.tag == llvm::ELF::DT_NEEDED && nextNeeded < info->needed.size())
        names.emplace_back(info->needed[nextNeeded++], false);
      else if ((d.tag == llvm::ELF::DT_FILTER ||
                d.tag == llvm::ELF::DT_AUXILIARY) &&
               d.str)
        names.emplace_back(*d.str, d.tag == llvm::ELF::DT_AUXILIARY);
    }
    for (; nextNeeded < info->needed.size(); ++nextNeeded)
      names.emplace_back(info->needed[nextNeeded], false);
    for (auto [name, optionalName] : names) {
      if (stopped)
        break;
      const std::string written = name; // before tokens are expanded
      if (settings.probes && name.find('/') == std::string::npos &&
          name.find('$') != std::string::npos) {
        std::optional<std::string> e = expandTokens(
            name, originOf(loaded[i].object), settings.lib, settings.platform,
            settings.secure, trustedFor(loaded[i].object, settings));
        if (!e || e->empty()) {
          out.problems.push_back(
              {loaded[i].object.path,
               "needs " + printable(name) +
                   ", whose dynamic string tokens the loader cannot expand "
                   "(the load fails)"});
          stopped = !optionalName;
          continue;
        }
        name = *e;
      }
      if (auto it = byName.find(name); it != byName.end()) {
        provider[{i, name}] = it->second;
        Edge loadedEdge;
        loadedEdge.from = i;
        loadedEdge.name = written;
        loadedEdge.how = How::Loaded;
        loadedEdge.to = it->second;
        out.edges.push_back(std::move(loadedEdge));
        continue;
      }
      // A library modelled on its own: whatever program loads it has its
      // dynamic linker loaded already, which answers to its soname.
      if (anyLoader && settings.probes && name.find('/') == std::string::npos &&
          isLoaderName(name)) {
        Edge loadedEdge;
        loadedEdge.from = i;
        loadedEdge.name = name;
        loadedEdge.how = How::Loaded;
        out.edges.push_back(std::move(loadedEdge));
        continue;
      }
      // LA_SER_ORIG: the module may name the file (an override), or answer
      // with an object loaded under an absolute soname, which glibc opens
      // and finds loaded already.
      Asked asked = askOriginal(name);
      std::string request = std::move(asked.request);
      const int changed = asked.changed; // by the last to change it
      const size_t moduleFailed = asked.failed;
      std::vector<AuditSkip> moduleSkipped = std::move(asked.skipped);
      // A changed name is a path glibc opens (an object loaded already is
      // then found again by its file's identity).
      Found f = search(request, loaded[i].object, loaders, *active);
      if (changed != AuditModel::Original::Unchanged && f.how == How::Path)
        f.how = changed == AuditModel::Original::Override ? How::Override
                                                          : How::Loaded;
      f.failedProbes += moduleFailed;
      moduleSkipped.insert(moduleSkipped.end(), f.auditSkipped.begin(),
                           f.auditSkipped.end());
      if (request.find('/') == std::string::npos)
        out.searches.push_back({f.path, loaded[i].object.path, name, f.how});
      out.edges.push_back({i, written, f.how, SIZE_MAX,
                           f.rpathOwner ? f.rpathOwner->path : "",
                           f.how == How::NotFound ? f.tried
                                                  : std::vector<std::string>{},
                           f.refused, "", f.failedProbes,
                           changed == AuditModel::Original::Loaded,
                           std::move(moduleSkipped),
                           request != name ? request : std::string()});
      Edge &edge = out.edges.back();
      if (f.how == How::NotFound) {
        // A file the loader refuses ends the whole load, at start-up as
        // in ldd's trace mode.
        if (settings.probes && !f.refused.empty())
          stopped = true;
        if ((ignoreMissing && ignoreMissing(name)) ||
            (anyLoader && isLoaderName(baseName(name))) ||
            (optionalName && f.refused.empty()))
          continue;
        std::string why;
        if (!f.refused.empty()) {
          edge.refusedWhy = refusalReason(f.refused, cache);
          why = "and the loader stops at " + printable(f.refused) +
                ", which it cannot load (" + edge.refusedWhy + ")";
        } else if (request.find('/') != std::string::npos) {
          std::string path =
              expandOrigin(request, loaded[i].object.path).value_or(request);
          struct stat st;
          why = (request != name ? "which the audit module answers with " +
                                       printable(path) + ", "
                                 : std::string()) +
                (::stat(path.c_str(), &st) != 0
                     ? "which does not exist"
                     : "which is not a shared library of this object's class "
                       "and machine");
        } else {
          why = "which no RPATH, RUNPATH or default directory provides";
          if (f.tried.empty())
            why += loaded[i].object.flags1 & llvm::ELF::DF_1_NODEFLIB
                       ? " (nothing to search: it has no RPATH or RUNPATH, and "
                         "-z nodefaultlib keeps the loader's default "
                         "directories out)"
                       : " (nothing to search: it has no RPATH or RUNPATH, and "
                         "no interpreter whose default directories apply; "
                         "--interpreter names one)";
          else {
            why += " (searched: ";
            for (size_t k = 0; k < f.tried.size(); ++k)
              why += (k ? ", " : "") + printable(f.tried[k]);
            why += ")";
          }
          why += "; if a dependency has it, name its prefix with --deps "
                 "(the setup hook passes the build's inputs)";
        }
        out.problems.push_back({loaded[i].object.path,
                                "needs " + printable(name) + ", " + why,
                                /*notFound=*/true});
        continue;
      }
      if (f.rpathOwner)
        out.rpathUses.push_back(
            {loaded[i].object.path, name, f.rpathOwner->path, f.entry});
      std::optional<std::pair<uint64_t, uint64_t>> id = cache.identity(f.path);
      if (auto it = id ? byId.find(*id) : byId.end(); it != byId.end()) {
        provider[{i, name}] = it->second;
        byName.emplace(request, it->second);
        edge.to = it->second;
        continue;
      }
      const elf::ElfInfo *childInfo = cache.get(f.path, &error);
      if (!childInfo)
        continue; // usable() read it; it cannot fail now
      provider[{i, name}] = add(f.path, childInfo, childChain,
                                {f.path, loaded[i].object.path, name, f.how});
      edge.to = provider[{i, name}];
      for (AuditModel &a : audits)
        a.opened(loaded.back());
    }
  }

  // Symbol versions: each version an object needs (not weak) must be
  // defined by the object its vn_file names. An object that defines no
  // versions at all only earns a warning from glibc, not a failure.
  for (size_t i = 0; i < loaded.size(); ++i)
    for (const elf::VersionNeed &vn : loaded[i].info->versionNeeds) {
      auto p = provider.find({i, vn.file});
      if (p == provider.end())
        continue; // not loaded: reported above, or ignored
      const elf::ElfInfo *def = loaded[p->second].info;
      if (def->versionDefs.empty())
        continue;
      for (const elf::VersionNeedAux &aux : vn.aux) {
        if (aux.flags & llvm::ELF::VER_FLG_WEAK)
          continue;
        bool defined = false;
        for (const elf::VersionDef &vd : def->versionDefs)
          if (!vd.names.empty() && vd.names[0] == aux.name)
            defined = true;
        const std::string &by = loaded[p->second].object.path;
        if (!defined)
          out.problems.push_back(
              {loaded[i].object.path,
               "needs version " + printable(aux.name) +
                   (vn.file == by ? "" : " of " + printable(vn.file)) +
                   ", which " + printable(by) + " does not define"});
      }
    }

  // One C library and one dynamic linker, from one directory.
  std::map<std::string, std::string> libcs, interpreters; // real -> who
  for (size_t i = 0; i < loaded.size(); ++i) {
    const elf::ElfInfo *info = loaded[i].info;
    std::string soname =
        baseName(info->soname ? *info->soname : loaded[i].object.path);
    const std::string who = out.objects[i].neededBy.empty()
                                ? loaded[i].object.path
                                : out.objects[i].neededBy;
    if (isLibcName(soname))
      libcs.emplace(cache.real(loaded[i].object.path), who);
    if (isLoaderName(soname))
      interpreters.emplace(cache.real(loaded[i].object.path), who);
  }
  if (rootInfo->interpreter) {
    if (cache.regular(*rootInfo->interpreter))
      interpreters.emplace(cache.real(*rootInfo->interpreter), root);
  }
  auto describeAll = [](const std::map<std::string, std::string> &m) {
    std::string s;
    for (const auto &[path, who] : m)
      s += (s.empty() ? "" : ", ") + printable(path) + " (for " +
           printable(who) + ")";
    return s;
  };
  if (libcs.size() > 1)
    out.problems.push_back(
        {root, "loads two C libraries: " + describeAll(libcs)});
  if (interpreters.size() > 1)
    out.problems.push_back(
        {root, "names two dynamic linkers: " + describeAll(interpreters)});
  if (libcs.size() == 1 && interpreters.size() == 1 &&
      dirName(libcs.begin()->first) != dirName(interpreters.begin()->first))
    out.problems.push_back(
        {root, "its C library " + printable(libcs.begin()->first) +
                   " and its dynamic linker " +
                   printable(interpreters.begin()->first) +
                   " come from different directories (two glibcs)"});
  return out;
}

std::set<std::string> rpathServingClosure(const Closure &closure,
                                          const std::string &root) {
  std::set<std::string> entries;
  for (const RpathUse &u : closure.rpathUses)
    if (u.owner == root && u.requester != root)
      entries.insert(u.entry);
  return entries;
}

} // namespace ldpin::loader
