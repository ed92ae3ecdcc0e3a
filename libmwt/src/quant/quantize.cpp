// The quantization entry point: the table of block encoders per ggml type, the argument checks,
// the finiteness check of block-type inputs, the importance-weight checks, and the float targets.
#include "quant/quantize.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/float_convert.hpp"

namespace mwt::detail {
namespace {

struct BlockType {
  DType type;
  quant::BlockEncoder encode;
};

// One row per block type with an encoder; block sizes come from the dtype table.
constexpr BlockType kBlockTypes[] = {
    {DType::Q4_0, quant::encode_q4_0}, {DType::Q4_1, quant::encode_q4_1},
    {DType::Q5_0, quant::encode_q5_0}, {DType::Q5_1, quant::encode_q5_1},
    {DType::Q8_0, quant::encode_q8_0}, {DType::TQ1_0, quant::encode_tq1_0},
    {DType::TQ2_0, quant::encode_tq2_0}, {DType::MXFP4, quant::encode_mxfp4},
};

// Block types whose encoder takes importance weights (one per value of the block).
struct WeightedBlockType {
  DType type;
  quant::WeightedBlockEncoder encode;
};

constexpr WeightedBlockType kWeightedBlockTypes[] = {
    {DType::Q2_K, quant::encode_q2_k}, {DType::Q3_K, quant::encode_q3_k},
    {DType::Q4_K, quant::encode_q4_k}, {DType::Q5_K, quant::encode_q5_k},
    {DType::Q6_K, quant::encode_q6_k},
};

quant::BlockEncoder block_encoder(DType t) noexcept {
  for (const auto& b : kBlockTypes)
    if (b.type == t) return b.encode;
  return nullptr;
}

quant::WeightedBlockEncoder weighted_block_encoder(DType t) noexcept {
  for (const auto& b : kWeightedBlockTypes)
    if (b.type == t) return b.encode;
  return nullptr;
}

// The importance-weight checks of quantize_scalar (weights != nullptr).
void check_weights(const std::string& name, uint64_t block_elems, uint64_t n,
                   const float* weights, uint64_t row_len) {
  if (row_len == 0 || row_len % block_elems != 0)
    fail(Code::ARGUMENT, "importance weights need a row length that is a positive multiple of "
                         "the " + name + " block size " + std::to_string(block_elems) +
                         ", not " + std::to_string(row_len));
  if (n % row_len != 0)
    fail(Code::ARGUMENT, std::to_string(n) + " values are not whole rows of " +
                             std::to_string(row_len) + " (the length of the importance weights)");
  for (uint64_t i = 0; i < row_len; ++i)
    if (!(std::isfinite(weights[i]) && weights[i] >= 0.0f))
      fail(Code::ARGUMENT, "importance weight " + std::to_string(i) + " is " +
                               std::to_string(weights[i]) +
                               " (weights must be finite and non-negative)");
}

bool is_float_target(DType t) noexcept {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16;
}

}  // namespace

bool can_quantize(DType type) noexcept {
  return block_encoder(type) != nullptr || weighted_block_encoder(type) != nullptr ||
         is_float_target(type);
}

void quantize_scalar(DType type, const float* src, uint64_t n, uint8_t* dst, uint64_t dst_bytes,
                     const float* weights, uint64_t row_len) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));
  if (info == nullptr)
    fail(Code::BAD_DTYPE, "dtype id " + std::to_string(static_cast<uint32_t>(type)) +
                              " is not a valid dtype");
  const std::string name(info->name);
  if (!can_quantize(type))
    fail(Code::UNSUPPORTED_FEATURE, "mwt has no quantizer for " + name);
  if (n % info->block_elems != 0)
    fail(Code::BAD_SHAPE, std::to_string(n) + " values is not a whole number of " + name +
                              " blocks of " + std::to_string(info->block_elems));
  const uint64_t n_blocks = n / info->block_elems;
  // n_blocks * block_bytes cannot overflow when it matches dst_bytes; check by division.
  if (dst_bytes % info->block_bytes != 0 || dst_bytes / info->block_bytes != n_blocks)
    fail(Code::SIZE_MISMATCH, std::to_string(dst_bytes) + " bytes are not the size of " +
                                  std::to_string(n) + " " + name + " values (" +
                                  std::to_string(n_blocks) + " blocks of " +
                                  std::to_string(info->block_bytes) + " bytes)");
  const quant::WeightedBlockEncoder encode_w = weighted_block_encoder(type);
  if (weights != nullptr) {
    if (encode_w == nullptr)
      fail(Code::ARGUMENT, "importance weights apply only to the K-quants (Q2_K, Q3_K, Q4_K, "
                           "Q5_K, Q6_K), not to " + name);
    check_weights(name, info->block_elems, n, weights, row_len);
  }
  if (n == 0) return;

  const quant::BlockEncoder encode = block_encoder(type);
  if (encode == nullptr && encode_w == nullptr) {
    convert_from_f32(type, src, n, dst);
    return;
  }
  for (uint64_t i = 0; i < n; ++i)
    if (!std::isfinite(src[i]))
      fail(Code::ARGUMENT, "cannot quantize to " + name + ": value " + std::to_string(i) +
                               " is " + (std::isnan(src[i]) ? "NaN" : "infinite") +
                               " (only finite values can be quantized to a block type)");
  if (encode_w != nullptr) {
    for (uint64_t i = 0; i < n_blocks; ++i) {
      const uint64_t at = i * info->block_elems;
      encode_w(src + at, weights ? weights + at % row_len : nullptr, dst + i * info->block_bytes);
    }
    return;
  }
  for (uint64_t i = 0; i < n_blocks; ++i)
    encode(src + i * info->block_elems, dst + i * info->block_bytes);
}

}  // namespace mwt::detail
