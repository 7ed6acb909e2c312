// Checked access to untrusted bytes.
//
// Every offset and size that comes from a file passes through these helpers
// before any byte is touched: additions and multiplications are overflow
// checked, ranges are bounds checked, and structures are copied out with
// memcpy so that a misaligned offset in a hostile file is never dereferenced
// as a typed pointer. They return llvm::Expected so that a bad file becomes a
// message, never a crash.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Support/Error.h>

namespace ldpin {

// An error with a plain message; callers prefix the file name.
llvm::Error makeError(const llvm::Twine &msg);

// Conditions that callers act on, so that no code branches on a message.
enum class ErrorKind {
  NotElf,    // the file is not ELF (a script, an archive, text)
  NoDynamic, // an ELF file without a dynamic section (static, relocatable)
};

// An error of a kind, with its message.
class KindError : public llvm::ErrorInfo<KindError> {
public:
  static char ID;
  KindError(ErrorKind kind, std::string message)
      : kind(kind), message(std::move(message)) {}
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;
  ErrorKind kind;
  std::string message;
};
llvm::Error makeError(ErrorKind kind, const llvm::Twine &msg);

// Whether `e` is an error of kind `kind`. If so it is consumed (and `e`
// left as success); otherwise `e` is left for the caller to report.
bool isKind(llvm::Error &e, ErrorKind kind);

// Hexadecimal spelling used in messages ("0x1f").
std::string hex(uint64_t v);

// `s` with control bytes (below 0x20, and 0x7f) spelled \xNN, and every byte
// from 0x80 up too when `s` is not valid UTF-8; cut to `max` bytes with "..."
// after. Strings taken from a file go through this before they reach a
// message or a terminal, so that a hostile file cannot break a one-line error
// or send escape codes.
std::string printable(llvm::StringRef s, size_t max = SIZE_MAX);

// How much of a file's string a message quotes.
inline constexpr size_t kMessageNameMax = 80;

// a + b, or an error naming `what` when the sum does not fit in 64 bits.
llvm::Expected<uint64_t> checkedAdd(uint64_t a, uint64_t b,
                                    const llvm::Twine &what);

// a * b, or an error naming `what` on overflow.
llvm::Expected<uint64_t> checkedMul(uint64_t a, uint64_t b,
                                    const llvm::Twine &what);

// The bytes [off, off + size) of `data`, or an error naming `what` when any
// of them lies outside it.
llvm::Expected<llvm::ArrayRef<uint8_t>>
checkedSlice(llvm::ArrayRef<uint8_t> data, uint64_t off, uint64_t size,
             const llvm::Twine &what);

// A copy of the structure at `off` in `data`.
template <class T>
llvm::Expected<T> checkedRead(llvm::ArrayRef<uint8_t> data, uint64_t off,
                              const llvm::Twine &what) {
  static_assert(std::is_trivially_copyable_v<T>);
  llvm::Expected<llvm::ArrayRef<uint8_t>> bytes =
      checkedSlice(data, off, sizeof(T), what);
  if (!bytes)
    return bytes.takeError();
  T out;
  std::memcpy(&out, bytes->data(), sizeof(T));
  return out;
}

// The NUL-terminated string that starts at `off` inside `table`; the NUL must
// lie inside the table too.
llvm::Expected<llvm::StringRef> checkedCString(llvm::ArrayRef<uint8_t> table,
                                               uint64_t off,
                                               const llvm::Twine &what);

} // namespace ldpin
