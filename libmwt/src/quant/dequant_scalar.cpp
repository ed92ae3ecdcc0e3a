// The scalar dequantization entry point: the argument checks shared with the dispatching
// dequantize, then the type's scalar reference decoder from the type-traits table.
#include "quant/dequant_scalar.hpp"

#include "quant/type_traits.hpp"

namespace mwt::detail {

bool can_dequantize(DType type) noexcept {
  const quant::TypeTraits* t = quant::type_traits(type);
  return t != nullptr && t->to_float != nullptr;
}

uint64_t dequantize_block_count(DType type, uint64_t nbytes, uint64_t n_elems) {
  return quant::codec_block_count(type, quant::Codec::Decoder, nbytes, n_elems);
}

void dequantize_scalar(DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                       uint64_t n_elems) {
  const uint64_t n_blocks = dequantize_block_count(type, nbytes, n_elems);
  if (n_blocks == 0) return;
  quant::type_traits(type)->to_float(src, dst, n_blocks);  // a row with to_float: checked above
}

}  // namespace mwt::detail
