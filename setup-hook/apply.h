// The fixup's applier: carries out a file's plan. A file the wrapper linked
// is edited in the space its record reserved; any other file in the bytes of
// its old RUNPATH string when the new strings fit, else by patchelf on a copy
// that is read back and compared with the plan before it replaces the file.
// Files are replaced through replaceFile() (ldpin/replace.h), then every
// other hard link to the file in the outputs. On failure the file is left as
// it was and the problem is added to `f.problems`.
#pragma once

#include "file.h"

namespace ldpin::fixup {

// `inPlace`: write the editor's changes into the file itself (same inode)
// when every hard link to it is in the outputs.
void apply(File &f, bool inPlace);

} // namespace ldpin::fixup
