// The interposition analysis (see interpose.h). match() is glibc's
// check_match and the end of do_lookup_x for one object; the Model adds
// the scopes (DF_SYMBOLIC), protected visibility and the table of unique
// symbols the way _dl_lookup_symbol_x and do_lookup_unique apply them.
#include "ldpin/interpose.h"

#include "ldpin/checked.h"
#include "ldpin/paths.h"
#include "ldpin/pin.h"

#include <llvm/ADT/iterator_range.h>
#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/xxhash.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace ldpin::interpose {
namespace {

// Symbols the linker (or the C start files) defines in every object it
// makes: the same names in every library, never an interface of one.
bool linkerDefined(std::string_view name) {
  // Most names are C++ (_Z...) or plain C: no set lookup for them.
  if (name.size() < 3 || name.substr(0, 2) == "_Z" ||
      (name[0] != '_' && name != "edata" && name != "end" && name != "etext" &&
       name != "data_start"))
    return false;
  static const std::set<std::string_view> names = {
      "_init",
      "_fini",
      "_edata",
      "edata",
      "_end",
      "end",
      "__end__",
      "_etext",
      "etext",
      "__bss_start",
      "__bss_start__",
      "__bss_end__",
      "_bss_end__",
      "_DYNAMIC",
      "_GLOBAL_OFFSET_TABLE_",
      "_PROCEDURE_LINKAGE_TABLE_",
      "__dso_handle",
      "__TMC_END__",
      "__ehdr_start",
      "__executable_start",
      "__GNU_EH_FRAME_HDR",
      "__init_array_start",
      "__init_array_end",
      "__fini_array_start",
      "__fini_array_end",
      "__preinit_array_start",
      "__preinit_array_end",
      "__rela_iplt_start",
      "__rela_iplt_end",
      "__rel_iplt_start",
      "__rel_iplt_end",
      "__exidx_start",
      "__exidx_end",
      "__global_pointer$",
      "_gp",
      "_gp_disp",
      "_SDA_BASE_",
      "_SDA2_BASE_",
      "_IO_stdin_used",
      "__data_start",
      "data_start",
  };
  return names.count(name) != 0;
}

// The types check_match accepts: code and data, not sections or files.
bool bindableType(uint8_t type) {
  switch (type) {
  case llvm::ELF::STT_NOTYPE:
  case llvm::ELF::STT_OBJECT:
  case llvm::ELF::STT_FUNC:
  case llvm::ELF::STT_COMMON:
  case llvm::ELF::STT_TLS:
  case llvm::ELF::STT_GNU_IFUNC:
    return true;
  default:
    return false;
  }
}

// glibc's own objects, by soname: they export what programs may interpose
// (malloc, the stdio hooks) and bind their internal calls at link time.
// Not audit/text.h's list: libmemusage and libpcprofile are left out on
// purpose, since they really do take libc's own malloc (the loader
// comparison, tests/interpose_compare.py, sees those bindings).
bool isGlibc(const Object &o) {
  std::string_view n = o.name;
  for (std::string_view prefix :
       {"libc.so.", "libm.so.", "libmvec.so.", "libpthread.so.", "libdl.so.",
        "librt.so.", "libutil.so.", "libresolv.so.", "libanl.so.",
        "libBrokenLocale.so.", "libthread_db.so.", "libc_malloc_debug.so.",
        "libnss_", "ld-linux", "ld64.so.", "ld.so."})
    if (n.substr(0, prefix.size()) == prefix)
      return true;
  return n == "libc.so"; // musl's
}

// The C allocator and C++'s operator new and delete (_Znw, _Zna, _Zdl,
// _Zda, in every variant), which malloc replacements define.
bool isAllocator(std::string_view name) {
  static const std::set<std::string_view> names = {
      "malloc",
      "free",
      "calloc",
      "realloc",
      "reallocarray",
      "memalign",
      "posix_memalign",
      "aligned_alloc",
      "valloc",
      "pvalloc",
      "malloc_usable_size",
      "cfree",
      "malloc_trim",
      "malloc_stats",
      "malloc_info",
      "mallinfo",
      "mallinfo2",
      "mallopt",
      "__libc_malloc",
      "__libc_free",
      "__libc_calloc",
      "__libc_realloc",
      "__libc_memalign",
      "__libc_valloc",
      "__libc_pvalloc",
      "__posix_memalign",
  };
  if (names.count(name))
    return true;
  for (std::string_view prefix : {"_Znw", "_Zna", "_Zdl", "_Zda"})
    if (name.substr(0, prefix.size()) == prefix)
      return true;
  return false;
}

// The store path an object is in ("/nix/store/HASH-name"), "" for none.
std::string packageOf(const std::string &path, const std::string &store) {
  std::string dir = directoryKey(store);
  if (dir.empty() || !pin::under(path, dir) || path.size() <= dir.size() + 1)
    return "";
  size_t start = dir.size() + (dir == "/" ? 0 : 1);
  size_t end = path.find('/', start);
  if (end == std::string::npos)
    return ""; // the store path is the file itself: no package of objects
  return path.substr(0, end);
}

// A reference as the loader looks it up: a name and, unless unversioned,
// a version. (RESOLVE_MAP takes it from the referring object's l_versions,
// where only a version need can be marked hidden, which linkers never do;
// so no reference here is.)
struct Ref {
  std::string_view name;
  uint64_t hash = 0; // nameHash(name)
  const std::string *version = nullptr;
};

Ref refOf(const Definition &d) {
  Ref r;
  r.name = d.name;
  r.hash = d.hash;
  if (d.versionIndex > 1)
    r.version = &d.version;
  return r;
}

// The entries of a vector in index()'s order (by hash, then name) that
// have `name`.
template <class T>
std::pair<typename std::vector<T>::const_iterator,
          typename std::vector<T>::const_iterator>
named(const std::vector<T> &v, std::string_view name, uint64_t hash) {
  using Key = std::pair<uint64_t, std::string_view>;
  struct Less {
    bool operator()(const T &x, const Key &k) const {
      return Key(x.hash, x.name) < k;
    }
    bool operator()(const Key &k, const T &x) const {
      return k < Key(x.hash, x.name);
    }
  };
  return std::equal_range(v.begin(), v.end(), Key(hash, name), Less{});
}

// The definition of `o` that `ref` binds to, as check_match and the end of
// do_lookup_x choose it; nullptr when `o` has none.
const Definition *match(const Object &o, const Ref &ref) {
  auto [begin, end] = named(o.definitions, ref.name, ref.hash);
  const Definition *versioned = nullptr;
  int versions = 0;
  for (auto it = begin; it != end; ++it) {
    const Definition &d = *it;
    // An object without DT_VERSYM: every definition matches any version.
    if (!o.hasVersym)
      return &d;
    if (ref.version) {
      if (d.versionIndex > 1 && d.version == *ref.version)
        return &d;
      // An unversioned definition (index 0 or 1, whose l_versions hash is
      // 0) stands for any version, unless it is hidden.
      if (d.versionIndex <= 1 && !d.hidden)
        return &d;
    } else {
      // An unversioned reference takes a definition of index 0, 1 or 2
      // (the oldest version, for programs older than versioning), else the
      // one non-hidden versioned definition when there is exactly one.
      if (d.versionIndex < 3)
        return &d;
      if (!d.hidden && versions++ == 0)
        versioned = &d;
    }
  }
  return versions == 1 ? versioned : nullptr;
}

// The lookups of one process: each reference as the loader binds it.
class Model {
public:
  explicit Model(const Scope &scope) : scope_(scope) {
    relocation_ = scope.relocation;
    if (relocation_.empty())
      for (size_t i = scope.objects.size(); i-- > 0;)
        relocation_.push_back(i);
  }

  // do_lookup_x over the scopes of `from`: its own first when it has
  // DF_SYMBOLIC, then the global scope. The object found, SIZE_MAX for
  // none; `found` gets the definition.
  size_t lookup(size_t from, const Ref &ref, const Definition **found) const {
    const std::vector<const Object *> &objects = scope_.objects;
    if (objects[from]->symbolic)
      if ((*found = match(*objects[from], ref)))
        return from;
    for (size_t i = 0; i < objects.size(); ++i)
      if ((*found = match(*objects[i], ref)))
        return i;
    return SIZE_MAX;
  }

  // Where a reference from `from` binds: what the lookup finds, or, when
  // that is a unique definition, the one definition of its name.
  size_t bind(size_t from, const Ref &ref) {
    const Definition *d = nullptr;
    size_t at = lookup(from, ref, &d);
    if (at != SIZE_MAX && d->binding == llvm::ELF::STB_GNU_UNIQUE)
      return unique(ref.name, ref.hash);
    return at;
  }

  size_t bindOwn(size_t from, const Definition &def) {
    // The references of an object to its own protected definition stay in
    // it (_dl_lookup_symbol_x, whatever the lookup found).
    if (def.visibility == llvm::ELF::STV_PROTECTED)
      return from;
    size_t at = bind(from, refOf(def));
    return at == SIZE_MAX ? from : at;
  }

  // The definition of a unique symbol the process uses: the first lookup of
  // the name, in relocation order, that finds a unique definition enters it
  // in the loader's table, by name alone, and every later lookup that finds
  // one gets it. Only a lookup that reaches a unique definition counts.
  size_t unique(std::string_view name, uint64_t hash) {
    if (auto it = winners_.find(name); it != winners_.end())
      return it->second;
    size_t winner = SIZE_MAX;
    const std::vector<const Object *> &objects = scope_.objects;
    for (size_t r : relocation_) {
      std::vector<Ref> refs;
      auto [dBegin, dEnd] = named(objects[r]->definitions, name, hash);
      for (auto it = dBegin; it != dEnd; ++it)
        if (it->selfReferenced)
          refs.push_back(refOf(*it));
      auto [rBegin, rEnd] = named(objects[r]->references, name, hash);
      for (const Reference &x : llvm::make_range(rBegin, rEnd)) {
        Ref ref;
        ref.name = x.name;
        ref.hash = x.hash;
        if (!x.version.empty())
          ref.version = &x.version;
        refs.push_back(ref);
      }
      for (const Ref &ref : refs) {
        const Definition *d = nullptr;
        size_t at = lookup(r, ref, &d);
        if (at != SIZE_MAX && d->binding == llvm::ELF::STB_GNU_UNIQUE) {
          winner = at;
          break;
        }
      }
      if (winner != SIZE_MAX)
        break;
    }
    // No relocation looks it up: the first loaded definition.
    for (size_t i = 0; winner == SIZE_MAX && i < objects.size(); ++i) {
      auto [b, e] = named(objects[i]->definitions, name, hash);
      for (auto it = b; it != e && winner == SIZE_MAX; ++it)
        if (it->binding == llvm::ELF::STB_GNU_UNIQUE)
          winner = i;
    }
    winners_.emplace(name, winner);
    return winner;
  }

private:
  const Scope &scope_;
  std::vector<size_t> relocation_;
  std::unordered_map<std::string_view, size_t> winners_;
};

std::string join(const std::vector<std::string> &items, const char *sep,
                 size_t most) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < most; ++i)
    s += (i ? sep : "") + items[i];
  if (items.size() > most)
    s += " and " + std::to_string(items.size() - most) + " more";
  return s;
}

} // namespace

bool Definition::strong() const {
  return binding == llvm::ELF::STB_GLOBAL ||
         binding == llvm::ELF::STB_GNU_UNIQUE;
}

bool Pair::hazard() const {
  return std::any_of(symbols.begin(), symbols.end(),
                     [](const Duplicate &d) { return d.hazard(); });
}

bool Pair::benign() const {
  return std::all_of(symbols.begin(), symbols.end(), [](const Duplicate &d) {
    return d.benign != Benign::None;
  });
}

const char *benignName(Benign b) {
  switch (b) {
  case Benign::None:
    return "none";
  case Benign::Glibc:
    return "glibc";
  case Benign::Program:
    return "program";
  case Benign::SamePackage:
    return "same-package";
  case Benign::Allocator:
    return "allocator";
  case Benign::Unique:
    return "unique";
  }
  return "?";
}

Object objectOf(const std::string &path, const elf::ElfInfo &info) {
  Object o;
  o.path = path;
  o.realPath = realPath(path);
  if (o.realPath.empty())
    o.realPath = path;
  // An absolute soname (ldpin fixup writes them) is named by its file name.
  o.name = baseName(info.soname ? *info.soname : path);
  o.symbolic = (info.dtFlags.value_or(0) & llvm::ELF::DF_SYMBOLIC) != 0;
  for (const elf::DynEntry &d : info.dynamic)
    if (d.tag == llvm::ELF::DT_SYMBOLIC)
      o.symbolic = true;
  o.hasVersym = info.hasVersym;
  o.executable = info.type == llvm::ELF::ET_EXEC || info.interpreter;
  std::set<std::string_view> versionNames;
  for (const elf::VersionDef &v : info.versionDefs)
    if (!v.names.empty())
      versionNames.insert(v.names[0]);
  for (size_t i = 0; i < info.symbols.size(); ++i) {
    const elf::Symbol &s = info.symbols[i];
    if (!bindableType(s.type))
      continue;
    if (s.binding != llvm::ELF::STB_GLOBAL &&
        s.binding != llvm::ELF::STB_WEAK &&
        s.binding != llvm::ELF::STB_GNU_UNIQUE)
      continue;
    if (linkerDefined(s.name))
      continue;
    if (!s.defined()) {
      // Kept for the lookups of unique symbols, which only g++ makes, of
      // C++ names.
      if (llvm::StringRef(s.name).startswith("_Z") &&
          std::binary_search(info.relocatedSymbols.begin(),
                             info.relocatedSymbols.end(), uint32_t(i)))
        o.references.push_back({s.name, s.version});
      continue;
    }
    // check_match skips a symbol without a value (unless absolute or TLS).
    if (s.value == 0 && s.shndx != llvm::ELF::SHN_ABS &&
        s.type != llvm::ELF::STT_TLS)
      continue;
    if (s.shndx == llvm::ELF::SHN_ABS && versionNames.count(s.name))
      continue;
    Definition d;
    d.name = s.name;
    d.version = s.version;
    d.versionIndex = s.versionIndex;
    d.hidden = s.versionHidden;
    d.binding = s.binding;
    d.type = s.type;
    d.visibility = s.visibility;
    d.selfReferenced =
        std::binary_search(info.relocatedSymbols.begin(),
                           info.relocatedSymbols.end(), uint32_t(i));
    o.definitions.push_back(std::move(d));
  }
  index(o);
  return o;
}

uint64_t nameHash(std::string_view name) {
  return llvm::xxHash64(llvm::StringRef(name.data(), name.size()));
}

void index(Object &o) {
  auto order = [](const auto &a, const auto &b) {
    if (a.hash != b.hash)
      return a.hash < b.hash;
    return a.name < b.name; // only when two names share a hash
  };
  for (Definition &d : o.definitions)
    d.hash = nameHash(d.name);
  for (Reference &r : o.references)
    r.hash = nameHash(r.name);
  std::stable_sort(o.definitions.begin(), o.definitions.end(), order);
  std::stable_sort(o.references.begin(), o.references.end(), order);
}

size_t bindingOf(const Scope &scope, size_t from, const Definition &def) {
  Model model(scope);
  return model.bindOwn(from, def);
}

std::vector<Pair> analyse(const Scope &scope, const Settings &settings) {
  const std::vector<const Object *> &objects = scope.objects;
  Model model(scope);
  // Strong definitions by name, in the order of the scope.
  using Defs = std::vector<std::pair<size_t, const Definition *>>;
  std::unordered_map<uint64_t, Defs> byName; // by nameHash
  for (size_t i = 0; i < objects.size(); ++i)
    for (const Definition &d : objects[i]->definitions)
      if (d.strong() && (!d.definers || d.definers->load() > 1))
        byName[d.hash].emplace_back(i, &d);
  std::vector<std::string> packages;
  packages.reserve(objects.size());
  for (const Object *o : objects)
    packages.push_back(packageOf(o->realPath, settings.store));
  const bool program = !objects.empty() && objects[0]->executable;
  auto isUnique = [](const Definition *d) {
    return d->binding == llvm::ELF::STB_GNU_UNIQUE;
  };

  std::map<std::pair<size_t, size_t>, Pair> pairs;
  for (const auto &[hash, defs] : byName) {
    if (defs.size() < 2)
      continue;
    for (size_t a = 0; a < defs.size(); ++a)
      for (size_t b = a + 1; b < defs.size(); ++b) {
        auto [ia, da] = defs[a];
        auto [ib, db] = defs[b];
        if (ia == ib || da->name != db->name)
          continue; // two versions in one object, or two names of a hash
        std::string_view name = da->name;
        // glibc's objects among themselves (libc.so.6 and ld.so both
        // export _dl_catch_error) are one package to everyone else.
        if (isGlibc(*objects[ia]) && isGlibc(*objects[ib]))
          continue;
        // The same symbol: a reference to either binds to the other (same
        // version, or one of them unversioned), or both are unique, which
        // the loader makes one by name. S@V1 and S@V2 are not.
        if (match(*objects[ib], refOf(*da)) != db &&
            match(*objects[ia], refOf(*db)) != da &&
            !(isUnique(da) && isUnique(db)))
          continue;
        Duplicate dup;
        dup.name = da->name;
        dup.version = da->versionIndex > 1   ? da->version
                      : db->versionIndex > 1 ? db->version
                                             : "";
        size_t binds = model.bind(ia, refOf(*da));
        dup.binds = binds == SIZE_MAX ? ia : binds;
        if (db->selfReferenced && model.bindOwn(ib, *db) == ia)
          dup.interposed = ib;
        else if (da->selfReferenced && model.bindOwn(ia, *da) == ib)
          dup.interposed = ia;
        if (isGlibc(*objects[ia]) || isGlibc(*objects[ib]))
          dup.benign = Benign::Glibc;
        else if (program && ia == 0)
          dup.benign = Benign::Program;
        else if (!packages[ia].empty() && packages[ia] == packages[ib])
          dup.benign = Benign::SamePackage;
        else if (isAllocator(name))
          dup.benign = Benign::Allocator;
        else if (isUnique(da) && isUnique(db))
          dup.benign = Benign::Unique;
        Pair &p = pairs[{ia, ib}];
        p.first = ia;
        p.second = ib;
        p.symbols.push_back(std::move(dup));
      }
  }
  std::vector<Pair> out;
  out.reserve(pairs.size());
  for (auto &[key, p] : pairs) {
    std::sort(p.symbols.begin(), p.symbols.end(),
              [](const Duplicate &x, const Duplicate &y) {
                return std::tie(x.name, x.version) <
                       std::tie(y.name, y.version);
              });
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<size_t> scopeOrder(const loader::Closure &closure) {
  std::vector<size_t> order;
  if (closure.objects.empty())
    return order;
  std::vector<bool> seen(closure.objects.size());
  order.push_back(0);
  seen[0] = true;
  for (const loader::Edge &e : closure.edges)
    if (e.to < seen.size() && !seen[e.to]) {
      seen[e.to] = true;
      order.push_back(e.to);
    }
  for (size_t i = 0; i < seen.size(); ++i)
    if (!seen[i])
      order.push_back(i); // the dynamic linker, when nothing names it
  return order;
}

std::vector<size_t> relocationOrder(const loader::Closure &closure,
                                    const std::vector<size_t> &scope) {
  const size_t n = closure.objects.size();
  // Each object's l_initfini: what its DT_NEEDED entries loaded, in order.
  std::vector<std::vector<size_t>> needs(n);
  for (const loader::Edge &e : closure.edges)
    if (e.from < n && e.to < n)
      needs[e.from].push_back(e.to);
  // _dl_sort_maps_dfs: a depth-first walk from each object of the search
  // list, from its end, each object placed before what it needs (reverse
  // postorder); the walk never enters the program, which stays first.
  std::vector<bool> visited(n);
  std::vector<size_t> rpo(n);
  size_t head = n;
  std::vector<std::pair<size_t, size_t>> stack; // object, next need
  auto visit = [&](size_t start) {
    if (visited[start])
      return;
    visited[start] = true;
    stack.push_back({start, 0});
    while (!stack.empty()) {
      auto &[m, next] = stack.back();
      if (next < needs[m].size()) {
        size_t dep = needs[m][next++];
        if (!visited[dep] && dep != 0) {
          visited[dep] = true;
          stack.push_back({dep, 0});
        }
        continue;
      }
      rpo[--head] = m;
      stack.pop_back();
    }
  };
  std::vector<size_t> position(n, SIZE_MAX);
  for (size_t k = 0; k < scope.size(); ++k)
    position[scope[k]] = k;
  for (size_t k = scope.size(); k-- > 0;) {
    if (scope[k] == 0)
      needs[0].clear(); // the program's list is not filled in yet
    visit(scope[k]);
  }
  // Relocated from the end; the dynamic linker (the entry the closure adds
  // for the interpreter, which no DT_NEEDED string asked for) after all.
  std::vector<size_t> order;
  size_t interpreter = SIZE_MAX;
  for (size_t k = n; k-- > head;) {
    size_t i = rpo[k];
    if (i != 0 && closure.objects[i].name.empty())
      interpreter = i;
    else if (position[i] != SIZE_MAX)
      order.push_back(position[i]);
  }
  if (interpreter != SIZE_MAX && position[interpreter] != SIZE_MAX)
    order.push_back(position[interpreter]);
  return order;
}

std::string sonameGlob(const std::string &name) {
  size_t so = name.find(".so");
  return so == std::string::npos ? name : name.substr(0, so + 3) + "*";
}

std::string fixes(const Object &interposed,
                  const std::vector<std::string> &symbols) {
  std::string name = printable(interposed.name, kMessageNameMax);
  std::string glob = printable(sonameGlob(interposed.name), kMessageNameMax);
  std::string local;
  for (size_t i = 0; i < symbols.size() && i < 5; ++i)
    local += (i ? " " : "") + symbols[i] + ";";
  if (symbols.size() > 5)
    local += " ...";
  return "to keep its references in " + name + ", link it with -Bsymbolic or " +
         "-Bsymbolic-functions (ldpin-ld's policy: symbolic = [\"" + glob +
         "\"] or symbolic_functions = [\"" + glob +
         "\"]), hide its copy with a version script (local: " + local +
         ") if no other object needs it, or load it with " +
         "dlopen(RTLD_DEEPBIND)";
}

std::string spelled(const Duplicate &d) {
  return d.version.empty() ? d.name : d.name + "@" + d.version;
}

std::shared_ptr<const Object> SymbolCache::get(const std::string &path,
                                               std::string *error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = objects_.find(path);
    if (it != objects_.end()) {
      if (error)
        *error = it->second.error;
      return it->second.object;
    }
  }
  // Read without the lock; a thread that read it meanwhile wins.
  Entry e;
  elf::ReadOptions options;
  options.symbols = true;
  llvm::Expected<elf::ElfInfo> info = elf::readFile(path, options);
  std::shared_ptr<Object> read;
  if (info)
    read = std::make_shared<Object>(objectOf(path, *info));
  else
    e.error = llvm::toString(info.takeError());
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, added] = objects_.emplace(path, std::move(e));
  if (added && read) {
    // Counted once per object, before any analysis can see it: every
    // object of a closure is in the counts when the closure is analysed.
    const std::atomic<uint32_t> *last = nullptr; // definitions by name
    for (Definition &d : read->definitions)
      if (d.strong()) {
        std::atomic<uint32_t> &n =
            definers_.try_emplace(d.hash, 0).first->second;
        if (&n != last) // two versions of a name count once
          n.fetch_add(1);
        d.definers = last = &n;
      }
    it->second.object = std::move(read);
  }
  if (error)
    *error = it->second.error;
  return it->second.object;
}

Result analyseClosure(const loader::Closure &closure, SymbolCache &cache,
                      const Settings &settings) {
  Result r;
  std::vector<size_t> scope = scopeOrder(closure);
  // Positions in the scope of the objects that read, for the relocation
  // order (an object that does not read is left out of both).
  std::vector<size_t> kept(scope.size(), SIZE_MAX);
  for (size_t k = 0; k < scope.size(); ++k) {
    const std::string &path = closure.objects[scope[k]].path;
    std::string error;
    if (std::shared_ptr<const Object> o = cache.get(path, &error)) {
      kept[k] = r.objects.size();
      r.objects.push_back(std::move(o));
    } else {
      r.problems.push_back(
          {path, "its dynamic symbols cannot be read: " + error});
    }
  }
  Scope s;
  for (const std::shared_ptr<const Object> &o : r.objects)
    s.objects.push_back(o.get());
  for (size_t k : relocationOrder(closure, scope))
    if (kept[k] != SIZE_MAX)
      s.relocation.push_back(kept[k]);
  r.pairs = analyse(s, settings);
  return r;
}

std::vector<std::string> hazardMessages(const Result &result,
                                        const Pair &pair) {
  std::vector<std::string> out;
  for (size_t victim : {pair.second, pair.first}) {
    std::vector<std::string> spellings, names;
    for (const Duplicate &d : pair.symbols)
      if (d.hazard() && d.interposed == victim) {
        spellings.push_back(printable(spelled(d), kMessageNameMax));
        names.push_back(printable(d.name, kMessageNameMax));
      }
    if (spellings.empty())
      continue;
    const Object &own = *result.objects[victim];
    const Object &other =
        *result.objects[victim == pair.second ? pair.first : pair.second];
    const bool one = spellings.size() == 1;
    out.push_back("interposition hazard: " + printable(own.path) +
                  " uses its own " + join(spellings, ", ", 8) +
                  ", but the loader binds " + (one ? "it" : "them") +
                  " to the " + (one ? "definition" : "definitions") + " in " +
                  printable(other.path) + ", loaded " +
                  (victim == pair.second ? "before" : "after") + " it; " +
                  fixes(own, names));
  }
  return out;
}

} // namespace ldpin::interpose
