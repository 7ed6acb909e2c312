// libldpin-audit.so: the glibc audit interface (rtld-audit(7)) for the
// lookups that remain at run time. Three decisions, all in la_objsearch:
//
// - LA_SER_ORIG, before glibc tries anything: an override from
//   LDPIN_OVERRIDE (bare or absolute names), then a bare name that an
//   object already loaded under an absolute soname (ldpin fixup's) answers
//   to (the soname's last part, the soname its record keeps, or its file
//   name) becomes that object's path, so that glibc returns the object it
//   has instead of a second copy or a failure.
// - LA_SER_DEFAULT, the first time it arrives for a request: RPATH,
//   LD_LIBRARY_PATH, RUNPATH and the cache have not provided the name, so
//   LDPIN_FALLBACK_PATH is searched, before the default directories. The
//   C library's own objects come from beside the process's dynamic linker
//   instead, never from the fallback path.
// - Every candidate (fallback or override) is judged before it is
//   returned: class and machine, a second C library or dynamic linker,
//   the symbol versions it needs of objects already loaded, and under
//   LDPIN_AUDIT_POLICY=strict its record's channel.
//
// Freestanding: no libc, no constructors; all state is one
// zero-initialised object, set up in la_version. It allocates nothing
// itself; only the names it gives objects found through the fallback come,
// once the program's objects are set up, from the process's own malloc
// (glibc frees them). glibc calls la_objopen and la_objsearch with its load
// lock held, so they never run at once.
#include <link.h>

#include "elf_view.h"
#include "sys.h"
#include "text.h"

namespace {

using namespace ldpin::audit;

// Longest LDPIN_* value read: the kernel's limit for one environment string
// (MAX_ARG_STRLEN, 128 KiB), so none is ever cut.
constexpr size_t kVarMax = 131072 + 1;
constexpr size_t kPathMax = 4096; // longest path built or returned
constexpr size_t kMaxOverrides = 64;
constexpr size_t kMaxRecordCache = 512;
constexpr size_t kMaxChain = 1 << 20; // objects walked in a namespace
constexpr uint64_t kMaxCandidateSize = uint64_t(1) << 32;

enum Level { kOff = 0, kWarnings = 1, kDecisions = 2, kCalls = 3 };

struct Override {
  const char *name;
  const char *target;
  bool forced;
};

struct FileId {
  bool known;
  uint32_t major, minor;
  uint64_t ino;
};

// The record soname of a loaded object whose DT_SONAME is absolute, read
// from its file once.
struct RecordSoname {
  const link_map *map;
  char soname[256];
};

struct State {
  bool ready, secure;
  int level, logFd;
  bool strict;
  char fallback[kVarMax];
  char overrideText[kVarMax];
  Override overrides[kMaxOverrides];
  size_t overrideCount;
  char logValue[32], logFile[kPathMax], policyValue[32];
  // From the auxiliary vector.
  uintptr_t phdr, phnum, interpBase;
  // The process.
  link_map *program;
  FileId libc, loader;
  char libcPath[kPathMax];
  // The directory of the dynamic linker's file, links resolved: where the
  // process's C library comes from before it is loaded.
  char glibcDir[kPathMax];
  bool channelRead;
  const char *channel; // the program's, in its mapped record
  // The request in progress (glibc serialises them).
  char pending[kPathMax];
  bool fallbackTried;
  char result[kPathMax];
  RecordSoname records[kMaxRecordCache];
  size_t recordCount;
  // A fallback answer given at LA_SER_DEFAULT: glibc names the object by
  // the path it asked about (`from`), not by the one it opened (`to`);
  // la_objopen gives it its real name.
  bool redirected;
  char redirectFrom[kPathMax], redirectTo[kPathMax];
  // Until the program's first set of objects is complete (the base
  // namespace's first LA_ACT_CONSISTENT), names come from the module's pool:
  // those objects are never unloaded, and the C library's malloc is not
  // ready yet. After it, names come from the process's malloc, since glibc
  // frees them when it unloads an object.
  bool initialDone;
  char namePool[1 << 16];
  size_t namePoolUsed;
  size_t originOffset; // where glibc keeps l_origin in its link_map, once found
  // The process's malloc and free, looked up once (after the program's
  // objects are set up, its global scope no longer changes what they are).
  bool allocatorLooked;
  void *(*malloc)(size_t);
  void (*free)(void *);
  FileId logId; // the log file, checked before each write
  FileId predictedLibc;
  bool libcPredicted;
  // Scratch.
  Text<8192> line;
  Text<kPathMax> path, dir;
  unsigned char io[4096];
};

State g;

// ---- Logging ---------------------------------------------------------

Text<8192> &begin() {
  g.line.clear();
  return g.line.add("ldpin-audit: ");
}

FileId fileId(const char *path, int dirfd = sys::kAtFdcwd, int flags = 0);
bool same(const FileId &a, const FileId &b);

void emit(int level) {
  if (g.level < level || g.logFd < 0)
    return;
  // A program may close the log's descriptor and open a file of its own
  // under that number: then the log stops, rather than write into it.
  if (g.logId.known && !same(fileId("", g.logFd, sys::kAtEmptyPath), g.logId)) {
    g.logFd = -1;
    return;
  }
  if (g.line.overflow)
    g.line.size -= g.line.size > 3 ? 3 : 0, g.line.add("...");
  g.line.add('\n');
  const char *p = g.line.data;
  size_t n = g.line.size;
  while (n) {
    long w = sys::write(g.logFd, p, n);
    if (w <= 0)
      break;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void decision(const char *request, const char *path, const char *reason,
              int level = kDecisions) {
  if (g.level < level)
    return;
  begin().add(request).add(" -> ").add(path).add(" (").add(reason).add(")");
  emit(level);
}

// ---- Reading /proc/self ----------------------------------------------

struct Var {
  const char *name;
  char *value;
  size_t cap;
  size_t size;
  bool tooLong, seen;
};

void readEnvironment() {
  Var vars[] = {
      {"LDPIN_FALLBACK_PATH", g.fallback, sizeof g.fallback, 0, false, false},
      {"LDPIN_OVERRIDE", g.overrideText, sizeof g.overrideText, 0, false,
       false},
      {"LDPIN_AUDIT_LOG", g.logValue, sizeof g.logValue, 0, false, false},
      {"LDPIN_AUDIT_LOG_FILE", g.logFile, sizeof g.logFile, 0, false, false},
      {"LDPIN_AUDIT_POLICY", g.policyValue, sizeof g.policyValue, 0, false,
       false},
  };
  long fd = sys::openat(sys::kAtFdcwd, "/proc/self/environ",
                        sys::kReadOnly | sys::kCloexec, 0);
  if (sys::failed(fd))
    return;
  enum { Name, Value, Skip } state = Name;
  char name[32];
  size_t nameSize = 0;
  Var *var = nullptr;
  for (;;) {
    long n = sys::read(static_cast<int>(fd), g.io, sizeof g.io);
    if (n <= 0)
      break;
    for (long i = 0; i < n; ++i) {
      char c = static_cast<char>(g.io[i]);
      if (state == Name) {
        if (c == '\0') {
          nameSize = 0;
        } else if (c == '=') {
          var = nullptr;
          for (Var &v : vars)
            if (equalN(name, nameSize, v.name))
              var = &v;
          state = var ? Value : Skip;
          if (var)
            var->size = 0, var->tooLong = false, var->seen = true;
        } else if (nameSize < sizeof name) {
          name[nameSize++] = c;
        } else {
          state = Skip;
        }
      } else if (c == '\0') {
        if (state == Value)
          var->value[var->size] = '\0';
        state = Name;
        nameSize = 0;
      } else if (state == Value) {
        if (var->size + 1 < var->cap)
          var->value[var->size++] = c;
        else
          var->tooLong = true;
      }
    }
  }
  if (state == Value)
    var->value[var->size] = '\0';
  sys::close(static_cast<int>(fd));

  // The log first, so that what follows can be reported. Empty is off.
  if (vars[2].seen && !vars[2].tooLong && g.logValue[0]) {
    const char *v = g.logValue;
    if (v[0] >= '0' && v[0] <= '3' && v[1] == '\0')
      g.level = v[0] - '0';
    else
      g.level = kWarnings;
  }
  if (g.level > kOff && vars[3].seen && g.logFile[0]) {
    if (vars[3].tooLong || g.logFile[0] != '/') {
      begin()
          .add("LDPIN_AUDIT_LOG_FILE is not an absolute path of at most ")
          .addNumber(kPathMax - 1)
          .add(" bytes; logging to standard error");
      emit(kWarnings);
    } else {
      // Non-blocking: a FIFO without a reader is an error, not a hang.
      long lf = sys::openat(sys::kAtFdcwd, g.logFile,
                            sys::kWriteOnly | sys::kCreate | sys::kAppend |
                                sys::kCloexec | sys::kNonblock | sys::kNoctty,
                            0644);
      if (sys::failed(lf)) {
        begin()
            .add("cannot open LDPIN_AUDIT_LOG_FILE ")
            .add(g.logFile)
            .add(" (error ")
            .addNumber(static_cast<unsigned long>(-lf))
            .add("); logging to standard error");
        emit(kWarnings);
      } else {
        // Out of the way of the program's own descriptors 3, 4, ...
        long high = sys::fcntl(static_cast<int>(lf), sys::kDupFdCloexec, 900);
        if (!sys::failed(high)) {
          sys::close(static_cast<int>(lf));
          lf = high;
        }
        g.logFd = static_cast<int>(lf);
        g.logId = fileId("", g.logFd, sys::kAtEmptyPath);
      }
    }
  }
  if (vars[2].seen && g.logValue[0] && g.level == kWarnings &&
      !equal(g.logValue, "1")) {
    begin().add("LDPIN_AUDIT_LOG is not 0, 1, 2 or 3; logging warnings");
    emit(kWarnings);
  }
  for (Var &v : vars)
    if (v.tooLong) {
      v.value[0] = '\0';
      begin()
          .add(v.name)
          .add(" is longer than ")
          .addNumber(v.cap - 1)
          .add(" bytes; ignored");
      emit(kWarnings);
    }
  if (vars[4].seen) {
    if (equal(g.policyValue, "strict")) {
      g.strict = true;
    } else if (!equal(g.policyValue, "default") && g.policyValue[0]) {
      begin()
          .add("LDPIN_AUDIT_POLICY='")
          .add(g.policyValue)
          .add("' is not 'default' or 'strict'; using 'default'");
      emit(kWarnings);
    }
  }

  // LDPIN_OVERRIDE: name=path pairs, separated by ':'; path may start
  // with '!' (forced: not judged).
  char *p = g.overrideText;
  while (*p) {
    char *entry = p;
    while (*p && *p != ':')
      ++p;
    if (*p)
      *p++ = '\0';
    if (!*entry)
      continue;
    char *eq = entry;
    while (*eq && *eq != '=')
      ++eq;
    bool ok = *eq == '=';
    if (ok)
      *eq = '\0';
    char *target = ok ? eq + 1 : eq;
    bool forced = ok && *target == '!';
    if (forced)
      ++target;
    if (!ok || !*entry || target[0] != '/') {
      begin()
          .add("LDPIN_OVERRIDE entry '")
          .add(entry, length(entry) > 200 ? 200 : length(entry))
          .add(length(entry) > 200 ? "..." : "")
          .add("' is not name=/absolute/path; ignored");
      emit(kWarnings);
      continue;
    }
    if (g.overrideCount == kMaxOverrides) {
      begin()
          .add("LDPIN_OVERRIDE has more than ")
          .addNumber(kMaxOverrides)
          .add(" entries; the rest are ignored");
      emit(kWarnings);
      break;
    }
    g.overrides[g.overrideCount++] = {entry, target, forced};
  }

  // LDPIN_FALLBACK_PATH: relative and empty entries are ignored.
  for (const char *q = g.fallback; *q;) {
    const char *e = q;
    while (*e && *e != ':')
      ++e;
    if (e != q && *q != '/') {
      begin()
          .add("LDPIN_FALLBACK_PATH entry '")
          .add(q, static_cast<size_t>(e - q))
          .add("' is not absolute; ignored");
      emit(kWarnings);
    }
    q = *e ? e + 1 : e;
  }
}

void readAuxv() {
  long fd = sys::openat(sys::kAtFdcwd, "/proc/self/auxv",
                        sys::kReadOnly | sys::kCloexec, 0);
  if (sys::failed(fd)) {
    // Nothing says the process is not privileged: behave as if it were.
    g.secure = true;
    return;
  }
  size_t have = 0;
  for (;;) {
    long n = sys::read(static_cast<int>(fd), g.io + have, sizeof g.io - have);
    if (n <= 0)
      break;
    have += static_cast<size_t>(n);
    if (have == sizeof g.io)
      break;
  }
  sys::close(static_cast<int>(fd));
  bool sawSecure = false;
  for (size_t at = 0; at + 2 * sizeof(uintptr_t) <= have;
       at += 2 * sizeof(uintptr_t)) {
    uintptr_t type, value;
    __builtin_memcpy(&type, g.io + at, sizeof type);
    __builtin_memcpy(&value, g.io + at + sizeof type, sizeof value);
    if (type == AT_NULL)
      break;
    if (type == AT_SECURE)
      g.secure = value != 0, sawSecure = true;
    else if (type == AT_PHDR)
      g.phdr = value;
    else if (type == AT_PHNUM)
      g.phnum = value;
    else if (type == AT_BASE)
      g.interpBase = value;
  }
  if (!sawSecure)
    g.secure = true;
}

void init() {
  if (g.ready)
    return;
  g.ready = true;
  g.logFd = 2;
  readAuxv();
  if (!g.secure)
    readEnvironment();
}

// ---- Files -------------------------------------------------------------

FileId fileId(const char *path, int dirfd, int flags) {
  struct statx st;
  FileId id{};
  if (!sys::failed(sys::statx(dirfd, path, flags, STATX_INO, &st)))
    id = {true, st.stx_dev_major, st.stx_dev_minor, st.stx_ino};
  return id;
}

bool same(const FileId &a, const FileId &b) {
  return a.known && b.known && a.major == b.major && a.minor == b.minor &&
         a.ino == b.ino;
}

// The directory part of `path` in g.dir.
const char *dirOf(const char *path) {
  g.dir.clear();
  const char *slash = nullptr;
  for (const char *p = path; *p; ++p)
    if (*p == '/')
      slash = p;
  if (!slash || slash == path)
    g.dir.add("/");
  else
    g.dir.add(path, static_cast<size_t>(slash - path));
  return g.dir.data;
}

bool worldWritableDir(const char *path) {
  struct statx st;
  if (sys::failed(sys::statx(sys::kAtFdcwd, dirOf(path), 0, STATX_MODE, &st)))
    return false;
  return (st.stx_mode & sys::kOthersWrite) != 0;
}

// The path of an open file, links resolved, in `out` (false when the
// kernel does not say).
bool realPathOf(int fd, char (&out)[kPathMax]) {
  Text<64> link;
  link.clear();
  link.add("/proc/self/fd/").addNumber(static_cast<unsigned long>(fd));
  long n = sys::readlinkat(sys::kAtFdcwd, link.data, out, sizeof out - 1);
  if (n <= 0 || n >= static_cast<long>(sizeof out) - 1 || out[0] != '/')
    return false;
  out[n] = '\0';
  return true;
}

// A file mapped read-only, unmapped when it goes.
struct Mapped {
  const unsigned char *data = nullptr;
  size_t size = 0;
  long error = 0; // -errno of the open, or 0
  const char *why = nullptr;
  bool worldWritable = false; // the directory it really is in (if asked)
  ~Mapped() {
    if (data)
      sys::munmap(const_cast<unsigned char *>(data), size);
  }
};

// With `checkDirectory`, also whether the directory the file really is in
// (links resolved) is world-writable.
void mapFile(const char *path, Mapped &m, bool checkDirectory = false) {
  // The type before the open: opening a FIFO or a device could block or
  // have effects.
  struct statx st;
  long r = sys::statx(sys::kAtFdcwd, path, 0, STATX_TYPE, &st);
  if (sys::failed(r)) {
    m.error = r;
    m.why = "cannot be opened";
    return;
  }
  if ((st.stx_mode & sys::kTypeMask) != sys::kRegular) {
    m.why = "is not a regular file";
    return;
  }
  long fd = sys::openat(
      sys::kAtFdcwd, path,
      sys::kReadOnly | sys::kCloexec | sys::kNonblock | sys::kNoctty, 0);
  if (sys::failed(fd)) {
    m.error = fd;
    m.why = "cannot be opened";
    return;
  }
  char real[kPathMax];
  if (checkDirectory && realPathOf(static_cast<int>(fd), real))
    m.worldWritable = worldWritableDir(real);
  r = sys::statx(static_cast<int>(fd), "", sys::kAtEmptyPath,
                 STATX_TYPE | STATX_SIZE, &st);
  if (sys::failed(r)) {
    m.error = r;
    m.why = "cannot be read";
  } else if ((st.stx_mode & sys::kTypeMask) != sys::kRegular) {
    m.why = "is not a regular file";
  } else if (st.stx_size < sizeof(Ehdr)) {
    m.why = "is too short to be a shared object";
  } else if (st.stx_size > kMaxCandidateSize) {
    m.why = "is too large to be read";
  } else {
    long a =
        sys::mapWhole(static_cast<size_t>(st.stx_size), static_cast<int>(fd));
    if (sys::failed(a)) {
      m.error = a;
      m.why = "cannot be mapped";
    } else {
      m.data = reinterpret_cast<const unsigned char *>(a);
      m.size = static_cast<size_t>(st.stx_size);
    }
  }
  sys::close(static_cast<int>(fd));
}

// The directory of the file `path` names, links resolved (through the
// kernel's name for an open file).
void rememberGlibcDir(const char *path) {
  long fd = sys::openat(sys::kAtFdcwd, path, sys::kReadOnly | sys::kCloexec, 0);
  if (sys::failed(fd))
    return;
  char real[kPathMax];
  bool ok = realPathOf(static_cast<int>(fd), real);
  sys::close(static_cast<int>(fd));
  if (!ok)
    return;
  const char *dir = dirOf(real);
  __builtin_memcpy(g.glibcDir, dir, length(dir) + 1);
  if (g.level >= kCalls) {
    begin().add("the process's C library comes from ").add(g.glibcDir);
    emit(kCalls);
  }
}

// Whether the C library's own `name` (libc.so.6, libm.so.6, ...) that the
// process will load, not loaded yet, defines `version`: the file beside the
// process's dynamic linker. True when that cannot be told.
bool glibcDefines(const char *name, const char *version) {
  if (!g.glibcDir[0])
    return true;
  Text<kPathMax> p;
  p.clear();
  p.add(g.glibcDir).add('/').add(name);
  Mapped m;
  mapFile(p.data, m);
  ElfView v;
  if (!m.data || readElf(m.data, m.size, v) || !v.native())
    return true;
  return definesVersion(v, version);
}

// ---- Loaded objects, read from memory ------------------------------------

// What the loader has of an object: its dynamic section in memory. glibc
// relocates the pointers in it where the section is writable and leaves
// them as addresses in the file where it is not (the vDSO, read-only
// dynamic sections); an unrelocated address lies below the load bias.
struct Loaded {
  const char *strtab;
  const char *soname; // DT_SONAME, or null
  uintptr_t verdef;
  size_t verdefNum;
};

// The address a pointer of `l`'s dynamic section means in memory.
uintptr_t inMemory(const link_map *l, uintptr_t v) {
  return v < l->l_addr ? v + l->l_addr : v;
}

bool describe(const link_map *l, Loaded &out) {
  out = Loaded{};
  if (!l->l_ld)
    return false;
  uintptr_t strtab = 0, soname = 0, verdef = 0;
  bool hasSoname = false;
  size_t n = 0;
  for (const ElfW(Dyn) *d = l->l_ld; d->d_tag != DT_NULL && n < kMaxDynamic;
       ++d, ++n) {
    switch (d->d_tag) {
    case DT_STRTAB:
      strtab = d->d_un.d_ptr;
      break;
    case DT_SONAME:
      soname = d->d_un.d_val;
      hasSoname = true;
      break;
    case DT_VERDEF:
      verdef = d->d_un.d_ptr;
      break;
    case DT_VERDEFNUM:
      out.verdefNum = d->d_un.d_val;
      break;
    default:
      break;
    }
  }
  if (!strtab)
    return false;
  out.strtab = reinterpret_cast<const char *>(inMemory(l, strtab));
  if (hasSoname)
    out.soname = out.strtab + soname;
  if (verdef)
    out.verdef = inMemory(l, verdef);
  return true;
}

bool defines(const Loaded &o, const char *version) {
  uintptr_t at = o.verdef;
  for (size_t i = 0; at && i < o.verdefNum && i < kMaxVersionEntries; ++i) {
    const Verdef *d = reinterpret_cast<const Verdef *>(at);
    if (d->vd_cnt > 0) {
      const Verdaux *a = reinterpret_cast<const Verdaux *>(at + d->vd_aux);
      if (equal(o.strtab + a->vda_name, version))
        return true;
    }
    if (!d->vd_next)
      break;
    at += d->vd_next;
  }
  return false;
}

link_map *headOf(link_map *l) {
  for (size_t n = 0; l && l->l_prev && n < kMaxChain; ++n)
    l = l->l_prev;
  return l;
}

bool absolute(const link_map *l) { return l->l_name && l->l_name[0] == '/'; }

// The record of the file `path` (mapped into `m`, read into `v`), or null.
const Record *recordOf(const char *path, Mapped &m, ElfView &v) {
  mapFile(path, m);
  if (!m.data || readElf(m.data, m.size, v) || !v.record.present)
    return nullptr;
  return &v.record;
}

// The soname an ldpin record keeps for an object whose DT_SONAME was made
// absolute, read from its file once.
const char *recordSoname(const link_map *l) {
  for (size_t i = 0; i < g.recordCount; ++i)
    if (g.records[i].map == l)
      return g.records[i].soname[0] ? g.records[i].soname : nullptr;
  // A full cache still answers, from the file each time.
  static char uncached[sizeof(RecordSoname::soname)];
  RecordSoname *slot =
      g.recordCount < kMaxRecordCache ? &g.records[g.recordCount++] : nullptr;
  char(&into)[sizeof uncached] = slot ? slot->soname : uncached;
  into[0] = '\0';
  Mapped m;
  ElfView v;
  if (const Record *r = recordOf(l->l_name, m, v); r && r->soname)
    if (!copyInto(into, r->soname))
      into[0] = '\0';
  if (slot)
    slot->map = l;
  return into[0] ? into : nullptr;
}

// An object glibc unloads: what is cached of it goes (glibc may give its
// link map's memory to the next object).
void forget(const link_map *l) {
  for (size_t i = 0; i < g.recordCount; ++i)
    if (g.records[i].map == l) {
      g.records[i] = g.records[--g.recordCount];
      break;
    }
}

// A loaded object (of loader's namespace) that a bare `name` means, among
// those whose DT_SONAME is absolute (ldpin fixup's), which glibc's own
// comparison of sonames does not match: by the soname's last part, the
// soname its record keeps, or its file name. Objects with a bare soname
// glibc has matched already; objects without one glibc does not match by
// name, and neither does this.
link_map *loadedByBareName(link_map *loader, const char *name) {
  link_map *head = headOf(loader);
  size_t n = 0;
  for (link_map *l = head; l && n < kMaxChain; l = l->l_next, ++n) {
    Loaded o;
    if (!absolute(l) || !describe(l, o) || !o.soname || o.soname[0] != '/')
      continue;
    if (equal(baseName(o.soname), name) || equal(baseName(l->l_name), name))
      return l;
  }
  n = 0;
  for (link_map *l = head; l && n < kMaxChain; l = l->l_next, ++n) {
    Loaded o;
    if (!absolute(l) || !describe(l, o) || !o.soname || o.soname[0] != '/')
      continue;
    const char *kept = recordSoname(l);
    if (kept && equal(kept, name))
      return l;
  }
  return nullptr;
}

// The loaded object a version need's file names: by its path when the
// name is absolute, else by bare soname or file name.
link_map *loadedForNeed(link_map *loader, const char *file, Loaded &o) {
  size_t n = 0;
  for (link_map *l = headOf(loader); l && n < kMaxChain; l = l->l_next, ++n) {
    if (!absolute(l) || !describe(l, o))
      continue;
    if (file[0] == '/') {
      if (equal(l->l_name, file) || (o.soname && equal(o.soname, file)))
        return l;
    } else if ((o.soname && equal(baseName(o.soname), file)) ||
               equal(baseName(l->l_name), file)) {
      return l;
    }
  }
  return nullptr;
}

// The program's channel: from the record in its mapped PT_NOTE segments
// (found through the auxiliary vector), or, when the dynamic linker was
// run as a command (`ld.so PROGRAM`: the auxiliary vector describes ld.so,
// and the program's link map has its name), from its file.
const char *programChannel() {
  if (g.channelRead)
    return g.channel;
  g.channelRead = true;
  if (!g.program)
    return nullptr;
  if (g.program->l_name && g.program->l_name[0]) {
    static char copy[256];
    Mapped m;
    ElfView v;
    if (const Record *r = recordOf(g.program->l_name, m, v);
        r && r->channel && copyInto(copy, r->channel))
      g.channel = copy;
    return g.channel;
  }
  // AT_BASE 0: the kernel started the dynamic linker itself (`ld.so
  // PROGRAM`), and AT_PHDR is the dynamic linker's: no channel is known.
  if (!g.phdr || !g.phnum || g.phnum > kMaxPhdrs || !g.interpBase)
    return nullptr;
  const Phdr *ph = reinterpret_cast<const Phdr *>(g.phdr);
  for (size_t i = 0; i < g.phnum; ++i) {
    if (ph[i].p_type != PT_NOTE)
      continue;
    Record r;
    const unsigned char *p = reinterpret_cast<const unsigned char *>(
        g.program->l_addr + ph[i].p_vaddr);
    if (!findRecordIn(p, ph[i].p_memsz, ph[i].p_align, r) && r.present) {
      g.channel = r.channel;
      return g.channel;
    }
  }
  return nullptr;
}

// The process's C library: the one loaded, or before it is, the one beside
// the process's dynamic linker (which glibc will load: its default
// directory, or its cache, name the same file).
const FileId &processLibc() {
  if (g.libc.known || g.libcPredicted || !g.glibcDir[0])
    return g.libc.known ? g.libc : g.predictedLibc;
  g.libcPredicted = true;
  Text<kPathMax> p;
  p.clear();
  p.add(g.glibcDir).add("/libc.so.6");
  if (!p.overflow && copyInto(g.libcPath, p.data))
    g.predictedLibc = fileId(p.data);
  return g.predictedLibc;
}

// ---- Judging a candidate ---------------------------------------------------

// Returns null when `path` may be loaded for a request from `loader`, or
// why not (the text of `why`).
const char *judge(const char *path, link_map *loader, bool forced,
                  Text<1024> &why, bool *absent = nullptr) {
  why.clear();
  if (forced) {
    if (worldWritableDir(path))
      return why.add("in a world-writable directory").data;
    return nullptr;
  }
  Mapped m;
  mapFile(path, m, true);
  if (absent)
    *absent = m.error == sys::kNoEntry;
  if (m.data && (m.worldWritable || worldWritableDir(path)))
    return why.add("in a world-writable directory").data;
  if (!m.data) {
    why.add(m.why);
    if (m.error)
      why.add(" (error ")
          .addNumber(static_cast<unsigned long>(-m.error))
          .add(")");
    return why.data;
  }
  ElfView v;
  if (const char *bad = readElf(m.data, m.size, v))
    return why.add(bad).data;
  if (v.elfClass != kNativeClass)
    return why
        .add(v.elfClass == ELFCLASS32 ? "ELFCLASS32, not ELFCLASS64"
                                      : "ELFCLASS64, not ELFCLASS32")
        .data;
  if (!v.native())
    return why.add("built for machine ")
        .addNumber(v.machine)
        .add(", not ")
        .addNumber(kNativeMachine)
        .data;
  // What glibc's open_verify refuses, so that the next candidate is tried
  // instead of dlopen failing on this one.
  if (v.identVersion != EV_CURRENT || v.version != EV_CURRENT)
    return why.add("an ELF version glibc does not load").data;
  if (!(v.osabi == ELFOSABI_SYSV && v.abiVersion == 0) &&
      !(v.osabi == ELFOSABI_GNU && v.abiVersion < 16))
    return why.add("an OS ABI glibc does not load (")
        .addNumber(v.osabi)
        .add(" version ")
        .addNumber(v.abiVersion)
        .add(")")
        .data;
  if (v.type != ET_DYN)
    return why.add("not a shared object").data;
  if (!v.hasDynamic)
    return why.add("no dynamic section").data;
  // glibc's _dl_map_object_from_fd refuses a position-independent
  // executable, and the whole load fails with it.
  if (v.flags1 & DF_1_PIE)
    return why.add("a position-independent executable").data;

  // A second C library or dynamic linker, by absolute NEEDED.
  bool badString = false;
  const char *second = nullptr;
  bool secondLoader = false;
  forEachNeeded(
      v,
      [&](const char *name) {
        if (name[0] != '/')
          return true;
        const char *base = baseName(name);
        const FileId *own = isLibcName(base)     ? &processLibc()
                            : isLoaderName(base) ? &g.loader
                                                 : nullptr;
        if (own && own->known && !same(fileId(name), *own)) {
          second = name;
          secondLoader = own == &g.loader;
          return false;
        }
        return true;
      },
      &badString);
  if (badString)
    return why.add("a DT_NEEDED string lies outside its string table").data;
  if (second)
    return why.add("needs ")
        .add(second)
        .add(secondLoader ? ", a dynamic linker other than the process's"
                          : ", a C library other than the process's")
        .data;
  // The record's C library.
  if (v.record.present && v.record.libc && v.record.libc[0] == '/' &&
      processLibc().known && !equal(v.record.libc, g.libcPath) &&
      !same(fileId(v.record.libc), processLibc()))
    return why.add("linked against ")
        .add(v.record.libc)
        .add(", not the process's ")
        .add(g.libcPath)
        .data;
  // Symbol versions of objects already loaded.
  const char *lacking = nullptr, *lackingFile = nullptr,
             *providerPath = nullptr;
  const char *bad = forEachVersionNeed(
      v, [&](const char *file, const char *version, bool weak) {
        if (weak)
          return true;
        Loaded o;
        link_map *l = loadedForNeed(loader, file, o);
        if (!l) {
          // Not loaded yet: the C library's own objects will come from beside
          // the dynamic linker (the others cannot be told before they load).
          if (!isLibcFamilyName(baseName(file)) ||
              glibcDefines(baseName(file), version))
            return true;
          lacking = version, lackingFile = file, providerPath = g.glibcDir;
          return false;
        }
        if (defines(o, version))
          return true;
        lacking = version, lackingFile = file, providerPath = l->l_name;
        return false;
      });
  if (lacking)
    return why.add("needs ")
        .add(lacking)
        .add(" of ")
        .add(lackingFile)
        .add(", which ")
        .add(providerPath)
        .add(providerPath == g.glibcDir ? " (the process's C library)" : "")
        .add(" does not define")
        .data;
  if (bad && bad != kStopped)
    return why.add(bad).data;
  // The channel.
  if (g.strict) {
    const char *mine = programChannel();
    const char *theirs = v.record.present ? v.record.channel : nullptr;
    if (mine && theirs && !equal(mine, theirs))
      return why.add("channel '")
          .add(theirs)
          .add("', not the program's '")
          .add(mine)
          .add("'")
          .data;
  }
  return nullptr;
}

// What la_objsearch returns: a copy that outlives the caller's buffers
// (every path given here fits: they are built within kPathMax).
char *answer(const char *path) {
  return copyInto(g.result, path) ? g.result : const_cast<char *>(path);
}

// ---- Naming what the fallback found ---------------------------------------

// A function the process defines, found as glibc's global scope finds it
// (glibc itself takes its malloc from there once the program's objects are
// relocated): the first object of the main namespace, in load order, that
// defines it, by its GNU hash table or its SysV one.
uintptr_t processSymbol(const char *name) {
  uint32_t gh = 5381, sh = 0;
  for (const char *c = name; *c; ++c) {
    unsigned char u = static_cast<unsigned char>(*c);
    gh = gh * 33 + u;
    sh = (sh << 4) + u;
    uint32_t top = sh & 0xf0000000;
    if (top)
      sh ^= top >> 24;
    sh &= ~top;
  }
  size_t n = 0;
  for (link_map *l = headOf(g.program); l && n < kMaxChain;
       l = l->l_next, ++n) {
    if (!l->l_ld)
      continue;
    uintptr_t gnu = 0, sysv = 0, symtab = 0, strtab = 0;
    size_t k = 0;
    for (const ElfW(Dyn) *d = l->l_ld; d->d_tag != DT_NULL && k < kMaxDynamic;
         ++d, ++k) {
      if (d->d_tag == DT_GNU_HASH)
        gnu = d->d_un.d_ptr;
      else if (d->d_tag == DT_HASH)
        sysv = d->d_un.d_ptr;
      else if (d->d_tag == DT_SYMTAB)
        symtab = d->d_un.d_ptr;
      else if (d->d_tag == DT_STRTAB)
        strtab = d->d_un.d_ptr;
    }
    if ((!gnu && !sysv) || !symtab || !strtab)
      continue;
    auto at = [&](uintptr_t v) { return inMemory(l, v); };
    const ElfW(Sym) *syms = reinterpret_cast<const ElfW(Sym) *>(at(symtab));
    const char *strings = reinterpret_cast<const char *>(at(strtab));
    auto defined = [&](uint32_t i) {
      const ElfW(Sym) &sym = syms[i];
      return sym.st_shndx != SHN_UNDEF && sym.st_value != 0 &&
             (sym.st_info & 0xf) == STT_FUNC &&
             equal(strings + sym.st_name, name);
    };
    if (gnu) {
      const uint32_t *words = reinterpret_cast<const uint32_t *>(at(gnu));
      uint32_t nbuckets = words[0], symoffset = words[1], bloomSize = words[2];
      if (!nbuckets)
        continue;
      const uint32_t *buckets = reinterpret_cast<const uint32_t *>(
          reinterpret_cast<const unsigned char *>(words + 4) +
          bloomSize * sizeof(uintptr_t));
      const uint32_t *chain = buckets + nbuckets;
      uint32_t i = buckets[gh % nbuckets];
      if (i < symoffset)
        continue;
      for (;; ++i) {
        uint32_t ch = chain[i - symoffset];
        if ((ch | 1) == (gh | 1) && defined(i))
          return l->l_addr + syms[i].st_value;
        if (ch & 1)
          break;
      }
    } else {
      const uint32_t *words = reinterpret_cast<const uint32_t *>(at(sysv));
      uint32_t nbuckets = words[0], nchain = words[1];
      if (!nbuckets)
        continue;
      const uint32_t *buckets = words + 2, *chain = buckets + nbuckets;
      size_t steps = 0;
      for (uint32_t i = buckets[sh % nbuckets];
           i && i < nchain && steps < nchain; i = chain[i], ++steps)
        if (defined(i))
          return l->l_addr + syms[i].st_value;
    }
  }
  return 0;
}

// Whether [p, p + size) lies in mapped memory.
bool readable(const void *p, size_t size) {
  uintptr_t begin = reinterpret_cast<uintptr_t>(p) & ~(sys::kPage - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(p) + size;
  unsigned char pages[8];
  if (end < begin || end - begin > sizeof pages * sys::kPage)
    return false;
  return sys::mincore(reinterpret_cast<void *>(begin), end - begin, pages) == 0;
}

// Where glibc keeps the object's origin (the directory $ORIGIN means, which
// it computes from the name it gives the object when it creates the link
// map, before la_objopen): not in the public part of struct link_map, so
// found by its content, `dir`, among the pointers that follow, and checked
// each time. Null when it is not found.
char **originOf(link_map *map, const char *dir) {
  const size_t want = length(dir) + 1;
  auto at = [&](size_t offset) -> char ** {
    uintptr_t slot = reinterpret_cast<uintptr_t>(map) + offset;
    char **field = reinterpret_cast<char **>(slot);
    uintptr_t p = reinterpret_cast<uintptr_t>(*field);
    // glibc allocates the origin just after the name and the link map: a
    // pointer far from both is something else (and is not read).
    uintptr_t near = reinterpret_cast<uintptr_t>(map->l_name);
    uintptr_t distance = p > near ? p - near : near - p;
    if (p < 65536 || p == ~uintptr_t(0) || p % sizeof(void *) != 0 ||
        distance > (uintptr_t(1) << 20) || !readable(*field, want) ||
        __builtin_memcmp(*field, dir, want) != 0)
      return nullptr;
    return field;
  };
  if (!readable(map, 2048))
    return nullptr;
  if (g.originOffset)
    if (char **field = at(g.originOffset))
      return field;
  for (size_t offset = 5 * sizeof(void *); offset < 2048;
       offset += sizeof(void *))
    if (char **field = at(offset)) {
      g.originOffset = offset;
      return field;
    }
  return nullptr;
}

// `value` in the place of glibc's string `old` (an allocation of
// `capacity` bytes): in place when it fits; else, for an object of the
// program's first set (never unloaded, and loaded before the C library's
// malloc is ready), from the module's pool; else from the process's malloc,
// since glibc frees the string when it unloads the object. Null when there
// is no memory.
char *replaceString(char *old, size_t capacity, const char *value) {
  const size_t want = length(value) + 1;
  if (want <= capacity) {
    __builtin_memcpy(old, value, want);
    return old;
  }
  char *fresh = nullptr;
  if (!g.initialDone) {
    if (sizeof g.namePool - g.namePoolUsed >= want) {
      fresh = g.namePool + g.namePoolUsed;
      g.namePoolUsed += want;
    }
  } else {
    if (!g.allocatorLooked) {
      g.allocatorLooked = true;
      g.malloc = reinterpret_cast<void *(*)(size_t)>(processSymbol("malloc"));
      g.free = reinterpret_cast<void (*)(void *)>(processSymbol("free"));
    }
    if (g.malloc && g.free && (fresh = static_cast<char *>(g.malloc(want))))
      g.free(old);
  }
  if (fresh)
    __builtin_memcpy(fresh, value, want);
  return fresh;
}

// Gives `map`, found through the fallback, the name and the origin of the
// file it was loaded from (glibc gives it those of the default directory it
// asked about).
void rename(link_map *map) {
  g.redirected = false;
  char oldDir[kPathMax], newDir[kPathMax];
  const char *d = dirOf(map->l_name);
  __builtin_memcpy(oldDir, d, length(d) + 1);
  d = dirOf(g.redirectTo);
  __builtin_memcpy(newDir, d, length(d) + 1);
  const size_t nameSize = length(map->l_name);
  char **origin = originOf(map, oldDir);
  char *name = replaceString(map->l_name, nameSize + 1, g.redirectTo);
  // glibc allocates the origin with the length of the name, without its +1.
  char *dir = origin ? replaceString(*origin, nameSize, newDir) : nullptr;
  if (name)
    map->l_name = name;
  if (dir)
    *origin = dir;
  if (!name || !dir) {
    begin()
        .add(g.redirectTo)
        .add(name ? "" : " keeps glibc's name for it")
        .add(dir ? "" : " keeps glibc's $ORIGIN for it, ")
        .add(dir ? "" : oldDir)
        .add(" (")
        .add(origin ? "no memory" : "its origin was not found")
        .add(")");
    emit(kWarnings);
  }
}

// ---- The requests ----------------------------------------------------------

const Override *overrideFor(const char *name) {
  const char *base = baseName(name);
  for (size_t i = 0; i < g.overrideCount; ++i) {
    const Override &o = g.overrides[i];
    if (equal(o.name, name) ||
        (o.name[0] != '/' && name[0] == '/' && equal(o.name, base)))
      return &o;
  }
  return nullptr;
}

char *original(const char *name, link_map *loader) {
  g.redirected = false; // a redirect whose object never opened (refused)
  if (const Override *o = overrideFor(name)) {
    Text<1024> why;
    if (const char *no = judge(o->target, loader, o->forced, why)) {
      begin()
          .add(name)
          .add(" -> skip ")
          .add(o->target)
          .add(" (override refused: ")
          .add(no)
          .add(")");
      emit(kWarnings);
    } else {
      decision(name, o->target, o->forced ? "forced override" : "override");
      return answer(o->target);
    }
  }
  if (hasSlash(name))
    return const_cast<char *>(name);
  if (link_map *l = loadedByBareName(loader, name)) {
    decision(name, l->l_name, "loaded");
    return answer(l->l_name);
  }
  if (!copyInto(g.pending, name))
    g.pending[0] = '\0';
  g.fallbackTried = false;
  return const_cast<char *>(name);
}

// Remembers that the answer to glibc's `name` is `path` (la_objopen gives
// the object its name), and gives it.
char *redirect(const char *name, const char *path) {
  g.redirected = copyInto(g.redirectFrom, name) && copyInto(g.redirectTo, path);
  return answer(path);
}

// A library of the C library's own (libm.so.6, libnss_files.so.2, ...) that
// RPATH, LD_LIBRARY_PATH, RUNPATH and the cache did not provide: the one
// beside the process's dynamic linker, never one of the fallback path (a
// glibc's libraries work only with that glibc). For a Nix glibc that is
// its default directory; for the host's, the same files its default
// directories have.
char *ownLibrary(const char *name, const char *base) {
  if (!g.glibcDir[0])
    return const_cast<char *>(name);
  Text<kPathMax> own;
  own.clear();
  own.add(g.glibcDir).add('/').add(base);
  struct statx st;
  if (own.overflow ||
      sys::failed(sys::statx(sys::kAtFdcwd, own.data, 0, STATX_TYPE, &st)) ||
      (st.stx_mode & sys::kTypeMask) != sys::kRegular)
    return const_cast<char *>(name);
  if (equal(own.data, name))
    return const_cast<char *>(name);
  decision(base, own.data, "the process's C library");
  return redirect(name, own.data);
}

char *fallback(const char *name, link_map *loader) {
  const char *base = baseName(name);
  if (g.fallbackTried || !g.fallback[0] || !equal(base, g.pending))
    return const_cast<char *>(name);
  g.fallbackTried = true;
  if (isLibcFamilyName(base))
    return ownLibrary(name, base);
  for (const char *q = g.fallback; *q;) {
    const char *e = q;
    while (*e && *e != ':')
      ++e;
    size_t n = static_cast<size_t>(e - q);
    const char *next = *e ? e + 1 : e;
    if (n == 0 || *q != '/') {
      q = next;
      continue;
    }
    while (n > 1 && q[n - 1] == '/')
      --n; // "dir/" and "dir" are one directory
    g.path.clear();
    g.path.add(q, n).add(n == 1 ? "" : "/").add(base);
    q = next;
    if (g.path.overflow) {
      begin()
          .add(base)
          .add(" -> skip a fallback directory (the path is longer than ")
          .addNumber(kPathMax - 1)
          .add(" bytes)");
      emit(kWarnings);
      continue;
    }
    const char *candidate = g.path.data;
    Text<1024> why;
    bool absent = false;
    if (const char *no = judge(candidate, loader, false, why, &absent)) {
      if (absent)
        continue; // not there: the next directory
      begin()
          .add(base)
          .add(" -> skip ")
          .add(candidate)
          .add(" (")
          .add(no)
          .add(")");
      emit(startsWith(no, "in a world-writable") ? kWarnings : kDecisions);
      continue;
    }
    decision(base, candidate, "fallback");
    return redirect(name, candidate);
  }
  decision(base, "not in LDPIN_FALLBACK_PATH",
           "the default directories follow");
  return const_cast<char *>(name);
}

const char *flagName(unsigned flag) {
  switch (flag) {
  case LA_SER_ORIG:
    return "orig";
  case LA_SER_LIBPATH:
    return "LD_LIBRARY_PATH";
  case LA_SER_RUNPATH:
    return "RPATH/RUNPATH";
  case LA_SER_CONFIG:
    return "cache";
  case LA_SER_DEFAULT:
    return "default";
  case LA_SER_SECURE:
    return "secure";
  default:
    return "?";
  }
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) unsigned int la_version(unsigned int v) {
  init();
  return v;
}

__attribute__((visibility("default"))) unsigned int
la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie) {
  init();
  *cookie = reinterpret_cast<uintptr_t>(map);
  if (g.redirected && map->l_name && equal(map->l_name, g.redirectFrom))
    rename(map);
  if (g.level >= kCalls) {
    begin()
        .add("objopen ")
        .add(map->l_name && map->l_name[0] ? map->l_name : "(the program)")
        .add(" namespace ")
        .addNumber(static_cast<unsigned long>(lmid));
    emit(kCalls);
  }
  if (lmid != LM_ID_BASE)
    return 0;
  // The program's link map is the first glibc reports (its name is empty,
  // or the program's path when ld.so was run as a command).
  if (!g.program)
    g.program = map;
  Loaded o;
  if (absolute(map) && describe(map, o) && o.soname) {
    const char *base = baseName(o.soname);
    if (isLibcName(base) && !g.libc.known) {
      g.libc = fileId(map->l_name);
      if (!copyInto(g.libcPath, map->l_name))
        g.libcPath[0] = '\0';
    } else if (isLoaderName(base) && !g.loader.known) {
      g.loader = fileId(map->l_name);
      rememberGlibcDir(map->l_name);
    }
  }
  return 0;
}

__attribute__((visibility("default"))) void la_activity(uintptr_t *cookie,
                                                        unsigned int flag) {
  if (flag == LA_ACT_CONSISTENT && g.program && cookie &&
      *cookie == reinterpret_cast<uintptr_t>(g.program))
    g.initialDone = true;
}

__attribute__((visibility("default"))) unsigned int
la_objclose(uintptr_t *cookie) {
  if (cookie)
    forget(reinterpret_cast<const link_map *>(*cookie));
  return 0;
}

__attribute__((visibility("default"))) char *
la_objsearch(const char *name, uintptr_t *cookie, unsigned int flag) {
  init();
  if (!name || !cookie)
    return const_cast<char *>(name);
  if (g.level >= kCalls) {
    begin().add("objsearch ").add(name).add(" [").add(flagName(flag)).add("]");
    emit(kCalls);
  }
  if (g.secure)
    return const_cast<char *>(name);
  link_map *loader = reinterpret_cast<link_map *>(*cookie);
  if (!loader)
    return const_cast<char *>(name);
  if (flag == LA_SER_ORIG)
    return original(name, loader);
  if (flag == LA_SER_DEFAULT)
    return fallback(name, loader);
  return const_cast<char *>(name);
}

} // extern "C"
