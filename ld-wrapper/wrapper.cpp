// ldpin-ld (see wrapper.h). The steps follow nixpkgs' ld-wrapper.sh, in its
// order: expand response files, gather the role-salted NIX_* flags, filter
// impure paths, add hardening and the dynamic linker; then ldpin's part:
// resolve the libraries, link with a placeholder RUNPATH and the record
// object, and edit the output.
#include "wrapper.h"

#include "command.h"
#include "paths.h"
#include "resolve.h"
#include "response_files.h"

#include "ldpin/checked.h"
#include "ldpin/editor.h"
#include "ldpin/elf.h"
#include "ldpin/note_object.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/Format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace ldpin::wrapper {
namespace {

// The placeholder's fixed parts: it must not end like any string a linker
// could merge into it (symbol, version and library names do not end in
// ":."), and it names ldpin so that a stray one is recognisable.
constexpr const char *kPlaceholderHead = "/ldpin-reserved-space/";
constexpr const char *kPlaceholderTail = ":.";
// Commands longer than this reach the linker as a response file (well under
// ARG_MAX and the 128 KiB limit on one argument).
constexpr size_t kResponseFileAbove = 64 * 1024;

using Clock = std::chrono::steady_clock;

class Wrapper {
public:
  Wrapper(Context &ctx) : ctx(ctx), err(*ctx.err) {}
  int run(const std::vector<std::string> &args);

private:
  Context &ctx;
  llvm::raw_ostream &err;
  int debug = 0;
  // LDPIN_TIMING=1: the time of each phase, on the error stream.
  bool timing = false;
  Clock::time_point phaseStart = Clock::now();
  void phase(const char *name) {
    if (!timing)
      return;
    Clock::time_point now = Clock::now();
    err << "ldpin-ld: timing: " << name << " "
        << llvm::format("%.3f", std::chrono::duration<double, std::milli>(
                                    now - phaseStart)
                                    .count())
        << " ms\n";
    phaseStart = now;
  }
  Policy policy;
  std::string linker;
  std::string salt;
  std::vector<std::string> roles;
  std::string store = "/nix/store";

  // --- environment ------------------------------------------------------
  const std::string *var(const std::string &name) const {
    auto it = ctx.env.find(name);
    return it == ctx.env.end() ? nullptr : &it->second;
  }
  std::string value(const std::string &name,
                    const std::string &def = "") const {
    const std::string *v = var(name);
    return v ? *v : def;
  }
  std::string supportFile(const std::string &name) const {
    if (ctx.nixSupport.empty())
      return "";
    std::string s;
    // A file that is not there means "not set", as in the bash wrapper.
    llvm::consumeError(readWhole(ctx.nixSupport + "/" + name, s));
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
      s.pop_back();
    return s;
  }
  static std::vector<std::string> words(const std::string &s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;)
      out.push_back(w);
    return out;
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

  llvm::Error setUp();
  bool badPath(const std::string &p) const;
  bool underAny(const std::string &p,
                const std::vector<std::string> &dirs) const;
  std::vector<std::string> readTemporaryDirs() const;
  std::vector<std::string> readOutputDirs() const;
  // The build and temporary directories, and the derivation's outputs, read
  // from the environment once.
  std::vector<std::string> temporaryDirs_, outputDirs_;
  const std::vector<std::string> &temporaryDirs() const {
    return temporaryDirs_;
  }
  const std::vector<std::string> &outputDirs() const { return outputDirs_; }

  // --- running ----------------------------------------------------------
  int spawn(const std::vector<std::string> &argv);
  void printCommand(const char *title, const std::vector<std::string> &args);
  int pinAndEdit(const Command &cmd, const Resolution &res);
  bool pinnable(const std::string &path) const;
};

std::string shellQuote(const std::string &s) {
  if (!s.empty() &&
      s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
                          "KLMNOPQRSTUVWXYZ0123456789@%_-+=:,./") ==
          std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool isDirectory(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool startsWithDir(const std::string &p, const std::string &dir) {
  if (dir.empty())
    return false;
  if (p.compare(0, dir.size(), dir) != 0)
    return false;
  return p.size() == dir.size() || p[dir.size()] == '/' || dir.back() == '/';
}

} // namespace

std::string findNixSupport(const std::string &argv0,
                           const std::map<std::string, std::string> &env) {
  std::string self = argv0;
  if (self.find('/') == std::string::npos) {
    auto path = env.find("PATH");
    std::istringstream dirs(path == env.end() ? "" : path->second);
    self.clear();
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty() && ::access((dir + "/" + argv0).c_str(), X_OK) == 0) {
        self = dir + "/" + argv0;
        break;
      }
  }
  if (self.empty())
    return "";
  std::string support = dirName(dirName(self)) + "/nix-support";
  return isDirectory(support) ? support : "";
}

namespace {

llvm::Error Wrapper::setUp() {
  debug = std::atoi(value("NIX_DEBUG", "0").c_str());
  timing = value("LDPIN_TIMING") == "1";
  store = value("NIX_STORE", "/nix/store");
  temporaryDirs_ = readTemporaryDirs();
  outputDirs_ = readOutputDirs();

  // The policy: LDPIN_CONFIG, else the wrapper's nix-support/ldpin.toml.
  std::string policyPath = value("LDPIN_CONFIG");
  if (policyPath.empty() && !ctx.nixSupport.empty() &&
      ::access((ctx.nixSupport + "/ldpin.toml").c_str(), F_OK) == 0)
    policyPath = ctx.nixSupport + "/ldpin.toml";
  if (!policyPath.empty()) {
    llvm::Expected<Policy> p = readPolicy(policyPath);
    if (!p)
      return p.takeError();
    policy = std::move(*p);
  }

  // The real linker: LDPIN_LINKER, the policy, nix-support/ldpin-linker.
  linker = value("LDPIN_LINKER");
  if (linker.empty())
    linker = policy.linker;
  if (linker.empty())
    linker = supportFile("ldpin-linker");
  if (linker.empty())
    return makeError("no real linker to run: set LDPIN_LINKER, `linker` in "
                     "ldpin.toml, or the wrapper's nix-support/ldpin-linker");
  if (::access(linker.c_str(), X_OK) != 0)
    return makeError("the real linker " + printable(linker) +
                     (::access(linker.c_str(), F_OK) == 0 ? " is not executable"
                                                          : " does not exist") +
                     " (from LDPIN_LINKER, ldpin.toml or nix-support)");

  // The salt and the roles this wrapper serves (accumulateRoles).
  salt = value("LDPIN_SUFFIX_SALT");
  if (salt.empty())
    salt = supportFile("suffix-salt");
  if (salt.empty()) {
    struct utsname u;
    salt = std::string(::uname(&u) == 0 ? u.machine : "x86_64") +
           "_unknown_linux_gnu";
  }
  if (!value("NIX_BINTOOLS_WRAPPER_TARGET_BUILD_" + salt).empty())
    roles.push_back("_FOR_BUILD");
  if (!value("NIX_BINTOOLS_WRAPPER_TARGET_HOST_" + salt).empty())
    roles.push_back("");
  if (!value("NIX_BINTOOLS_WRAPPER_TARGET_TARGET_" + salt).empty())
    roles.push_back("_FOR_TARGET");
  return llvm::Error::success();
}

std::vector<std::string> Wrapper::readTemporaryDirs() const {
  std::vector<std::string> dirs = {"/tmp"};
  for (const char *name : {"NIX_BUILD_TOP", "TMP", "TMPDIR", "TEMP", "TEMPDIR"})
    if (const std::string *v = var(name); v && !v->empty())
      dirs.push_back(*v);
  return dirs;
}

std::vector<std::string> Wrapper::readOutputDirs() const {
  std::vector<std::string> dirs;
  for (const std::string &name : words(value("outputs", "out")))
    if (const std::string *v = var(name); v && !v->empty() && (*v)[0] == '/')
      dirs.push_back(*v);
  return dirs;
}

bool Wrapper::underAny(const std::string &p,
                       const std::vector<std::string> &dirs) const {
  return std::any_of(dirs.begin(), dirs.end(),
                     [&](const std::string &d) { return startsWithDir(p, d); });
}

// nixpkgs' badPath: absolute and outside the store, the build directory and
// the temporary directories.
bool Wrapper::badPath(const std::string &p) const {
  if (p.empty() || p[0] != '/' || p == "/dev/null")
    return false;
  return !startsWithDir(p, store) && !underAny(p, temporaryDirs());
}

bool Wrapper::pinnable(const std::string &path) const {
  if (path.empty() || path[0] != '/')
    return false;
  switch (policy.pin) {
  case Policy::Pin::None:
    return false;
  case Policy::Pin::All:
    return !underAny(path, temporaryDirs());
  case Policy::Pin::Store:
    return startsWithDir(path, store);
  }
  return false;
}

void Wrapper::printCommand(const char *title,
                           const std::vector<std::string> &args) {
  err << title << " " << linker << ":\n";
  for (const std::string &a : args)
    err << "  " << shellQuote(a) << "\n";
}

int Wrapper::spawn(const std::vector<std::string> &argv) {
  std::vector<char *> cargv;
  for (const std::string &a : argv)
    cargv.push_back(const_cast<char *>(a.c_str()));
  cargv.push_back(nullptr);
  err.flush();
  pid_t pid;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), nullptr, nullptr, cargv.data(),
                         environ);
  if (rc != 0) {
    err << "ldpin-ld: cannot run the real linker " << printable(argv[0]) << ": "
        << std::strerror(rc) << "\n";
    return 127;
  }
  int status;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return 127;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

int Wrapper::run(const std::vector<std::string> &rawArgs) {
  if (llvm::Error e = setUp()) {
    err << "ldpin-ld: " << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  llvm::Expected<std::vector<std::string>> expanded =
      expandResponseFiles(rawArgs);
  if (!expanded) {
    err << "ldpin-ld: " << llvm::toString(expanded.takeError()) << "\n";
    return 1;
  }
  std::vector<std::string> params = std::move(*expanded);

  // The link type chosen by a cc-wrapper, else from the arguments.
  const std::string ccLinkType = value("NIX_LINK_TYPE_" + salt);
  std::string linkType = ccLinkType;
  if (linkType.empty()) {
    linkType = "dynamic";
    for (const std::string &p : params)
      if (p == "-static")
        linkType = "static";
      else if (p == "-static-pie")
        linkType = "static-pie";
  }

  // Purity: drop impure -L, -rpath and -dynamic-linker, refuse other
  // impure paths.
  if (value("NIX_ENFORCE_PURITY") == "1" && !value("NIX_STORE").empty() &&
      (listVar("NIX_IGNORE_LD_THROUGH_GCC").empty() || ccLinkType.empty())) {
    std::vector<std::string> rest;
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string &p = params[i];
      const std::string next = i + 1 < params.size() ? params[i + 1] : "";
      auto skip = [&](const std::string &path) {
        if (debug >= 1)
          err << "skipping impure path " << path << "\n";
      };
      if (p.rfind("-L/", 0) == 0 && badPath(p.substr(2))) {
        skip(p.substr(2));
      } else if ((p == "-L" || p == "-rpath" || p == "-dynamic-linker") &&
                 badPath(next)) {
        skip(next);
        ++i;
      } else if (p.size() > 1 && p[0] == '/' &&
                 p.find('/', 1) != std::string::npos &&
                 p.find(':') == std::string::npos && badPath(p)) {
        err << "impure path `" << p << "' used in link\n";
        return 1;
      } else {
        rest.push_back(p);
      }
    }
    params = std::move(rest);
  }

  // Hardening, then the NIX_LDFLAGS family and the dynamic linker.
  std::vector<std::string> before, after;
  for (const std::string &flag : words(value("NIX_HARDENING_ENABLE_" + salt))) {
    if (flag == "relro")
      before.insert(before.end(), {"-z", "relro"});
    else if (flag == "bindnow")
      before.insert(before.end(), {"-z", "now"});
    if (debug >= 1 && (flag == "relro" || flag == "bindnow"))
      err << "HARDENING: enabling " << flag << "\n";
  }
  auto filterRpath = [&](std::vector<std::string> flags) {
    if (linkType != "static-pie")
      return flags;
    std::vector<std::string> out;
    for (size_t i = 0; i < flags.size(); ++i)
      if (flags[i] == "-rpath")
        ++i;
      else
        out.push_back(flags[i]);
    return out;
  };
  std::string ldflags = listVar("NIX_LDFLAGS");
  std::string ldflagsBefore = listVar("NIX_LDFLAGS_BEFORE");
  if (std::string libc = supportFile("libc-ldflags"); !libc.empty())
    ldflags += " " + libc;
  if (std::string libc = supportFile("libc-ldflags-before"); !libc.empty())
    ldflagsBefore = libc + " " + ldflagsBefore;
  if (ccLinkType.empty()) {
    for (std::string &w : filterRpath(words(ldflags)))
      after.push_back(std::move(w));
    for (std::string &w : filterRpath(words(ldflagsBefore)))
      before.push_back(std::move(w));
    std::string dl = value("NIX_DYNAMIC_LINKER_" + salt);
    if (dl.empty())
      dl = supportFile("dynamic-linker");
    if (linkType == "dynamic" && !dl.empty())
      before.insert(before.end(), {"-dynamic-linker", dl});
  }
  for (std::string &w : filterRpath(words(listVar("NIX_LDFLAGS_AFTER"))))
    after.push_back(std::move(w));

  std::vector<std::string> full = before;
  full.insert(full.end(), params.begin(), params.end());
  full.insert(full.end(), after.begin(), after.end());
  Command cmd = parseCommand(full, isDirectory);
  if (boolVar("NIX_SET_BUILD_ID") && !cmd.relocatable)
    after.push_back("--build-id=" + value("NIX_BUILD_ID_STYLE", "sha1"));

  const bool pin = linkType == "dynamic" && !cmd.infoOnly && !cmd.relocatable &&
                   !cmd.isStatic && !cmd.staticPie;
  std::vector<std::string> ours; // ldpin's own additions
  std::string placeholder, noteObject;
  Resolution res;
  phase("setup");
  if (pin) {
    res = resolveInputs(cmd);
    phase("resolve");
    for (const std::string &p : res.problems)
      err << "ldpin-ld: " << p << "\n";

    // String space for everything the edits may write: pinned paths,
    // the RUNPATH, an absolute SONAME, and room for the fixup.
    const std::vector<std::string> &outputs = outputDirs();
    size_t longestOutput = 0;
    for (const std::string &o : outputs)
      longestOutput = std::max(longestOutput, o.size());
    uint64_t space = policy.reserve_extra;
    for (const SharedLibrary &lib : res.shared)
      space +=
          std::max(lib.pinPath.size(), longestOutput + 5 + lib.needed.size()) +
          1;
    for (const RpathArg &r : cmd.rpaths)
      space += r.value.size() + 1;
    for (const std::string &d : policy.dlopen_dirs)
      space += d.size() + 1;
    if (cmd.shared)
      space += std::max<size_t>(longestOutput, 64) + 5 +
               (cmd.soname ? cmd.soname->size() : 64) + 1;
    space = std::max<uint64_t>(space, 64);
    placeholder = kPlaceholderHead;
    placeholder += std::string(space, 'x');
    placeholder += kPlaceholderTail;

    // The record object, for the target of the first input object.
    if (!res.firstObject.empty()) {
      // Read once: parsed for the target, and its bytes for the copy of
      // its property note.
      std::string bytes;
      llvm::consumeError(readWhole(res.firstObject, bytes)); // empty: no ELF
      llvm::Expected<elf::ElfInfo> obj =
          elf::read(llvm::MemoryBufferRef(bytes, res.firstObject));
      if (obj) {
        // An upper bound of the record: every library the linker may
        // record as DT_NEEDED, and the longest of their paths as libc.
        note::Record bound;
        bound.channel = value("LDPIN_CHANNEL");
        size_t longest = 0;
        for (const SharedLibrary &lib : res.shared) {
          bound.needed.push_back(
              {lib.needed, std::string(lib.pinPath.size(), 'x'), lib.buildId});
          longest = std::max(longest, lib.pinPath.size());
        }
        bound.libc = std::string(longest, 'x');
        bound.soname = cmd.soname;
        for (const RpathArg &r : cmd.rpaths)
          bound.buildRunpath.push_back(r.value);
        uint32_t size = note::encodedSize(bound) + 64;
        llvm::Expected<std::vector<uint8_t>> object = note::makeObject(
            note::targetOf(*obj,
                           llvm::ArrayRef<uint8_t>(
                               reinterpret_cast<const uint8_t *>(bytes.data()),
                               bytes.size())),
            size);
        std::string tmpl = value("TMPDIR", "/tmp") + "/ldpin-note-XXXXXX.o";
        int fd = object ? ::mkstemps(tmpl.data(), 2) : -1;
        if (fd >= 0) {
          bool ok = ::write(fd, object->data(), object->size()) ==
                    static_cast<ssize_t>(object->size());
          ::close(fd);
          if (ok)
            noteObject = tmpl;
          else
            ::unlink(tmpl.c_str());
        }
        if (!object)
          llvm::consumeError(object.takeError());
      } else {
        llvm::consumeError(obj.takeError());
      }
    }
    if (!noteObject.empty())
      ours.push_back(noteObject);
    ours.insert(ours.end(), {"-rpath", placeholder});
    if (!cmd.newDtags) // the command line did not choose: the policy does
      ours.push_back(policy.new_dtags ? "--enable-new-dtags"
                                      : "--disable-new-dtags");
  }

  std::vector<std::string> argv = {linker};
  argv.insert(argv.end(), before.begin(), before.end());
  argv.insert(argv.end(), params.begin(), params.end());
  argv.insert(argv.end(), after.begin(), after.end());
  argv.insert(argv.end(), ours.begin(), ours.end());
  if (debug >= 1) {
    printCommand("extra flags before to", before);
    printCommand("original flags to", params);
    printCommand("extra flags after to", after);
    if (pin) {
      std::vector<std::string> shown = ours;
      for (std::string &s : shown)
        if (s == placeholder)
          s = "<placeholder: " + std::to_string(s.size()) + " bytes>";
      printCommand("ldpin flags to", shown);
      for (const std::string &u : res.unresolved)
        err << "ldpin-ld: " << u << ": left to the linker's own directories\n";
    }
  }
  phase("prepare");
  // A long command goes to the linker as a response file, as nixpkgs'
  // wrapper does: the arguments may have come in one (expanded above) just
  // because they do not fit on a command line.
  std::string responseFile;
  size_t argBytes = 0;
  for (const std::string &a : argv)
    argBytes += a.size() + 1;
  if (argBytes > kResponseFileAbove) {
    std::string tmpl = value("TMPDIR", "/tmp") + "/ldpin-args-XXXXXX";
    int fd = ::mkstemp(tmpl.data());
    std::string text;
    for (size_t i = 1; i < argv.size(); ++i)
      text += quoteForResponseFile(argv[i]) + "\n";
    if (fd < 0 || ::write(fd, text.data(), text.size()) !=
                      static_cast<ssize_t>(text.size())) {
      err << "ldpin-ld: cannot write a response file in "
          << printable(value("TMPDIR", "/tmp")) << ": " << std::strerror(errno)
          << "\n";
      if (fd >= 0) {
        ::close(fd);
        ::unlink(tmpl.c_str());
      }
      return 1;
    }
    ::close(fd);
    responseFile = tmpl;
    argv = {argv[0], "@" + responseFile};
  }
  int status = spawn(argv);
  if (!responseFile.empty())
    ::unlink(responseFile.c_str());
  if (!noteObject.empty())
    ::unlink(noteObject.c_str());
  phase("link");
  if (status != 0 || !pin)
    return status;
  status = pinAndEdit(cmd, res);
  phase("edit");
  return status;
}

int Wrapper::pinAndEdit(const Command &cmd, const Resolution &res) {
  const std::string &output = cmd.output;
  auto fail = [&](const std::string &msg) {
    err << "ldpin-ld: " << printable(output) << ": " << msg << "\n";
    ::unlink(output.c_str()); // as a linker does with a failed output
    return 1;
  };
  llvm::Expected<edit::Editor> loaded = edit::Editor::load(output);
  if (!loaded) {
    std::string msg = llvm::toString(loaded.takeError());
    if (msg.find("no dynamic section") != std::string::npos)
      return 0; // linked statically after all: nothing to pin
    return fail(msg);
  }
  edit::Editor &ed = *loaded;
  std::optional<size_t> holder;
  for (size_t i = 0; i < ed.info().dynamic.size(); ++i) {
    const elf::DynEntry &d = ed.info().dynamic[i];
    if ((d.tag == llvm::ELF::DT_RUNPATH || d.tag == llvm::ELF::DT_RPATH) &&
        d.str && d.str->find(kPlaceholderHead) != std::string::npos)
      holder = i;
  }
  if (!holder)
    return fail("the linker did not keep the reserved RUNPATH string");
  if (llvm::Error e = ed.reserveFromEntry(*holder))
    return fail(llvm::toString(std::move(e)));

  // Pin DT_NEEDED entries that resolved to files the policy pins.
  note::Record record;
  if (std::string channel = value("LDPIN_CHANNEL"); !channel.empty())
    record.channel = channel;
  record.soname = cmd.soname;
  std::vector<std::string> bare;
  std::string inTree; // a bare DT_NEEDED resolved in the build tree
  const std::vector<std::string> needed = ed.info().needed;
  for (size_t i = 0; i < needed.size(); ++i) {
    const SharedLibrary *lib = nullptr;
    for (const SharedLibrary &l : res.shared)
      if (l.needed == needed[i]) {
        lib = &l;
        break;
      }
    record.needed.push_back(
        {needed[i], lib ? lib->pinPath : "", lib ? lib->buildId : ""});
    if (lib && needed[i].rfind("libc.so", 0) == 0)
      record.libc = lib->pinPath;
    if (lib && pinnable(lib->pinPath) && needed[i] != lib->pinPath) {
      if (llvm::Error e = ed.setNeeded(i, lib->pinPath))
        return fail(llvm::toString(std::move(e)));
      if (debug >= 1)
        err << "ldpin-ld: DT_NEEDED " << needed[i] << " -> " << lib->pinPath
            << " (pinned)\n";
    } else if (needed[i].empty() || needed[i][0] != '/') {
      bare.push_back(needed[i]);
      if (lib && underAny(lib->pinPath, temporaryDirs()) && inTree.empty())
        inTree = needed[i];
      if (debug >= 1)
        err << "ldpin-ld: DT_NEEDED " << needed[i] << " left bare ("
            << (lib ? "resolved outside what the policy pins: " + lib->pinPath
                    : std::string("not resolved from -L directories"))
            << ")\n";
    }
  }

  // The RUNPATH that is still needed, each decision with its reason.
  std::vector<std::string> keep;
  std::set<std::string> seen;
  auto decide = [&](const std::string &dir, const std::string &why, bool kept) {
    if (debug >= 1)
      err << "ldpin-ld: rpath " << dir << ": " << (kept ? "kept" : "dropped")
          << " (" << why << ")\n";
    if (kept)
      keep.push_back(dir);
  };
  auto provides = [&](const std::string &dir) {
    for (const std::string &b : bare)
      if (::access((dir + "/" + b).c_str(), F_OK) == 0)
        return b;
    return std::string();
  };
  const bool purity = value("NIX_ENFORCE_PURITY") == "1";
  std::vector<std::string> entries;
  for (const RpathArg &r : cmd.rpaths) {
    std::istringstream in(r.value);
    for (std::string dir; std::getline(in, dir, ':');)
      entries.push_back(dir);
  }
  entries.insert(entries.end(), policy.dlopen_dirs.begin(),
                 policy.dlopen_dirs.end());
  for (const std::string &dir : entries) {
    if (dir.empty())
      continue;
    if (!seen.insert(dir).second) {
      decide(dir, "duplicate", false);
    } else if (dir[0] != '/' && dir[0] != '$') {
      decide(dir,
             "relative: the loader would resolve it against the current "
             "directory",
             false);
    } else if (dir.find("$ORIGIN") != std::string::npos ||
               dir.find("${ORIGIN}") != std::string::npos) {
      decide(dir, "$ORIGIN form", true);
    } else if (std::find(policy.dlopen_dirs.begin(), policy.dlopen_dirs.end(),
                         dir) != policy.dlopen_dirs.end()) {
      decide(dir, "declared dlopen directory", true);
    } else if (underAny(dir, outputDirs()) && !inTree.empty()) {
      // libtool's "-rpath $libdir": empty now, but where the in-tree
      // libraries will be installed. Kept so that the installed program
      // works; the fixup pins those libraries and removes the entry.
      decide(dir,
             "install directory of an output, " + inTree +
                 " is installed there",
             true);
      record.buildRunpath.push_back(dir);
    } else if (startsWithDir(dir, store)) {
      std::string lib = provides(dir);
      decide(dir,
             lib.empty() ? "store directory, provides nothing needed"
                         : "provides " + lib,
             !lib.empty());
    } else if (underAny(dir, temporaryDirs())) {
      std::string lib = provides(dir);
      if (!lib.empty()) {
        decide(dir, "build tree, provides " + lib + " until installed", true);
        record.buildRunpath.push_back(dir);
      } else {
        decide(dir, "build tree or temporary directory", false);
      }
    } else if (purity && badPath(dir)) {
      decide(dir, "impure", false);
    } else {
      std::string lib = provides(dir);
      decide(dir, lib.empty() ? "provides nothing needed" : "provides " + lib,
             !lib.empty());
    }
  }
  std::string runpath;
  for (const std::string &d : keep)
    runpath += (runpath.empty() ? "" : ":") + d;
  if (llvm::Error e = ed.setRunpath(runpath))
    return fail(llvm::toString(std::move(e)));

  // An absolute SONAME when the library is written inside an output.
  if (cmd.shared && cmd.soname && (*cmd.soname)[0] != '/') {
    std::string dir = realPath(dirName(output));
    if (!dir.empty() && underAny(dir, outputDirs())) {
      std::string abs = dir + "/" + *cmd.soname;
      if (llvm::Error e = ed.setSoname(abs))
        return fail(llvm::toString(std::move(e)));
      if (debug >= 1)
        err << "ldpin-ld: SONAME " << *cmd.soname << " -> " << abs << "\n";
    }
  }

  bool hasRecord = std::any_of(
      ed.info().notes.begin(), ed.info().notes.end(),
      [](const elf::Note &n) { return n.kind == elf::NoteKind::Ldpin; });
  if (hasRecord)
    if (llvm::Error e = ed.setRecord(record))
      return fail(llvm::toString(std::move(e)));
  if (llvm::Error e = ed.commit(output))
    return fail(llvm::toString(std::move(e)));
  return 0;
}

} // namespace

int run(const std::vector<std::string> &args, Context &ctx) {
  return Wrapper(ctx).run(args);
}

} // namespace ldpin::wrapper
