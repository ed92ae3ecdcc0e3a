// Dispatching dequantization: the entry point the C ABI uses. A ggml block type with a kernel
// for the active ISA (dispatch.hpp) runs that kernel; every other dtype, and every dtype under
// the scalar ISA, goes to the scalar reference quant::dequantize_scalar. Each kernel's output
// is bit-identical to the scalar reference (tests/cpp/test_kernels.cpp checks it).
#pragma once
#include <cstdint>

#include "core/dtype.hpp"
#include "kernels/dispatch.hpp"

namespace mwt::detail::kernels {

// Decodes n_blocks whole blocks from src into dst (n_blocks * block_elems floats).
using DequantKernel = void (*)(const uint8_t* src, float* dst, uint64_t n_blocks);

// The kernel of `isa` for `type`, or nullptr when that ISA has none (the scalar ISA never has:
// it is the reference itself). Never returns a kernel the build does not contain.
DequantKernel dequant_kernel(Isa isa, DType type) noexcept;

// Same contract and errors as dequantize_scalar (quant/dequant.hpp), with the active ISA.
void dequantize(DType type, const uint8_t* src, uint64_t nbytes, float* dst, uint64_t n_elems);

// As dequantize with an explicit ISA, for tests and benchmarks. UNSUPPORTED_FEATURE when the
// ISA is avx2 and this CPU cannot run it (cpu_has_avx2() is false).
void dequantize_with_isa(Isa isa, DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                         uint64_t n_elems);

}  // namespace mwt::detail::kernels
