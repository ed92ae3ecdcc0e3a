// The dispatching dequantize (kernels/dequant.hpp): argument checks shared with the scalar
// reference, then the active ISA's kernel or the scalar decoder.
#include "kernels/dequant.hpp"

#include <string>

#include "core/error.hpp"
#include "kernels/dequant_kernels.hpp"
#include "quant/dequant.hpp"

namespace mwt::detail::kernels {

DequantKernel dequant_kernel(Isa isa, DType type) noexcept {
#if defined(MWT_KERNELS_X86_AVX2)
  if (isa == Isa::Avx2) return avx2::dequant_kernel(type);
#else
  (void)type;
  (void)isa;
#endif
  return nullptr;
}

void dequantize_with_isa(Isa isa, DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                         uint64_t n_elems) {
  if (isa == Isa::Avx2 && !cpu_has_avx2())
    fail(Code::UNSUPPORTED_FEATURE,
         "the avx2 kernels need AVX2, FMA and F16C, which this CPU (or OS) does not provide");
  const DequantKernel kernel = dequant_kernel(isa, type);
  if (kernel == nullptr) return dequantize_scalar(type, src, nbytes, dst, n_elems);
  const uint64_t n_blocks = dequantize_block_count(type, nbytes, n_elems);
  if (n_blocks != 0) kernel(src, dst, n_blocks);
}

void dequantize(DType type, const uint8_t* src, uint64_t nbytes, float* dst, uint64_t n_elems) {
  dequantize_with_isa(active(), type, src, nbytes, dst, n_elems);
}

}  // namespace mwt::detail::kernels
