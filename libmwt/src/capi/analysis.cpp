// C ABI: the architecture report (analysis/architecture.hpp) and the tensor-name map
// (analysis/names.hpp).
#include <cstdlib>
#include <cstring>
#include <string>

#include "analysis/architecture.hpp"
#include "analysis/names.hpp"
#include "capi/barrier.hpp"
#include "core/sigbus_guard.hpp"

namespace {

// A malloc'd NUL-terminated copy for the caller.
void hand_out(const std::string& text, char** out, size_t* len) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  *out = copy;
  *len = text.size();
}

}  // namespace

extern "C" {

MWT_API mwt_status* mwt_file_architecture(const mwt_file* file, const mwt_options* options,
                                          char** json, size_t* len) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_file_architecture";
  const auto& wf = mwt::capi::file_of(file, fn);
  mwt::capi::require_out(json, fn, "json");
  mwt::capi::require_out(len, fn, "len");
  *json = nullptr;
  *len = 0;
  mwt::detail::analysis::ArchitectureOptions opts;
  if (options != nullptr) opts.read_config_json = options->opts.analysis_config_json;
  // Guarded: the report reads tensor data (lm_head against the embedding, packed layouts).
  std::string text;
  mwt::detail::run_guarded([&] { text = mwt::detail::analysis::architecture_json(wf, opts); });
  for (const auto& shard : wf.files)
    if (shard) shard->require_unchanged();
  hand_out(text, json, len);
  MWT_API_END
}

MWT_API mwt_status* mwt_name_map(const char* name, const char* family, const char* to, char** out,
                                 size_t* len) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_name_map";
  if (name == nullptr) mwt::capi::bad_argument(fn, "name is NULL");
  if (family == nullptr) mwt::capi::bad_argument(fn, "family is NULL");
  if (to == nullptr) mwt::capi::bad_argument(fn, "to is NULL");
  mwt::capi::require_out(out, fn, "out");
  mwt::capi::require_out(len, fn, "len");
  *out = nullptr;
  *len = 0;
  using namespace mwt::detail::analysis;
  const Family* f = find_family(family);
  if (f == nullptr)
    mwt::capi::bad_argument(fn, "\"" + mwt::detail::escape_for_message(family) +
                                    "\" is not a family of the name table");
  const auto naming = naming_from(to);
  if (!naming)
    mwt::capi::bad_argument(fn, "to is \"" + mwt::detail::escape_for_message(to) +
                                    "\", not \"hf\", \"gguf\" or \"canonical\"");
  if (const auto mapped = map_name(name, *f, *naming)) hand_out(*mapped, out, len);
  MWT_API_END
}

MWT_API mwt_status* mwt_name_families(char** json, size_t* len) {
  MWT_API_BEGIN
  mwt::capi::require_out(json, "mwt_name_families", "json");
  mwt::capi::require_out(len, "mwt_name_families", "len");
  hand_out(mwt::detail::analysis::families_json(), json, len);
  MWT_API_END
}

}  // extern "C"
