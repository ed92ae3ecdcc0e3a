// Checked size arithmetic: every product, sum and align-up on a value from a file goes through
// here, so an overflow is an OVERFLOW error naming the field instead of a wrapped size.
#pragma once
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace mwt::detail {

// The OVERFLOW error of `a op b`; out of line of the callers' fast paths.
[[noreturn, gnu::cold]] inline void fail_overflow(const char* what, uint64_t a, const char* op,
                                                  uint64_t b, uint64_t offset) {
  fail(Code::OVERFLOW,
       std::string(what) + ": " + std::to_string(a) + op + std::to_string(b) + " overflows 64 bits",
       offset, what);
}

inline uint64_t checked_add(uint64_t a, uint64_t b, const char* what, uint64_t offset = kNoOffset) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) fail_overflow(what, a, " + ", b, offset);
  return r;
}

inline uint64_t checked_mul(uint64_t a, uint64_t b, const char* what, uint64_t offset = kNoOffset) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) fail_overflow(what, a, " * ", b, offset);
  return r;
}

// Round x up to a multiple of `align` (a power of two, > 0).
inline uint64_t checked_align_up(uint64_t x, uint64_t align, const char* what,
                                 uint64_t offset = kNoOffset) {
  const uint64_t r = checked_add(x, align - 1, what, offset);
  return r & ~(align - 1);
}

inline bool is_pow2(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

}  // namespace mwt::detail
