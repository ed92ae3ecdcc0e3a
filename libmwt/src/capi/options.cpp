// C ABI: the string-keyed options handle. Each key maps onto one OpenOptions field, so new
// settings extend this table without changing the ABI.
#include <cstdint>
#include <cstring>
#include <string>

#include "capi/barrier.hpp"

namespace {

using mwt::detail::OpenOptions;

struct OptionKey {
  const char* name;
  uint64_t OpenOptions::*limit;  // set for limits (0..INT64_MAX)
  bool OpenOptions::*flag;       // set for booleans (0 or 1)
};

constexpr OptionKey kKeys[] = {
    {"limits.max_tensors", &OpenOptions::max_tensors, nullptr},
    {"limits.max_kv", &OpenOptions::max_kv, nullptr},
    {"limits.max_string", &OpenOptions::max_string, nullptr},
    {"limits.max_key", &OpenOptions::max_key, nullptr},
    {"limits.max_array", &OpenOptions::max_array, nullptr},
    {"limits.max_header", &OpenOptions::max_header, nullptr},
    {"limits.max_json_depth", &OpenOptions::max_json_depth, nullptr},
    {"limits.max_shards", &OpenOptions::max_shards, nullptr},
    {"safetensors.strict", nullptr, &OpenOptions::safetensors_strict},
    {"gguf.strict_bool", nullptr, &OpenOptions::gguf_strict_bool},
    {"gguf.contiguous", nullptr, &OpenOptions::gguf_contiguous},
};

const OptionKey& find_key(const char* function, const char* key) {
  if (key == nullptr) mwt::capi::bad_argument(function, "key is NULL");
  for (const auto& k : kKeys)
    if (std::strcmp(k.name, key) == 0) return k;
  mwt::capi::bad_argument(function, "unknown option key \"" +
                                        mwt::detail::escape_for_message(key) + "\"");
}

}  // namespace

extern "C" {

MWT_API mwt_status* mwt_options_create(mwt_options** out) {
  MWT_API_BEGIN
  mwt::capi::require_out(out, "mwt_options_create", "out");
  *out = new mwt_options;
  MWT_API_END
}

MWT_API mwt_status* mwt_options_set_int(mwt_options* options, const char* key, int64_t value) {
  MWT_API_BEGIN
  if (options == nullptr) mwt::capi::bad_argument("mwt_options_set_int", "options is NULL");
  const OptionKey& k = find_key("mwt_options_set_int", key);
  if (k.flag != nullptr) {
    if (value != 0 && value != 1)
      mwt::capi::bad_argument("mwt_options_set_int", std::string(k.name) + " takes 0 or 1, not " +
                                                         std::to_string(value));
    options->opts.*k.flag = value == 1;
  } else {
    // Limits are byte or element counts; negative values are caller bugs, not "unlimited".
    if (value < 0)
      mwt::capi::bad_argument("mwt_options_set_int", std::string(k.name) +
                                                         " must be >= 0, not " +
                                                         std::to_string(value));
    options->opts.*k.limit = static_cast<uint64_t>(value);
  }
  MWT_API_END
}

MWT_API mwt_status* mwt_options_get_int(const mwt_options* options, const char* key,
                                        int64_t* out) {
  MWT_API_BEGIN
  if (options == nullptr) mwt::capi::bad_argument("mwt_options_get_int", "options is NULL");
  const OptionKey& k = find_key("mwt_options_get_int", key);
  mwt::capi::require_out(out, "mwt_options_get_int", "out");
  // Limits only ever hold values set through set_int (<= INT64_MAX) or the small defaults.
  *out = k.flag != nullptr ? (options->opts.*k.flag ? 1 : 0)
                           : static_cast<int64_t>(options->opts.*k.limit);
  MWT_API_END
}

MWT_API void mwt_options_free(mwt_options* options) { delete options; }

}  // extern "C"
