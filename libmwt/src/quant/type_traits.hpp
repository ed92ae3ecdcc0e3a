// The quant type-traits table (ggml's type_traits idea): one row per dtype mwt can decode or
// encode, through which every codec of that type is found: the scalar reference decoder, the
// scalar encoder, and the dequantization kernel and the encoder kernel of each ISA. can_dequantize
// / can_quantize, dequantize_scalar, quantize_scalar and the dispatching dequantize and quantize
// all look a type up here; no other file lists which types have which codec. Block sizes stay in
// the dtype table (core/dtype.hpp), block layouts in quant/blocks.hpp.
#pragma once
#include <cstdint>

#include "core/dtype.hpp"
#include "quant/dequantize.hpp"
#include "quant/kernel_table.hpp"

namespace mwt::detail::quant {

// Decodes n_blocks whole blocks from src into dst (n_blocks * block_elems floats): the
// signature of the ISA kernels too (kernels::DequantKernel). Plain dtypes have one-value blocks.
using RowDecoder = kernels::DequantKernel;

// Encodes n_blocks whole blocks of src into dst. w is nullptr or row_len importance weights
// applied to each row of row_len values (only EncodeInput::Weighted rows are given any).
using RowEncoder = kernels::EncodeKernel;

// What a row's encoder accepts; quantize_scalar checks the input against it first.
enum class EncodeInput : uint8_t {
  Any,       // every float, NaN and Inf included (the float targets F32, F16, BF16)
  Finite,    // finite values only (block types)
  Weighted,  // finite values, and optional importance weights (the K-quants)
};

struct TypeTraits {
  DType type;
  RowDecoder to_float;          // scalar reference decoder; nullptr: cannot dequantize
  RowEncoder from_float;        // scalar encoder; nullptr: cannot quantize
  EncodeInput input;            // meaningful with from_float only
  kernels::DequantKernel avx2;  // from the quant/x86_avx2/ lists; nullptr: none or not built
  RowEncoder avx2_encode;       // likewise; byte-identical to from_float
};

// The row of `type`, or nullptr when mwt has neither a decoder nor an encoder for it. The ISA
// columns are filled from the per-ISA kernel lists (quant/kernel_table.hpp) on first use.
const TypeTraits* type_traits(DType type) noexcept;

// Which codec a call needs, for codec_block_count.
enum class Codec : uint8_t { Decoder, Encoder };

// The argument checks the scalar entry points share, in order: BAD_DTYPE (not a dtype),
// UNSUPPORTED_FEATURE (no such codec in the table), BAD_SHAPE (n_elems not whole blocks),
// SIZE_MISMATCH (nbytes is not n_elems' block bytes). Returns the number of blocks.
uint64_t codec_block_count(DType type, Codec codec, uint64_t nbytes, uint64_t n_elems);

}  // namespace mwt::detail::quant
