// The policy file (see policy.h), read with toml++.
#include "ldpin/policy.h"

#include "ldpin/checked.h"

// Header-only: the no-exceptions API is not in the shared library Debian
// ships (built with exceptions), and ldpin-ld then needs no extra .so.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fnmatch.h>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>

namespace ldpin {

llvm::Expected<Policy> parsePolicy(const std::string &text,
                                   const std::string &name) {
  toml::parse_result parsed = toml::parse(text, name);
  if (!parsed) {
    const toml::parse_error &e = parsed.error();
    return makeError(name + ":" + llvm::Twine(e.source().begin.line) + ": " +
                     std::string(e.description()));
  }
  const toml::table &t = parsed.table();
  Policy p;
  const std::map<std::string, bool Policy::*> booleans = {
      {"new_dtags", &Policy::new_dtags},
      {"absolute_soname", &Policy::absolute_soname},
      {"preload_searched", &Policy::preload_searched}};
  for (const auto &[key, value] : t) {
    std::string k(key.str());
    // A string, not a Twine: a Twine must not outlive its parts.
    auto where = [&]() -> std::string {
      return name + ":" + std::to_string(value.source().begin.line) + ": ";
    };
    if (k == "linker") {
      std::optional<std::string> s = value.value<std::string>();
      if (!s || s->empty() || (*s)[0] != '/')
        return makeError(where() + "linker must be an absolute path");
      p.linker = *s;
    } else if (k == "dlopen_dirs") {
      const toml::array *a = value.as_array();
      if (!a)
        return makeError(where() + "dlopen_dirs must be an array of paths");
      for (const toml::node &n : *a) {
        std::optional<std::string> s = n.value<std::string>();
        if (!s || s->empty() || ((*s)[0] != '/' && s->rfind("$ORIGIN", 0)))
          return makeError(where() + "dlopen_dirs entries must be absolute "
                                     "paths or start with $ORIGIN");
        if (s->find(':') != std::string::npos)
          return makeError(where() + "dlopen_dirs entry '" + *s +
                           "' contains ':' (one directory per entry)");
        p.dlopen_dirs.push_back(*s);
      }
    } else if (k == "pin") {
      std::optional<std::string> s = value.value<std::string>();
      if (s == "store")
        p.pin = Policy::Pin::Store;
      else if (s == "all")
        p.pin = Policy::Pin::All;
      else if (s == "none")
        p.pin = Policy::Pin::None;
      else
        return makeError(where() +
                         "pin must be \"store\", \"all\" or \"none\"");
    } else if (auto flag = booleans.find(k); flag != booleans.end()) {
      // toml++ would read 1 as true: only true and false are booleans.
      if (!value.is_boolean())
        return makeError(where() + k + " must be true or false");
      p.*flag->second = *value.value<bool>();
    } else if (k == "reserve_extra") {
      std::optional<int64_t> n = value.value<int64_t>();
      if (!n || *n < 0 || *n > (1 << 20))
        return makeError(where() +
                         "reserve_extra must be a number of bytes from 0 to "
                         "1048576");
      p.reserve_extra = static_cast<uint32_t>(*n);
    } else if (k == "audit") {
      if (const toml::value<bool> *b = value.as_boolean()) {
        p.audit = b->get() ? kAuditBuiltin : "";
      } else {
        std::optional<std::string> s =
            value.is_string() ? value.value<std::string>() : std::nullopt;
        if (!s || s->empty() || (*s)[0] != '/' ||
            s->find(':') != std::string::npos)
          return makeError(where() + "audit must be true, false or the "
                                     "absolute path of an audit module "
                                     "(one path, no ':')");
        p.audit = *s;
      }
    } else if (k == "symbolic" || k == "symbolic_functions") {
      const toml::array *a = value.as_array();
      std::vector<std::string> &globs =
          k == "symbolic" ? p.symbolic : p.symbolic_functions;
      auto bad = [&] {
        return makeError(where() + k +
                         " must be an array of globs of library file names "
                         "(\"libfoo.so*\": no '/')");
      };
      if (!a)
        return bad();
      for (const toml::node &n : *a) {
        std::optional<std::string> s =
            n.is_string() ? n.value<std::string>() : std::nullopt;
        // Matched against a file name, a glob with '/' would match nothing.
        if (!s || s->empty() || s->find('/') != std::string::npos)
          return bad();
        globs.push_back(*s);
      }
    } else {
      return makeError(where() + "unknown key '" + k +
                       "' (known: linker, dlopen_dirs, pin, new_dtags, "
                       "absolute_soname, preload_searched, reserve_extra, "
                       "audit, symbolic, symbolic_functions)");
    }
  }
  return p;
}

const char *symbolicFlag(const Policy &policy, const std::string &name,
                         std::string *glob) {
  for (const auto &[globs, flag] :
       {std::pair{&policy.symbolic, "-Bsymbolic"},
        std::pair{&policy.symbolic_functions, "-Bsymbolic-functions"}})
    for (const std::string &g : *globs)
      if (::fnmatch(g.c_str(), name.c_str(), 0) == 0) {
        if (glob)
          *glob = g;
        return flag;
      }
  return nullptr;
}

llvm::Expected<Policy> readPolicy(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return makeError(path +
                     ": cannot read the policy file: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    return makeError(path + ": is a directory, not a policy file (LDPIN_CONFIG "
                            "names an ldpin.toml file)");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(path + ": cannot read the policy file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parsePolicy(ss.str(), path);
}

} // namespace ldpin
