// Checked access to untrusted bytes: see checked.h.
#include "ldpin/checked.h"

#include <llvm/Support/ConvertUTF.h>
#include <llvm/Support/Format.h>
#include <llvm/Support/raw_ostream.h>

namespace ldpin {

char KindError::ID = 0;

void KindError::log(llvm::raw_ostream &os) const { os << message; }

std::error_code KindError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

llvm::Error makeError(ErrorKind kind, const llvm::Twine &msg) {
  return llvm::make_error<KindError>(kind, msg.str());
}

bool isKind(llvm::Error &e, ErrorKind kind) {
  bool matched = false;
  e = llvm::handleErrors(std::move(e),
                         [&](std::unique_ptr<KindError> k) -> llvm::Error {
                           if (k->kind != kind)
                             return llvm::Error(std::move(k));
                           matched = true;
                           return llvm::Error::success();
                         });
  if (matched)
    llvm::consumeError(std::move(e));
  return matched;
}

llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::make_error<llvm::StringError>(msg,
                                             llvm::inconvertibleErrorCode());
}

std::string hex(uint64_t v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format_hex(v, 0);
  return os.str();
}

std::string printable(llvm::StringRef s, size_t max) {
  static const char digits[] = "0123456789abcdef";
  const llvm::UTF8 *begin = reinterpret_cast<const llvm::UTF8 *>(s.data());
  const bool utf8 = llvm::isLegalUTF8String(
      &begin, reinterpret_cast<const llvm::UTF8 *>(s.data() + s.size()));
  std::string out;
  for (char c : s.take_front(max)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || (u >= 0x80 && !utf8)) {
      out += "\\x";
      out += digits[u >> 4];
      out += digits[u & 15];
    } else {
      out += c;
    }
  }
  if (s.size() > max)
    out += "...";
  return out;
}

llvm::Expected<uint64_t> checkedAdd(uint64_t a, uint64_t b,
                                    const llvm::Twine &what) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return makeError(what + ": " + hex(a) + " + " + hex(b) +
                     " overflows 64 bits");
  return r;
}

llvm::Expected<uint64_t> checkedMul(uint64_t a, uint64_t b,
                                    const llvm::Twine &what) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return makeError(what + ": " + hex(a) + " * " + hex(b) +
                     " overflows 64 bits");
  return r;
}

llvm::Expected<llvm::ArrayRef<uint8_t>>
checkedSlice(llvm::ArrayRef<uint8_t> data, uint64_t off, uint64_t size,
             const llvm::Twine &what) {
  uint64_t end;
  if (__builtin_add_overflow(off, size, &end) || end > data.size())
    return makeError(what + " at offset " + hex(off) + " with size " +
                     hex(size) + " lies outside the " + hex(data.size()) +
                     " bytes available");
  return data.slice(off, size);
}

llvm::Expected<llvm::StringRef> checkedCString(llvm::ArrayRef<uint8_t> table,
                                               uint64_t off,
                                               const llvm::Twine &what) {
  if (off >= table.size())
    return makeError(what + ": string offset " + hex(off) +
                     " is outside the string table of size " +
                     hex(table.size()));
  const uint8_t *begin = table.data() + off;
  const void *nul = std::memchr(begin, 0, table.size() - off);
  if (!nul)
    return makeError(what + ": string at offset " + hex(off) +
                     " is not NUL-terminated inside its table");
  return llvm::StringRef(reinterpret_cast<const char *>(begin),
                         static_cast<const uint8_t *>(nul) - begin);
}

} // namespace ldpin
