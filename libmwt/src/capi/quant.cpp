// C ABI: dequantization (mwt_dequantize, mwt_dequantize_threads, mwt_can_dequantize) over
// quant/dequantize.hpp and quantization (mwt_quantize, mwt_quantize_weighted, mwt_can_quantize)
// over quant/quantize.hpp.
#include <cstdint>
#include <string>

#include "capi/barrier.hpp"
#include "core/dtype.hpp"
#include "core/isa.hpp"
#include "core/sigbus_guard.hpp"
#include "quant/dequant_scalar.hpp"
#include "quant/dequantize.hpp"
#include "quant/quantize.hpp"

namespace {

// The body of mwt_dequantize and mwt_dequantize_threads; runs inside their barriers.
void dequantize_checked(const char* function, mwt_dtype dtype, const void* src, size_t src_bytes,
                        float* dst, size_t n, int n_threads) {
  if (n > 0 && src == nullptr) mwt::capi::bad_argument(function, "src is NULL");
  if (n > 0 && dst == nullptr) mwt::capi::bad_argument(function, "dst is NULL");
  if (n_threads < 0)
    mwt::capi::bad_argument(function, "n_threads is " + std::to_string(n_threads) +
                                          "; it must be 0 (the default) or a positive count");
  // Overlap would be a data race between threads as well as wrong output: refuse it. Addresses
  // compare as integers, which is defined for pointers into unrelated objects; range ends
  // saturate, so absurd sizes (refused later as SIZE_MISMATCH) cannot wrap around here.
  const auto end_of = [](uintptr_t begin, size_t count, size_t unit) {
    return count > (UINTPTR_MAX - begin) / unit ? UINTPTR_MAX : begin + count * unit;
  };
  const auto s0 = reinterpret_cast<uintptr_t>(src), d0 = reinterpret_cast<uintptr_t>(dst);
  if (n > 0 && src_bytes > 0 && s0 < end_of(d0, n, sizeof(float)) && d0 < end_of(s0, src_bytes, 1))
    mwt::capi::bad_argument(function, "src and dst overlap");
  // The active ISA's kernel where there is one (quant/dequantize.hpp), else the scalar decoder;
  // guarded, as src may be a view into a mapped file (mwt.h, "Mapped files").
  mwt::detail::run_guarded([&] {
    mwt::detail::kernels::dequantize(static_cast<mwt::detail::DType>(dtype),
                                     static_cast<const uint8_t*>(src),
                                     static_cast<uint64_t>(src_bytes), dst,
                                     static_cast<uint64_t>(n), static_cast<unsigned>(n_threads));
  });
  mwt::detail::require_unchanged(src, src_bytes);
}

// quantize over src (n floats) and weights (row_len floats), which may be views into a
// mapped file: guarded as dequantize_checked is.
void quantize_guarded(mwt_dtype dtype, const float* src, size_t n, void* dst, size_t dst_bytes,
                      const float* weights, size_t row_len) {
  mwt::detail::run_guarded([&] {
    mwt::detail::quantize(static_cast<mwt::detail::DType>(dtype), src, static_cast<uint64_t>(n),
                          static_cast<uint8_t*>(dst), static_cast<uint64_t>(dst_bytes), weights,
                          static_cast<uint64_t>(row_len));
  });
  mwt::detail::require_unchanged(src, static_cast<uint64_t>(n) * sizeof(float));
  mwt::detail::require_unchanged(weights, static_cast<uint64_t>(row_len) * sizeof(float));
}

}  // namespace

extern "C" {

MWT_API mwt_status* mwt_dequantize(mwt_dtype dtype, const void* src, size_t src_bytes, float* dst,
                                   size_t n) {
  MWT_API_BEGIN
  dequantize_checked("mwt_dequantize", dtype, src, src_bytes, dst, n, 0);
  MWT_API_END
}

MWT_API mwt_status* mwt_dequantize_threads(mwt_dtype dtype, const void* src, size_t src_bytes,
                                           float* dst, size_t n, int n_threads) {
  MWT_API_BEGIN
  dequantize_checked("mwt_dequantize_threads", dtype, src, src_bytes, dst, n, n_threads);
  MWT_API_END
}

MWT_API const char* mwt_active_isa(void) { return mwt::detail::active_isa(); }

MWT_API int mwt_can_dequantize(mwt_dtype dtype) {
  return mwt::detail::can_dequantize(static_cast<mwt::detail::DType>(dtype)) ? 1 : 0;
}

MWT_API mwt_status* mwt_quantize(mwt_dtype dtype, const float* src, size_t n, void* dst,
                                 size_t dst_bytes) {
  MWT_API_BEGIN
  if (n > 0 && src == nullptr) mwt::capi::bad_argument("mwt_quantize", "src is NULL");
  if (n > 0 && dst == nullptr) mwt::capi::bad_argument("mwt_quantize", "dst is NULL");
  quantize_guarded(dtype, src, n, dst, dst_bytes, nullptr, 0);
  MWT_API_END
}

MWT_API mwt_status* mwt_quantize_weighted(mwt_dtype dtype, const float* src, size_t n, void* dst,
                                          size_t dst_bytes, const float* weights, size_t row_len) {
  MWT_API_BEGIN
  if (n > 0 && src == nullptr) mwt::capi::bad_argument("mwt_quantize_weighted", "src is NULL");
  if (n > 0 && dst == nullptr) mwt::capi::bad_argument("mwt_quantize_weighted", "dst is NULL");
  if (weights == nullptr && row_len != 0)
    mwt::capi::bad_argument("mwt_quantize_weighted", "weights is NULL with row_len > 0");
  quantize_guarded(dtype, src, n, dst, dst_bytes, weights, row_len);
  MWT_API_END
}

MWT_API int mwt_can_quantize(mwt_dtype dtype) {
  return mwt::detail::can_quantize(static_cast<mwt::detail::DType>(dtype)) ? 1 : 0;
}

}  // extern "C"
