// The exception barrier of the C ABI and the handle types behind mwt.h's opaque structs.
// Every extern "C" body runs between MWT_API_BEGIN and one of the MWT_API_END macros, so an
// mwt::detail::Error becomes an mwt_status, std::bad_alloc becomes MWT_E_NO_MEMORY and
// anything else MWT_E_INTERNAL; nothing C++ escapes into C callers.
#pragma once
#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "core/error.hpp"
#include "formats/weight_file.hpp"
#include "mwt/mwt.h"

struct mwt_status {
  mwt_code code = MWT_OK;
  std::string message;  // "<CODE> at offset N in <field>: <detail>"
  uint64_t offset = UINT64_MAX;
  std::string field;
};

struct mwt_options {
  mwt::detail::OpenOptions opts;
};

struct mwt_file {
  std::unique_ptr<mwt::detail::WeightFile> wf;
};

namespace mwt::capi {

// Builders never throw: when the status itself cannot be allocated they return a static
// NO_MEMORY status that mwt_status_free recognises and does not delete.
mwt_status* status_from_error(const mwt::detail::Error& e) noexcept;
mwt_status* status_no_memory() noexcept;
mwt_status* status_internal(const char* what) noexcept;
bool is_static_status(const mwt_status* s) noexcept;

// Throws Error(ARGUMENT) naming the function and argument; used inside the barrier.
[[noreturn]] void bad_argument(const char* function, const std::string& what);

// The checked handle accessors all entry points share.
inline const mwt::detail::WeightFile& file_of(const mwt_file* f, const char* function) {
  if (f == nullptr || !f->wf) bad_argument(function, "file handle is NULL");
  return *f->wf;
}
template <typename T>
inline void require_out(T* p, const char* function, const char* name) {
  if (p == nullptr) bad_argument(function, std::string("out-pointer ") + name + " is NULL");
}

}  // namespace mwt::capi

// Status-returning bodies: success falls through to `return nullptr`.
#define MWT_API_BEGIN try {
#define MWT_API_END                                              \
  }                                                              \
  catch (const mwt::detail::Error& e) {                          \
    return mwt::capi::status_from_error(e);                      \
  }                                                              \
  catch (const std::bad_alloc&) {                                \
    return mwt::capi::status_no_memory();                        \
  }                                                              \
  catch (const std::exception& e) {                              \
    return mwt::capi::status_internal(e.what());                 \
  }                                                              \
  catch (...) {                                                  \
    return mwt::capi::status_internal("non-standard exception"); \
  }                                                              \
  return nullptr;

// Plain-value bodies (counts, names, lookups) cannot report a status: any exception gives the
// documented neutral value instead.
#define MWT_API_END_RETURN(fallback) \
  }                                  \
  catch (...) {                      \
    return fallback;                 \
  }
