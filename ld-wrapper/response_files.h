// Response files (`@file`) on the linker command line, expanded the way
// libiberty's expandargv does for GCC and GNU ld: arguments separated by
// white space, single quotes literal, double quotes with backslash escapes,
// a backslash escaping the next character, response files nested inside
// response files. As in libiberty, `@file` naming no file stays a literal
// argument (the linker then reports it); a file that exists but cannot be
// read, and a response file that includes itself, are errors.
#pragma once

#include <string>
#include <vector>

#include <llvm/Support/Error.h>

namespace ldpin::wrapper {

llvm::Expected<std::vector<std::string>>
expandResponseFiles(const std::vector<std::string> &args);

// Splits response file text into arguments (GCC quoting).
std::vector<std::string> splitResponseText(const std::string &text);

// One argument quoted for a GNU response file.
std::string quoteForResponseFile(const std::string &arg);

} // namespace ldpin::wrapper
