// Shared helpers of the runtime-kernel tests (test_kernels_ops.cpp, test_kernels_rope.cpp):
// the sizes and pointer offsets every kernel is run over, guarded buffers that catch a write
// past n, and a tolerance check that reports the worst element as a fraction of its bound.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/isa.hpp"
#include "kernels/ops.hpp"

namespace kernels_test {

inline constexpr double kU = 0x1p-24;        // unit roundoff of float32
inline constexpr double kFltMin = 0x1p-126;  // smallest normal float

// 1..67 (every tail length of every SIMD width up to 64, around several steps), then sizes of
// real models: a SmolLM-135M-like hidden size and a 4096 context / hidden size.
inline std::vector<uint64_t> sizes() {
  std::vector<uint64_t> s;
  for (uint64_t n = 1; n <= 67; ++n) s.push_back(n);
  s.push_back(896);
  s.push_back(4096);
  return s;
}

// The element offsets of the buffers under test: 0 (whatever std::vector gives) and 1 and 3
// floats in (never 32-byte aligned).
inline constexpr uint64_t kOffsets[] = {0, 1, 3};

// n floats at offset `off` inside a buffer whose 16 floats after the end hold a sentinel, so a
// kernel that writes past n is caught (intact()).
struct Guarded {
  static constexpr float kSentinel = -1234.5f;
  std::vector<float> buf;
  uint64_t off, n;
  Guarded(uint64_t n_, uint64_t off_) : buf(n_ + off_ + 16, kSentinel), off(off_), n(n_) {}
  float* data() { return buf.data() + off; }
  float& operator[](uint64_t i) { return buf[off + i]; }
  bool intact() const {
    for (uint64_t i = off + n; i < buf.size(); ++i)
      if (std::memcmp(&buf[i], &kSentinel, 4) != 0) return false;
    return true;
  }
};

inline std::vector<float> random_values(uint64_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// The worst |got - want| / bound over a run (0 when every element is within its bound; NaN must
// match NaN). Reported in the failure message with the element that set it.
struct Worst {
  double ratio = 0.0;
  uint64_t at = 0;
  double got = 0.0, want = 0.0, bound = 0.0;
  bool nan_mismatch = false;
  void add(uint64_t i, double g, double w, double b) {
    if (std::isnan(g) || std::isnan(w)) {
      if (std::isnan(g) != std::isnan(w) && !nan_mismatch) {
        nan_mismatch = true;
        at = i, got = g, want = w, bound = b;
      }
      return;
    }
    if (g == w) return;  // equal infinities too
    const double r = std::fabs(g - w) / b;
    if (!(r <= ratio)) {
      ratio = r;
      if (!nan_mismatch) at = i, got = g, want = w, bound = b;
    }
  }
  bool ok() const { return !nan_mismatch && ratio <= 1.0; }
  std::string describe() const {
    std::ostringstream o;
    o.precision(9);
    o << "worst at " << at << ": got " << got << " want " << want << " bound " << bound << " ratio "
      << ratio << (nan_mismatch ? " (NaN mismatch)" : "");
    return o.str();
  }
};

// Whether this process may run the AVX2 table (the build has it and the CPU runs it).
inline bool have_avx2() {
#if defined(MWT_KERNELS_X86_AVX2)
  return mwt::detail::cpu_has_avx2();
#else
  return false;
#endif
}

}  // namespace kernels_test
