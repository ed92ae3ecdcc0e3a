// mwt::Error: the one internal error type. Parsers throw it; the C ABI barrier turns it into an
// mwt_status. Codes are the pinned values of mwt.h (never renumbered).
#pragma once
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace mwt::detail {

enum class Code : int {
  OK = 0,
  INTERNAL = 1,
  IO = 2,
  TRUNCATED = 3,
  BAD_MAGIC = 4,
  UNSUPPORTED_VERSION = 5,
  UNSUPPORTED_FORMAT = 6,
  UNSUPPORTED_FEATURE = 7,
  HEADER_TOO_LARGE = 8,
  BAD_ENCODING = 9,
  BAD_SYNTAX = 10,
  DEPTH_LIMIT = 11,
  LIMIT_EXCEEDED = 12,
  DUPLICATE = 13,
  BAD_DTYPE = 14,
  BAD_SHAPE = 15,
  OVERFLOW = 16,
  BAD_OFFSETS = 17,
  SIZE_MISMATCH = 18,
  OUT_OF_BOUNDS = 19,
  TRAILING_DATA = 20,
  BAD_ALIGNMENT = 21,
  TYPE_MISMATCH = 22,
  FORBIDDEN_GLOBAL = 23,
  UNSUPPORTED_OPCODE = 24,
  BAD_PICKLE = 25,
  BAD_STORAGE = 26,
  PICKLE_DISALLOWED = 27,
  ARCHIVE_INCONSISTENT = 28,
  ARCHIVE_OVERLAP = 29,
  CRC = 30,
  PATH_ESCAPE = 31,
  CYCLE = 32,
  ARGUMENT = 33,
  NO_MEMORY = 34,
};

inline constexpr uint64_t kNoOffset = UINT64_MAX;

const char* code_name(Code c) noexcept;  // "TRUNCATED", ...

// Escape a string taken from a file for an error message: at most 128 bytes, non-printables as \xNN.
std::string escape_for_message(std::string_view s, size_t max_bytes = 128);

class Error : public std::exception {
 public:
  // `field` is a path like kv["general.alignment"] or tensors["w"].data_offsets[1];
  // `offset` is the byte offset in the file (kNoOffset when it has none).
  Error(Code code, std::string message, uint64_t offset = kNoOffset, std::string field = {});
  Code code() const noexcept { return code_; }
  uint64_t offset() const noexcept { return offset_; }
  const std::string& field() const noexcept { return field_; }
  const std::string& detail() const noexcept { return detail_; }
  // Full message: "<CODE> at offset N in <field>: <detail>".
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  Code code_;
  uint64_t offset_;
  std::string field_;
  std::string detail_;
  std::string what_;
};

[[noreturn]] void fail(Code code, std::string message, uint64_t offset = kNoOffset,
                       std::string field = {});

}  // namespace mwt::detail
