// The quantization entry point: the argument checks, the finiteness check of block-type inputs
// and the importance-weight checks, then the type's encoder from the type-traits table.
#include "quant/quantize.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"
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

}  // namespace

bool can_quantize(DType type) noexcept {
  const quant::TypeTraits* t = quant::type_traits(type);
  return t != nullptr && t->from_float != nullptr;
}

void quantize_scalar(DType type, const float* src, uint64_t n, uint8_t* dst, uint64_t dst_bytes,
                     const float* weights, uint64_t row_len) {
  const uint64_t n_blocks = quant::codec_block_count(type, quant::Codec::Encoder, dst_bytes, n);
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
  if (n == 0) return;
  if (traits.input != quant::EncodeInput::Any)
    for (uint64_t i = 0; i < n; ++i)
      if (!std::isfinite(src[i]))
        fail(Code::ARGUMENT, "cannot quantize to " + name + ": value " + std::to_string(i) +
                                 " is " + (std::isnan(src[i]) ? "NaN" : "infinite") +
                                 " (only finite values can be quantized to a block type)");
  traits.from_float(src, dst, n_blocks, weights, row_len);
}

}  // namespace mwt::detail
