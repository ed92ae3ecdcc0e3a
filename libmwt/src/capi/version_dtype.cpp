// C ABI: library version, the dtype table and float conversions.
#include <cstdint>
#include <string>
#include <type_traits>

#include "capi/barrier.hpp"
#include "core/dtype.hpp"
#include "core/float_convert.hpp"
#include "core/sigbus_guard.hpp"

namespace {

using mwt::detail::DType;
using mwt::detail::DTypeInfo;

const DTypeInfo* info_of(mwt_dtype d) noexcept {
  return mwt::detail::dtype_info(static_cast<uint32_t>(d));
}

// The body of both conversions: n elements of both sides must be addressable (a NULL buffer is
// only allowed for n == 0), then `convert` runs inside the barrier.
template <typename Src, typename Dst>
mwt_status* convert_checked(const char* function,
                            void (*convert)(DType, const Src*, uint64_t, Dst*), mwt_dtype dtype,
                            const Src* src, size_t n, Dst* dst) {
  MWT_API_BEGIN
  if (n > 0 && src == nullptr) mwt::capi::bad_argument(function, "src is NULL");
  if (n > 0 && dst == nullptr) mwt::capi::bad_argument(function, "dst is NULL");
  // Guarded: src may be a view into a mapped file (mwt.h, "Mapped files").
  mwt::detail::run_guarded([&] { convert(static_cast<DType>(dtype), src, n, dst); });
  uint64_t src_bytes = static_cast<uint64_t>(n) * sizeof(float);
  if constexpr (!std::is_same_v<Src, float>) {
    const DTypeInfo* info = info_of(dtype);  // valid: convert accepted it
    src_bytes = info != nullptr && info->block_elems > 0
                    ? static_cast<uint64_t>(n) / info->block_elems * info->block_bytes
                    : 0;
  }
  mwt::detail::require_unchanged(src, src_bytes);
  MWT_API_END
}

}  // namespace

extern "C" {

MWT_API const char* mwt_version_string(void) { return MWT_VERSION_STRING; }
MWT_API uint32_t mwt_version_number(void) { return MWT_VERSION_NUMBER; }
MWT_API uint32_t mwt_abi_version(void) { return MWT_ABI_VERSION; }

MWT_API const char* mwt_dtype_name(mwt_dtype dtype) {
  const DTypeInfo* d = info_of(dtype);
  // Table names are string literals, so data() is NUL-terminated static storage.
  return d ? d->name.data() : nullptr;
}

MWT_API uint32_t mwt_dtype_block_size(mwt_dtype dtype) {
  const DTypeInfo* d = info_of(dtype);
  return d ? d->block_elems : 0;
}

MWT_API uint32_t mwt_dtype_type_size(mwt_dtype dtype) {
  const DTypeInfo* d = info_of(dtype);
  return d ? d->block_bytes : 0;
}

MWT_API mwt_status* mwt_dtype_from_name(const char* name, mwt_dtype* out) {
  MWT_API_BEGIN
  if (name == nullptr) mwt::capi::bad_argument("mwt_dtype_from_name", "name is NULL");
  mwt::capi::require_out(out, "mwt_dtype_from_name", "out");
  const std::string_view n(name);
  const DTypeInfo* d = mwt::detail::dtype_from_name(n);
  if (d == nullptr) d = mwt::detail::dtype_from_safetensors(n);
  if (d == nullptr)
    mwt::detail::fail(mwt::detail::Code::BAD_DTYPE,
                      "unknown dtype name \"" + mwt::detail::escape_for_message(n) + "\"");
  *out = static_cast<mwt_dtype>(d->id);
  MWT_API_END
}

MWT_API mwt_status* mwt_convert_to_f32(mwt_dtype src_dtype, const void* src, size_t n, float* dst) {
  return convert_checked("mwt_convert_to_f32", &mwt::detail::convert_to_f32, src_dtype, src, n,
                         dst);
}

MWT_API mwt_status* mwt_convert_from_f32(mwt_dtype dst_dtype, const float* src, size_t n,
                                         void* dst) {
  return convert_checked("mwt_convert_from_f32", &mwt::detail::convert_from_f32, dst_dtype, src, n,
                         dst);
}

}  // extern "C"
