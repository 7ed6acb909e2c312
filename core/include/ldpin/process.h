// Running a helper program and collecting what it prints: patchelf for the
// fixup, a dynamic linker's --help for the loader model.
#pragma once

#include <string>
#include <vector>

namespace ldpin {

// Runs `argv` (argv[0] found on PATH when it has no slash) with its standard
// output and error going to `output`, and the environment `env` ("NAME=value"
// strings; nullptr keeps this process's). Returns the exit status, 128 +
// the signal for a killed one, or -1 when it could not be started (`output`
// then says why).
int runCapture(const std::vector<std::string> &argv, std::string &output,
               const std::vector<std::string> *env = nullptr);

} // namespace ldpin
