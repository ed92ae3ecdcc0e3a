// Fused AVX2 statistics of the 32-value block types (Q8_0, Q4_0, Q5_0, Q4_1, Q5_1) straight
// from their bytes, and the table of every fused block kernel (analysis/stats_kernels.hpp).
// Eight blocks are one group: the integer sums Σq and Σq² of each block come from integer SIMD
// (one vector per block, reduced by a tree of horizontal adds into one lane per block), the eight
// scales are converted at once, and add_terms (stats_blocks_avx2.hpp) turns them into the block
// terms; a group that may widen [min, max] widens it exactly on the fast path. A group the fast
// path cannot take (a scale NaN / Inf, an affine block whose values are not exact) and the last
// blocks of a call are decoded by the scalar reference decoder and taken value by value.
// docs/validation.md#fused-block-statistics says why counts, min, max and the hash are exact.
#include "analysis/x86_avx2/stats_blocks_avx2.hpp"

#include "quant/blocks.hpp"

namespace mwt::detail::analysis::avx2 {
namespace {

using quant::BlockQ4_0, quant::BlockQ4_1, quant::BlockQ5_0, quant::BlockQ5_1, quant::BlockQ8_0;

// The f16 field at byte `at` of eight blocks of B bytes from p, as eight u16 lanes (assembled
// in general registers: eight word inserts would cost sixteen vector operations).
template <uint32_t B>
__m128i gather_f16(const uint8_t* p, uint32_t at) noexcept {
  auto word = [&](int j) { return uint64_t{load_le16(p + j * B + at)}; };
  const uint64_t lo = word(0) | word(1) << 16 | word(2) << 32 | word(3) << 48;
  const uint64_t hi = word(4) | word(5) << 16 | word(6) << 32 | word(7) << 48;
  return _mm_set_epi64x(static_cast<int64_t>(hi), static_cast<int64_t>(lo));
}

// The 32 quants of a 4- / 5-bit legacy block as unsigned bytes in value order (low nibbles are
// values 0-15, high nibbles 16-31; bit 4 of value j is bit j of qh).
inline __m256i nibbles32(const uint8_t* qs) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(x, 4), m4), _mm_and_si128(x, m4));
}
inline __m256i high_bits32(uint32_t qh) noexcept {
  // Byte j gets byte j / 8 of qh, then keeps bit j % 8: 0x10 where set.
  const __m256i bytes =
      _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(qh)),
                          _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
                                           2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
  return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// The unsigned quants u of block b of a legacy type (Q8_0 excluded) and the offset o with q = u -
// o for the symmetric types.
template <class B>
inline __m256i legacy_quants(const uint8_t* b) noexcept {
  __m256i u = nibbles32(b + B::qs.at);
  if constexpr (B::kType == DType::Q5_0 || B::kType == DType::Q5_1)
    u = _mm256_or_si256(u, high_bits32(load_le32(b + B::qh.at)));
  return u;
}

template <class B>
consteval int quant_offset() {
  return B::kType == DType::Q4_0 ? 8 : B::kType == DType::Q5_0 ? 16 : 0;
}
template <class B>
consteval float quant_max() {  // of u
  return B::kType == DType::Q4_0 || B::kType == DType::Q4_1 ? 15.0f : 31.0f;
}

// Bulk zero count of symmetric blocks: the values with q == 0 (u == offset).
inline uint32_t count_eq(__m256i u, int v) noexcept {
  const __m256i eq = _mm256_cmpeq_epi8(u, _mm256_set1_epi8(static_cast<char>(v)));
  return static_cast<uint32_t>(_mm_popcnt_u32(static_cast<uint32_t>(_mm256_movemask_epi8(eq))));
}

// One group of eight Q8_0 blocks at p on the fast path, or false (nothing added).
bool q8_0_group(const uint8_t* p, BlockRun& r, Range& rg) noexcept {
  using B = BlockQ8_0;
  const __m256 dl = _mm256_cvtph_ps(gather_f16<B::kBytes>(p, B::d.at));
  const Lanes8 lanes{dl, _mm256_setzero_ps()};
  if (!symmetric_ok(lanes)) return false;
  // Blocks are taken in pairs and their lanes added at once (hadd), which keeps the live
  // vectors within the sixteen registers.
  __m256i qq[4], qs[4];
  uint32_t zeros = 0;
  const __m256i ones = _mm256_set1_epi16(1);
  auto block = [&](int j, __m256i& q2, __m256i& q1) {
    const uint8_t* q = p + j * B::kBytes + B::qs.at;
    const __m256i lo = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
    const __m256i hi =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16)));
    q2 = _mm256_add_epi32(_mm256_madd_epi16(lo, lo), _mm256_madd_epi16(hi, hi));
    q1 = _mm256_madd_epi16(_mm256_add_epi16(lo, hi), ones);
    zeros += count_eq(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)), 0);
  };
  for (int j = 0; j < 4; ++j) {
    __m256i a2, a1, b2, b1;
    block(2 * j, a2, a1);
    block(2 * j + 1, b2, b1);
    qq[j] = _mm256_hadd_epi32(a2, b2);
    qs[j] = _mm256_hadd_epi32(a1, b1);
  }
  const __m256i sq = tree32_pairs(qs), sqq = tree32_pairs(qq);
  if (const unsigned out = symmetric_outside(lanes, rg, -128.0f, 127.0f))
    widen<false>(rg, lanes, out, [&](int k) {
      const __m256i q =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + k * B::kBytes + B::qs.at));
      const QRange u = byte_range32(_mm256_xor_si256(q, _mm256_set1_epi8(-128)));
      return QRange{u.lo - 128, u.hi - 128};
    });
  r.zero += zeros;
  add_symmetric<32>(r, lanes, sq, spread<32>(sq, sqq), [&](int k, int v) {
    return count_eq(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + k * B::kBytes + B::qs.at)), v);
  });
  return true;
}

// One group of eight 4- / 5-bit legacy blocks at p on the fast path, or false.
template <class B>
bool legacy_group(const uint8_t* p, BlockRun& r, Range& rg) noexcept {
  constexpr bool kAffine = B::kType == DType::Q4_1 || B::kType == DType::Q5_1;
  constexpr int kOff = quant_offset<B>();
  const __m128i dbits = gather_f16<B::kBytes>(p, B::d.at);
  Lanes8 lanes{_mm256_cvtph_ps(dbits), _mm256_setzero_ps()};
  if constexpr (kAffine) {
    // y = d u + m = d u - (-m).
    const __m128i mbits = gather_f16<B::kBytes>(p, B::m.at);
    lanes.ml = _mm256_sub_ps(_mm256_setzero_ps(), _mm256_cvtph_ps(mbits));
    if (!affine_ok(lanes, quant_max<B>(), exact_limit_f16(dbits, mbits))) return false;
  } else {
    if (!symmetric_ok(lanes)) return false;
  }
  __m256i uu[8], us[8], u_of[8];
  uint32_t zeros = 0;
  const __m256i ones = _mm256_set1_epi8(1);
  for (int j = 0; j < 8; ++j) {
    const __m256i u = legacy_quants<B>(p + j * B::kBytes);
    u_of[j] = u;
    uu[j] = _mm256_maddubs_epi16(u, u);
    us[j] = _mm256_maddubs_epi16(u, ones);
    if constexpr (!kAffine) zeros += count_eq(u, kOff);
  }
  const __m256i both = tree16(uu, us);  // [Σu² of blocks 0-7 | Σu of blocks 0-7], int16
  const __m256i suu = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(both));
  const __m256i su = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(both, 1));
  const __m256i x = spread<32>(su, suu);  // 32 Σq² - (Σq)², the same for u and q = u - o
  auto count = [&](int k, int v) { return count_eq(u_of[k], v + kOff); };
  auto range = [&](int k) {
    const QRange u = byte_range32(u_of[k]);
    return QRange{u.lo - kOff, u.hi - kOff};
  };
  const unsigned out =
      kAffine ? affine_outside(lanes, rg, quant_max<B>())
              : symmetric_outside(lanes, rg, static_cast<float>(-kOff), quant_max<B>() - kOff);
  if (out != 0) widen<kAffine>(rg, lanes, out, range);
  if constexpr (kAffine) {
    add_affine<32>(r, lanes, su, x, quant_max<B>(), count);
  } else {
    r.zero += zeros;
    add_symmetric<32>(r, lanes, _mm256_sub_epi32(su, _mm256_set1_epi32(32 * kOff)), x, count);
  }
  return true;
}

// The pass over n blocks of type T, eight at a time (Group), in runs of kStatsRun values.
template <DType T, bool (*Group)(const uint8_t*, BlockRun&, Range&)>
uint64_t legacy_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  constexpr uint32_t kBytes = quant::BlockOf<T>::kBytes;  // clang 14: see quant/blocks.hpp
  constexpr uint64_t kRunBlocks = kStatsRun / 32;
  static_assert(kRunBlocks % 8 == 0);
  const SlowDecoder slow = slow_decoder(T);
  Range rg{s.min, s.max};
  HashStream h = hash_stream();
  for (uint64_t at = 0; at < n; at += kRunBlocks) {
    const uint64_t nb = n - at < kRunBlocks ? n - at : kRunBlocks;
    const uint8_t* p = src + at * kBytes;
    BlockRun r{run_shift(s)};
    uint64_t j = 0;
    for (; j + 8 <= nb; j += 8)
      if (!Group(p + j * kBytes, r, rg)) slow_blocks(slow, p + j * kBytes, 8, r, rg);
    slow_blocks(slow, p + j * kBytes, nb - j, r, rg);
    fold_block_run(s, r, rg, 1.0 / 32);
    hash_upto(h, src, (at + nb) * kBytes);
  }
  return hash_close(h, src, n * kBytes);
}

}  // namespace

const BlockStatsKernel kBlockStatsKernels[] = {
    {DType::Q8_0, legacy_stats<DType::Q8_0, q8_0_group>},
    {DType::Q4_0, legacy_stats<DType::Q4_0, legacy_group<BlockQ4_0>>},
    {DType::Q4_1, legacy_stats<DType::Q4_1, legacy_group<BlockQ4_1>>},
    {DType::Q5_0, legacy_stats<DType::Q5_0, legacy_group<BlockQ5_0>>},
    {DType::Q5_1, legacy_stats<DType::Q5_1, legacy_group<BlockQ5_1>>},
    {DType::Q2_K, q2_k_stats},
    {DType::Q3_K, q3_k_stats},
    {DType::Q4_K, q4_k_stats},
    {DType::Q5_K, q5_k_stats},
    {DType::Q6_K, q6_k_stats},
};
const uint32_t kBlockStatsKernelCount = sizeof(kBlockStatsKernels) / sizeof(kBlockStatsKernels[0]);

}  // namespace mwt::detail::analysis::avx2
