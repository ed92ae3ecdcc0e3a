// The scalar reference kernels of the integrity pass (analysis/stats_kernels.hpp): one value at
// a time, in runs of kStatsRun values, and the content hash one 64-bit word at a time. The ISA
// table lookup lives here too.
#include "analysis/stats_kernels.hpp"

#include <cstring>

#include "core/float_convert.hpp"

namespace mwt::detail::analysis {
namespace {

float load_f32(const uint8_t* p) noexcept {
  float v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t load_u16(const uint8_t* p) noexcept { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint64_t load_u64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);  // x86-64 and the other targets mwt builds for are little-endian
  return v;
}

template <RawFloat F>
float load_value(const uint8_t* p) noexcept {
  if constexpr (F == RawFloat::F32) return load_f32(p);
  if constexpr (F == RawFloat::F16) return f16_to_f32(load_u16(p));
  if constexpr (F == RawFloat::BF16) return bf16_to_f32(load_u16(p));
}

template <RawFloat F>
void value_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  constexpr uint64_t size = F == RawFloat::F32 ? 4 : 2;
  for (uint64_t at = 0; at < n; at += kStatsRun) {
    const uint64_t end = n - at < kStatsRun ? n : at + kStatsRun;
    RunSums r{end - at,
              0,
              0,
              0,
              std::numeric_limits<float>::infinity(),
              -std::numeric_limits<float>::infinity(),
              0.0,
              0.0,
              0.0};
    for (uint64_t i = at; i < end; ++i) {
      const float v = load_value<F>(src + i * size);
      if (v != v) {
        ++r.nan;
        continue;
      }
      if (std::fabs(v) == std::numeric_limits<float>::infinity()) {
        ++r.inf;
        continue;
      }
      if (v == 0.0f) ++r.zero;
      if (v < r.min) r.min = v;
      if (v > r.max) r.max = v;
      const double d = v;
      r.sum += d;
      r.sumsq += d * d;
    }
    fold_run(s, r);
  }
}

void hash_stripe(uint64_t acc[4], const uint8_t* p, const uint64_t* keys) noexcept {
  for (int l = 0; l < 4; ++l) {
    const uint64_t w = load_u64(p + 8 * l);
    const uint64_t k = w ^ keys[l];
    acc[l] += (k & 0xFFFFFFFFu) * (k >> 32) + w;
  }
}

uint64_t content_hash(const uint8_t* p, uint64_t n) {
  uint64_t acc[4] = {kHashKeys.k[0], kHashKeys.k[1], kHashKeys.k[2], kHashKeys.k[3]};
  const uint64_t stripes = n / 32;
  for (uint64_t s = 0; s < stripes; ++s) {
    hash_stripe(acc, p + 32 * s, kHashKeys.k + 4 * (s % kHashStripes));
    if (s % kHashStripes == kHashStripes - 1)
      for (uint64_t& a : acc) a = hash_scramble(a);
  }
  if (n % 32 != 0) {
    uint8_t tail[32] = {};
    std::memcpy(tail, p + 32 * stripes, n % 32);
    hash_stripe(acc, tail, kHashKeys.k + 4 * (stripes % kHashStripes));
  }
  return hash_finish(acc, n);
}

// The reference takes the statistics and the hash in two passes.
template <RawFloat F>
uint64_t value_stats_hashed(const uint8_t* src, uint64_t n, ValueStats& s) {
  value_stats<F>(src, n, s);
  return content_hash(src, n * (F == RawFloat::F32 ? 4 : 2));
}

}  // namespace

const StatsKernels kScalarStatsKernels = {value_stats<RawFloat::F32>,
                                          value_stats<RawFloat::F16>,
                                          value_stats<RawFloat::BF16>,
                                          value_stats_hashed<RawFloat::F32>,
                                          value_stats_hashed<RawFloat::F16>,
                                          value_stats_hashed<RawFloat::BF16>,
                                          content_hash,
                                          nullptr,
                                          0};

const StatsKernels& stats_kernels(Isa isa) noexcept {
#if defined(MWT_KERNELS_X86_AVX2)
  if (isa == Isa::Avx2) return avx2::kStatsKernels;
#else
  (void)isa;
#endif
  return kScalarStatsKernels;
}

BlockStatsFn block_stats_kernel(const StatsKernels& k, DType type) noexcept {
  for (uint32_t i = 0; i < k.block_count; ++i)
    if (k.blocks[i].type == type) return k.blocks[i].stats_hashed;
  return nullptr;
}

}  // namespace mwt::detail::analysis
