// Interposition hazards: one symbol defined by two objects of one process,
// which of the definitions the loader binds, and where an object's own
// references are taken from its own definition to another object's. That is
// what changes behaviour: a library that calls its own `which()` runs
// another library's `which()` because that one was loaded first (the case
// of a library with a static copy of LLVM beside another libLLVM).
//
// The model is glibc's symbol lookup (elf/dl-lookup.c: do_lookup_x,
// check_match and do_lookup_unique; the scopes _dl_map_object_deps builds;
// the relocation order of rtld.c): a reference binds to the first object of
// the global scope, in breadth-first load order, with a definition that
// matches its name and version, except that an object with DF_SYMBOLIC
// searches itself first, and the references of an object to its own
// STV_PROTECTED definition stay in it. A reference that finds an
// STB_GNU_UNIQUE definition binds to the one definition of that name the
// process has: the one the first such lookup found, in the order the loader
// relocates the objects (dependencies first), whatever its version. An
// object's own references are those its dynamic relocations name: a
// reference the linker bound at link time (-Bsymbolic, -Bsymbolic-functions,
// a hidden symbol) never reaches the loader.
//
// ldpin check runs it over each closure; symbols are read only there (the
// wrapper and the fixup never pay for them).
#pragma once

#include "ldpin/elf.h"
#include "ldpin/loader.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ldpin::interpose {

// A definition the loader can bind a reference to: a defined dynamic
// symbol, not local, of a type check_match accepts (no section or file
// symbols), with a value (or absolute, or TLS). Symbols that every linker
// defines in every object (_init, _fini, _end, __bss_start, ...) and the
// absolute symbols GNU ld makes of version names are left out: they are not
// the object's interface.
struct Definition {
  std::string name;
  std::string version;       // "" when unversioned
  uint16_t versionIndex = 0; // DT_VERSYM without the hidden bit
  bool hidden = false;       // a non-default version (`name@V`)
  uint8_t binding = 0;       // STB_GLOBAL, STB_WEAK or STB_GNU_UNIQUE
  uint8_t type = 0, visibility = 0;
  // The object's own dynamic relocations name it: its own references are
  // bound by the loader, not by the linker.
  bool selfReferenced = false;
  uint64_t hash = 0; // nameHash(name), which orders an object's definitions
  // How many objects the SymbolCache has read that define this name
  // strongly (nullptr: not counted). A name only one object defines is no
  // duplicate in any closure, and the analysis skips it without hashing it
  // again.
  const std::atomic<uint32_t> *definers = nullptr;
  bool strong() const;
};

// A reference an object's dynamic relocations make to a symbol it does
// not define (only a lookup of a unique symbol cares: the first one decides).
struct Reference {
  std::string name;
  std::string version; // "" when unversioned
  uint64_t hash = 0;   // nameHash(name)
};

struct Object {
  std::string path;        // as loaded
  std::string realPath;    // its real path, which decides its package
  std::string name;        // its soname, else its file name
  bool symbolic = false;   // DT_SYMBOLIC, or DF_SYMBOLIC in DT_FLAGS
  bool hasVersym = false;  // DT_VERSYM: its definitions carry versions
  bool executable = false; // ET_EXEC, or a PIE (a PT_INTERP)
  // In the order index() puts them in: by the hash of the name, then the
  // name; symbol table order among definitions of one name.
  std::vector<Definition> definitions;
  std::vector<Reference> references;
};

// What the analysis keeps of an object read with ReadOptions::symbols.
Object objectOf(const std::string &path, const elf::ElfInfo &info);

// The 64-bit hash of a symbol name that orders an object's definitions:
// integers sort and compare faster than the long names of C++.
uint64_t nameHash(std::string_view name);

// Fills in the hashes of `o`'s definitions and references and sorts them
// for lookups. objectOf does it; an Object made otherwise must go through
// it.
void index(Object &o);

// Why a duplicate is no hazard, in the order the rules are tried. The names
// (benignName) are those of the JSON report and the docs.
enum class Benign {
  None,
  Glibc,       // "glibc": one of the two is glibc's own object (libc.so.6,
               // libm.so.6, ld.so, libpthread ...), whose exported symbols
               // are meant to be interposed, and which binds its own
               // internal calls at link time
  Program,     // "program": the program defines it; a definition in the
               // executable comes first by design (and copy relocations)
  SamePackage, // "same-package": both under one store path, built together
  Allocator,   // "allocator": malloc, free, ... and operator new and delete,
               // which allocators (jemalloc, tcmalloc) replace by design
  Unique,      // "unique": STB_GNU_UNIQUE in both, which the compiler asks
               // for so that the loader makes all copies one (static data
               // of C++ inline functions and templates)
};
const char *benignName(Benign b);

// One symbol defined by both objects of a pair.
struct Duplicate {
  // The version of the first object's definition ("" when unversioned).
  // Both have it, or one is unversioned (which matches any), or both are
  // unique (which the loader makes one by name).
  std::string name, version;
  // The object whose definition the global scope binds (a reference from
  // elsewhere, with this version): an index into the analysed objects.
  size_t binds = 0;
  // The object of the pair whose own references bind to the other's
  // definition; SIZE_MAX when neither's do. It is the second, except for a
  // unique symbol, which the first can lose to the second.
  size_t interposed = SIZE_MAX;
  Benign benign = Benign::None;
  bool hazard() const {
    return interposed != SIZE_MAX && benign == Benign::None;
  }
};

struct Pair {
  size_t first = 0, second = 0;   // indices; first is loaded first
  std::vector<Duplicate> symbols; // by name
  bool hazard() const;
  bool benign() const; // every symbol is
};

struct Settings {
  std::string store = "/nix/store"; // for the same-package rule
};

// The objects of a process's global scope, in load order, and the order
// the loader relocates them in (positions in `objects`; empty: the reverse
// of the load order).
struct Scope {
  std::vector<const Object *> objects;
  std::vector<size_t> relocation;
};

// The duplicates among the objects of `scope`, grouped by pair, in order of
// (first, second); two of glibc's own objects are no pair.
std::vector<Pair> analyse(const Scope &scope, const Settings &settings);

// The index of the object whose definition a reference from
// `scope.objects[from]` to its own definition `def` binds to.
size_t bindingOf(const Scope &scope, size_t from, const Definition &def);

// The objects of a closure in the order of the global scope: the root, then
// each object where a DT_NEEDED first names it. That is the closure's
// breadth-first order, except for the dynamic linker, which glibc maps
// first but puts into the scope where it is named (by libc.so.6), or last.
std::vector<size_t> scopeOrder(const loader::Closure &closure);

// The order glibc relocates the objects of a closure in, as positions in
// `scope` (scopeOrder's result): rtld.c relocates from the end of
// l_initfini, which _dl_sort_maps makes a depth-first topological order of
// the DT_NEEDED graph (each object before what it needs), and the dynamic
// linker last of all.
std::vector<size_t> relocationOrder(const loader::Closure &closure,
                                    const std::vector<size_t> &scope);

// The fixes of a hazard, as one phrase: link the interposed library with
// -Bsymbolic or -Bsymbolic-functions (ldpin-ld's policy keys `symbolic` and
// `symbolic_functions`, with a glob made from its name), hide its copy of
// `symbols` with a version script, or load it with RTLD_DEEPBIND.
std::string fixes(const Object &interposed,
                  const std::vector<std::string> &symbols);

// `name` as a policy glob for every version of the library: "libfoo.so.1.2"
// -> "libfoo.so*".
std::string sonameGlob(const std::string &name);

// The objects read with their symbols, each once, keyed by path. Safe to
// share between threads.
class SymbolCache {
public:
  // nullptr when the file cannot be read; `error` says why.
  std::shared_ptr<const Object> get(const std::string &path,
                                    std::string *error = nullptr);

private:
  struct Entry {
    std::shared_ptr<const Object> object;
    std::string error;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> objects_;
  // Per name, the objects that define it strongly (Definition::definers),
  // keyed by a 64-bit hash of the name: two names that share one only cost
  // the analysis a look at both.
  std::unordered_map<uint64_t, std::atomic<uint32_t>> definers_;
};

// The analysis of one closure.
struct Result {
  std::vector<std::shared_ptr<const Object>> objects; // the global scope
  std::vector<Pair> pairs;
  // Objects whose symbol tables cannot be read (and so are left out).
  std::vector<loader::Problem> problems;
};
Result analyseClosure(const loader::Closure &closure, SymbolCache &cache,
                      const Settings &settings);

// The problems a pair is, one for each of its objects whose own
// references go to the other's definitions (none when it is no hazard):
// which symbols, where they go, and the fixes.
std::vector<std::string> hazardMessages(const Result &result, const Pair &pair);

// The symbol as `name`, or `name@VERSION`.
std::string spelled(const Duplicate &d);

} // namespace ldpin::interpose
