// `ldpin inspect` (see inspect_command.h).
#include "inspect_command.h"

#include "ldpin/checked.h"
#include "ldpin/describe.h"
#include "ldpin/elf.h"

#include <llvm/Support/JSON.h>

namespace ldpin::cli {

int runInspect(const InspectOptions &opts, llvm::raw_ostream &out,
               llvm::raw_ostream &err) {
  int status = 0;
  llvm::json::Array files;
  for (const std::string &path : opts.files) {
    llvm::Expected<elf::ElfInfo> info = elf::readFile(path);
    if (!info) {
      std::string msg = llvm::toString(info.takeError());
      err << "ldpin: " << printable(path) << ": " << msg << '\n';
      status = 1;
      if (opts.json)
        files.push_back(describe::errorJson(path, msg));
      continue;
    }
    if (opts.json)
      files.push_back(describe::toJson(path, *info));
    else
      describe::printText(out, path, *info);
  }
  if (opts.json)
    out << llvm::formatv("{0:2}\n", llvm::json::Value(llvm::json::Object{
                                        {"schema", describe::kInspectSchema},
                                        {"files", std::move(files)}}));
  out.flush();
  return status;
}

} // namespace ldpin::cli
