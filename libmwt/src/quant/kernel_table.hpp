// The per-ISA kernel tables: each ISA directory (quant/x86_avx2/) lists the dequantization
// kernels and the encoders it defines as constant {dtype, kernel} data, compiled with that
// ISA's flags. Only
// quant/type_traits.cpp reads these lists, from baseline code, to fill the ISA columns of the
// quant type-traits rows; reading them runs no ISA-specific code, so it is safe on any CPU.
#pragma once
#include <cstdint>

#include "core/dtype.hpp"
#include "quant/dequantize.hpp"

namespace mwt::detail::kernels {

struct KernelEntry {
  DType type;
  DequantKernel kernel;
};
// A constant array of entries (a plain aggregate: constant-initialized, no code). The lists are
// defined `extern const` so they keep external linkage whether or not this header is seen.
struct KernelList {
  const KernelEntry* entries;
  uint32_t count;
};

// Encodes n_blocks whole blocks of src into dst; w is nullptr or row_len importance weights
// applied to each row of row_len values (the signature of quant::RowEncoder).
using EncodeKernel = void (*)(const float* src, uint8_t* dst, uint64_t n_blocks, const float* w,
                              uint64_t row_len);
struct EncoderEntry {
  DType type;
  EncodeKernel kernel;
};
struct EncoderList {
  const EncoderEntry* entries;
  uint32_t count;
};

#if defined(MWT_KERNELS_X86_AVX2)
namespace avx2 {
// x86_avx2/dequant_avx2.cpp (legacy and K-quants), dequant_avx2_codebook.cpp (IQ4_NL, IQ4_XS,
// MXFP4, NVFP4), dequant_avx2_ternary.cpp (TQ1_0, TQ2_0), dequant_avx2_iq.cpp (IQ grid types).
extern const KernelList kLegacyKQuantKernels;
extern const KernelList kCodebookKernels;
extern const KernelList kTernaryKernels;
extern const KernelList kIqKernels;
// x86_avx2/quantize_avx2.cpp (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), byte-identical to the scalar
// encoders of quant/quantize_legacy.cpp.
extern const EncoderList kLegacyEncoders;
// x86_avx2/quantize_k_avx2.cpp (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K): quant/quantize_k.cpp's encoder
// with AVX2 search kernels, byte-identical to the scalar one.
extern const EncoderList kKQuantEncoders;

// Runs `kernel` over n_blocks blocks, writing y with non-temporal stores through an L1 scratch
// buffer (x86_avx2/stream_out.cpp); bit-identical to kernel(src, y, n_blocks).
void dequantize_streaming(DequantKernel kernel, const uint8_t* src, uint64_t block_bytes,
                          uint64_t block_elems, float* y, uint64_t n_blocks) noexcept;
}  // namespace avx2
#endif

}  // namespace mwt::detail::kernels
