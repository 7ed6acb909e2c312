// `ldpin tree` (see tree_command.h).
#include "tree_command.h"

#include "ldpin/checked.h"
#include "ldpin/elf.h"
#include "ldpin/loader.h"
#include "ldpin/note.h"
#include "ldpin/paths.h"

#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/JSON.h>

#include <cstdint>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace ldpin::cli {
namespace {

// AT_SECURE as the kernel sets it for an exec of `path` by this process: a
// set-user-ID file owned by another user, or set-group-ID of another group
// (file capabilities aside).
bool secureFor(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return false;
  return ((st.st_mode & S_ISUID) && st.st_uid != ::getuid()) ||
         ((st.st_mode & S_ISGID) && st.st_gid != ::getgid());
}

std::optional<std::string> channelOf(const elf::ElfInfo &info) {
  for (const elf::Note &n : info.notes)
    if (n.kind == elf::NoteKind::Ldpin) {
      llvm::Expected<note::Record> r = note::parse(n.desc, info.bigEndian);
      if (!r) {
        llvm::consumeError(r.takeError());
        return std::nullopt;
      }
      return r->channel;
    }
  return std::nullopt;
}

struct Colors {
  bool on = false;
  std::string paint(const std::string &s, const char *code) const {
    return on ? std::string("\x1b[") + code + "m" + s + "\x1b[0m" : s;
  }
  // Green: found where the program says (a path, a loaded object);
  // yellow: a search; red: not found.
  const char *of(loader::How how) const {
    switch (how) {
    case loader::How::Path:
    case loader::How::Loaded:
      return "32";
    case loader::How::NotFound:
      return "1;31";
    default:
      return "33";
    }
  }
};

// What one file's start-up looks like.
struct Start {
  std::string path;
  std::string interpreter;
  bool secure = false;
  loader::Closure closure;
  loader::ProbeLog log;
  std::vector<std::optional<std::string>> channels; // per object
  std::vector<size_t> creator; // per object: the edge that loaded it
  std::vector<std::vector<size_t>> children; // per object: its edges
  size_t searching = 0;        // failed probes made by searches
  bool anyMissing = false;
  std::string notAsked; // why the interpreter was not asked, if it was not
  // The audit module modelled (null: none), and what of LD_AUDIT and
  // DT_AUDIT is not.
  std::shared_ptr<const loader::AuditRules> audit;
  std::string module; // the first of ldpin's modules glibc loads, if any
  std::vector<std::string> auditNotes;
};

// The audit modules of the start-up, in glibc's order: LD_AUDIT's
// entries, then the program's DT_AUDIT's (each split at ':'), their dynamic
// string tokens expanded for the program as glibc expands them. Modelled
// when one is ldpin's (or with --audit, which adds the module of ldpin's own
// package when none is named).
void chooseAudit(Start &s, const elf::ElfInfo &info, const TreeOptions &opts,
                 const Getenv &getenv, const loader::SearchSettings &settings,
                 const std::string &ownModule) {
  if (opts.noAudit)
    return;
  std::vector<loader::AuditRules::Module> modules;
  auto add = [&](const char *where, const std::string &list) {
    for (const std::string &m : splitList(list, ':'))
      if (!m.empty())
        modules.push_back({m, where});
  };
  if (std::optional<std::string> env = getenv("LD_AUDIT"))
    add("LD_AUDIT", *env);
  if (info.audit && info.interpreter)
    add("DT_AUDIT", *info.audit);
  const std::string origin = dirName(realPath(s.path).empty() ? s.path
                                                              : realPath(s.path));
  bool ours = false;
  for (loader::AuditRules::Module &m : modules) {
    // glibc expands tokens in a name with a slash only; a bare one is
    // searched as it is written.
    if (m.name.find('$') != std::string::npos &&
        m.name.find('/') != std::string::npos)
      if (std::optional<std::string> e = loader::expandTokens(
              m.name, origin, settings.lib, settings.platform))
        m.name = *e;
    ours |= baseName(m.name) == "libldpin-audit.so";
  }
  if (!ours && opts.audit && !ownModule.empty())
    modules.push_back({ownModule, "--audit"});
  if (modules.empty())
    return;
  if (s.secure) {
    bool bare = false;
    for (const loader::AuditRules::Module &m : modules)
      bare |= m.name.find('/') == std::string::npos;
    s.auditNotes.push_back(
        std::string("glibc loads no audit module named by a path in secure "
                    "mode, and the module reads no settings there") +
        (bare ? "; the search glibc still makes for a bare module name is "
                "not modelled"
              : ""));
    return;
  }
  auto rules = std::make_shared<loader::AuditRules>(
      loader::auditRulesFrom(getenv));
  rules->modules = std::move(modules);
  s.audit = std::move(rules);
}

// What the start-up made of the audit modules: notes for those not modelled.
void auditOutcome(Start &s) {
  for (const loader::AuditLoad &l : s.closure.audit) {
    std::string who = l.where + " names " + printable(l.name);
    if (l.path.empty())
      s.auditNotes.push_back(who + ", which cannot be found or opened: glibc "
                                   "says so and starts without it");
    else if (!l.loaded)
      s.auditNotes.push_back(who + ", which is not a shared object of the "
                                   "program's class and machine: glibc "
                                   "ignores it");
    else if (!l.modelled)
      s.auditNotes.push_back(who + ", an audit module whose rules are not "
                                   "modelled");
    else if (!s.module.empty())
      s.auditNotes.push_back(who + ", a second instance of the module, "
                                   "asked after the first");
    if (l.modelled && s.module.empty())
      s.module = l.path;
  }
}

void analyse(Start &s, const elf::ElfInfo &info, loader::FileCache &cache,
             loader::InterpreterDefaultsCache &interpreters,
             const TreeOptions &opts,
             const std::optional<std::string> &libraryPath,
             const Getenv &getenv, const std::string &ownModule) {
  s.interpreter = info.interpreter.value_or(opts.interpreter);
  s.secure = opts.secure || secureFor(s.path);
  loader::SearchSettings settings =
      loader::startupSettings(info, cache, interpreters, s.log, libraryPath,
                              s.secure, opts.interpreter);
  chooseAudit(s, info, opts, getenv, settings, ownModule);
  settings.audit = s.audit;
  s.closure =
      loader::closureOf(s.path, cache, settings, nullptr, opts.interpreter);
  auditOutcome(s);
  if (!s.interpreter.empty() && cache.regular(s.interpreter))
    s.notAsked = interpreters.get(s.interpreter).notAsked;
  s.creator.assign(s.closure.objects.size(), SIZE_MAX);
  s.children.resize(s.closure.objects.size());
  for (size_t e = 0; e < s.closure.edges.size(); ++e) {
    const loader::Edge &edge = s.closure.edges[e];
    s.children[edge.from].push_back(e);
    s.searching += edge.failedProbes;
    if (edge.how == loader::How::NotFound)
      s.anyMissing = true;
    if (edge.to != SIZE_MAX && edge.how != loader::How::Loaded &&
        s.creator[edge.to] == SIZE_MAX)
      s.creator[edge.to] = e;
  }
  for (const loader::ClosureEntry &o : s.closure.objects) {
    const elf::ElfInfo *i = cache.get(o.path);
    s.channels.push_back(i ? channelOf(*i) : std::nullopt);
  }
}

std::string probesText(size_t n) {
  return std::to_string(n) + (n == 1 ? " failed probe" : " failed probes");
}

void printEdges(llvm::raw_ostream &out, const Start &s, size_t object,
                const std::string &prefix, const Colors &c) {
  const std::vector<size_t> &mine = s.children[object];
  for (size_t k = 0; k < mine.size(); ++k) {
    const loader::Edge &edge = s.closure.edges[mine[k]];
    const bool last = k + 1 == mine.size();
    out << prefix << (last ? "└── " : "├── ") << printable(edge.name) << ' '
        << c.paint(std::string("[") + loader::howName(edge.how) + "]",
                   c.of(edge.how));
    if (edge.byAudit)
      out << " (the audit module's answer)";
    if (edge.how == loader::How::NotFound && !edge.auditAnswer.empty()) {
      out << " (the audit module answers with " << printable(edge.auditAnswer)
          << ", which the loader "
          << (edge.refused.empty() ? "cannot open" : "refuses: " + edge.refusedWhy)
          << ")";
    } else if (edge.how == loader::How::NotFound) {
      std::string tried;
      for (const std::string &t : edge.tried)
        tried += (tried.empty() ? "" : ", ") + printable(t);
      out << (tried.empty() ? std::string(" (nothing to search") +
                                  (s.interpreter.empty()
                                       ? ": no interpreter, --interpreter "
                                         "names one)"
                                       : ")")
                            : " tried " + tried);
      if (!edge.refused.empty())
        out << "; the load ends at " << printable(edge.refused)
            << ", which it cannot load";
    } else if (edge.to != SIZE_MAX) {
      const std::string &path = s.closure.objects[edge.to].path;
      if (path != edge.name)
        out << ' ' << printable(path);
      if (edge.how == loader::How::Rpath)
        out << " (RPATH of " << printable(edge.rpathOwner) << ")";
      if (const auto &ch = s.channels[edge.to]; ch && edge.how != loader::How::Loaded)
        out << " channel " << printable(*ch);
    }
    if (edge.failedProbes)
      out << " · " << c.paint(probesText(edge.failedProbes), "33");
    for (const loader::AuditSkip &k : edge.auditSkipped)
      out << "; the audit module skips " << printable(k.path) << " ("
          << printable(k.why) << ")";
    out << '\n';
    if (edge.to != SIZE_MAX && s.creator[edge.to] == mine[k])
      printEdges(out, s, edge.to, prefix + (last ? "    " : "│   "), c);
  }
}

void printText(llvm::raw_ostream &out, const Start &s, const TreeOptions &opts,
               const Colors &c) {
  out << c.paint(printable(s.path), "1");
  if (const auto &ch = s.channels.empty() ? std::nullopt : s.channels[0])
    out << " channel " << printable(*ch);
  if (s.secure)
    out << " (secure mode)";
  out << '\n';
  if (!s.module.empty()) {
    out << "audit module " << printable(s.module)
        << ": LDPIN_FALLBACK_PATH "
        << (s.audit->fallback.empty() ? std::string("unset")
                                      : printable(s.audit->fallback))
        << ", " << s.audit->overrides.size()
        << (s.audit->overrides.size() == 1 ? " override" : " overrides")
        << ", policy " << (s.audit->strict ? "strict" : "default") << '\n';
    for (const std::string &w : s.audit->warnings)
      out << "  " << c.paint("warning", "33") << ": " << printable(w) << '\n';
  }
  for (const std::string &n : s.auditNotes)
    out << c.paint("note", "33") << ": " << n << '\n';
  printEdges(out, s, 0, "", c);
  if (!s.interpreter.empty()) {
    out << "interpreter " << printable(s.interpreter);
    if (!s.notAsked.empty())
      out << " (not run to ask its search path: " << s.notAsked
          << "; its own directory is taken as its default, as nixpkgs' "
             "glibc has, with no ld.so.cache and no hardware capability "
             "subdirectories)";
    out << '\n';
  }
  // What is not found is shown on its line, with every place tried; the
  // other problems (a symbol version, two C libraries) here.
  for (const loader::Problem &p : s.closure.problems)
    if (!p.notFound)
      out << c.paint("problem", "1;31") << ": " << printable(p.file) << ": "
          << p.message << '\n';
  size_t total = s.log.failed();
  out << "predicted failed probes at start-up: " << total;
  if (total)
    out << " (" << s.searching << " while searching, " << total - s.searching
        << (s.audit ? " before (/etc/ld.so.preload, the audit modules)"
                    : " checking for /etc/ld.so.preload")
        << ")";
  out << '\n';
  if (opts.probes)
    for (const loader::Probe &p : s.log.calls)
      if (!p.ok)
        out << "  "
            << (p.kind == loader::Probe::Open   ? "open   "
                : p.kind == loader::Probe::Stat ? "stat   "
                                                : "access ")
            << printable(p.path) << '\n';
}

llvm::json::Value audit(const Start &s) {
  llvm::json::Array notes;
  for (const std::string &n : s.auditNotes)
    notes.push_back(n);
  if (!s.audit)
    return notes.empty() ? llvm::json::Value(nullptr)
                         : llvm::json::Object{{"module", nullptr},
                                              {"modules", llvm::json::Array()},
                                              {"not_modelled", std::move(notes)}};
  llvm::json::Array overrides, warnings, modules;
  for (const loader::AuditLoad &l : s.closure.audit)
    modules.push_back(llvm::json::Object{
        {"name", l.name},
        {"where", l.where},
        {"path", l.path.empty() ? llvm::json::Value(nullptr)
                                : llvm::json::Value(l.path)},
        {"loaded", l.loaded},
        {"modelled", l.modelled}});
  for (const loader::AuditRules::Override &o : s.audit->overrides)
    overrides.push_back(llvm::json::Object{
        {"name", o.name}, {"target", o.target}, {"forced", o.forced}});
  for (const std::string &w : s.audit->warnings)
    warnings.push_back(w);
  return llvm::json::Object{
      {"module", s.module.empty() ? llvm::json::Value(nullptr)
                                  : llvm::json::Value(s.module)},
      {"modules", std::move(modules)},
      {"fallback_path", s.audit->fallback.empty()
                            ? llvm::json::Value(nullptr)
                            : llvm::json::Value(s.audit->fallback)},
      {"overrides", std::move(overrides)},
      {"policy", s.audit->strict ? "strict" : "default"},
      {"warnings", std::move(warnings)},
      {"not_modelled", std::move(notes)}};
}

llvm::json::Value json(const Start &s, const TreeOptions &opts,
                       const std::optional<std::string> &libraryPath) {
  auto index = [](size_t i) -> llvm::json::Value {
    if (i == SIZE_MAX)
      return nullptr;
    return static_cast<int64_t>(i);
  };
  llvm::json::Array objects, edges, problems, probes;
  for (size_t i = 0; i < s.closure.objects.size(); ++i) {
    const loader::ClosureEntry &o = s.closure.objects[i];
    size_t by = s.creator[i];
    llvm::json::Object obj{
        {"path", o.path},
        {"loaded_by", by == SIZE_MAX
                          ? llvm::json::Value(nullptr)
                          : index(s.closure.edges[by].from)},
        {"name", by == SIZE_MAX ? llvm::json::Value(nullptr)
                                : llvm::json::Value(s.closure.edges[by].name)},
        {"how", by == SIZE_MAX ? (i == 0 ? "root" : "interpreter")
                               : loader::howName(s.closure.edges[by].how)},
        {"channel", s.channels[i] ? llvm::json::Value(*s.channels[i])
                                  : llvm::json::Value(nullptr)},
        {"failed_probes",
         static_cast<int64_t>(by == SIZE_MAX
                                  ? 0
                                  : s.closure.edges[by].failedProbes)}};
    objects.push_back(std::move(obj));
  }
  for (const loader::Edge &e : s.closure.edges) {
    llvm::json::Object obj{{"from", index(e.from)},
                           {"name", e.name},
                           {"how", loader::howName(e.how)},
                           {"to", index(e.to)},
                           {"failed_probes", static_cast<int64_t>(e.failedProbes)}};
    if (e.how == loader::How::Rpath)
      obj["rpath_owner"] = e.rpathOwner;
    if (e.byAudit)
      obj["by_audit"] = true;
    if (!e.auditAnswer.empty())
      obj["audit_answer"] = e.auditAnswer;
    if (!e.auditSkipped.empty()) {
      llvm::json::Array skipped;
      for (const loader::AuditSkip &k : e.auditSkipped)
        skipped.push_back(llvm::json::Object{{"path", k.path}, {"why", k.why}});
      obj["audit_skipped"] = std::move(skipped);
    }
    if (e.how == loader::How::NotFound) {
      llvm::json::Array tried;
      for (const std::string &t : e.tried)
        tried.push_back(t);
      obj["tried"] = std::move(tried);
      obj["refused"] = e.refused.empty() ? llvm::json::Value(nullptr)
                                         : llvm::json::Value(e.refused);
    }
    edges.push_back(std::move(obj));
  }
  for (const loader::Problem &p : s.closure.problems)
    problems.push_back(
        llvm::json::Object{{"file", p.file}, {"message", p.message}});
  llvm::json::Object file{
      {"path", s.path},
      {"interpreter", s.interpreter.empty() ? llvm::json::Value(nullptr)
                                            : llvm::json::Value(s.interpreter)},
      {"secure", s.secure},
      {"interpreter_not_asked", s.notAsked.empty()
                                    ? llvm::json::Value(nullptr)
                                    : llvm::json::Value(s.notAsked)},
      {"library_path", libraryPath && !libraryPath->empty() && !s.secure
                           ? llvm::json::Value(*libraryPath)
                           : llvm::json::Value(nullptr)},
      {"audit", audit(s)},
      {"objects", std::move(objects)},
      {"needed", std::move(edges)},
      {"problems", std::move(problems)},
      {"failed_probes", static_cast<int64_t>(s.log.failed())},
      {"failed_probes_searching", static_cast<int64_t>(s.searching)}};
  if (opts.probes) {
    for (const loader::Probe &p : s.log.calls)
      probes.push_back(llvm::json::Object{
          {"call", p.kind == loader::Probe::Open   ? "open"
                   : p.kind == loader::Probe::Stat ? "stat"
                                                   : "access"},
          {"path", p.path},
          {"ok", p.ok}});
    file["probes"] = std::move(probes);
  }
  return file;
}

} // namespace

int runTree(const TreeOptions &opts, llvm::raw_ostream &out,
            llvm::raw_ostream &err, const Getenv &getenv, bool terminal,
            const std::string &module) {
  const std::optional<std::string> envLibraryPath = getenv("LD_LIBRARY_PATH");
  const std::optional<std::string> noColorValue = getenv("NO_COLOR");
  const bool noColor = noColorValue && !noColorValue->empty();
  Colors colors;
  colors.on = opts.color == "always" ||
              (opts.color == "auto" && terminal && !noColor && !opts.json);
  const std::optional<std::string> libraryPath =
      opts.libraryPath ? opts.libraryPath : envLibraryPath;
  int status = 0;
  loader::FileCache cache;
  loader::InterpreterDefaultsCache interpreters;
  llvm::json::Array files;
  for (const std::string &path : opts.files) {
    std::string error;
    const elf::ElfInfo *info = cache.get(path, &error);
    if (!info) {
      err << "ldpin: " << printable(path) << ": " << error << '\n';
      status = 1;
      if (opts.json)
        files.push_back(llvm::json::Object{{"path", path}, {"error", error}});
      continue;
    }
    if (!info->hasDynamic) {
      if (opts.json)
        files.push_back(llvm::json::Object{
            {"path", path}, {"static", true}, {"failed_probes", 0}});
      else
        out << printable(path) << ": not dynamically linked; loads nothing\n";
      continue;
    }
    Start s;
    s.path = path;
    analyse(s, *info, cache, interpreters, opts, libraryPath, getenv, module);
    if (s.anyMissing || !s.closure.problems.empty())
      status = 1;
    if (opts.json)
      files.push_back(json(s, opts, libraryPath));
    else
      printText(out, s, opts, colors);
  }
  if (opts.json)
    out << llvm::formatv("{0:2}\n",
                         llvm::json::Value(llvm::json::Object{
                             {"schema", kTreeSchema}, {"files", std::move(files)}}));
  out.flush();
  return status;
}

} // namespace ldpin::cli
