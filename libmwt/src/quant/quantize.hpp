// Scalar reference quantization: float32 -> packed dtype data. The ggml block encoders repeat
// the float32 arithmetic of gguf-py's numpy reference (gguf.quants.quantize) operation by
// operation, so their output bytes are identical to it. Not tuned for speed.
#pragma once
#include <cstdint>

#include "core/dtype.hpp"
#include "core/isa.hpp"

namespace mwt::detail {

// True when quantize_scalar accepts `type`: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, TQ1_0, TQ2_0, MXFP4,
// the K-quants Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and the float targets F32, F16, BF16.
bool can_quantize(DType type) noexcept;

// Encode n float32 values from src into dst (dst_bytes bytes) as `type`. Errors (mwt::Error):
//   BAD_DTYPE            id is not a dtype
//   UNSUPPORTED_FEATURE  a valid dtype without a quantizer here (the message names it)
//   BAD_SHAPE            n is not a whole number of blocks
//   SIZE_MISMATCH        dst_bytes != n / block_elems * block_bytes
//   ARGUMENT             a block type and a NaN or +-Inf input (the message names the first
//                        such index); nothing is written then. gguf-py would let the NaN reach
//                        a float -> uint8 cast whose result numpy leaves to the platform.
// Byte-identical to gguf-py for every finite input, with one exception: a Q4_1 / Q5_1 block whose
// minimum or maximum is zero and which holds both +0 and -0 gets the zero with -0 < +0, where
// numpy's reduction order picks either; only the sign bit of a zero m (or d) can differ.
// Float targets take every input, NaN and Inf included, with convert_from_f32's rounding
// (nearest-even, overflow to Inf: the bits of numpy astype(float16) and of torch's bfloat16
// conversion; every NaN becomes sign|0x7E00 in F16 and 0x7FC0 in BF16).
// K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) have no reference encoder to match: quantize_k.cpp
// searches scales minimizing the (weighted) squared reconstruction error; the output is
// deterministic. Optional importance weights: `weights` holds row_len non-negative finite
// values, applied to each row of row_len values of src (weighted least squares when choosing
// scales). ARGUMENT when weights are given for a type that does not take them, when row_len is
// 0, not whole blocks or does not divide n, or for a NaN / Inf / negative weight.
// src and dst must not overlap.
void quantize_scalar(DType type, const float* src, uint64_t n, uint8_t* dst, uint64_t dst_bytes,
                     const float* weights = nullptr, uint64_t row_len = 0);

// The dispatching encoder the C ABI uses: quantize_scalar's contract, errors and output bytes,
// with the active ISA's encoder kernel where the type-traits table has one (else the scalar
// encoder), on up to n_threads threads (0 = default_thread_count(), core/thread_split.hpp).
// Threads take contiguous ranges of whole blocks (of whole rows when weights are given), each
// block coded from its own values alone, so the bytes are the same for every thread count and
// ISA (tests/cpp/test_quantize_simd.cpp). The arguments, the finiteness of the input and the
// weights are all checked before any byte is written.
void quantize(DType type, const float* src, uint64_t n, uint8_t* dst, uint64_t dst_bytes,
              const float* weights = nullptr, uint64_t row_len = 0, unsigned n_threads = 0);

// As quantize with an explicit ISA and exactly min(parts, units) threads (units: blocks, or
// rows with weights), whatever the size; for tests and benchmarks. UNSUPPORTED_FEATURE when the
// ISA is avx2 and this CPU cannot run it.
void quantize_split(Isa isa, DType type, const float* src, uint64_t n, uint8_t* dst,
                    uint64_t dst_bytes, const float* weights, uint64_t row_len, unsigned parts);

namespace quant {

using BlockEncoder = void (*)(const float* x, uint8_t* block);

// quantize_legacy.cpp: one 32-value block each, finite inputs only (the dispatcher checks).
void encode_q4_0(const float* x, uint8_t* b);
void encode_q4_1(const float* x, uint8_t* b);
void encode_q5_0(const float* x, uint8_t* b);
void encode_q5_1(const float* x, uint8_t* b);
void encode_q8_0(const float* x, uint8_t* b);
// quantize_ternary_mx.cpp: TQ1_0 / TQ2_0 (256 values), MXFP4 (32 values); finite inputs only.
void encode_tq1_0(const float* x, uint8_t* b);
void encode_tq2_0(const float* x, uint8_t* b);
void encode_mxfp4(const float* x, uint8_t* b);

// quantize_k.cpp: one 256-value super-block each, finite inputs only; w holds 256 non-negative
// importance weights or is nullptr (all 1).
using WeightedBlockEncoder = void (*)(const float* x, const float* w, uint8_t* block);
void encode_q2_k(const float* x, const float* w, uint8_t* b);
void encode_q3_k(const float* x, const float* w, uint8_t* b);
void encode_q4_k(const float* x, const float* w, uint8_t* b);
void encode_q5_k(const float* x, const float* w, uint8_t* b);
void encode_q6_k(const float* x, const float* w, uint8_t* b);

}  // namespace quant
}  // namespace mwt::detail
