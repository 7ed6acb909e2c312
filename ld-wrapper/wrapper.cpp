// ldpin-ld (see wrapper.h). The steps follow nixpkgs' ld-wrapper.sh, in its
// order: expand response files, gather the role-salted NIX_* flags, filter
// impure paths, add hardening and the dynamic linker; then ldpin's part:
// resolve the libraries, link with a placeholder RUNPATH and the record
// object, and edit the output.
#include "wrapper.h"

#include "command.h"
#include "ldpin/paths.h"
#include "nix_environment.h"
#include "resolve.h"
#include "response_files.h"

#include "ldpin/checked.h"
#include "ldpin/describe.h"
#include "ldpin/editor.h"
#include "ldpin/elf.h"
#include "ldpin/loader.h"
#include "ldpin/note_object.h"
#include "ldpin/pin.h"

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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace ldpin::wrapper {
namespace {

// The placeholder's fixed parts: it must not end like any string a linker
// could merge into it (symbol, version and library names do not end in
// ":."), and it names ldpin so that a stray one is recognisable.
constexpr const char *kPlaceholderHead = "/ldpin-reserved-space/";
constexpr const char *kPlaceholderTail = ":.";
// An executable that is to get DT_AUDIT is linked with this DT_SONAME as the
// entry's place (lld leaves no spare slot in the dynamic table; bfd, lld and
// mold write -soname into executables); pinAudit() retags it. gold writes
// no SONAME into an executable, and leaves spare slots instead.
constexpr const char *kAuditSlot = "/ldpin-audit-slot";

// Whether this link's output gets DT_AUDIT.
bool wantsAudit(const Command &cmd, const Policy &policy) {
  return !policy.audit.empty() && !cmd.shared && !cmd.relocatable;
}

// The -Bsymbolic flag the policy asks for in this link (a shared library
// whose name matches `symbolic` or `symbolic_functions`), or nullptr; `glob`
// gets the glob that matched. The name is the soname's file name, else the
// output's.
const char *symbolicFlag(const Command &cmd, const Policy &policy,
                         std::string *glob = nullptr) {
  if (!cmd.shared || cmd.relocatable)
    return nullptr;
  return ldpin::symbolicFlag(
      policy, baseName(cmd.soname ? *cmd.soname : cmd.output), glob);
}
// Linux refuses to exec a command with one argument of this many bytes or
// more (MAX_ARG_STRLEN, 32 pages).
constexpr size_t kMaxArgument = 32 * 4096;

// The bound of the string space and the record, taken before the libraries
// are read (see boundFromCommand): sonames up to kSonameSlack bytes longer
// than the file a library is found by (libfoo.so -> libfoo.so.1.2.3), build
// ids up to kBuildIdBound hex digits (SHA-1 has 40), and kScriptLibraries
// libraries more than the command names (libc.so names libc.so.6 and the
// dynamic linker).
constexpr size_t kSonameSlack = 24;
constexpr size_t kBuildIdBound = 64;
constexpr int kScriptLibraries = 3;
// The record object's target is read from the first input object smaller
// than this.
constexpr size_t kFirstObjectMax = 64 << 20;
// A RUNPATH directory that was not listed while resolving is asked for up to
// this many bare libraries one by one, and listed when there are more.
constexpr size_t kAskAtMost = 4;

using Clock = std::chrono::steady_clock;

// The string space for the edits and the record's size, fixed before a link.
struct Reservation {
  uint64_t space = 0;
  uint64_t record = 0;     // bytes counted so far (see finish())
  uint32_t recordSize = 0; // the record's descriptor size
};

// ldpin's additions to a link: the placeholder RUNPATH and the record
// object. The object is an anonymous memory file (memfd) that the linker
// inherits and opens as /proc/self/fd/N: no file is created, so none is left
// behind if ldpin-ld is killed, and the link does not wait for a file system.
// Where memfd or /proc is missing, it is a temporary file in TMPDIR.
struct LinkExtras {
  std::string placeholder;
  std::string noteObject; // "" when there is none
  int noteFd = -1;        // the memfd behind noteObject, else -1
  LinkExtras() = default;
  LinkExtras(const LinkExtras &) = delete;
  LinkExtras &operator=(const LinkExtras &) = delete;
  ~LinkExtras() { removeObject(); }
  void removeObject() {
    if (noteFd >= 0)
      ::close(noteFd);
    else if (!noteObject.empty())
      ::unlink(noteObject.c_str());
    noteFd = -1;
    noteObject.clear();
  }
  std::vector<std::string> flags(const Command &cmd,
                                 const Policy &policy) const;
};

// The link line as nixpkgs' wrapper builds it: its flags before the
// command's, the command's (impure paths filtered), its flags after, and the
// link type.
struct LinkLine {
  std::vector<std::string> before, params, after;
  std::string linkType; // "dynamic", "static", "static-pie"
  std::vector<std::string> all() const {
    std::vector<std::string> v = before;
    v.insert(v.end(), params.begin(), params.end());
    v.insert(v.end(), after.begin(), after.end());
    return v;
  }
};

// What pinning DT_NEEDED left for the RUNPATH decision.
struct NeededOutcome {
  std::vector<std::string> bare; // DT_NEEDED still bare
  std::string inTree;            // the first of them resolved in the build tree
};

class Wrapper {
public:
  Wrapper(Context &ctx) : ctx(ctx), err(*ctx.err) {}
  int run(const std::vector<std::string> &args);

private:
  Context &ctx;
  llvm::raw_ostream &err;
  NixEnvironment nix;
  int debug = 0;
  // LDPIN_TIMING=1: the time of each phase, written to the error stream in
  // one piece when the run ends (the stream is unbuffered: a write per
  // phase would itself cost the link time, and wake whoever reads it).
  bool timing = false;
  std::string timingLog;
  Clock::time_point phaseStart = Clock::now();
  void phase(const char *name) {
    if (!timing)
      return;
    Clock::time_point now = Clock::now();
    timingMs(
        name,
        std::chrono::duration<double, std::milli>(now - phaseStart).count());
    phaseStart = now;
  }
  void timingMs(const char *name, double ms) {
    llvm::raw_string_ostream(timingLog) << "ldpin-ld: timing: " << name << " "
                                        << llvm::format("%.3f", ms) << " ms\n";
  }

public:
  void flushTiming() {
    err << timingLog;
    timingLog.clear();
  }

private:
  Policy policy;
  std::string linker, linkerFrom; // the real linker, and where it was named
  // The linker's environment: the Context's, as NAME=value strings and the
  // pointers execve takes.
  std::vector<std::string> childEnv;
  std::vector<char *> childEnvp;
  // The store, the build and temporary directories, and the derivation's
  // outputs, read from the environment once.
  const pin::Directories &dirs() const { return nix.dirs; }

  // --- the steps of a link ------------------------------------------------
  llvm::Error setUp();
  llvm::Error chooseLinker();
  // nixpkgs' part: purity, hardening, the NIX_LDFLAGS family and the
  // dynamic linker. Returns false (after saying why) for an impure path.
  bool applyNixFlags(std::vector<std::string> params, LinkLine &line);
  int linkAndPin(const Command &cmd, LinkLine &line);
  int pinAndEdit(const Command &cmd, const Resolution &res);

  // --- running ----------------------------------------------------------
  int spawn(const std::vector<std::string> &argv);
  int link(std::vector<std::string> argv);
  std::optional<note::ObjectTarget> firstObjectTarget(const Command &cmd) const;
  size_t longestOutput() const {
    size_t n = 0;
    for (const std::string &o : dirs().outputs)
      n = std::max(n, o.size());
    return n;
  }
  Reservation fixedParts(const Command &cmd) const;
  void addLibrary(Reservation &r, size_t dirLength, size_t nameLength,
                  size_t idLength) const;
  static void finish(Reservation &r, size_t libcLength);
  Reservation boundFromCommand(const Command &cmd) const;
  Reservation exactFromResolution(const Command &cmd,
                                  const Resolution &res) const;
  llvm::Error prepareExtras(const Reservation &r,
                            const std::optional<note::ObjectTarget> &target,
                            LinkExtras &out) const;
  void printOurs(const LinkExtras &extras, std::vector<std::string> shown);
  void printCommand(const char *title, const std::vector<std::string> &args);

  // --- the edit of the output -------------------------------------------
  llvm::Expected<NeededOutcome>
  pinNeeded(edit::Editor &ed, const Resolution &res, note::Record &record);
  llvm::Error pinRunpath(const Command &cmd, edit::Editor &ed,
                         const Resolution &res, const NeededOutcome &needed,
                         note::Record &record);
  llvm::Error pinSoname(const Command &cmd, edit::Editor &ed);
  llvm::Error pinAudit(const Command &cmd, edit::Editor &ed);
  std::string auditModule() const;
  std::function<bool(const std::string &)>
  rpathServingClosure(const Command &cmd);
  std::vector<SharedLibrary> searchedByDependencies(const Command &cmd,
                                                    const Resolution &res);
  std::vector<std::string>
  withPreloads(const std::vector<std::string> &argv,
               const std::vector<SharedLibrary> &preload,
               const Resolution &res);
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

} // namespace

std::string findNixSupport(const std::string &argv0,
                           const std::map<std::string, std::string> &env) {
  std::string self = argv0;
  if (self.find('/') == std::string::npos) {
    auto path = env.find("PATH");
    self.clear();
    for (const std::string &dir :
         splitList(path == env.end() ? "" : path->second, ':'))
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
  nix = readNixEnvironment(ctx);
  debug = nix.debug;
  timing = nix.timing;
  for (const auto &[name, value] : ctx.env)
    childEnv.push_back(name + "=" + value);
  for (std::string &kv : childEnv)
    childEnvp.push_back(kv.data());
  childEnvp.push_back(nullptr);
  if (!nix.policyPath.empty()) {
    llvm::Expected<Policy> p = readPolicy(nix.policyPath);
    if (!p)
      return p.takeError();
    policy = std::move(*p);
  }
  return chooseLinker();
}

// The real linker: LDPIN_LINKER, the policy's `linker`, the nix-support/
// files; an absolute path to an executable that is not ldpin-ld itself.
llvm::Error Wrapper::chooseLinker() {
  std::string from = "LDPIN_LINKER";
  linker = nix.linkerVar;
  if (linker.empty()) {
    linker = policy.linker;
    from = "`linker` in the policy";
  }
  for (const NixEnvironment::Candidate &c : nix.linkerFiles)
    if (linker.empty()) {
      linker = c.value;
      from = c.from;
    }
  linkerFrom = from;
  if (linker.empty())
    return makeError("no real linker to run: set LDPIN_LINKER, `linker` in "
                     "ldpin.toml, or the wrapper's nix-support/ldpin-linker");
  if (linker[0] != '/')
    return makeError("the real linker " + printable(linker) + " (from " +
                     printable(from) +
                     ") must be an absolute path, such as /usr/bin/ld.bfd");
  struct stat self, real;
  if (::access(linker.c_str(), X_OK) != 0 ||
      ::stat(linker.c_str(), &real) != 0 || !S_ISREG(real.st_mode))
    return makeError("the real linker " + printable(linker) +
                     (::access(linker.c_str(), F_OK) == 0
                          ? " is not an executable file"
                          : " does not exist") +
                     " (from " + printable(from) + ")");
  // Naming ldpin-ld itself would run it again and again.
  if (::stat("/proc/self/exe", &self) == 0 && self.st_dev == real.st_dev &&
      self.st_ino == real.st_ino)
    return makeError("the real linker " + printable(linker) + " (from " +
                     printable(from) +
                     ") is ldpin-ld itself: name the linker it wraps, such "
                     "as the unwrapped binutils' ld");
  return llvm::Error::success();
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
  // vfork and execve, which is what posix_spawn does, less its loop over
  // every signal in the child (two sigaction calls each, to reset handlers
  // this program never installs). The child writes only execErrno, in the
  // memory it shares with this thread, and _exits.
  volatile int execErrno = 0;
  const char *path = argv[0].c_str();
  char **childArgv = cargv.data();
  char **envp = childEnvp.data();
  pid_t pid = ::vfork();
  if (pid == 0) {
    ::execve(path, childArgv, envp);
    execErrno = errno;
    ::_exit(127);
  }
  int rc = pid < 0 ? errno : 0;
  if (rc == 0 && execErrno != 0) {
    ::waitpid(pid, nullptr, 0);
    rc = execErrno;
  }
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
  // Its own version, under a name no linker takes (`--version` is the real
  // linker's), with the linker it would run.
  if (rawArgs.size() == 1 && rawArgs[0] == "--ldpin-version") {
    llvm::outs() << "ldpin-ld " LDPIN_VERSION "\n";
    if (llvm::Error e = setUp()) {
      err << "ldpin-ld: " << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    llvm::outs() << "real linker: " << printable(linker) << " (from "
                 << printable(linkerFrom) << ")\n";
    return 0;
  }
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
  LinkLine line;
  if (!applyNixFlags(std::move(*expanded), line))
    return 1;
  Command cmd = parseCommand(line.all(), isDirectory);
  if (nix.setBuildId && !cmd.relocatable)
    line.after.push_back("--build-id=" + nix.buildIdStyle);

  // An output that is not a regular file (`-o /dev/null`, as configure's
  // and Kbuild's link probes write) is the linker's alone: nothing to edit,
  // and nothing of it to remove.
  struct stat outputStat;
  const bool regularOutput = ::stat(cmd.output.c_str(), &outputStat) != 0 ||
                             S_ISREG(outputStat.st_mode);
  const bool pin = line.linkType == "dynamic" && !cmd.infoOnly &&
                   !cmd.relocatable && !cmd.isStatic && !cmd.staticPie &&
                   regularOutput;
  phase("setup");
  if (pin)
    return linkAndPin(cmd, line);
  std::vector<std::string> argv = {linker};
  std::vector<std::string> all = line.all();
  argv.insert(argv.end(), all.begin(), all.end());
  if (debug >= 1) {
    printCommand("extra flags before to", line.before);
    printCommand("original flags to", line.params);
    printCommand("extra flags after to", line.after);
  }
  phase("prepare");
  int status = link(argv);
  phase("link");
  return status;
}

bool Wrapper::applyNixFlags(std::vector<std::string> params, LinkLine &line) {
  // The link type chosen by a cc-wrapper, else from the arguments.
  line.linkType = nix.ccLinkType;
  if (line.linkType.empty()) {
    line.linkType = "dynamic";
    for (const std::string &p : params)
      if (p == "-static")
        line.linkType = "static";
      else if (p == "-static-pie")
        line.linkType = "static-pie";
  }
  // Purity: drop impure -L, -rpath and -dynamic-linker, refuse other
  // impure paths.
  if (nix.filterImpure) {
    std::vector<std::string> rest;
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string &p = params[i];
      const std::string next = i + 1 < params.size() ? params[i + 1] : "";
      auto skip = [&](const std::string &path) {
        if (debug >= 1)
          err << "skipping impure path " << path << "\n";
      };
      if (p.rfind("-L/", 0) == 0 && dirs().impure(p.substr(2))) {
        skip(p.substr(2));
      } else if ((p == "-L" || p == "-rpath" || p == "-dynamic-linker") &&
                 dirs().impure(next)) {
        skip(next);
        ++i;
      } else if (p.size() > 1 && p[0] == '/' &&
                 p.find('/', 1) != std::string::npos &&
                 p.find(':') == std::string::npos && dirs().impure(p)) {
        err << "impure path `" << p << "' used in link\n";
        return false;
      } else {
        rest.push_back(p);
      }
    }
    params = std::move(rest);
  }
  line.params = std::move(params);

  // Hardening, then the NIX_LDFLAGS family and the dynamic linker.
  for (const std::string &flag : nix.hardening) {
    if (flag == "relro")
      line.before.insert(line.before.end(), {"-z", "relro"});
    else if (flag == "bindnow")
      line.before.insert(line.before.end(), {"-z", "now"});
    if (debug >= 1 && (flag == "relro" || flag == "bindnow"))
      err << "HARDENING: enabling " << flag << "\n";
  }
  auto filterRpath = [&](const std::vector<std::string> &flags) {
    if (line.linkType != "static-pie")
      return flags;
    std::vector<std::string> out;
    for (size_t i = 0; i < flags.size(); ++i)
      if (flags[i] == "-rpath")
        ++i;
      else
        out.push_back(flags[i]);
    return out;
  };
  if (nix.ccLinkType.empty()) {
    for (const std::string &w : filterRpath(nix.ldflags))
      line.after.push_back(w);
    for (const std::string &w : filterRpath(nix.ldflagsBefore))
      line.before.push_back(w);
    if (line.linkType == "dynamic" && !nix.dynamicLinker.empty())
      line.before.insert(line.before.end(),
                         {"-dynamic-linker", nix.dynamicLinker});
  }
  for (const std::string &w : filterRpath(nix.ldflagsAfter))
    line.after.push_back(w);
  return true;
}

// Links with the placeholder RUNPATH and the record object while the
// libraries are resolved on a second thread; links again when they need
// more room than the command line suggested; then edits the output.
int Wrapper::linkAndPin(const Command &cmd, LinkLine &line) {
  LinkExtras extras;
  // Never freed: tearing down the directory listings entry by entry is
  // time the link would wait for, and the process ends after one link. (A
  // static pointer keeps it reachable, so leak checkers stay quiet.)
  static Resolution *kept = nullptr;
  kept = new Resolution;
  Resolution &res = *kept;
  double resolveMs = 0; // the resolver's time, beside the linker's
  // The libraries are read while the linker runs: the space the edits need
  // is sized from the command line alone, and the rare link whose libraries
  // need more is linked again.
  const std::optional<note::ObjectTarget> target = firstObjectTarget(cmd);
  const Reservation bound = boundFromCommand(cmd);
  if (llvm::Error e = prepareExtras(bound, target, extras)) {
    err << "ldpin-ld: " << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  std::vector<std::string> ours = extras.flags(cmd, policy);
  std::vector<std::string> argv = {linker};
  std::vector<std::string> all = line.all();
  argv.insert(argv.end(), all.begin(), all.end());
  size_t oursAt = argv.size();
  argv.insert(argv.end(), ours.begin(), ours.end());
  if (debug >= 1) {
    printCommand("extra flags before to", line.before);
    printCommand("original flags to", line.params);
    printCommand("extra flags after to", line.after);
    printOurs(extras, ours);
    std::string glob;
    if (const char *flag = symbolicFlag(cmd, policy, &glob))
      err << "ldpin-ld: " << flag << ": "
          << printable(baseName(cmd.soname ? *cmd.soname : cmd.output))
          << " matches \"" << printable(glob) << "\" in the policy's "
          << (std::string(flag) == "-Bsymbolic" ? "symbolic"
                                                : "symbolic_functions")
          << "\n";
  }
  phase("prepare");
  std::thread resolver([&res, &cmd, &resolveMs, &target] {
    Clock::time_point start = Clock::now();
    std::optional<Target> output;
    if (target)
      output = Target{target->elfClass, target->machine};
    res = resolveInputs(cmd, output);
    resolveMs =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  });
  Clock::time_point linkStart = Clock::now();
  int status = link(argv);
  if (timing) // the real linker's run alone: the rest is what ldpin-ld adds
    timingMs("linker",
             std::chrono::duration<double, std::milli>(Clock::now() - linkStart)
                 .count());
  extras.removeObject();
  resolver.join();
  phase("link");
  if (timing)
    timingMs("resolve-parallel", resolveMs);
  for (const std::string &p : res.problems)
    err << "ldpin-ld: " << p << "\n";
  if (debug >= 1)
    for (const std::string &u : res.unresolved)
      err << "ldpin-ld: " << u << ": left to the linker's own directories\n";
  if (status != 0)
    return status;

  // Libraries the output's dependencies would search for at load: linked
  // again, by path, so that the output loads them itself.
  std::vector<SharedLibrary> preload = searchedByDependencies(cmd, res);
  phase("preload-check");
  if (!preload.empty()) {
    argv.resize(oursAt);
    argv = withPreloads(argv, preload, res);
    oursAt = argv.size();
    res.shared.insert(res.shared.begin(), preload.begin(), preload.end());
  }

  // The libraries need more room than the command line suggested (sonames
  // far longer than their file names, linker scripts naming many
  // libraries): link again with the exact sizes.
  Reservation exact = exactFromResolution(cmd, res);
  const bool moreRoom =
      exact.space > bound.space || exact.recordSize > bound.recordSize;
  if (moreRoom || !preload.empty()) {
    if (debug >= 1 && moreRoom)
      err << "ldpin-ld: relinking: the libraries need " << exact.space
          << " bytes of strings and a " << exact.recordSize << "-byte record, "
          << bound.space << " and " << bound.recordSize << " were reserved\n";
    exact.space = std::max(exact.space, bound.space);
    exact.recordSize = std::max(exact.recordSize, bound.recordSize);
    LinkExtras again;
    if (llvm::Error e = prepareExtras(exact, target, again)) {
      err << "ldpin-ld: " << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    ours = again.flags(cmd, policy);
    argv.resize(oursAt);
    argv.insert(argv.end(), ours.begin(), ours.end());
    if (debug >= 1)
      printOurs(again, ours);
    status = link(argv);
    again.removeObject();
    phase("relink");
    if (status != 0)
      return status;
  }
  status = pinAndEdit(cmd, res);
  phase("edit");
  return status;
}

// Runs the linker. The command goes to it in a response file when
// NIX_LD_USE_RESPONSE_FILE is 1 or more (as with nixpkgs' wrapper, whose
// default on Linux is 0), and whenever it would not fit on a command line:
// the arguments may have come in a response file (expanded in run()) just
// because they do not fit.
int Wrapper::link(std::vector<std::string> argv) {
  std::string responseFile;
  uint64_t bytes = 0;
  bool tooLong = false;
  for (const std::string &a : argv) {
    bytes += a.size() + 1 + sizeof(char *);
    tooLong |= a.size() + 1 > kMaxArgument;
  }
  for (const std::string &kv : childEnv)
    bytes += kv.size() + 1 + sizeof(char *);
  long argMax = ::sysconf(_SC_ARG_MAX);
  // A margin for what the kernel and the loader add (auxv, the file name).
  tooLong |= argMax > 0 && bytes + 64 * 1024 > static_cast<uint64_t>(argMax);
  if (tooLong || nix.useResponseFile) {
    std::string tmpl = nix.tmpdir + "/ldpin-args-XXXXXX";
    int fd = ::mkstemp(tmpl.data());
    std::string text;
    for (size_t i = 1; i < argv.size(); ++i)
      text += quoteForResponseFile(argv[i]) + "\n";
    if (fd < 0 || ::write(fd, text.data(), text.size()) !=
                      static_cast<ssize_t>(text.size())) {
      err << "ldpin-ld: cannot write a response file in "
          << printable(nix.tmpdir) << ": " << std::strerror(errno) << "\n";
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
  if (!responseFile.empty())
    phase("response-file");
  int status = spawn(argv);
  if (!responseFile.empty())
    ::unlink(responseFile.c_str());
  return status;
}

// The target of the record object: the first relocatable object among the
// inputs (crt1.o in a program, the first compiled file otherwise).
std::optional<note::ObjectTarget>
Wrapper::firstObjectTarget(const Command &cmd) const {
  for (const LibraryInput &in : cmd.inputs) {
    if (in.kind != LibraryInput::Kind::Path)
      continue;
    std::string bytes;
    if (llvm::Error e = readWhole(in.spec, bytes, kFirstObjectMax)) {
      llvm::consumeError(std::move(e)); // the linker reports it
      continue;
    }
    if (bytes.size() >= kFirstObjectMax)
      continue; // an archive or a huge object: look further
    llvm::Expected<elf::ElfInfo> obj =
        elf::read(llvm::MemoryBufferRef(bytes, in.spec));
    if (!obj) {
      llvm::consumeError(obj.takeError());
      continue;
    }
    if (obj->type != llvm::ELF::ET_REL)
      continue;
    return note::targetOf(
        *obj,
        llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(bytes.data()),
                                bytes.size()));
  }
  return std::nullopt;
}

// The parts that do not depend on the libraries: the RUNPATH arguments, an
// absolute SONAME, and the record's fixed entries.
Reservation Wrapper::fixedParts(const Command &cmd) const {
  Reservation r;
  r.space = policy.reserve_extra;
  for (const RpathArg &a : cmd.rpaths)
    r.space += a.value.size() + 1;
  if (cmd.shared)
    r.space += std::max<size_t>(longestOutput(), 64) + 5 +
               (cmd.soname ? cmd.soname->size() : 64) + 1;
  if (wantsAudit(cmd, policy)) // the module's path, for pinAudit()
    r.space += auditModule().size() + 1;
  // The record: its header, the channel, the SONAME and the build-tree
  // RUNPATH entries (at most every -rpath argument).
  r.record = note::encodedSize(note::Record{}) +
             note::entrySize(nix.channel.size() + 1);
  if (cmd.soname)
    r.record += note::entrySize(cmd.soname->size() + 1);
  for (const RpathArg &a : cmd.rpaths)
    r.record += note::entrySize(a.value.size() + 1);
  return r;
}

// Adds one library found in a directory of `dirLength` bytes under a name of
// `nameLength`, with a build id of `idLength` hex digits.
void Wrapper::addLibrary(Reservation &r, size_t dirLength, size_t nameLength,
                         size_t idLength) const {
  r.space +=
      std::max<uint64_t>(dirLength + 1, longestOutput() + 5) + nameLength + 1;
  r.record += note::entrySize(nameLength + 1 + dirLength + 1 + nameLength + 1 +
                              idLength + 1);
}

void Wrapper::finish(Reservation &r, size_t libcLength) {
  r.space = std::max<uint64_t>(r.space, 64);
  r.recordSize = static_cast<uint32_t>(std::min<uint64_t>(
      r.record + note::entrySize(libcLength + 1) + 64, UINT32_MAX & ~3u));
}

// An upper bound from the command line alone, without opening a library:
// each library input is taken to be found in the longest of the search
// directories with a soname kSonameSlack bytes longer than its file name,
// plus room for kScriptLibraries more (a linker script such as libc.so names
// a few).
Reservation Wrapper::boundFromCommand(const Command &cmd) const {
  Reservation r = fixedParts(cmd);
  size_t longestDir = 0;
  for (const std::string &d : cmd.searchDirs)
    longestDir =
        std::max(longestDir, d[0] == '/' ? d.size() : absolute(d).size());
  size_t longestName = 0, libraries = 0;
  for (const LibraryInput &in : cmd.inputs) {
    switch (in.kind) {
    case LibraryInput::Kind::Name:
      if (!in.staticOnly) {
        longestName = std::max(longestName, in.spec.size() + 6); // lib .so
        ++libraries;
      }
      break;
    case LibraryInput::Kind::Verbatim:
      longestName = std::max(longestName, baseName(in.spec).size());
      ++libraries;
      break;
    case LibraryInput::Kind::Path: {
      std::string base = baseName(in.spec);
      if (base.find(".so") != std::string::npos) {
        size_t dir = absolute(dirName(in.spec)).size();
        longestDir = std::max(longestDir, dir);
        longestName = std::max(longestName, base.size());
        ++libraries;
      }
      break;
    }
    }
  }
  longestName += kSonameSlack;
  for (size_t i = 0; i < libraries + kScriptLibraries; ++i)
    addLibrary(r, longestDir, longestName, kBuildIdBound);
  finish(r, longestDir + 1 + longestName);
  return r;
}

// What the libraries as resolved need.
Reservation Wrapper::exactFromResolution(const Command &cmd,
                                         const Resolution &res) const {
  Reservation r = fixedParts(cmd);
  size_t longest = 0;
  for (const SharedLibrary &lib : res.shared) {
    // pinPath is "dir/needed" or longer; the fixup may write an output's
    // path instead.
    r.space +=
        std::max(lib.pinPath.size(), longestOutput() + 5 + lib.needed.size()) +
        1;
    r.record += note::entrySize(lib.needed.size() + 1 + lib.pinPath.size() + 1 +
                                lib.buildId.size() + 1);
    longest = std::max(longest, lib.pinPath.size());
  }
  finish(r, longest);
  return r;
}

// The placeholder RUNPATH and the record object for a reservation.
llvm::Error
Wrapper::prepareExtras(const Reservation &r,
                       const std::optional<note::ObjectTarget> &target,
                       LinkExtras &out) const {
  out.placeholder = kPlaceholderHead;
  out.placeholder += std::string(r.space, 'x');
  out.placeholder += kPlaceholderTail;
  if (!target)
    return llvm::Error::success(); // no object to take the target from
  llvm::Expected<std::vector<uint8_t>> object =
      note::makeObject(*target, r.recordSize);
  if (!object)
    return object.takeError();
  auto writeOut = [&](int fd) {
    return ::write(fd, object->data(), object->size()) ==
           static_cast<ssize_t>(object->size());
  };
  // Not close-on-exec: the linker opens it through its own /proc/self/fd.
  int memfd = static_cast<int>(::syscall(SYS_memfd_create, "ldpin-note", 0U));
  if (memfd >= 0) {
    std::string path = "/proc/self/fd/" + std::to_string(memfd);
    if (writeOut(memfd) && ::access(path.c_str(), R_OK) == 0) {
      out.noteObject = path;
      out.noteFd = memfd;
      return llvm::Error::success();
    }
    ::close(memfd); // no /proc here: a file, then
  }
  std::string tmpl = nix.tmpdir + "/ldpin-note-XXXXXX.o";
  int fd = ::mkstemps(tmpl.data(), 2);
  if (fd < 0)
    return makeError("cannot create the record object in " +
                     printable(nix.tmpdir) + ": " + std::strerror(errno));
  bool ok = writeOut(fd);
  int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmpl.c_str());
    return makeError("cannot write the record object " + printable(tmpl) +
                     ": " + std::strerror(saved));
  }
  out.noteObject = tmpl;
  return llvm::Error::success();
}

std::vector<std::string> LinkExtras::flags(const Command &cmd,
                                           const Policy &policy) const {
  std::vector<std::string> out;
  if (!noteObject.empty())
    out.push_back(noteObject);
  out.insert(out.end(), {"-rpath", placeholder});
  if (wantsAudit(cmd, policy) && !cmd.soname)
    out.insert(out.end(), {"-soname", kAuditSlot});
  if (!cmd.newDtags) // the command line did not choose: the policy does
    out.push_back(policy.new_dtags ? "--enable-new-dtags"
                                   : "--disable-new-dtags");
  // After the command's own flags, so that the policy wins over a
  // -Bno-symbolic there.
  if (const char *flag = symbolicFlag(cmd, policy))
    out.push_back(flag);
  return out;
}

void Wrapper::printOurs(const LinkExtras &extras,
                        std::vector<std::string> shown) {
  for (std::string &s : shown)
    if (s == extras.placeholder)
      s = "<placeholder: " + std::to_string(s.size()) + " bytes>";
  printCommand("ldpin flags to", shown);
}

// The -rpath entries of the fresh output that answer a search of a library
// in its closure (as the loader model runs it, with the default directories
// its interpreter reports). Asked only for DT_RPATH outputs.
std::function<bool(const std::string &)>
Wrapper::rpathServingClosure(const Command &cmd) {
  loader::FileCache cache;
  loader::InterpreterDefaultsCache interpreters;
  const elf::ElfInfo *out = cache.get(cmd.output);
  if (!out)
    return [](const std::string &) { return false; };
  std::set<std::string> entries = loader::rpathServingClosure(
      loader::closureOf(cmd.output, cache,
                        loader::settingsFor(*out, cache, interpreters)),
      cmd.output);
  return
      [entries](const std::string &entry) { return entries.count(entry) != 0; };
}

// The libraries that objects of the output's closure, which ldpin did not
// link, name bare and would search for at load time because no object
// loaded before answers to the name (libstdc++'s libm.so.6 when the output
// does not need libm itself): each costs failed lookups, at least in the
// hardware capability subdirectories of the first directory searched. For
// every such search whose file the policy pins and whose soname is the
// name searched for, the output is to need that file by its absolute path:
// glibc maps all of the output's DT_NEEDED before it looks at what they
// need, so the search becomes a match by soname. Modelled over the output
// as it will be pinned; the default directories of the interpreter are
// asked for only when some search is found without them.
std::vector<SharedLibrary>
Wrapper::searchedByDependencies(const Command &cmd, const Resolution &res) {
  std::vector<SharedLibrary> out;
  if (!policy.preload_searched || policy.pin == Policy::Pin::None)
    return out;
  // The loader's view is enough (symbol versions are not this check's),
  // and the libraries of the link were read so already.
  const elf::ReadOptions loaderView{/*sections=*/false, /*versions=*/false};
  llvm::Expected<elf::ElfInfo> linked = elf::readFile(cmd.output, loaderView);
  if (!linked) {
    llvm::consumeError(linked.takeError()); // pinAndEdit() will say why
    return out;
  }
  if (!linked->hasDynamic)
    return out;
  // First a quick walk that needs no search: every library the link
  // resolved stands for the output's NEEDED of its name, and objects
  // further down are followed by their absolute NEEDED (ldpin's own
  // libraries name all theirs so). Only a bare name that none of the
  // output's libraries (or its interpreter) answers to can make the loader
  // search; without one, there is nothing to preload.
  elf::ElfInfo root = std::move(*linked);
  std::unordered_map<std::string, const SharedLibrary *> byName, byPath;
  for (const SharedLibrary &l : res.shared) {
    byName.emplace(l.needed, &l);
    byPath.emplace(l.pinPath, &l);
  }
  std::unordered_set<std::string> answered; // by the output's own libraries
  // The libraries as the resolver read them, and those further down as
  // `cache` reads them: both outlive the walk.
  std::vector<const elf::ElfInfo *> queue;
  bool mightSearch = false;
  for (const std::string &name : root.needed) {
    auto it = byName.find(name);
    if (it == byName.end() || !it->second->info) {
      mightSearch = true; // which file it is, only the full model says
      break;
    }
    const SharedLibrary &l = *it->second;
    answered.insert({name, l.pinPath});
    if (l.info->soname)
      answered.insert(*l.info->soname);
    queue.push_back(l.info.get());
  }
  if (std::string interp = root.interpreter.value_or(nix.dynamicLinker);
      !interp.empty())
    answered.insert({interp, baseName(interp)});
  loader::FileCache cache(loaderView);
  std::unordered_set<std::string> visited;
  for (size_t i = 0; i < queue.size() && !mightSearch; ++i)
    for (const std::string &name : queue[i]->needed) {
      if (answered.count(name))
        continue;
      if (name.find('/') == std::string::npos ||
          name.find('$') != std::string::npos) {
        mightSearch = true;
        break;
      }
      if (!visited.insert(name).second)
        continue;
      if (auto it = byPath.find(name); it != byPath.end() && it->second->info)
        queue.push_back(it->second->info.get());
      else if (const elf::ElfInfo *info = cache.get(name))
        queue.push_back(info);
    }
  if (!mightSearch)
    return out;

  // The output as it will be pinned, through the loader's model.
  for (std::string &name : root.needed)
    if (auto it = byName.find(name);
        it != byName.end() && pin::pinnable(policy, dirs(), it->second->pinPath))
      name = it->second->pinPath;
  for (const SharedLibrary &l : res.shared)
    if (l.info) {
      cache.put(l.pinPath, l.info);
      if (l.found != l.pinPath)
        cache.put(l.found, l.info);
    }
  cache.put(cmd.output, root);
  loader::InterpreterDefaultsCache interpreters;
  const loader::Closure closure = loader::closureOf(
      cmd.output, cache,
      loader::settingsFor(root, cache, interpreters, nix.dynamicLinker),
      nullptr, nix.dynamicLinker);
  std::set<std::string> named;
  for (const loader::ClosureEntry &s : closure.searches) {
    if (s.neededBy == cmd.output)
      continue; // the output's own bare names: its RUNPATH decides those
    const elf::ElfInfo *info = s.path.empty() ? nullptr : cache.get(s.path);
    const bool preloads = info && info->soname && *info->soname == s.name &&
                          pin::pinnable(policy, dirs(), s.path);
    if (debug >= 1)
      err << "ldpin-ld: " << s.neededBy << " would search for " << s.name
          << (s.path.empty() ? " and not find it"
                             : " (" + std::string(loader::howName(s.how)) +
                                   ": " + s.path + ")")
          << (preloads ? ": linked by its path" : ": left to the search")
          << "\n";
    if (!preloads || !named.insert(s.name).second)
      continue;
    SharedLibrary lib;
    lib.needed = s.name;
    lib.found = lib.pinPath = s.path;
    lib.buildId = describe::hexBytes(info->buildId);
    out.push_back(std::move(lib));
  }
  return out;
}

// The link line (the linker and its arguments, before ldpin's) with each
// library of `preload` kept: every argument that names it where the command
// line's --as-needed was in force goes between --no-as-needed and
// --as-needed, so that it is needed where it was named (mold links a file
// once, by its first mention); one no argument names goes at the end, by
// its path.
std::vector<std::string>
Wrapper::withPreloads(const std::vector<std::string> &argv,
                      const std::vector<SharedLibrary> &preload,
                      const Resolution &res) {
  std::map<size_t, size_t> wrap; // argv index -> arguments it spans
  std::vector<std::string> atEnd;
  for (const SharedLibrary &p : preload) {
    bool named = false;
    for (const SharedLibrary &l : res.shared)
      if (l.needed == p.needed)
        for (const SharedLibrary::Arg &a : l.args)
          if (a.asNeededByFlag) {
            wrap[a.index + 1] = a.count; // argv[0] is the linker
            named = true;
          }
    if (!named)
      atEnd.push_back(p.pinPath);
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < argv.size(); ++i) {
    auto w = wrap.find(i);
    if (w == wrap.end()) {
      out.push_back(argv[i]);
      continue;
    }
    out.push_back("--no-as-needed");
    std::string shown;
    for (size_t k = 0; k < w->second && i < argv.size(); ++k) {
      shown += (k ? " " : "") + shellQuote(argv[i]);
      out.push_back(argv[i++]);
    }
    --i;
    out.push_back("--as-needed");
    if (debug >= 1)
      err << "ldpin-ld: relinking with --no-as-needed around " << shown
          << "\n";
  }
  if (!atEnd.empty()) {
    // Whatever state the command left: linked as shared libraries, kept.
    out.insert(out.end(), {"-Bdynamic", "--no-as-needed"});
    out.insert(out.end(), atEnd.begin(), atEnd.end());
    if (debug >= 1)
      for (const std::string &p : atEnd)
        err << "ldpin-ld: relinking with " << shellQuote(p) << " added\n";
  }
  return out;
}

int Wrapper::pinAndEdit(const Command &cmd, const Resolution &res) {
  const std::string &output = cmd.output;
  auto fail = [&](llvm::Error e) {
    err << "ldpin-ld: " << printable(output) << ": "
        << llvm::toString(std::move(e)) << "\n";
    // As a linker does with a failed output, and only with a regular file.
    struct stat st;
    if (::lstat(output.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      ::unlink(output.c_str());
    return 1;
  };
  llvm::Expected<edit::Editor> loaded = edit::Editor::load(output);
  if (!loaded) {
    llvm::Error e = loaded.takeError();
    if (isKind(e, ErrorKind::NoDynamic)) // consumed
      return 0; // linked statically after all: nothing to pin
    return fail(std::move(e));
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
    return fail(makeError("the linker did not keep the reserved RUNPATH "
                          "string"));
  if (llvm::Error e = ed.reserveFromEntry(*holder))
    return fail(std::move(e));

  note::Record record;
  if (!nix.channel.empty())
    record.channel = nix.channel;
  record.soname = cmd.soname;
  llvm::Expected<NeededOutcome> needed = pinNeeded(ed, res, record);
  if (!needed)
    return fail(needed.takeError());
  if (llvm::Error e = pinRunpath(cmd, ed, res, *needed, record))
    return fail(std::move(e));
  if (llvm::Error e = pinSoname(cmd, ed))
    return fail(std::move(e));
  if (llvm::Error e = pinAudit(cmd, ed))
    return fail(std::move(e));
  bool hasRecord = std::any_of(
      ed.info().notes.begin(), ed.info().notes.end(),
      [](const elf::Note &n) { return n.kind == elf::NoteKind::Ldpin; });
  if (hasRecord)
    if (llvm::Error e = ed.setRecord(std::move(record)))
      return fail(std::move(e));
  // In place: the linker has just written the output as a new file that
  // nothing else holds (bfd and gold unlink it first, lld and mold rename a
  // temporary over it), and a failed edit removes it as a failed link would.
  if (llvm::Error e = ed.applyInPlace(output))
    return fail(std::move(e));
  return 0;
}

// Pins the DT_NEEDED entries that resolved to files the policy pins, and
// records what each resolved to.
llvm::Expected<NeededOutcome> Wrapper::pinNeeded(edit::Editor &ed,
                                                 const Resolution &res,
                                                 note::Record &record) {
  NeededOutcome out;
  const std::vector<std::string> needed = ed.info().needed;
  std::unordered_map<std::string, const SharedLibrary *> byName;
  for (const SharedLibrary &l : res.shared)
    byName.emplace(l.needed, &l); // the first library of each name
  for (size_t i = 0; i < needed.size(); ++i) {
    auto found = byName.find(needed[i]);
    const SharedLibrary *lib = found == byName.end() ? nullptr : found->second;
    record.needed.push_back(
        {needed[i], lib ? lib->pinPath : "", lib ? lib->buildId : ""});
    if (lib && needed[i].rfind("libc.so", 0) == 0)
      record.libc = lib->pinPath;
    if (lib && pin::pinnable(policy, dirs(), lib->pinPath) &&
        needed[i] != lib->pinPath) {
      if (llvm::Error e = ed.setNeeded(i, lib->pinPath))
        return e;
      if (debug >= 1)
        err << "ldpin-ld: DT_NEEDED " << needed[i] << " -> " << lib->pinPath
            << " (pinned)\n";
    } else if (needed[i].empty() || needed[i][0] != '/') {
      out.bare.push_back(needed[i]);
      if (lib && dirs().inBuild(lib->pinPath) && out.inTree.empty())
        out.inTree = needed[i];
      if (debug >= 1)
        err << "ldpin-ld: DT_NEEDED " << needed[i] << " left bare ("
            << (lib ? "resolved outside what the policy pins: " + lib->pinPath
                    : std::string("not resolved from -L directories"))
            << ")\n";
    }
  }
  return out;
}

// The RUNPATH that is still needed, each decision with its reason
// (pin::decideSearchList, as the fixup decides it).
llvm::Error Wrapper::pinRunpath(const Command &cmd, edit::Editor &ed,
                                const Resolution &res,
                                const NeededOutcome &needed,
                                note::Record &record) {
  const std::vector<std::string> &bare = needed.bare;
  pin::ListInput in;
  in.stage = pin::Stage::Link;
  in.purity = nix.enforcePurity;
  in.inTree = needed.inTree;
  // The first bare library `dir` has: from the resolver's listings of the
  // search directories, else by asking for each (a few), else by listing
  // `dir` (asking for each of many bare names in each of many directories
  // would be a search of its own).
  in.provides = [&](const std::string &dir) {
    std::optional<std::unordered_set<std::string>> names;
    for (const std::string &b : bare) {
      std::optional<bool> has = res.has(dir, b);
      if (!has && bare.size() > kAskAtMost) {
        if (!names) {
          names.emplace();
          if (listDirectory(dir, UINT64_MAX, [&](llvm::StringRef n) {
                names->insert(n.str());
              }) != Listing::Listed)
            names.reset(); // ask one by one
        }
        if (names)
          has = names->count(b) != 0;
      }
      if (has ? *has : ::access((dir + "/" + b).c_str(), F_OK) == 0)
        return b;
    }
    return std::string();
  };
  // An -rpath value with empty entries is room reserved for an install-time
  // rewrite: CMake pads its build RPATH with ':' to the length of the install
  // RPATH and at install finds that exact string to replace (file
  // RPATH_CHANGE), failing when it is missing. It is kept whole, where it
  // was, and its directories are not taken as duplicates of later entries
  // (the rewrite replaces them); the fixup removes what is left over.
  for (const RpathArg &r : cmd.rpaths) {
    std::vector<std::string> parts = splitList(r.value, ':');
    if (parts.size() > 1 &&
        std::any_of(parts.begin(), parts.end(),
                    [](const std::string &d) { return d.empty(); })) {
      in.entries.push_back({r.value, true});
      continue;
    }
    for (std::string &dir : parts)
      if (!dir.empty())
        in.entries.push_back({std::move(dir)});
  }
  // DT_RPATH is searched for what the libraries load too: an entry that
  // provides none of the output's own bare NEEDED may serve its closure.
  const bool rpath = std::none_of(
      ed.info().dynamic.begin(), ed.info().dynamic.end(),
      [](const elf::DynEntry &d) { return d.tag == llvm::ELF::DT_RUNPATH; });
  if (rpath && !in.entries.empty())
    in.servesClosure = rpathServingClosure(cmd);
  std::vector<pin::Decision> decisions =
      pin::decideSearchList(policy, dirs(), in);
  for (const pin::Decision &d : decisions) {
    if (debug >= 1)
      err << "ldpin-ld: rpath " << d.entry << ": " << pin::describe(d) << "\n";
    record.buildRunpath.insert(record.buildRunpath.end(),
                               d.buildRunpath.begin(), d.buildRunpath.end());
  }
  return ed.setRunpath(pin::keptList(decisions));
}

// An absolute SONAME when the library is written inside an output.
llvm::Error Wrapper::pinSoname(const Command &cmd, edit::Editor &ed) {
  if (!cmd.shared || !cmd.soname || (*cmd.soname)[0] == '/')
    return llvm::Error::success();
  std::string dir = realPath(dirName(cmd.output));
  if (dir.empty() || !dirs().inOutputs(dir))
    return llvm::Error::success();
  std::string abs = dir + "/" + *cmd.soname;
  if (llvm::Error e = ed.setSoname(abs))
    return e;
  if (debug >= 1)
    err << "ldpin-ld: SONAME " << *cmd.soname << " -> " << abs << "\n";
  return llvm::Error::success();
}

// The policy's audit module: the module of ldpin-ld's own package
// (bin/ldpin-ld beside lib/libldpin-audit.so), or a path.
std::string Wrapper::auditModule() const {
  if (policy.audit != kAuditBuiltin)
    return policy.audit;
  return dirName(dirName(realPath("/proc/self/exe"))) +
         "/lib/libldpin-audit.so";
}

// DT_AUDIT for an executable when the policy asks.
llvm::Error Wrapper::pinAudit(const Command &cmd, edit::Editor &ed) {
  if (!wantsAudit(cmd, policy))
    return llvm::Error::success();
  const std::string module = auditModule();
  struct stat st;
  if (::stat(module.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return makeError("the policy's audit module " + printable(module) +
                     (policy.audit == kAuditBuiltin
                          ? " (the one of ldpin-ld's own package)"
                          : "") +
                     " is not a file");
  if (llvm::Error e = ed.setAudit(module, cmd.soname ? "" : kAuditSlot))
    return e;
  if (debug >= 1)
    err << "ldpin-ld: DT_AUDIT " << module << "\n";
  return llvm::Error::success();
}

} // namespace

int run(const std::vector<std::string> &args, Context &ctx) {
  Wrapper w(ctx);
  int status = w.run(args);
  w.flushTiming();
  return status;
}

} // namespace ldpin::wrapper
