// Scalar reference dequantization: packed dtype data -> float32. The ggml block formats follow
// the layouts and formulas of ggml-common.h / ggml-quants.c (docs/quant-blocks.md),
// with the same float32 operation order as gguf-py's numpy reference, so results agree bit for
// bit. This is the reference the tests compare against; it is not tuned for speed.
#pragma once
#include <cstdint>

#include "core/dtype.hpp"

namespace mwt::detail {

// True when dequantize_scalar accepts `type`: the implemented ggml block types plus the plain
// float, integer and bool dtypes.
bool can_dequantize(DType type) noexcept;

// Decode n_elems values of `type` from `src` (nbytes bytes) into dst. Errors (mwt::Error):
//   BAD_DTYPE            id is not a dtype (ggml's removed ids 4, 5, 31-33, 36-38 included)
//   UNSUPPORTED_FEATURE  a valid dtype without a dequantizer here (the message names it)
//   BAD_SHAPE            n_elems is not a whole number of blocks
//   SIZE_MISMATCH        nbytes != n_elems / block_elems * block_bytes
// Plain types: floats convert exactly (F64 rounds to nearest-even); integers and bool become
// the nearest float, as numpy's astype(float32) does. src and dst must not overlap.
void dequantize_scalar(DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                       uint64_t n_elems);

// The argument checks of dequantize_scalar, in the same order and with the same errors; returns
// the number of blocks (n_elems for the plain dtypes, whose blocks are one value). The SIMD
// kernels (quant/dequantize.hpp) validate through this so both paths refuse alike.
uint64_t dequantize_block_count(DType type, uint64_t nbytes, uint64_t n_elems);

}  // namespace mwt::detail
