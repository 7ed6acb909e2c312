// Response files (see response_files.h).
#include "response_files.h"

#include "ldpin/paths.h"

#include "ldpin/checked.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ldpin::wrapper {
namespace {

constexpr int kMaxDepth = 64;

llvm::Error expand(const std::vector<std::string> &args,
                   std::vector<std::string> &out,
                   std::vector<std::string> &stack) {
  for (const std::string &arg : args) {
    if (arg.size() < 2 || arg[0] != '@') {
      out.push_back(arg);
      continue;
    }
    std::string path = arg.substr(1);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
      out.push_back(arg); // not a response file: the linker sees it as is
      continue;
    }
    char *real = ::realpath(path.c_str(), nullptr);
    std::string key = real ? real : path;
    std::free(real);
    for (const std::string &open : stack)
      if (open == key)
        return makeError("response file " + printable(path) +
                         " includes itself");
    if (stack.size() >= kMaxDepth)
      return makeError("response files nested more than " +
                       llvm::Twine(kMaxDepth) + " deep at " + printable(path));
    std::string text;
    if (llvm::Error e = readWhole(path, text))
      return makeError("cannot read response file " + printable(path) + ": " +
                       llvm::toString(std::move(e)));
    stack.push_back(key);
    if (llvm::Error e = expand(splitResponseText(text), out, stack))
      return e;
    stack.pop_back();
  }
  return llvm::Error::success();
}

} // namespace

std::vector<std::string> splitResponseText(const std::string &text) {
  std::vector<std::string> out;
  std::string cur;
  bool inArg = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
      if (inArg)
        out.push_back(std::move(cur));
      cur.clear();
      inArg = false;
      continue;
    }
    inArg = true;
    if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
    } else if (c == '\'') {
      while (++i < text.size() && text[i] != '\'')
        cur += text[i];
    } else if (c == '"') {
      while (++i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size())
          ++i;
        cur += text[i];
      }
    } else {
      cur += c;
    }
  }
  if (inArg)
    out.push_back(std::move(cur));
  return out;
}

std::string quoteForResponseFile(const std::string &arg) {
  // Only blanks, quotes and backslashes mean something inside a response
  // file; an argument without any (nearly all) is written as it is.
  constexpr const char *kSpecial = " \t\n\v\f\r\"'\\";
  if (!arg.empty() && arg.find_first_of(kSpecial) == std::string::npos)
    return arg;
  std::string out;
  out.reserve(arg.size() + 8);
  out += '"';
  size_t start = 0;
  for (size_t at; (at = arg.find_first_of("\\\"", start)) != std::string::npos;
       start = at + 1) {
    out.append(arg, start, at - start);
    out += '\\';
    out += arg[at];
  }
  out.append(arg, start, std::string::npos);
  out += '"';
  return out;
}

llvm::Expected<std::vector<std::string>>
expandResponseFiles(const std::vector<std::string> &args) {
  std::vector<std::string> out;
  std::vector<std::string> stack;
  if (llvm::Error e = expand(args, out, stack))
    return e;
  return out;
}

} // namespace ldpin::wrapper
