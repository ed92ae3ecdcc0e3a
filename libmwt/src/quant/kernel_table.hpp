// Per-ISA tables of dequantization kernels, each defined in its ISA's directory and compiled
// with that ISA's flags. Only quant/dequantize.cpp looks them up, and only for the active ISA.
#pragma once
#include "core/dtype.hpp"
#include "quant/dequantize.hpp"

namespace mwt::detail::kernels {

#if defined(MWT_KERNELS_X86_AVX2)
namespace avx2 {
// The AVX2 kernel for `type`, or nullptr (that type then uses the scalar decoder).
DequantKernel dequant_kernel(DType type) noexcept;
// Runs `kernel` over n_blocks blocks, writing y with non-temporal stores through an L1 scratch
// buffer (x86_avx2/stream_out.cpp); bit-identical to kernel(src, y, n_blocks).
void dequantize_streaming(DequantKernel kernel, const uint8_t* src, uint64_t block_bytes,
                          uint64_t block_elems, float* y, uint64_t n_blocks) noexcept;
}  // namespace avx2
#endif

}  // namespace mwt::detail::kernels
