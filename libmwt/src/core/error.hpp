// mwt::Error: the one internal error type. Parsers throw it; the C ABI barrier turns it into an
// mwt_status. Codes are the pinned values of mwt.h (never renumbered), generated from its list.
#pragma once
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "mwt/mwt.h"

namespace mwt::detail {

// One enumerator per mwt.h error code, generated from the same list (MWT_ERROR_CODES).
#define MWT_DETAIL_CODE_ENUMERATOR_(name, value, description) name = value,
enum class Code : int { OK = 0, MWT_ERROR_CODES(MWT_DETAIL_CODE_ENUMERATOR_) };
#undef MWT_DETAIL_CODE_ENUMERATOR_

inline constexpr uint64_t kNoOffset = UINT64_MAX;

const char* code_name(Code c) noexcept;  // "TRUNCATED", ...

// Escape a string taken from a file for an error message: at most 128 bytes, non-printables as
// \xNN.
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
