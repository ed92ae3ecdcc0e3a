// The dequantization entry point: the table of block decoders per ggml type, argument checks,
// and the plain (one value per element) dtypes.
#include "quant/dequant_scalar.hpp"

#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/float_convert.hpp"
#include "quant/block_kernels.hpp"

namespace mwt::detail {
namespace {

struct BlockType {
  DType type;
  quant::BlockDecoder decode;
};

// One row per implemented block type; block sizes come from the dtype table (core/dtype.cpp).
// Not here, so UNSUPPORTED_FEATURE: Q1_0, Q2_0 (the gguf-py oracle cannot decode them yet), and
// the activation-only Q8_1 and Q8_K.
constexpr BlockType kBlockTypes[] = {
    {DType::Q4_0, quant::decode_q4_0},     {DType::Q4_1, quant::decode_q4_1},
    {DType::Q5_0, quant::decode_q5_0},     {DType::Q5_1, quant::decode_q5_1},
    {DType::Q8_0, quant::decode_q8_0},     {DType::Q2_K, quant::decode_q2_k},
    {DType::Q3_K, quant::decode_q3_k},     {DType::Q4_K, quant::decode_q4_k},
    {DType::Q5_K, quant::decode_q5_k},     {DType::Q6_K, quant::decode_q6_k},
    {DType::IQ4_NL, quant::decode_iq4_nl}, {DType::IQ4_XS, quant::decode_iq4_xs},
    {DType::TQ1_0, quant::decode_tq1_0},   {DType::TQ2_0, quant::decode_tq2_0},
    {DType::MXFP4, quant::decode_mxfp4},   {DType::IQ2_XXS, quant::decode_iq2_xxs},
    {DType::IQ2_XS, quant::decode_iq2_xs}, {DType::IQ2_S, quant::decode_iq2_s},
    {DType::IQ3_XXS, quant::decode_iq3_xxs}, {DType::IQ3_S, quant::decode_iq3_s},
    {DType::IQ1_S, quant::decode_iq1_s},   {DType::IQ1_M, quant::decode_iq1_m},
    {DType::NVFP4, quant::decode_nvfp4},
};

quant::BlockDecoder block_decoder(DType t) noexcept {
  for (const auto& b : kBlockTypes)
    if (b.type == t) return b.decode;
  return nullptr;
}

bool is_plain_integer(DType t) noexcept {
  switch (t) {
    case DType::I8: case DType::I16: case DType::I32: case DType::I64:
    case DType::U8: case DType::U16: case DType::U32: case DType::U64: case DType::BOOL:
      return true;
    default:
      return false;
  }
}

// Little-endian integers to the nearest float (a C++ integer -> float conversion rounds to
// nearest-even, as numpy's astype(float32) does).
template <typename T>
void integers_to_f32(const uint8_t* src, uint64_t n, float* dst) {
  for (uint64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

void plain_integers_to_f32(DType t, const uint8_t* src, uint64_t n, float* dst) {
  switch (t) {
    case DType::I8: return integers_to_f32<int8_t>(src, n, dst);
    case DType::I16: return integers_to_f32<int16_t>(src, n, dst);
    case DType::I32: return integers_to_f32<int32_t>(src, n, dst);
    case DType::I64: return integers_to_f32<int64_t>(src, n, dst);
    case DType::U8: return integers_to_f32<uint8_t>(src, n, dst);
    case DType::U16: return integers_to_f32<uint16_t>(src, n, dst);
    case DType::U32: return integers_to_f32<uint32_t>(src, n, dst);
    case DType::U64: return integers_to_f32<uint64_t>(src, n, dst);
    case DType::BOOL:
      for (uint64_t i = 0; i < n; ++i) dst[i] = src[i] != 0 ? 1.0f : 0.0f;
      return;
    default:
      fail(Code::INTERNAL, "not a plain integer dtype");
  }
}

}  // namespace

bool can_dequantize(DType type) noexcept {
  return block_decoder(type) != nullptr || is_convertible_float(type) || is_plain_integer(type);
}

uint64_t dequantize_block_count(DType type, uint64_t nbytes, uint64_t n_elems) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));
  if (info == nullptr)
    fail(Code::BAD_DTYPE, "dtype id " + std::to_string(static_cast<uint32_t>(type)) +
                              " is not a valid dtype");
  const std::string name(info->name);
  if (!can_dequantize(type))
    fail(Code::UNSUPPORTED_FEATURE, "mwt has no decoder for " + name + ", so it cannot dequantize it");
  if (n_elems % info->block_elems != 0)
    fail(Code::BAD_SHAPE, std::to_string(n_elems) + " values is not a whole number of " + name +
                              " blocks of " + std::to_string(info->block_elems));
  const uint64_t n_blocks = n_elems / info->block_elems;
  // n_blocks * block_bytes cannot overflow when it matches nbytes; check by division instead.
  if (nbytes % info->block_bytes != 0 || nbytes / info->block_bytes != n_blocks)
    fail(Code::SIZE_MISMATCH, std::to_string(nbytes) + " bytes do not hold " +
                                  std::to_string(n_elems) + " " + name + " values (" +
                                  std::to_string(n_blocks) + " blocks of " +
                                  std::to_string(info->block_bytes) + " bytes)");
  return n_blocks;
}

void dequantize_scalar(DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                       uint64_t n_elems) {
  const uint64_t n_blocks = dequantize_block_count(type, nbytes, n_elems);
  if (n_elems == 0) return;
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));

  if (const quant::BlockDecoder decode = block_decoder(type)) {
    for (uint64_t i = 0; i < n_blocks; ++i)
      decode(src + i * info->block_bytes, dst + i * info->block_elems);
  } else if (is_convertible_float(type)) {
    convert_to_f32(type, src, n_elems, dst);
  } else {
    plain_integers_to_f32(type, src, n_elems, dst);
  }
}

}  // namespace mwt::detail
