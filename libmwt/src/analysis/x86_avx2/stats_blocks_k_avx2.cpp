// Fused AVX2 statistics of the K-quant super-blocks (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) straight
// from their bytes (analysis/stats_kernels.hpp). One super-block at a time: its sub-block scales
// (and mins) are unpacked into float lanes, Σq and Σq² of every sub-block come from integer SIMD
// reduced by one tree of horizontal adds, and stats_blocks_avx2.hpp turns them into the exact
// sub-block terms. Q4_K / Q5_K have eight sub-blocks of 32 (one set of lanes); Q2_K, Q3_K and
// Q6_K sixteen of 16, which the tree leaves as even sub-blocks in the low half and odd ones in
// the high half (two sets of lanes). A super-block the fast path cannot take is decoded by the
// scalar reference decoder (docs/validation.md#fused-block-statistics).
#include "analysis/x86_avx2/stats_blocks_avx2.hpp"
#include "quant/blocks.hpp"

namespace mwt::detail::analysis::avx2 {
namespace {

using quant::BlockQ2_K, quant::BlockQ3_K, quant::BlockQ4_K, quant::BlockQ5_K, quant::BlockQ6_K;

inline __m256i load256(const uint8_t* p) noexcept {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
inline uint32_t popcount(uint32_t x) noexcept { return static_cast<uint32_t>(_mm_popcnt_u32(x)); }
// Bytes equal to v in u: all 32, or one 16-byte half (half 0 low, 1 high).
inline uint32_t eq_mask(__m256i u, int v) noexcept {
  return static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_cmpeq_epi8(u, _mm256_set1_epi8(static_cast<char>(v)))));
}
inline uint32_t count_half(__m256i u, int half, int v) noexcept {
  return popcount((eq_mask(u, v) >> (16 * half)) & 0xFFFFu);
}

// Bit `bit` of every byte of x moved to bit `to` (the other bits cleared). A 16-bit shift
// carries bits across bytes only into positions the mask clears.
inline __m256i move_bit(__m256i x, int bit, int to) noexcept {
  const __m256i m = _mm256_set1_epi8(static_cast<char>(1 << to));
  if (bit <= to) return _mm256_and_si256(_mm256_sll_epi16(x, _mm_cvtsi32_si128(to - bit)), m);
  return _mm256_and_si256(_mm256_srl_epi16(x, _mm_cvtsi32_si128(bit - to)), m);
}

inline float f16(uint16_t h) noexcept { return _cvtsh_ss(h); }

// The float lanes of eight integer scales (bytes, unsigned or signed) times an f16 scale.
inline __m256 scaled_u8(__m128i bytes8, float d) noexcept {
  return _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes8)));
}
inline __m256 scaled_i8(__m128i bytes8, float d) noexcept {
  return _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes8)));
}
inline __m256 limit_of(uint16_t a, uint16_t b) noexcept {
  const int e =
      f16_limit_exponent(a) < f16_limit_exponent(b) ? f16_limit_exponent(a) : f16_limit_exponent(b);
  return limit_of_exponent(_mm256_set1_epi32(e));
}
// Even then odd bytes of 16.
inline __m128i even_odd(__m128i v) noexcept {
  return _mm_shuffle_epi8(v, _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
}

// ------------------------------------------------------------------ Q4_K, Q5_K
// y = (d sc) q - (dmin m), eight sub-blocks of 32; per 64 values the low nibbles of 32 bytes,
// then their high nibbles; Q5_K's bit 4 of sub-block k is bit k of qh.
template <class B, bool kHigh>
bool k4_block(const uint8_t* b, BlockRun& r, Range& rg) noexcept {
  constexpr float kQMax = kHigh ? 31.0f : 15.0f;
  const uint16_t dbits = load_le16(b + B::d.at), mbits = load_le16(b + B::dmin.at);
  // The 6-bit scales and mins (quant/blocks.hpp's unpack_scale_min_k4), four bytes at a time.
  const uint32_t s0 = load_le32(b + B::scales.at), s1 = load_le32(b + B::scales.at + 4),
                 s2 = load_le32(b + B::scales.at + 8);
  const uint64_t sc = (s0 & 0x3F3F3F3Fu) | uint64_t{(s2 & 0x0F0F0F0Fu) | ((s0 >> 2) & 0x30303030u)}
                                               << 32;
  const uint64_t mn =
      (s1 & 0x3F3F3F3Fu) | uint64_t{((s2 >> 4) & 0x0F0F0F0Fu) | ((s1 >> 2) & 0x30303030u)} << 32;
  const Lanes8 lanes{scaled_u8(_mm_cvtsi64_si128(static_cast<int64_t>(sc)), f16(dbits)),
                     scaled_u8(_mm_cvtsi64_si128(static_cast<int64_t>(mn)), f16(mbits))};
  if (!affine_ok(lanes, kQMax, limit_of(dbits, mbits))) return false;
  __m256i u[8], uu[8], us[8];
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi8(1);
  __m256i qh = _mm256_setzero_si256();
  if constexpr (kHigh) qh = load256(b + B::qh.at);
  for (int j = 0; j < 4; ++j) {
    const __m256i v = load256(b + B::qs.at + 32 * j);
    u[2 * j] = _mm256_and_si256(v, m4);
    u[2 * j + 1] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
  }
  for (int k = 0; k < 8; ++k) {
    if constexpr (kHigh) u[k] = _mm256_or_si256(u[k], move_bit(qh, k, 4));
    uu[k] = _mm256_maddubs_epi16(u[k], u[k]);
    us[k] = _mm256_maddubs_epi16(u[k], ones);
  }
  const __m256i both = tree16(uu, us);  // [Σq² | Σq] of sub-blocks 0-7; Σq² < 2^16 unsigned
  const __m256i sqq = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(both));
  const __m256i sq = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(both, 1));
  if (const unsigned out = affine_outside(lanes, rg, kQMax))
    widen<true>(rg, lanes, out, [&](int k) { return byte_range32(u[k]); });
  add_affine<32>(r, lanes, sq, spread<32>(sq, sqq), kQMax,
                 [&](int k, int v) { return popcount(eq_mask(u[k], v)); });
  return true;
}

// ------------------------------------------------------------------ sixteen sub-blocks of 16
// Q2_K, Q3_K and Q6_K keep value i of half h = i / 128 in register (h, j = (i % 128) / 32),
// byte i % 32: its low 16 bytes are sub-block 8h + 2j, its high ones sub-block 8h + 2j + 1, so
// register k = 4h + j holds sub-blocks 2k and 2k + 1.

// The sums of the eight registers u[k] as two sets of lanes (even sub-blocks, odd sub-blocks):
// sq / sqq [0] even, [1] odd, int32.
struct Sums16 {
  __m256i sq[2], sqq[2];
};
inline Sums16 sums16(const __m256i u[8]) noexcept {
  __m256i uu[8], us[8];
  const __m256i ones = _mm256_set1_epi8(1);
  for (int k = 0; k < 8; ++k) {
    uu[k] = _mm256_maddubs_epi16(u[k], u[k]);
    us[k] = _mm256_maddubs_epi16(u[k], ones);
  }
  const __m256i q2 = hadd8x16(uu), q1 = hadd8x16(us);  // [even | odd], Σq² unsigned
  return {{_mm256_cvtepu16_epi32(_mm256_castsi256_si128(q1)),
           _mm256_cvtepu16_epi32(_mm256_extracti128_si256(q1, 1))},
          {_mm256_cvtepu16_epi32(_mm256_castsi256_si128(q2)),
           _mm256_cvtepu16_epi32(_mm256_extracti128_si256(q2, 1))}};
}

// The q range of one half of register u.
inline QRange half_range(__m256i u, int half) noexcept {
  return byte_range16(half == 0 ? _mm256_castsi256_si128(u) : _mm256_extracti128_si256(u, 1));
}
// Widens rg by the symmetric lanes (q = u - kOff in [qlo, qhi]) whose values may leave it.
template <int kOff>
inline void widen16(Range& rg, const Lanes8 lanes[2], float qlo, float qhi,
                    const __m256i u[8]) noexcept {
  for (int half = 0; half < 2; ++half)
    if (const unsigned out = symmetric_outside(lanes[half], rg, qlo, qhi))
      widen<false>(rg, lanes[half], out, [&](int k) {
        const QRange q = half_range(u[k], half);
        return QRange{q.lo - kOff, q.hi - kOff};
      });
}

// Q2_K: y = (d (s & 15)) q - (dmin (s >> 4)), q in [0, 3] from 2-bit fields.
bool q2_k_block(const uint8_t* b, BlockRun& r, Range& rg) noexcept {
  using B = BlockQ2_K;
  const uint16_t dbits = load_le16(b + B::d.at), mbits = load_le16(b + B::dmin.at);
  const __m128i s = even_odd(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + B::scales.at)));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  const __m128i sc = _mm_and_si128(s, m4), mn = _mm_and_si128(_mm_srli_epi16(s, 4), m4);
  const float d = f16(dbits), dmin = f16(mbits);
  const __m256 limit = limit_of(dbits, mbits);
  const Lanes8 lanes[2] = {
      {scaled_u8(sc, d), scaled_u8(mn, dmin)},
      {scaled_u8(_mm_srli_si128(sc, 8), d), scaled_u8(_mm_srli_si128(mn, 8), dmin)}};
  if (!affine_ok(lanes[0], 3.0f, limit) || !affine_ok(lanes[1], 3.0f, limit)) return false;
  __m256i u[8];
  const __m256i m2 = _mm256_set1_epi8(3);
  for (int h = 0; h < 2; ++h) {
    const __m256i v = load256(b + B::qs.at + 32 * h);
    for (int j = 0; j < 4; ++j)
      u[4 * h + j] = _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(2 * j)), m2);
  }
  const Sums16 t = sums16(u);
  for (int half = 0; half < 2; ++half)
    if (const unsigned out = affine_outside(lanes[half], rg, 3.0f))
      widen<true>(rg, lanes[half], out, [&](int k) { return half_range(u[k], half); });
  for (int half = 0; half < 2; ++half)
    add_affine<16>(r, lanes[half], t.sq[half], spread<16>(t.sq[half], t.sqq[half]), 3.0f,
                   [&](int k, int v) { return count_half(u[k], half, v); });
  return true;
}

// Q3_K: y = (d sc) q, sc the 6-bit scale minus 32, q = (2-bit field) - 4 unless its hmask bit is
// set; u = q + 4 in [0, 7] here.
bool q3_k_block(const uint8_t* b, BlockRun& r, Range& rg) noexcept {
  using B = BlockQ3_K;
  // Scales (quant/blocks.hpp's q3_k_scale): low nibbles of bytes 0-7 then their high nibbles,
  // and 2-bit fields k / 4 of bytes 8 + k % 4.
  const __m128i lo8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + B::scales.at));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  const __m128i lo =
      _mm_unpacklo_epi64(_mm_and_si128(lo8, m4), _mm_and_si128(_mm_srli_epi16(lo8, 4), m4));
  const __m128i hi_src =
      _mm_shuffle_epi8(_mm_cvtsi32_si128(static_cast<int>(load_le32(b + B::scales.at + 8))),
                       _mm_setr_epi8(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3));
  const __m128i hi =
      _mm_and_si128(_mm_srlv_epi32(hi_src, _mm_setr_epi32(0, 2, 4, 6)), _mm_set1_epi8(3));
  const __m128i sc =
      even_odd(_mm_sub_epi8(_mm_or_si128(lo, _mm_slli_epi16(hi, 4)), _mm_set1_epi8(32)));
  const float d = f16(load_le16(b + B::d.at));
  const Lanes8 lanes[2] = {{scaled_i8(sc, d), _mm256_setzero_ps()},
                           {scaled_i8(_mm_srli_si128(sc, 8), d), _mm256_setzero_ps()}};
  if (!symmetric_ok(lanes[0]) || !symmetric_ok(lanes[1])) return false;
  __m256i u[8];
  const __m256i hm = load256(b + B::hmask.at), m2 = _mm256_set1_epi8(3);
  uint32_t zeros = 0;
  for (int h = 0; h < 2; ++h) {
    const __m256i v = load256(b + B::qs.at + 32 * h);
    for (int j = 0; j < 4; ++j) {
      const int k = 4 * h + j;
      u[k] = _mm256_or_si256(_mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(2 * j)), m2),
                             move_bit(hm, k, 2));
      zeros += popcount(eq_mask(u[k], 4));
    }
  }
  const Sums16 t = sums16(u);
  widen16<4>(rg, lanes, -4.0f, 3.0f, u);
  r.zero += zeros;
  for (int half = 0; half < 2; ++half) {
    const __m256i sq = _mm256_sub_epi32(t.sq[half], _mm256_set1_epi32(16 * 4));
    add_symmetric<16>(r, lanes[half], sq, spread<16>(t.sq[half], t.sqq[half]),
                      [&](int k, int v) { return count_half(u[k], half, v + 4); });
  }
  return true;
}

// Q6_K: y = (d sc) q, sc int8, q = u - 32 with u's low 4 bits from ql and high 2 from qh.
bool q6_k_block(const uint8_t* b, BlockRun& r, Range& rg) noexcept {
  using B = BlockQ6_K;
  const __m128i sc = even_odd(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + B::scales.at)));
  const float d = f16(load_le16(b + B::d.at));
  const Lanes8 lanes[2] = {{scaled_i8(sc, d), _mm256_setzero_ps()},
                           {scaled_i8(_mm_srli_si128(sc, 8), d), _mm256_setzero_ps()}};
  if (!symmetric_ok(lanes[0]) || !symmetric_ok(lanes[1])) return false;
  __m256i u[8];
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30);
  uint32_t zeros = 0;
  for (int h = 0; h < 2; ++h) {
    const __m256i ql0 = load256(b + B::ql.at + 64 * h), ql1 = load256(b + B::ql.at + 64 * h + 32);
    const __m256i qh = load256(b + B::qh.at + 32 * h);
    const __m256i low[4] = {_mm256_and_si256(ql0, m4), _mm256_and_si256(ql1, m4),
                            _mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                            _mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4)};
    const __m256i high[4] = {_mm256_and_si256(_mm256_slli_epi16(qh, 4), m2),
                             _mm256_and_si256(_mm256_slli_epi16(qh, 2), m2),
                             _mm256_and_si256(qh, m2),
                             _mm256_and_si256(_mm256_srli_epi16(qh, 2), m2)};
    for (int j = 0; j < 4; ++j) {
      u[4 * h + j] = _mm256_or_si256(low[j], high[j]);
      zeros += popcount(eq_mask(u[4 * h + j], 32));
    }
  }
  const Sums16 t = sums16(u);
  widen16<32>(rg, lanes, -32.0f, 31.0f, u);
  r.zero += zeros;
  for (int half = 0; half < 2; ++half) {
    const __m256i sq = _mm256_sub_epi32(t.sq[half], _mm256_set1_epi32(16 * 32));
    add_symmetric<16>(r, lanes[half], sq, spread<16>(t.sq[half], t.sqq[half]),
                      [&](int k, int v) { return count_half(u[k], half, v + 32); });
  }
  return true;
}

// The pass over n super-blocks of type T in runs of kStatsRun values; N values per sub-block.
template <DType T, bool (*Block)(const uint8_t*, BlockRun&, Range&), uint32_t N>
uint64_t k_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  constexpr uint32_t kBytes = quant::BlockOf<T>::kBytes;  // clang 14: see quant/blocks.hpp
  constexpr uint64_t kRunBlocks = kStatsRun / 256;
  const SlowDecoder slow = slow_decoder(T);
  Range rg{s.min, s.max};
  HashStream h = hash_stream();
  for (uint64_t at = 0; at < n; at += kRunBlocks) {
    const uint64_t nb = n - at < kRunBlocks ? n - at : kRunBlocks;
    const uint8_t* p = src + at * kBytes;
    BlockRun r{run_shift(s)};
    for (uint64_t j = 0; j < nb; ++j)
      if (!Block(p + j * kBytes, r, rg)) slow_blocks(slow, p + j * kBytes, 1, r, rg);
    fold_block_run(s, r, rg, 1.0 / N);
    hash_upto(h, src, (at + nb) * kBytes);
  }
  return hash_close(h, src, n * kBytes);
}

}  // namespace

uint64_t q2_k_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  return k_stats<DType::Q2_K, q2_k_block, 16>(src, n, s);
}
uint64_t q3_k_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  return k_stats<DType::Q3_K, q3_k_block, 16>(src, n, s);
}
uint64_t q4_k_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  return k_stats<DType::Q4_K, k4_block<BlockQ4_K, false>, 32>(src, n, s);
}
uint64_t q5_k_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  return k_stats<DType::Q5_K, k4_block<BlockQ5_K, true>, 32>(src, n, s);
}
uint64_t q6_k_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  return k_stats<DType::Q6_K, q6_k_block, 16>(src, n, s);
}

}  // namespace mwt::detail::analysis::avx2
