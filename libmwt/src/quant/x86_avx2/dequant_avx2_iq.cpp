// AVX2 kernels of the IQ grid types: IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M.
// Compiled with -mavx2 -mfma -mf16c -ffp-contract=off and run only when core/isa.hpp selected
// avx2; each is bit-identical to its scalar reference in quant/dequant_iq.cpp.
//
// Eight values at a time: one 8-byte codebook entry (two 4-byte entries for IQ3) of
// quant/iq_grids.hpp is loaded and sign-extended straight into int32 lanes (scalar index
// arithmetic and plain loads: measured on Zen 3, that beats AVX2 gathers and byte-shuffle
// assembly of 32 values), converted to float exactly, and scaled. Group scales use the
// reference's float operations in its order, eight or sixteen groups at a time or in scalar
// float32. One regrouping, exact for every scale including zeros, infinities and NaNs:
//  - IQ2 / IQ3: the reference computes (db * g) * s with s = +-1. Multiplying by -1 only flips
//    the sign, round-to-nearest-even is symmetric in sign, and a NaN db passes through either
//    way (x86 returns the NaN operand), so (db * g) * s == db * (s * g) bit for bit; the sign
//    is applied to the integer coordinate (vpsignd) and one multiply remains.
// IQ1's grid + delta (grid in {-1, 0, 1}, delta = +-1/8) is computed as the reference does; it
// is exact in float32 anyway. The sign bytes of IQ2_XXS / IQ2_XS / IQ3_XXS are ksigns_iq2xs: a
// 7-bit index plus an even-parity bit, computed here with shifts and xors instead of a table.
// No standard-library templates here (see dequant_avx2.cpp).
#include <cstdint>
#include <cstring>

#include "quant/iq_grids.hpp"
#include "quant/x86_avx2/dequant_avx2.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

using quant::kIq1sGrid;
using quant::kIq2sGrid;
using quant::kIq2xsGrid;
using quant::kIq2xxsGrid;
using quant::kIq3sGrid;
using quant::kIq3xxsGrid;

// Eight int8 coordinates (the low 8 bytes of v) in int32 lanes, with coordinate e negated
// where bit e of the byte at sign_byte is set, as exact floats. The u32 at sign_byte is
// shifted so that bit e lands in the sign bit of lane e; the 1 or-ed in keeps every lane
// nonzero, so vpsignd either keeps or negates.
inline F8 signed8(__m128i v, const uint8_t* sign_byte) noexcept {
  const __m256i s = _mm256_sllv_epi32(_mm256_set1_epi32(static_cast<int>(load_u32(sign_byte))),
                                      _mm256_setr_epi32(31, 30, 29, 28, 27, 26, 25, 24));
  const __m256i g =
      _mm256_sign_epi32(_mm256_cvtepi8_epi32(v), _mm256_or_si256(s, _mm256_set1_epi32(1)));
  return F8(_mm256_cvtepi32_ps(g));
}

// One 8-byte grid entry.
inline __m128i entry8(const uint64_t* grid, uint32_t index) noexcept {
  return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(grid + index));
}
// Two 4-byte grid entries, i0's coordinates first.
inline __m128i entry_pair(const uint32_t* grid, uint32_t i0, uint32_t i1) noexcept {
  return _mm_insert_epi32(_mm_cvtsi32_si128(static_cast<int>(grid[i0])), static_cast<int>(grid[i1]),
                          1);
}

// Each byte of v (bit 7 clear) with its even-parity bit set in bit 7: ksigns_iq2xs[byte].
// After x ^= x >> 4 the low nibble of every byte holds that byte's own bits only (the 32-bit
// shift brings the next byte's bits into the high nibble), and the two further folds read
// only the low nibble, so bit 0 of each byte ends as its parity.
inline __m256i even_parity_bytes(__m256i v) noexcept {
  __m256i p = _mm256_xor_si256(v, _mm256_srli_epi32(v, 4));
  p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 2));
  p = _mm256_xor_si256(p, _mm256_srli_epi32(p, 1));
  return _mm256_or_si256(v, _mm256_slli_epi32(_mm256_and_si256(p, _mm256_set1_epi8(1)), 7));
}

// Per u32 lane: the four 7-bit fields at bits 0, 7, 14, 21 as bytes 0..3 with parity bits.
inline __m256i signs_of_fields(__m256i w) noexcept {
  const __m256i m = _mm256_set1_epi32(0x7F);
  const __m256i b = _mm256_or_si256(
      _mm256_or_si256(_mm256_and_si256(w, m),
                      _mm256_and_si256(_mm256_slli_epi32(w, 1), _mm256_slli_epi32(m, 8))),
      _mm256_or_si256(_mm256_and_si256(_mm256_slli_epi32(w, 2), _mm256_slli_epi32(m, 16)),
                      _mm256_and_si256(_mm256_slli_epi32(w, 3), _mm256_slli_epi32(m, 24))));
  return even_parity_bytes(b);
}

// 32 sign bytes parked for signed8, which reads each as the u32 at its address; the 3 bytes
// after the last are read too (and shifted out), so they are defined.
struct SignBytes {
  alignas(32) uint8_t b[36];
  void store(__m256i v) noexcept {
    _mm256_store_si256(reinterpret_cast<__m256i*>(b), v);
    std::memset(b + 32, 0, 4);
  }
};

// Lane g of v as a broadcast float vector.
inline F8 lane(F8 v, int g) noexcept {
  return F8(_mm256_permutevar8x32_ps(v, _mm256_set1_epi32(g)));
}

// IQ2_XS / IQ2_S: sixteen 4-bit scales (low nibble, then high nibble of each of 8 bytes), one
// per 16 values: db[k] = d * (0.5 + s) * 0.25.
inline void iq2_scales(float d, const uint8_t* scales, float* db) noexcept {
  const __m128i b = load64(scales);
  const __m128i s = _mm_unpacklo_epi8(_mm_and_si128(b, _mm_set1_epi8(0x0F)),
                                      _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(0x0F)));
  for (int h = 0; h < 2; ++h) {
    const F8 sf(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(h ? _mm_srli_si128(s, 8) : s)));
    ((F8(d) * (F8(0.5f) + sf)) * F8(0.25f)).store_unaligned(db + 8 * h);
  }
}

// IQ2_XXS / IQ3_XXS: eight u32 words, one per 32 values, with a 4-bit scale on top:
// db[g] = d * (0.5 + (w >> 28)) * k.
inline F8 xxs_scales(float d, __m256i w, float k) noexcept {
  const F8 s(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 28)));
  return (F8(d) * (F8(0.5f) + s)) * F8(k);
}

// +-1/8 as selected by a sign bit, without a branch (the bit is data, unpredictable).
alignas(8) constexpr float kDelta[2] = {0.125f, -0.125f};

// The eight 32-value groups of IQ2_XXS / IQ3_XXS: word g of w (one per group) holds the 4-bit
// scale (db = d * (0.5 + s) * k) and four 7-bit sign indices; entry(q, l) loads the eight
// coordinates of entry l from the group's 8 index bytes q = qs + 8g.
template <class Entry>
inline void xxs_groups(float d, __m256i w, float k, const uint8_t* qs, Entry entry,
                       float* y) noexcept {
  const F8 db = xxs_scales(d, w, k);
  SignBytes signs;
  signs.store(signs_of_fields(w));
  for (int g = 0; g < 8; ++g) {
    const uint8_t* q = qs + 8 * g;
    const F8 scale = lane(db, g);
    for (int l = 0; l < 4; ++l)
      (scale * signed8(entry(q, l), signs.b + 4 * g + l)).store_unaligned(y + 32 * g + 8 * l);
  }
}

// Per 32 values two u32: word 0 = four 8-bit grid indices, word 1 = four 7-bit sign indices and
// a 4-bit scale on top.
void iq2_xxs(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ2_XXS;
  const __m256i odd = _mm256_setr_epi32(1, 3, 5, 7, 0, 2, 4, 6);
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    // Word 1 of the eight groups, in group order.
    const uint8_t* qs = src + B::qs.at;
    const __m256i a = _mm256_permutevar8x32_epi32(load256(qs), odd);
    const __m256i b = _mm256_permutevar8x32_epi32(load256(qs + 32), odd);
    const __m256i w1 = _mm256_permute2x128_si256(a, b, 0x20);
    xxs_groups(
        load_f16(src + B::d.at), w1, 0.25f, qs,
        [](const uint8_t* q, int l) { return entry8(kIq2xxsGrid, q[l]); }, y);
  }
}

// u16 qs[32]: 9-bit grid index, 7-bit sign index.
void iq2_xs(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ2_XS;
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const uint8_t* qs = src + B::qs.at;
    float db[16];
    iq2_scales(load_f16(src + B::d.at), src + B::scales.at, db);
    // Sign bytes of the 32 entries: the top 7 bits of each u16, parity-completed in place
    // (even_parity_bytes on u16 lanes whose high byte is zero), packed to bytes in entry order.
    const __m256i sa = even_parity_bytes(_mm256_srli_epi16(load256(qs), 9));
    const __m256i sb = even_parity_bytes(_mm256_srli_epi16(load256(qs + 32), 9));
    SignBytes signs;
    signs.store(_mm256_permute4x64_epi64(_mm256_packus_epi16(sa, sb), 0xD8));
    for (int g = 0; g < 8; ++g) {
      for (int l = 0; l < 4; ++l) {
        const int k = 4 * g + l;
        const __m128i e = entry8(kIq2xsGrid, load_u16(qs + 2 * k) & 511u);
        (F8(db[k / 2]) * signed8(e, signs.b + k)).store_unaligned(y + 8 * k);
      }
    }
  }
}

void iq2_s(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ2_S;
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    float db[16];
    iq2_scales(load_f16(src + B::d.at), src + B::scales.at, db);
    for (int g = 0; g < 8; ++g) {  // entries 4g..4g+3, their 2-bit index tops in qh[g]
      const uint8_t* q = src + B::qs.at + 4 * g;
      const uint32_t h = src[B::qh.at + g];
      const uint32_t idx[4] = {q[0] | ((h << 8) & 0x300), q[1] | ((h << 6) & 0x300),
                               q[2] | ((h << 4) & 0x300), q[3] | ((h << 2) & 0x300)};
      for (int l = 0; l < 4; ++l)  // the sign bytes are read in place (u32 reads stay in block)
        (F8(db[2 * g + l / 2]) * signed8(entry8(kIq2sGrid, idx[l]), src + B::signs.at + 4 * g + l))
            .store_unaligned(y + 32 * g + 8 * l);
    }
  }
}

// qs[64]: 8-bit indices of 4-value entries; the words give d * (0.5 + s) * 0.5.
void iq3_xxs(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ3_XXS;
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems)
    xxs_groups(
        load_f16(src + B::d.at), load256(src + B::scales_signs.at), 0.5f, src + B::qs.at,
        [](const uint8_t* q, int l) { return entry_pair(kIq3xxsGrid, q[2 * l], q[2 * l + 1]); }, y);
}

// The 4-bit scale s of 32 values gives d * (1 + 2s).
void iq3_s(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ3_S;
  // Bit j of the u16 qh[2m] | qh[2m + 1] << 8 is the 9th index bit of entry 16m + j.
  const __m256i lane_bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048,
                                             4096, 8192, 16384, -32768);
  const __m256i bit8 = _mm256_set1_epi16(0x100);
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const float d = load_f16(src + B::d.at);
    const uint32_t scales = load_u32(src + B::scales.at);
    // The 64 nine-bit grid indices, formed 16 at a time.
    alignas(32) uint16_t idx[64];
    for (int m = 0; m < 4; ++m) {
      const __m256i lo = _mm256_cvtepu8_epi16(load128(src + B::qs.at + 16 * m));
      const __m256i qh = _mm256_set1_epi16(static_cast<short>(load_u16(src + B::qh.at + 2 * m)));
      const __m256i set = _mm256_cmpeq_epi16(_mm256_and_si256(qh, lane_bit), lane_bit);
      _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 16 * m),
                         _mm256_or_si256(lo, _mm256_and_si256(set, bit8)));
    }
    for (int g = 0; g < 8; ++g) {  // entries 8g..8g+7
      const int s = static_cast<int>((scales >> (4 * g)) & 0x0F);
      const F8 db(d * static_cast<float>(1 + 2 * s));
      for (int l = 0; l < 4; ++l) {  // sign bytes read in place, as for IQ2_S
        const __m128i e = entry_pair(kIq3sGrid, idx[8 * g + 2 * l], idx[8 * g + 2 * l + 1]);
        (db * signed8(e, src + B::signs.at + 4 * g + l)).store_unaligned(y + 32 * g + 8 * l);
      }
    }
  }
}

void iq1_s(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ1_S;
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const float d = load_f16(src + B::d.at);
    for (int g = 0; g < 8; ++g) {
      const uint32_t qh = load_u16(src + B::qh.at + 2 * g);
      const uint8_t* q = src + B::qs.at + 4 * g;
      const F8 dl(d * static_cast<float>(2 * ((qh >> 12) & 7) + 1));
      const F8 delta(kDelta[qh >> 15]);
      const uint32_t idx[4] = {q[0] | ((qh << 8) & 0x700), q[1] | ((qh << 5) & 0x700),
                               q[2] | ((qh << 2) & 0x700), q[3] | ((qh >> 1) & 0x700)};
      for (int l = 0; l < 4; ++l)
        (dl * (widen8(entry8(kIq1sGrid, idx[l])) + delta)).store_unaligned(y + 32 * g + 8 * l);
    }
  }
}

void iq1_m(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ1_M;
  const __m256i scale_shift = _mm256_setr_epi32(0, 3, 6, 9, 0, 3, 6, 9);
  const __m256i delta_shift = _mm256_setr_epi32(3, 7, 11, 15, 19, 23, 27, 31);
  const __m256i eighth = _mm256_castps_si256(_mm256_set1_ps(0.125f));
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const __m128i words = load64(src + B::scales.at);
    // Nibble w of d is the top nibble of word w: gather the four into 16 bits.
    const uint64_t t = static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_srli_epi16(words, 12)));
    const F8 d(_cvtsh_ss(static_cast<uint16_t>(t | (t >> 12) | (t >> 24) | (t >> 36))));
    // dl[j] = d * (2 * s_j + 1) for the sixteen 16-value sub-blocks, s_j in bits 3(j % 4) of
    // word j / 4; dl[0] holds j = 0..7, dl[1] j = 8..15.
    F8 dl[2];
    for (int h = 0; h < 2; ++h) {
      const __m128i pick = h ? _mm_setr_epi8(4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7)
                             : _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3);
      const __m256i w = _mm256_cvtepu16_epi32(_mm_shuffle_epi8(words, pick));
      const __m256i s = _mm256_and_si256(_mm256_srlv_epi32(w, scale_shift), _mm256_set1_epi32(7));
      const __m256i odd = _mm256_add_epi32(_mm256_add_epi32(s, s), _mm256_set1_epi32(1));
      dl[h] = d * F8(_mm256_cvtepi32_ps(odd));
    }
    // delta[k] = +-1/8 for entry k: bit 3 of nibble k of qh, i.e. bit 4(k % 8) + 3 of the u32
    // holding qh bytes 4(k / 8)..4(k / 8) + 3.
    alignas(32) float delta[32];
    for (int r = 0; r < 4; ++r) {
      const __m256i nibbles = _mm256_set1_epi32(static_cast<int>(load_u32(src + B::qh.at + 4 * r)));
      const __m256i sign = _mm256_slli_epi32(_mm256_srlv_epi32(nibbles, delta_shift), 31);
      _mm256_store_ps(delta + 8 * r, _mm256_castsi256_ps(_mm256_or_si256(sign, eighth)));
    }
    for (int g = 0; g < 8; ++g) {  // values 32g..32g+32: entries 4g..4g+3, scales 2g, 2g+1
      const uint32_t h = load_u16(src + B::qh.at + 2 * g);  // the nibbles of entries 4g..4g+3
      const uint8_t* q = src + B::qs.at + 4 * g;
      const uint32_t idx[4] = {q[0] | ((h << 8) & 0x700), q[1] | ((h << 4) & 0x700),
                               q[2] | (h & 0x700), q[3] | ((h >> 4) & 0x700)};
      for (int l = 0; l < 4; ++l) {
        const F8 scale = lane(dl[g / 4], 2 * (g % 4) + l / 2);
        (scale * (widen8(entry8(kIq1sGrid, idx[l])) + F8(delta[4 * g + l])))
            .store_unaligned(y + 32 * g + 8 * l);
      }
    }
  }
}

constexpr KernelEntry kKernels[] = {
    {DType::IQ2_XXS, iq2_xxs}, {DType::IQ2_XS, iq2_xs}, {DType::IQ2_S, iq2_s},
    {DType::IQ3_XXS, iq3_xxs}, {DType::IQ3_S, iq3_s},   {DType::IQ1_S, iq1_s},
    {DType::IQ1_M, iq1_m},
};

}  // namespace

extern const KernelList kIqKernels{kKernels, sizeof(kKernels) / sizeof(kKernels[0])};

}  // namespace mwt::detail::kernels::avx2
