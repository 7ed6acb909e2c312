// The fixup's tree walk: the regular files of the outputs, each inode once
// (its other names kept as aliases), in the same order on every run.
// Symbolic links are collected, not followed; other file types are skipped.
#pragma once

#include <string>
#include <vector>

namespace ldpin::fixup {

struct Walked {
  struct Entry {
    std::string path;                 // the first name met
    std::vector<std::string> aliases; // its other names in the outputs
    bool allLinksInOutputs = false;   // st_nlink == names met
  };
  std::vector<Entry> files;
  std::vector<std::string> links;  // symbolic links, as found
  std::vector<std::string> errors; // "PATH: reason", printable
};

// Walks each of `roots` (absolute paths) in order, names sorted in each
// directory.
Walked walk(const std::vector<std::string> &roots);

} // namespace ldpin::fixup
