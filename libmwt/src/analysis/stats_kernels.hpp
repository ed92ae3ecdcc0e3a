// The kernels of the integrity pass (analysis/stats.hpp): value statistics over float32, float16
// and bfloat16 data read in place, and the content hash of raw bytes. Each ISA provides the same
// table (StatsKernels); the scalar one (stats_kernels.cpp) is the reference the AVX2 one
// (x86_avx2/stats_avx2.cpp) is tested against (tests/cpp/test_stats_kernels.cpp): counts,
// min, max and the hash exactly equal, mean and M2 within the float-sum bound of
// docs/validation.md#accuracy (the scalar kernels sum in double; the AVX2 ones in float32 about
// a shift).
//
// Included by baseline and -mavx2 translation units alike, so (as quant/blocks.hpp explains)
// everything here with external linkage is a type, constant data or consteval; the shared
// helpers are `static inline`.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/dtype.hpp"
#include "core/isa.hpp"

namespace mwt::detail::analysis {

// Statistics of a run of values. min, max, mean and m2 cover the finite values only; NaN and
// +-Inf are counted instead. mean and m2 (the sum of squared deviations from the mean) are
// merged with Chan's parallel update, so runs combine in any grouping.
struct ValueStats {
  uint64_t count = 0;  // every value
  uint64_t nan = 0;
  uint64_t inf = 0;   // +Inf and -Inf
  uint64_t zero = 0;  // +0 and -0
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  double mean = 0.0;
  double m2 = 0.0;
  uint64_t finite() const noexcept { return count - nan - inf; }
};

// Values a kernel sums in double before folding the sums into a ValueStats (so the fold's
// divisions are amortised; small enough that the int32 lane counters cannot overflow).
inline constexpr uint64_t kStatsRun = 1024;

// One run's raw sums, as a kernel produces them.
struct RunSums {
  uint64_t count, nan, inf, zero;
  float min, max;
  double sum, sumsq;   // of (x - shift) and (x - shift)^2 over the finite values x
  double shift = 0.0;  // 0 for the exact double sums; the AVX2 kernel's float sums take one
};

// Float32 partial sums (AVX2): every lane sums this many steps in float before the lanes are
// added into the run's double sums (docs/validation.md#accuracy derives the error from it).
inline constexpr uint64_t kFloatSteps = 16;

// Folds a run into s: counts add, min / max combine, and the run's mean and M2 (from its sums
// about the shift: shift + sum / n and sumsq - sum^2 / n, clamped at 0) merge by Chan.
static inline void fold_run(ValueStats& s, const RunSums& r) noexcept {
  s.count += r.count;
  s.nan += r.nan;
  s.inf += r.inf;
  s.zero += r.zero;
  if (r.min < s.min) s.min = r.min;
  if (r.max > s.max) s.max = r.max;
  const uint64_t nb = r.count - r.nan - r.inf;
  if (nb == 0) return;
  const uint64_t na = s.finite() - nb;
  const double mean_d = r.sum / static_cast<double>(nb);
  const double mean_b = r.shift + mean_d;
  const double m2_b = std::fmax(r.sumsq - r.sum * mean_d, 0.0);
  const double n = static_cast<double>(na + nb);
  const double delta = mean_b - s.mean;
  s.mean += delta * (static_cast<double>(nb) / n);
  s.m2 += m2_b + delta * delta * (static_cast<double>(na) * static_cast<double>(nb) / n);
}

// Merges b into a (Chan); a and b are statistics of disjoint runs.
static inline void merge_stats(ValueStats& a, const ValueStats& b) noexcept {
  const uint64_t na = a.finite(), nb = b.finite();
  a.count += b.count;
  a.nan += b.nan;
  a.inf += b.inf;
  a.zero += b.zero;
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
  if (nb == 0) return;
  if (na == 0) {
    a.mean = b.mean;
    a.m2 = b.m2;
    return;
  }
  const double n = static_cast<double>(na + nb);
  const double delta = b.mean - a.mean;
  a.mean += delta * (static_cast<double>(nb) / n);
  a.m2 += b.m2 + delta * delta * (static_cast<double>(na) * static_cast<double>(nb) / n);
}

// The content hash: 64-bit, non-cryptographic (equal hashes are confirmed by comparing bytes
// before anything is reported). Four 64-bit lanes take 32-byte stripes; a lane adds the word
// and the product of the low and high halves of the word xor a per-stripe key; every
// kHashStripes stripes the lanes are scrambled (xor-shift, multiply by a 32-bit odd constant),
// so the order of stripes matters. The tail is zero-padded into one more stripe, and the
// length is mixed into the final avalanche. Integer arithmetic only, so every ISA's hash is the
// same number.
inline constexpr unsigned kHashStripes = 16;
inline constexpr uint64_t kHashPrime32 = 0x9E3779B1u;

// splitmix64's output function: a full-avalanche 64-bit mixer.
consteval uint64_t consteval_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
struct HashKeys {
  uint64_t k[kHashStripes * 4];
};
consteval HashKeys make_hash_keys() {
  HashKeys keys{};
  for (unsigned i = 0; i < kHashStripes * 4; ++i)
    keys.k[i] = consteval_mix(0x6D77745F68617368ull + i);  // "mwt_hash" + i
  return keys;
}
alignas(32) inline constexpr HashKeys kHashKeys = make_hash_keys();

static inline uint64_t hash_mix(uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static inline uint64_t hash_scramble(uint64_t acc) noexcept {
  acc ^= acc >> 47;
  return acc * kHashPrime32;
}
// The final value of the four lanes after n bytes.
static inline uint64_t hash_finish(const uint64_t acc[4], uint64_t n) noexcept {
  uint64_t h = hash_mix(n ^ 0x27D4EB2F165667C5ull);
  for (int l = 0; l < 4; ++l) h = hash_mix(h ^ hash_mix(acc[l] + static_cast<uint64_t>(l)));
  return h;
}
// Appends a piece's hash to a running sequence hash (order-dependent).
static inline uint64_t hash_append(uint64_t seq, uint64_t piece) noexcept {
  return hash_mix(seq * kHashPrime32 + piece);
}

// Element formats the kernels read in place.
enum class RawFloat : uint8_t { F32, F16, BF16 };

// A fused kernel of one block type: the statistics of n_blocks whole blocks at src folded into
// s, computed from the blocks' integers and scales without decoding them to float32, and the
// content hash of their bytes (hash(src, n_blocks * block bytes)) taken in the same pass. The
// counts, min and max equal those of the decoded values exactly; mean and M2 are within the
// bound of docs/validation.md#fused-block-statistics of the decode path's.
using BlockStatsFn = uint64_t (*)(const uint8_t* src, uint64_t n_blocks, ValueStats& s);
struct BlockStatsKernel {
  DType type;
  BlockStatsFn stats_hashed;
};

struct StatsKernels {
  // Statistics of n values at src (little-endian, any alignment) folded into s, in runs of
  // kStatsRun values.
  void (*f32)(const uint8_t* src, uint64_t n, ValueStats& s);
  void (*f16)(const uint8_t* src, uint64_t n, ValueStats& s);
  void (*bf16)(const uint8_t* src, uint64_t n, ValueStats& s);
  // The same, also returning the content hash of the values' bytes (hash(src, n * size)),
  // taken in the same pass where the ISA allows it.
  uint64_t (*f32_hashed)(const uint8_t* src, uint64_t n, ValueStats& s);
  uint64_t (*f16_hashed)(const uint8_t* src, uint64_t n, ValueStats& s);
  uint64_t (*bf16_hashed)(const uint8_t* src, uint64_t n, ValueStats& s);
  // The content hash of n bytes at p.
  uint64_t (*hash)(const uint8_t* p, uint64_t n);
  // One row per block type this ISA has a fused kernel for (none: the pass decodes the blocks
  // with the quant kernels and runs f32 over the values, which is also the fused kernels'
  // reference).
  const BlockStatsKernel* blocks;
  uint32_t block_count;
};

// The scalar reference kernels (stats_kernels.cpp).
extern const StatsKernels kScalarStatsKernels;
#if defined(MWT_KERNELS_X86_AVX2)
namespace avx2 {
extern const StatsKernels kStatsKernels;  // x86_avx2/stats_avx2.cpp
// The rows of its fused block kernels (x86_avx2/stats_blocks_avx2.cpp).
extern const BlockStatsKernel kBlockStatsKernels[];
extern const uint32_t kBlockStatsKernelCount;
}  // namespace avx2
#endif

// The kernels of `isa` (the scalar ones when the build has none for it). Never runs ISA code.
const StatsKernels& stats_kernels(Isa isa) noexcept;

// The fused kernel of `type` in k's rows, or nullptr.
BlockStatsFn block_stats_kernel(const StatsKernels& k, DType type) noexcept;

}  // namespace mwt::detail::analysis
