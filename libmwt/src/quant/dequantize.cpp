// The dispatching dequantize (quant/dequantize.hpp): argument checks shared with the scalar
// reference, then the active ISA's kernel or the scalar decoder (both found in the type-traits
// table, quant/type_traits.hpp), over one or more threads.
#include "quant/dequantize.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "core/thread_split.hpp"
#include "quant/dequant_scalar.hpp"
#include "quant/kernel_table.hpp"
#include "quant/type_traits.hpp"

namespace mwt::detail::kernels {

DequantKernel dequant_kernel(Isa isa, DType type) noexcept {
  const quant::TypeTraits* t = quant::type_traits(type);
  if (t == nullptr) return nullptr;
  switch (isa) {
    case Isa::Avx2: return t->avx2;
    case Isa::Scalar: return nullptr;  // the scalar decoder is the reference, not a kernel
  }
  return nullptr;
}

namespace {

void stream_kernel(DequantKernel kernel, const uint8_t* src, const DTypeInfo& info, float* y,
                   uint64_t n_blocks) noexcept {
#if defined(MWT_KERNELS_X86_AVX2)
  avx2::dequantize_streaming(kernel, src, info.block_bytes, info.block_elems, y, n_blocks);
#else
  (void)info;
  kernel(src, y, n_blocks);
#endif
}

}  // namespace

unsigned dequant_thread_count(uint64_t n_elems, uint64_t n_blocks, unsigned n_threads) noexcept {
  const uint64_t asked = n_threads == 0 ? default_thread_count() : std::min(n_threads, kMaxThreads);
  const uint64_t t = std::min({asked, n_blocks, n_elems / kMinValuesPerThread});
  return t < 1 ? 1u : static_cast<unsigned>(t);
}

namespace {

// Outputs of at least this many bytes (half the L3 of the machines measured in
// benchmarks/RESULTS.md) are written with non-temporal stores: they would not stay cached anyway,
// and skipping the read-for-ownership of each destination line is what lets a kernel run above
// the plain-store write bandwidth.
constexpr uint64_t kStreamMinBytes = uint64_t{16} << 20;

// How decode_in_parts chooses its thread count from the one asked for.
enum class Split { Planned, Exact };

// Checks the arguments on the caller's thread, then decodes the blocks in contiguous ranges, one
// per thread: as many as dequant_thread_count allows (Split::Planned), or exactly n_threads
// capped by the block count (Split::Exact). A range of whole blocks decodes exactly as it does
// within the whole call, whichever thread runs it.
void decode_in_parts(Isa isa, DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                     uint64_t n_elems, unsigned n_threads, Split split) {
  if (isa == Isa::Avx2 && !cpu_has_avx2())
    fail(Code::UNSUPPORTED_FEATURE,
         "the avx2 kernels need AVX2, FMA and F16C, which this CPU (or OS) does not provide");
  const uint64_t n_blocks = dequantize_block_count(type, nbytes, n_elems);
  if (n_blocks == 0) return;
  const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(type));  // valid: counted above
  const DequantKernel kernel = dequant_kernel(isa, type);
  const bool stream = kernel != nullptr && n_elems >= kStreamMinBytes / sizeof(float);
  // Without a kernel, the scalar reference decoder (the counting found one).
  const DequantKernel decoder = kernel != nullptr ? kernel : quant::type_traits(type)->to_float;
  auto decode = [&](Range r) {
    const uint8_t* s = src + r.begin * info.block_bytes;
    float* d = dst + r.begin * info.block_elems;
    const uint64_t count = r.end - r.begin;
    if (stream)
      stream_kernel(kernel, s, info, d, count);
    else
      decoder(s, d, count);
  };
  const uint64_t parts =
      split == Split::Planned
          ? dequant_thread_count(n_elems, n_blocks, n_threads)
          : std::min({std::max<uint64_t>(n_threads, 1), n_blocks, uint64_t{kMaxThreads}});
  if (parts == 1)
    decode({0, n_blocks});
  else
    run_split(n_blocks, static_cast<unsigned>(parts), decode);
}

}  // namespace

void dequantize_with_isa(Isa isa, DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                         uint64_t n_elems, unsigned n_threads) {
  decode_in_parts(isa, type, src, nbytes, dst, n_elems, n_threads, Split::Planned);
}

void dequantize_split(Isa isa, DType type, const uint8_t* src, uint64_t nbytes, float* dst,
                      uint64_t n_elems, unsigned parts) {
  decode_in_parts(isa, type, src, nbytes, dst, n_elems, parts, Split::Exact);
}

void dequantize(DType type, const uint8_t* src, uint64_t nbytes, float* dst, uint64_t n_elems,
                unsigned n_threads) {
  dequantize_with_isa(active(), type, src, nbytes, dst, n_elems, n_threads);
}

}  // namespace mwt::detail::kernels
