// C ABI: the string-keyed options handle. The keys, their defaults and ranges come from mwt.h's
// MWT_OPTION_KEYS; this file only binds each key to its OpenOptions field, so a new setting is
// one row there and one case here, without an ABI change.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "capi/barrier.hpp"

namespace {

using mwt::detail::OpenOptions;

#define MWT_OPTION_ID_(id, key, kind, def, min, max, doc) id,
enum class KeyId { MWT_OPTION_KEYS(MWT_OPTION_ID_) };
#undef MWT_OPTION_ID_

// The OpenOptions member behind a key: a count for LIMIT keys, a switch for FLAG keys. The
// switch names every KeyId and has no default, so -Wswitch reports a key of mwt.h that is not
// bound here.
struct Member {
  uint64_t OpenOptions::*limit = nullptr;
  bool OpenOptions::*flag = nullptr;
};
constexpr Member member_of(KeyId id) {
  switch (id) {
    case KeyId::LIMITS_MAX_TENSORS: return {&OpenOptions::max_tensors, nullptr};
    case KeyId::LIMITS_MAX_KV: return {&OpenOptions::max_kv, nullptr};
    case KeyId::LIMITS_MAX_STRING: return {&OpenOptions::max_string, nullptr};
    case KeyId::LIMITS_MAX_KEY: return {&OpenOptions::max_key, nullptr};
    case KeyId::LIMITS_MAX_ARRAY: return {&OpenOptions::max_array, nullptr};
    case KeyId::LIMITS_MAX_HEADER: return {&OpenOptions::max_header, nullptr};
    case KeyId::LIMITS_MAX_JSON_DEPTH: return {&OpenOptions::max_json_depth, nullptr};
    case KeyId::LIMITS_MAX_SHARDS: return {&OpenOptions::max_shards, nullptr};
    case KeyId::SAFETENSORS_STRICT: return {nullptr, &OpenOptions::safetensors_strict};
    case KeyId::GGUF_STRICT_BOOL: return {nullptr, &OpenOptions::gguf_strict_bool};
    case KeyId::GGUF_CONTIGUOUS: return {nullptr, &OpenOptions::gguf_contiguous};
    case KeyId::GGUF_ALLOW_INVALID_UTF8: return {nullptr, &OpenOptions::gguf_allow_invalid_utf8};
    case KeyId::IO_MMAP: return {nullptr, &OpenOptions::io_mmap};
    case KeyId::ANALYSIS_CONFIG_JSON: return {nullptr, &OpenOptions::analysis_config_json};
  }
  return {};
}

struct OptionKey {
  const char* name;
  bool is_flag;  // KIND FLAG (0 or 1), else LIMIT
  int64_t def, min, max;
  Member member;

  // A limit only ever holds a value set through set_int (<= max) or its default.
  constexpr int64_t get(const OpenOptions& o) const {
    return is_flag ? (o.*member.flag ? 1 : 0) : static_cast<int64_t>(o.*member.limit);
  }
  void set(OpenOptions& o, int64_t v) const {
    if (is_flag)
      o.*member.flag = v == 1;
    else
      o.*member.limit = static_cast<uint64_t>(v);
  }
};

#define MWT_OPTION_ROW_(id, key, kind, def, min, max, doc) \
  {key, std::string_view(#kind) == "FLAG", def, min, max, member_of(KeyId::id)},
constexpr OptionKey kKeys[] = {MWT_OPTION_KEYS(MWT_OPTION_ROW_)};
#undef MWT_OPTION_ROW_

// Each row is bound to a member of its kind, and OpenOptions' own defaults are mwt.h's.
constexpr bool table_matches_open_options() {
  const OpenOptions defaults{};
  for (const OptionKey& k : kKeys) {
    if (k.is_flag ? k.member.flag == nullptr || k.member.limit != nullptr
                  : k.member.limit == nullptr || k.member.flag != nullptr)
      return false;
    if (k.get(defaults) != k.def || k.def < k.min || k.def > k.max) return false;
  }
  return true;
}
static_assert(table_matches_open_options(),
              "MWT_OPTION_KEYS (mwt.h) and OpenOptions (formats/weight_file.hpp) disagree");

const OptionKey& find_key(const char* function, const char* key) {
  if (key == nullptr) mwt::capi::bad_argument(function, "key is NULL");
  for (const auto& k : kKeys)
    if (std::strcmp(k.name, key) == 0) return k;
  mwt::capi::bad_argument(function,
                          "unknown option key \"" + mwt::detail::escape_for_message(key) + "\"");
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
  // Limits are byte or element counts: a negative value is a caller bug, not "unlimited".
  if (value < k.min || value > k.max) {
    std::string range;
    if (k.is_flag)
      range = " takes " + std::to_string(k.min) + " or " + std::to_string(k.max);
    else if (value < k.min)
      range = " must be >= " + std::to_string(k.min);
    else
      range = " must be <= " + std::to_string(k.max);
    mwt::capi::bad_argument("mwt_options_set_int",
                            k.name + range + ", not " + std::to_string(value));
  }
  k.set(options->opts, value);
  MWT_API_END
}

MWT_API mwt_status* mwt_options_get_int(const mwt_options* options, const char* key, int64_t* out) {
  MWT_API_BEGIN
  if (options == nullptr) mwt::capi::bad_argument("mwt_options_get_int", "options is NULL");
  const OptionKey& k = find_key("mwt_options_get_int", key);
  mwt::capi::require_out(out, "mwt_options_get_int", "out");
  *out = k.get(options->opts);
  MWT_API_END
}

MWT_API void mwt_options_free(mwt_options* options) { delete options; }

}  // extern "C"
