// Non-temporal output for large dequantizations (compiled with the AVX2 flags like the kernels).
// A kernel writing straight to an output far larger than the caches makes the CPU read every
// destination line before writing it (read-for-ownership) and evicts the cache for data nobody
// reads soon. Here the kernel decodes a chunk of blocks into an L1-resident scratch buffer and the
// chunk is copied out with 32-byte streaming stores, which skip that read. The values are the
// kernel's own (a byte copy), so the output is bit-identical to the direct call.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "quant/x86_avx2/dequant_avx2.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

constexpr uint64_t kScratchFloats = 4096;  // 16 KiB: a quarter of L1d, a multiple of every block

// Copies n floats from the 32-byte-aligned chunk to out, streaming every 32-byte-aligned group of
// 8 floats of out; the few floats before the first and after the last aligned group are copied
// with ordinary stores.
void copy_out(const float* chunk, float* out, uint64_t n) noexcept {
  uint64_t i = 0;
  const uintptr_t addr = reinterpret_cast<uintptr_t>(out);
  if (addr % 4 == 0) {
    const uint64_t head = ((32 - addr % 32) % 32) / 4;
    for (; i < head && i < n; ++i) out[i] = chunk[i];
    for (; i + 8 <= n; i += 8) _mm256_stream_ps(out + i, _mm256_loadu_ps(chunk + i));
  }
  if (i < n) std::memcpy(out + i, chunk + i, (n - i) * sizeof(float));
}

}  // namespace

void dequantize_streaming(DequantKernel kernel, const uint8_t* src, uint64_t block_bytes,
                          uint64_t block_elems, float* y, uint64_t n_blocks) noexcept {
  alignas(64) float scratch[kScratchFloats];
  const uint64_t per_chunk = kScratchFloats / block_elems;
  while (n_blocks > 0) {
    const uint64_t nb = n_blocks < per_chunk ? n_blocks : per_chunk;
    kernel(src, scratch, nb);
    copy_out(scratch, y, nb * block_elems);
    src += nb * block_bytes;
    y += nb * block_elems;
    n_blocks -= nb;
  }
  _mm_sfence();  // the streamed stores are ordered before anything this thread does next
}

}  // namespace mwt::detail::kernels::avx2
