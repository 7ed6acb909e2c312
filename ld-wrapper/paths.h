// Path helpers shared by the wrapper's parts: string operations, plus
// realPath (which resolves symbolic links and so touches the file system).
#pragma once

#include <string>

namespace ldpin::wrapper {

// "/a/b" -> "/a", "b" -> ".", "/b" -> "/".
std::string dirName(const std::string &p);
// "/a/b" -> "b".
std::string baseName(const std::string &p);
// `p` made absolute against the current directory (no symlinks resolved).
std::string absolute(const std::string &p);
// realpath(3), or "" when it fails.
std::string realPath(const std::string &p);

} // namespace ldpin::wrapper
