// The quantization entry points: the argument checks, the finiteness check of block-type inputs
// and the importance-weight checks, then the type's encoder from the type-traits table: the
// scalar one (quantize_scalar), or the active ISA's kernel over threads (quantize).
#include "quant/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/thread_split.hpp"
#include "quant/type_traits.hpp"

namespace mwt::detail {
namespace {

// The importance-weight checks of quantize_scalar (weights != nullptr).
void check_weights(const std::string& name, uint64_t block_elems, uint64_t n, const float* weights,
                   uint64_t row_len) {
  if (row_len == 0 || row_len % block_elems != 0)
    fail(Code::ARGUMENT,
         "importance weights need a row length that is a positive multiple of "
         "the " +
             name + " block size " + std::to_string(block_elems) + ", not " +
             std::to_string(row_len));
  if (n % row_len != 0)
    fail(Code::ARGUMENT, std::to_string(n) + " values are not whole rows of " +
                             std::to_string(row_len) + " (the length of the importance weights)");
  for (uint64_t i = 0; i < row_len; ++i)
    if (!(std::isfinite(weights[i]) && weights[i] >= 0.0f))
      fail(Code::ARGUMENT, "importance weight " + std::to_string(i) + " is " +
                               std::to_string(weights[i]) +
                               " (weights must be finite and non-negative)");
}

// ARGUMENT naming value i of src, which is not finite.
[[noreturn]] void fail_not_finite(const std::string& name, const float* src, uint64_t i) {
  fail(Code::ARGUMENT, "cannot quantize to " + name + ": value " + std::to_string(i) + " is " +
                           (std::isnan(src[i]) ? "NaN" : "infinite") +
                           " (only finite values can be quantized to a block type)");
}

// The first index in [begin, end) whose value is NaN or +-Inf (all exponent bits set), or end.
// Chunks are scanned with a branch-free OR the compiler vectorizes, then searched when flagged.
uint64_t first_not_finite(const float* src, uint64_t begin, uint64_t end) noexcept {
  constexpr uint64_t kChunk = 1024;
  constexpr uint32_t kExp = 0x7F800000u;
  for (uint64_t c = begin; c < end; c += kChunk) {
    const uint64_t stop = std::min(end, c + kChunk);
    uint32_t bad = 0;
    for (uint64_t i = c; i < stop; ++i) {
      uint32_t u;
      std::memcpy(&u, src + i, 4);
      bad |= static_cast<uint32_t>((u & kExp) == kExp);
    }
    if (bad != 0)
      for (uint64_t i = c; i < stop; ++i)
        if (!std::isfinite(src[i])) return i;
  }
  return end;
}

// The checks every entry point makes, in order (the finiteness scan split into `parts` ranges,
// the lowest bad index reported); returns the type's row and sets the block count.
const quant::TypeTraits& checked_row(DType type, const float* src, uint64_t n, uint64_t dst_bytes,
                                     const float* weights, uint64_t row_len, unsigned parts,
                                     uint64_t& n_blocks) {
  n_blocks = quant::codec_block_count(type, quant::Codec::Encoder, dst_bytes, n);
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));  // valid: counted above
  const std::string name(info->name);
  const quant::TypeTraits& traits = *quant::type_traits(type);  // can_quantize: a row
  if (weights != nullptr) {
    if (traits.input != quant::EncodeInput::Weighted)
      fail(Code::ARGUMENT,
           "importance weights apply only to the K-quants (Q2_K, Q3_K, Q4_K, "
           "Q5_K, Q6_K), not to " +
               name);
    check_weights(name, info->block_elems, n, weights, row_len);
  }
  if (n == 0 || traits.input == quant::EncodeInput::Any) return traits;
  parts = std::max(1u, std::min<unsigned>(parts, kMaxThreads));
  uint64_t found[kMaxThreads];
  run_split(n, parts, [&](Range r) {
    // Range r is part p of split_range(n, parts, .): find p from its start.
    unsigned p = 0;
    while (split_range(n, parts, p).begin != r.begin) ++p;
    found[p] = first_not_finite(src, r.begin, r.end);
  });
  for (unsigned p = 0; p < parts; ++p)
    if (found[p] != split_range(n, parts, p).end) fail_not_finite(name, src, found[p]);
  return traits;
}

}  // namespace

bool can_quantize(DType type) noexcept {
  const quant::TypeTraits* t = quant::type_traits(type);
  return t != nullptr && t->from_float != nullptr;
}

void quantize_scalar(DType type, const float* src, uint64_t n, uint8_t* dst, uint64_t dst_bytes,
                     const float* weights, uint64_t row_len) {
  uint64_t n_blocks = 0;
  const quant::TypeTraits& traits =
      checked_row(type, src, n, dst_bytes, weights, row_len, 1, n_blocks);
  if (n == 0) return;
  traits.from_float(src, dst, n_blocks, weights, row_len);
}

namespace {

// Fewest input values a thread is given by quantize: a call splits over at most
// n / min_values threads. The K-quant searches cost ~40x more per value than the legacy
// encoders, so a second thread pays for itself on far smaller inputs. (Chosen from the
// thread start cost, 15-30 us, of quant/dequantize.hpp against the encode rates in
// benchmarks/RESULTS.md, not tuned further.)
constexpr uint64_t kMinValuesPerThread = uint64_t{1} << 19;
constexpr uint64_t kMinWeightedValuesPerThread = uint64_t{1} << 14;

enum class Split { Planned, Exact };

void encode_in_parts(Isa isa, DType type, const float* src, uint64_t n, uint8_t* dst,
                     uint64_t dst_bytes, const float* weights, uint64_t row_len, unsigned n_threads,
                     Split split) {
  if (isa == Isa::Avx2 && !cpu_has_avx2())
    fail(Code::UNSUPPORTED_FEATURE,
         "the avx2 kernels need AVX2, FMA and F16C, which this CPU (or OS) does not provide");
  const quant::TypeTraits* row = quant::type_traits(type);
  const bool weighted = row != nullptr && row->input == quant::EncodeInput::Weighted;
  const uint64_t asked = n_threads == 0 && split == Split::Planned
                             ? default_thread_count()
                             : std::min<uint64_t>(std::max(n_threads, 1u), kMaxThreads);
  const uint64_t min_values = weighted ? kMinWeightedValuesPerThread : kMinValuesPerThread;
  const uint64_t want =
      split == Split::Planned ? std::min(asked, std::max<uint64_t>(n / min_values, 1)) : asked;
  uint64_t n_blocks = 0;
  const quant::TypeTraits& traits =
      checked_row(type, src, n, dst_bytes, weights, row_len, static_cast<unsigned>(want), n_blocks);
  if (n == 0) return;
  const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(type));
  // The unit a thread takes: a block, or a row of blocks when weights index by row position.
  const uint64_t unit_blocks = weights != nullptr ? row_len / info.block_elems : 1;
  const uint64_t units = n_blocks / unit_blocks;
  const quant::RowEncoder encoder =
      isa == Isa::Avx2 && traits.avx2_encode != nullptr ? traits.avx2_encode : traits.from_float;
  auto encode = [&](Range r) {
    const uint64_t b0 = r.begin * unit_blocks, count = (r.end - r.begin) * unit_blocks;
    encoder(src + b0 * info.block_elems, dst + b0 * info.block_bytes, count, weights, row_len);
  };
  const uint64_t parts = std::min(want, units);
  if (parts <= 1)
    encode({0, units});
  else
    run_split(units, static_cast<unsigned>(parts), encode);
}

}  // namespace

void quantize(DType type, const float* src, uint64_t n, uint8_t* dst, uint64_t dst_bytes,
              const float* weights, uint64_t row_len, unsigned n_threads) {
  encode_in_parts(active(), type, src, n, dst, dst_bytes, weights, row_len, n_threads,
                  Split::Planned);
}

void quantize_split(Isa isa, DType type, const float* src, uint64_t n, uint8_t* dst,
                    uint64_t dst_bytes, const float* weights, uint64_t row_len, unsigned parts) {
  encode_in_parts(isa, type, src, n, dst, dst_bytes, weights, row_len, parts, Split::Exact);
}

}  // namespace mwt::detail
