// mwt_status: construction from internal errors (never throwing) and the status accessors.
#include <cstring>
#include <exception>

#include "capi/barrier.hpp"

namespace mwt::capi {
namespace {

// Returned when allocating a status fails; static storage, so mwt_status_free skips it.
// The strings are set once, at start-up, before any caller can reach them.
mwt_status g_no_memory{MWT_E_NO_MEMORY, "NO_MEMORY: out of memory", UINT64_MAX, ""};

}  // namespace

bool is_static_status(const mwt_status* s) noexcept { return s == &g_no_memory; }

mwt_status* status_no_memory() noexcept { return &g_no_memory; }

mwt_status* status_from_error(const mwt::detail::Error& e) noexcept {
  try {
    auto* s = new mwt_status;
    s->code = static_cast<mwt_code>(e.code());
    s->message = e.what();
    s->offset = e.offset();
    s->field = e.field();
    return s;
  } catch (...) {
    return &g_no_memory;
  }
}

mwt_status* status_internal(const char* what) noexcept {
  try {
    auto* s = new mwt_status;
    s->code = MWT_E_INTERNAL;
    s->message = std::string("INTERNAL: unexpected exception: ") + (what ? what : "");
    return s;
  } catch (...) {
    return &g_no_memory;
  }
}

void bad_argument(const char* function, const std::string& what) {
  mwt::detail::fail(mwt::detail::Code::ARGUMENT, std::string(function) + ": " + what);
}

}  // namespace mwt::capi

extern "C" {

MWT_API mwt_code mwt_status_code(const mwt_status* status) {
  return status ? status->code : MWT_OK;
}

MWT_API const char* mwt_status_message(const mwt_status* status) {
  return status ? status->message.c_str() : "";
}

MWT_API uint64_t mwt_status_offset(const mwt_status* status) {
  return status ? status->offset : UINT64_MAX;
}

MWT_API const char* mwt_status_field(const mwt_status* status) {
  return status ? status->field.c_str() : "";
}

MWT_API void mwt_status_free(mwt_status* status) {
  if (status != nullptr && !mwt::capi::is_static_status(status)) delete status;
}

MWT_API const char* mwt_code_name(mwt_code code) {
  // Code's underlying type is int, so any value converts; one outside MWT_ERROR_CODES falls
  // through code_name's switch to "UNKNOWN".
  return mwt::detail::code_name(static_cast<mwt::detail::Code>(static_cast<int>(code)));
}

}  // extern "C"
