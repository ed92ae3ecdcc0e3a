// AVX2 kernels of the ternary types TQ1_0 (base-3, five trits per byte) and TQ2_0 (2 bits per
// value). Compiled with -mavx2 -mfma -mf16c -ffp-contract=off and run only when core/isa.hpp
// selected avx2; each is bit-identical to its scalar reference in quant/dequant_ternary.cpp:
// the trits in {-1, 0, 1} are extracted exactly with integer operations, converted to float
// exactly, and the one float operation is the reference's d * t. No standard-library templates
// here (see dequant_avx2.cpp).
#include <cstdint>

#include "quant/x86_avx2/dequant_avx2.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

// Sixteen int16 lanes -> y[0..16) = d * lane.
inline void store16_scaled_i16(__m256i v, F8 d, float* y) noexcept {
  const F8 lo(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(v))));
  const F8 hi(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(v, 1))));
  (d * lo).store_unaligned(y);
  (d * hi).store_unaligned(y + 8);
}

// Sixteen bytes, each in the high byte of its u16 lane.
inline __m256i bytes_high16(__m128i v) noexcept {
  return _mm256_slli_epi16(_mm256_cvtepu8_epi16(v), 8);
}

// The trit selected by pow = 3^n of each byte b (held as b << 8), minus 1: the reference's
// t = ((uint8)(b * 3^n) * 3) >> 8. With b in the high byte, the 16-bit low product is
// (b * 3^n mod 256) << 8, and its high product by 3 is that times 3, shifted right by 8.
inline __m256i trits16(__m256i b_high, __m256i pow) noexcept {
  const __m256i t = _mm256_mulhi_epu16(_mm256_mullo_epi16(b_high, pow), _mm256_set1_epi16(3));
  return _mm256_sub_epi16(t, _mm256_set1_epi16(1));
}

// Values 0-159: trit n of qs[l] (l < 32) at n*32 + l; values 160-239: trit n of qs[32 + l]
// (l < 16) at 160 + n*16 + l; values 240-255: trit n (n < 4) of qh[l] at 240 + n*4 + l.
void tq1_0(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockTQ1_0;
  const __m256i tail_pow = _mm256_setr_epi16(1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27);
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const F8 d(load_f16(src + B::d.at));
    const uint8_t* qs = src + B::qs.at;
    const __m256i a = bytes_high16(load128(qs)), b = bytes_high16(load128(qs + 16));
    const __m256i c = bytes_high16(load128(qs + 32));
    int pow = 1;
    for (int n = 0; n < 5; ++n, pow *= 3) {
      const __m256i p = _mm256_set1_epi16(static_cast<short>(pow));
      store16_scaled_i16(trits16(a, p), d, y + 32 * n);
      store16_scaled_i16(trits16(b, p), d, y + 32 * n + 16);
      store16_scaled_i16(trits16(c, p), d, y + 160 + 16 * n);
    }
    // qh[l] in lane 4n + l.
    const __m256i h = bytes_high16(_mm_set1_epi32(static_cast<int>(load_u32(src + B::qh.at))));
    store16_scaled_i16(trits16(h, tail_pow), d, y + 240);
  }
}

// Value 128h + 32l + j: bits 2l, 2l+1 of qs[32h + j], minus 1.
void tq2_0(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockTQ2_0;
  const __m256i one = _mm256_set1_epi8(1);
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const F8 d(load_f16(src + B::d.at));
    for (int h = 0; h < 2; ++h) {
      const __m256i x = load256(src + B::qs.at + 32 * h);
      for (int l = 0; l < 4; ++l)
        store32_scaled(_mm256_sub_epi8(bits256(x, 2 * l, 0x03), one), d, y + 128 * h + 32 * l);
    }
  }
}

constexpr KernelEntry kKernels[] = {{DType::TQ1_0, tq1_0}, {DType::TQ2_0, tq2_0}};

}  // namespace

extern const KernelList kTernaryKernels{kKernels, sizeof(kKernels) / sizeof(kKernels[0])};

}  // namespace mwt::detail::kernels::avx2
