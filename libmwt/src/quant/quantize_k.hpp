// The three inner steps of the K-quant encoder (quant/quantize_k.cpp) as exchangeable kernels:
// the scalar reference there and the AVX2 versions in x86_avx2/quantize_k_avx2.cpp, which give
// the same results bit for bit (each does the reference's double / float operations in its
// order; tests/cpp/test_quantize_simd.cpp compares the bytes). The search around them, the
// super-block scales and the packing are one code path, quantize_k.cpp's.
// Plain types and function pointers only: this header is included by ISA-specific files, so it
// must define no function (an inline function compiled with AVX2 flags could be the copy the
// linker keeps for baseline callers).
#pragma once
#include <cstdint>

#include "core/dtype.hpp"

namespace mwt::detail::quant {

// The most candidate grids one sub-block search tries (2 anchors x 11 stretches).
constexpr int kKMaxCandidates = 22;
// The most (scale, offset) pairs tried per sub-block when refining (3 x 3).
constexpr int kKMaxScalePairs = 9;

// Candidate grid k of one sub-block of n (<= 32) values x, weights w: q = round_clamped((x -
// origin) * inv[k], lo, hi); (a, b) from the fit_line of q started at (1 / inv[k], origin); q
// rounded again with (a, b) when a != 0 and refitted; e[k] = affine_error of the result, and
// a[k], b[k] its scale and offset.
using KFitCandidates = void (*)(const double* x, const double* w, int n, int lo, int hi,
                                bool with_offset, double origin, const double* inv, int count,
                                double* e, double* a, double* b);
// e[k]: sub_block_error of the n values x (weights w) under integer scale sc[k] and offset mn[k]
// with the super-block factors d and dmin (values in [lo, hi]).
using KScalePairErrors = void (*)(const double* x, const double* w, int n, int lo, int hi, float d,
                                  float dmin, const int* sc, const int* mn, int count, double* e);
// assign_values then coded_error over one super-block of 256 values: q[i] rounded under sub-block
// j = i / sub_len's factors d * sc[j] and (affine) dmin * mn[j]; returns the weighted error.
using KAssignValues = double (*)(const double* x, const double* w, int sub_len, int lo, int hi,
                                 bool affine, float d, float dmin, const int* sc, const int* mn,
                                 int* q);

struct KSearchKernels {
  KFitCandidates fit;
  KScalePairErrors pair_errors;
  KAssignValues assign;
};

// The quant::RowEncoder contract for the K-quant `type` (Q2_K .. Q6_K): n_blocks super-blocks of
// src into dst, block i weighted by w + (i * 256) % row_len (w nullptr: no weights), with the
// given search kernels. quantize_k.cpp.
void encode_k_blocks(DType type, const KSearchKernels& kernels, const float* src, uint8_t* dst,
                     uint64_t n_blocks, const float* w, uint64_t row_len);

}  // namespace mwt::detail::quant
