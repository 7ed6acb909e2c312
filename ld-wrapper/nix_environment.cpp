// Reading ldpin-ld's environment (see nix_environment.h).
#include "nix_environment.h"

#include "ldpin/paths.h"

#include <cstdlib>
#include <sys/utsname.h>
#include <unistd.h>

namespace ldpin::wrapper {
namespace {

struct Reader {
  const Context &ctx;
  std::string salt;
  std::vector<std::string> roles;

  const std::string *var(const std::string &name) const {
    auto it = ctx.env.find(name);
    return it == ctx.env.end() ? nullptr : &it->second;
  }
  std::string value(const std::string &name,
                    const std::string &def = "") const {
    const std::string *v = var(name);
    return v ? *v : def;
  }
  // A file that is not there means "not set", as in the bash wrapper.
  std::string supportFile(const std::string &name) const {
    if (ctx.nixSupport.empty())
      return "";
    std::string s;
    llvm::consumeError(readWhole(ctx.nixSupport + "/" + name, s));
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
      s.pop_back();
    return s;
  }
  // mangleVarList: NAME_<salt>, then NAME<role suffix> for each role served.
  std::string listVar(const std::string &name) const {
    std::string v = value(name + "_" + salt);
    for (const std::string &suffix : roles)
      if (const std::string *r = var(name + suffix))
        v += (v.empty() ? "" : " ") + *r;
    return v;
  }
  // mangleVarBool: the same, or-ed as numbers.
  bool boolVar(const std::string &name) const {
    long v = std::atol(value(name + "_" + salt, "0").c_str());
    for (const std::string &suffix : roles)
      if (const std::string *r = var(name + suffix))
        v |= std::atol(r->c_str());
    return v != 0;
  }
};

} // namespace

NixEnvironment readNixEnvironment(const Context &ctx) {
  Reader r{ctx, {}, {}};
  NixEnvironment e;
  e.debug = std::atoi(r.value("NIX_DEBUG", "0").c_str());
  e.timing = r.value("LDPIN_TIMING") == "1";
  e.dirs = pin::fromEnvironment(
      [&r](const std::string &name) { return r.var(name); });

  // The salt and the roles this wrapper serves (accumulateRoles).
  r.salt = r.value("LDPIN_SUFFIX_SALT");
  if (r.salt.empty())
    r.salt = r.supportFile("suffix-salt");
  if (r.salt.empty()) {
    struct utsname u;
    r.salt = std::string(::uname(&u) == 0 ? u.machine : "x86_64") +
             "_unknown_linux_gnu";
  }
  if (!r.value("NIX_BINTOOLS_WRAPPER_TARGET_BUILD_" + r.salt).empty())
    r.roles.push_back("_FOR_BUILD");
  if (!r.value("NIX_BINTOOLS_WRAPPER_TARGET_HOST_" + r.salt).empty())
    r.roles.push_back("");
  if (!r.value("NIX_BINTOOLS_WRAPPER_TARGET_TARGET_" + r.salt).empty())
    r.roles.push_back("_FOR_TARGET");
  e.salt = r.salt;
  e.roles = r.roles;

  e.ccLinkType = r.value("NIX_LINK_TYPE_" + r.salt);
  e.enforcePurity = r.value("NIX_ENFORCE_PURITY") == "1";
  e.filterImpure =
      e.enforcePurity && !r.value("NIX_STORE").empty() &&
      (r.listVar("NIX_IGNORE_LD_THROUGH_GCC").empty() || e.ccLinkType.empty());
  e.hardening = splitWords(r.value("NIX_HARDENING_ENABLE_" + r.salt));
  std::string ldflags = r.listVar("NIX_LDFLAGS");
  std::string ldflagsBefore = r.listVar("NIX_LDFLAGS_BEFORE");
  if (std::string libc = r.supportFile("libc-ldflags"); !libc.empty())
    ldflags += " " + libc;
  if (std::string libc = r.supportFile("libc-ldflags-before"); !libc.empty())
    ldflagsBefore = libc + " " + ldflagsBefore;
  e.ldflags = splitWords(ldflags);
  e.ldflagsBefore = splitWords(ldflagsBefore);
  e.ldflagsAfter = splitWords(r.listVar("NIX_LDFLAGS_AFTER"));
  e.dynamicLinker = r.value("NIX_DYNAMIC_LINKER_" + r.salt);
  if (e.dynamicLinker.empty())
    e.dynamicLinker = r.supportFile("dynamic-linker");
  e.setBuildId = r.boolVar("NIX_SET_BUILD_ID");
  e.buildIdStyle = r.value("NIX_BUILD_ID_STYLE", "sha1");
  e.useResponseFile =
      std::atol(r.value("NIX_LD_USE_RESPONSE_FILE", "0").c_str()) >= 1;
  e.tmpdir = r.value("TMPDIR", "/tmp");
  e.channel = r.value("LDPIN_CHANNEL");

  e.policyPath = r.value("LDPIN_CONFIG");
  if (e.policyPath.empty() && !ctx.nixSupport.empty() &&
      ::access((ctx.nixSupport + "/ldpin.toml").c_str(), F_OK) == 0)
    e.policyPath = ctx.nixSupport + "/ldpin.toml";

  e.linkerVar = r.value("LDPIN_LINKER");
  // Started as a variant (ld.gold, ld.lld, ld.mold, ld.bfd): the variant's
  // own file, nix-support/ldpin-linker.<variant>, then the plain one.
  if (size_t dot = ctx.invokedAs.rfind("ld.");
      dot != std::string::npos && (dot == 0 || ctx.invokedAs[dot - 1] == '-')) {
    std::string file = "ldpin-linker." + ctx.invokedAs.substr(dot + 3);
    e.linkerFiles.push_back({r.supportFile(file), ctx.nixSupport + "/" + file});
  }
  e.linkerFiles.push_back(
      {r.supportFile("ldpin-linker"), ctx.nixSupport + "/ldpin-linker"});
  return e;
}

} // namespace ldpin::wrapper
