// Dispatching dequantization: the entry point the C ABI uses. A ggml block type with a kernel
// for the active ISA (core/isa.hpp) runs that kernel; every other dtype, and every dtype under
// the scalar ISA, goes to the scalar reference quant::dequantize_scalar. Each kernel's output
// is bit-identical to the scalar reference (tests/cpp/test_kernels.cpp checks it). Large calls
// split over threads by whole blocks (tests/cpp/test_dequant_threads.cpp).
#pragma once
#include <cstdint>

#include "core/dtype.hpp"
#include "core/isa.hpp"

namespace mwt::detail::kernels {

// Decodes n_blocks whole blocks from src into dst (n_blocks * block_elems floats).
using DequantKernel = void (*)(const uint8_t* src, float* dst, uint64_t n_blocks);

// The kernel of `isa` for `type`, or nullptr when that ISA has none (the scalar ISA never has:
// it is the reference itself). Never returns a kernel the build does not contain.
DequantKernel dequant_kernel(Isa isa, DType type) noexcept;

// Fewest output values a thread is given: a call splits over at most
// n_elems / kMinValuesPerThread threads, so smaller tensors stay on the caller's thread.
// Starting and joining a thread costs 15-30 us. Measured on a shared 2-CPU AVX2 machine (into a
// reused output), a second thread paid for itself from 2^17 values for the slowest decoder
// (scalar F16) to 2^21-2^22 for the fastest kernel (Q8_0, ~30 GB/s in cache), most kernels from
// 2^19-2^20 values. With 2^19 per thread (2 MiB of output) the first split comes at 2^20
// values, where it gained 0.65-1.5x (median ~1.1x), and 1.2-1.9x from 2^21 values for all but
// Q8_0. When the other CPUs are busy no split gains anything; the caller can pass 1.
inline constexpr uint64_t kMinValuesPerThread = uint64_t{1} << 19;

// The number of threads a dequantization of n_elems values in n_blocks blocks runs on, asked for
// n_threads (0 = default_thread_count(), core/thread_split.hpp; above kMaxThreads counts as
// kMaxThreads): at least 1, at most n_blocks and n_elems / kMinValuesPerThread.
unsigned dequant_thread_count(uint64_t n_elems, uint64_t n_blocks, unsigned n_threads) noexcept;

// Same contract and errors as dequantize_scalar (quant/dequant_scalar.hpp), with the active ISA,
// on up to n_threads threads (dequant_thread_count; 1 = the caller's thread only). Threads take
// contiguous ranges of whole blocks, so the output is bit-identical for every thread count. The
// arguments are checked on the caller's thread before any thread starts; an exception from a
// worker is rethrown here after every thread has finished.
void dequantize(DType type, const uint8_t* src, uint64_t nbytes, float* dst, uint64_t n_elems,
                unsigned n_threads = 1);

// As dequantize with an explicit ISA, for tests and benchmarks. UNSUPPORTED_FEATURE when the
// ISA is avx2 and this CPU cannot run it (cpu_has_avx2() is false).
void dequantize_with_isa(Isa isa, DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                         uint64_t n_elems, unsigned n_threads = 1);

// As dequantize_with_isa on exactly min(parts, n_blocks) threads (at least 1) whatever the size:
// the same split without the minimum work per thread, so tests can cut a few blocks many ways
// and benchmarks can time splits below the threshold. parts above kMaxThreads count as
// kMaxThreads.
void dequantize_split(Isa isa, DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                      uint64_t n_elems, unsigned parts);

}  // namespace mwt::detail::kernels
