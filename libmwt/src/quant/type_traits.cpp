// The quant type-traits rows (quant/type_traits.hpp): the scalar decoder and encoder of every
// type, as whole-block loops over the per-block codecs of block_kernels.hpp and quantize.hpp
// (strides from quant/blocks.hpp, so from the dtype table), the plain dtypes' conversions, and
// the ISA columns filled from the per-ISA kernel lists; and the argument checks of the scalar
// entry points.
#include "quant/type_traits.hpp"

#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/float_convert.hpp"
#include "quant/block_kernels.hpp"
#include "quant/blocks.hpp"
#include "quant/kernel_table.hpp"
#include "quant/quantize.hpp"

namespace mwt::detail::quant {
namespace {

template <class B, BlockDecoder F>
void decode_blocks(const uint8_t* src, float* dst, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i) F(src + i * B::kBytes, dst + i * B::kElems);
}

template <class B, BlockEncoder F>
void encode_blocks(const float* src, uint8_t* dst, uint64_t n_blocks, const float*, uint64_t) {
  for (uint64_t i = 0; i < n_blocks; ++i) F(src + i * B::kElems, dst + i * B::kBytes);
}

// Block i starts at value i * kElems, which sits at (i * kElems) % row_len within its row.
template <class B, WeightedBlockEncoder F>
void encode_weighted_blocks(const float* src, uint8_t* dst, uint64_t n_blocks, const float* w,
                            uint64_t row_len) {
  for (uint64_t i = 0; i < n_blocks; ++i) {
    const uint64_t at = i * B::kElems;
    F(src + at, w != nullptr ? w + at % row_len : nullptr, dst + i * B::kBytes);
  }
}

// Little-endian integers to the nearest float (a C++ integer -> float conversion rounds to
// nearest-even, as numpy's astype(float32) does).
template <typename T>
void integers_to_f32(const uint8_t* src, float* dst, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

void bools_to_f32(const uint8_t* src, float* dst, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) dst[i] = src[i] != 0 ? 1.0f : 0.0f;
}

template <DType T>
void floats_to_f32(const uint8_t* src, float* dst, uint64_t n) {
  convert_to_f32(T, src, n, dst);
}

template <DType T>
void f32_to_floats(const float* src, uint8_t* dst, uint64_t n, const float*, uint64_t) {
  convert_from_f32(T, src, n, dst);
}

// Row builders: the block type B names the dtype, so a row cannot pair a codec with the wrong
// layout's stride.
template <class B, BlockDecoder D>
consteval TypeTraits decoder_only() {
  return {B::kType, decode_blocks<B, D>, nullptr, EncodeInput::Finite, nullptr, nullptr};
}
template <class B, BlockDecoder D, BlockEncoder E>
consteval TypeTraits block_codec() {
  return {B::kType, decode_blocks<B, D>, encode_blocks<B, E>, EncodeInput::Finite, nullptr,
          nullptr};
}
template <class B, BlockDecoder D, WeightedBlockEncoder E>
consteval TypeTraits weighted_codec() {
  return {
      B::kType, decode_blocks<B, D>, encode_weighted_blocks<B, E>, EncodeInput::Weighted, nullptr,
      nullptr};
}
template <DType T>
consteval TypeTraits float_decoder() {
  return {T, floats_to_f32<T>, nullptr, EncodeInput::Any, nullptr, nullptr};
}
template <DType T>
consteval TypeTraits float_codec() {
  return {T, floats_to_f32<T>, f32_to_floats<T>, EncodeInput::Any, nullptr, nullptr};
}
consteval TypeTraits integer_decoder(DType t, RowDecoder decode) {
  return {t, decode, nullptr, EncodeInput::Finite, nullptr, nullptr};
}

// Not here: Q1_0, Q2_0 (the gguf-py oracle cannot decode them yet), the activation-only Q8_1 and
// Q8_K, and F4 / F6 / C64. Float targets of quantize_scalar: F32, F16, BF16.
constexpr TypeTraits kRows[] = {
    float_codec<DType::F32>(),
    float_codec<DType::F16>(),
    float_codec<DType::BF16>(),
    float_decoder<DType::F64>(),
    float_decoder<DType::F8_E5M2>(),
    float_decoder<DType::F8_E4M3>(),
    float_decoder<DType::F8_E8M0>(),
    float_decoder<DType::F8_E4M3FNUZ>(),
    float_decoder<DType::F8_E5M2FNUZ>(),
    integer_decoder(DType::I8, integers_to_f32<int8_t>),
    integer_decoder(DType::I16, integers_to_f32<int16_t>),
    integer_decoder(DType::I32, integers_to_f32<int32_t>),
    integer_decoder(DType::I64, integers_to_f32<int64_t>),
    integer_decoder(DType::U8, integers_to_f32<uint8_t>),
    integer_decoder(DType::U16, integers_to_f32<uint16_t>),
    integer_decoder(DType::U32, integers_to_f32<uint32_t>),
    integer_decoder(DType::U64, integers_to_f32<uint64_t>),
    integer_decoder(DType::BOOL, bools_to_f32),
    block_codec<BlockQ4_0, decode_q4_0, encode_q4_0>(),
    block_codec<BlockQ4_1, decode_q4_1, encode_q4_1>(),
    block_codec<BlockQ5_0, decode_q5_0, encode_q5_0>(),
    block_codec<BlockQ5_1, decode_q5_1, encode_q5_1>(),
    block_codec<BlockQ8_0, decode_q8_0, encode_q8_0>(),
    weighted_codec<BlockQ2_K, decode_q2_k, encode_q2_k>(),
    weighted_codec<BlockQ3_K, decode_q3_k, encode_q3_k>(),
    weighted_codec<BlockQ4_K, decode_q4_k, encode_q4_k>(),
    weighted_codec<BlockQ5_K, decode_q5_k, encode_q5_k>(),
    weighted_codec<BlockQ6_K, decode_q6_k, encode_q6_k>(),
    decoder_only<BlockIQ4_NL, decode_iq4_nl>(),
    decoder_only<BlockIQ4_XS, decode_iq4_xs>(),
    block_codec<BlockMXFP4, decode_mxfp4, encode_mxfp4>(),
    decoder_only<BlockNVFP4, decode_nvfp4>(),
    block_codec<BlockTQ1_0, decode_tq1_0, encode_tq1_0>(),
    block_codec<BlockTQ2_0, decode_tq2_0, encode_tq2_0>(),
    decoder_only<BlockIQ2_XXS, decode_iq2_xxs>(),
    decoder_only<BlockIQ2_XS, decode_iq2_xs>(),
    decoder_only<BlockIQ2_S, decode_iq2_s>(),
    decoder_only<BlockIQ3_XXS, decode_iq3_xxs>(),
    decoder_only<BlockIQ3_S, decode_iq3_s>(),
    decoder_only<BlockIQ1_S, decode_iq1_s>(),
    decoder_only<BlockIQ1_M, decode_iq1_m>(),
};
constexpr size_t kRowCount = sizeof(kRows) / sizeof(kRows[0]);

// Block rows take their strides from their Block struct (so from the dtype table); the plain
// rows' element loops are right only for dtypes of one value per block. One row per dtype.
consteval bool rows_are_consistent() {
  for (size_t i = 0; i < kRowCount; ++i) {
    const DTypeInfo& info = static_dtype_info(kRows[i].type);
    if (!info.quantized && info.block_elems != 1) return false;
    for (size_t j = i + 1; j < kRowCount; ++j)
      if (kRows[j].type == kRows[i].type) return false;
  }
  return true;
}
static_assert(rows_are_consistent());

struct Table {
  TypeTraits rows[kRowCount];
};

// The row of `type` in rows[0..kRowCount), const or not.
template <class Row>
Row* find_row(Row* rows, DType type) noexcept {
  for (size_t i = 0; i < kRowCount; ++i)
    if (rows[i].type == type) return &rows[i];
  return nullptr;
}

// The rows with the ISA columns filled in. The kernel lists are constant data compiled with
// their ISA's flags; reading them executes none of that code.
Table build() noexcept {
  Table t{};
  for (size_t i = 0; i < kRowCount; ++i) t.rows[i] = kRows[i];
#if defined(MWT_KERNELS_X86_AVX2)
  const kernels::KernelList* avx2_lists[] = {
      &kernels::avx2::kLegacyKQuantKernels, &kernels::avx2::kCodebookKernels,
      &kernels::avx2::kTernaryKernels, &kernels::avx2::kIqKernels};
  for (const kernels::KernelList* list : avx2_lists)
    for (uint32_t k = 0; k < list->count; ++k)
      if (TypeTraits* row = find_row(t.rows, list->entries[k].type))
        row->avx2 = list->entries[k].kernel;
  const kernels::EncoderList* encoder_lists[] = {&kernels::avx2::kLegacyEncoders,
                                                 &kernels::avx2::kKQuantEncoders};
  for (const kernels::EncoderList* enc : encoder_lists)
    for (uint32_t k = 0; k < enc->count; ++k)
      if (TypeTraits* row = find_row(t.rows, enc->entries[k].type))
        if (row->from_float != nullptr) row->avx2_encode = enc->entries[k].kernel;
#endif
  return t;
}

}  // namespace

const TypeTraits* type_traits(DType type) noexcept {
  static const Table table = build();
  return find_row(table.rows, type);
}

uint64_t codec_block_count(DType type, Codec codec, uint64_t nbytes, uint64_t n_elems) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));
  if (info == nullptr)
    fail(Code::BAD_DTYPE,
         "dtype id " + std::to_string(static_cast<uint32_t>(type)) + " is not a valid dtype");
  const std::string name(info->name);
  const TypeTraits* row = type_traits(type);
  const bool decode = codec == Codec::Decoder;
  if (row == nullptr || (decode ? row->to_float == nullptr : row->from_float == nullptr))
    fail(Code::UNSUPPORTED_FEATURE,
         decode ? "mwt has no decoder for " + name + ", so it cannot dequantize it"
                : "mwt has no quantizer for " + name);
  if (n_elems % info->block_elems != 0)
    fail(Code::BAD_SHAPE, std::to_string(n_elems) + " values is not a whole number of " + name +
                              " blocks of " + std::to_string(info->block_elems));
  const uint64_t n_blocks = n_elems / info->block_elems;
  // n_blocks * block_bytes cannot overflow when it matches nbytes; check by division instead.
  if (nbytes % info->block_bytes != 0 || nbytes / info->block_bytes != n_blocks)
    fail(Code::SIZE_MISMATCH,
         std::to_string(nbytes) + (decode ? " bytes do not hold " : " bytes are not the size of ") +
             std::to_string(n_elems) + " " + name + " values (" + std::to_string(n_blocks) +
             " blocks of " + std::to_string(info->block_bytes) + " bytes)");
  return n_blocks;
}

}  // namespace mwt::detail::quant
