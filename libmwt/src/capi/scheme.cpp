// C ABI: the quantization report (analysis/scheme.hpp) and GGUF file types with llama.cpp's
// per-tensor plan (analysis/ftype.hpp).
#include "analysis/scheme.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "analysis/ftype.hpp"
#include "capi/barrier.hpp"
#include "core/sigbus_guard.hpp"

extern "C" {

MWT_API mwt_status* mwt_file_quantization(const mwt_file* file, char** json, size_t* len) {
  MWT_API_BEGIN
  const auto& wf = mwt::capi::file_of(file, "mwt_file_quantization");
  mwt::capi::require_out(json, "mwt_file_quantization", "json");
  mwt::capi::require_out(len, "mwt_file_quantization", "len");
  *json = nullptr;
  *len = 0;
  // Guarded: the report reads samples of the tensors' data from the maps.
  std::string text;
  mwt::detail::run_guarded([&] { text = mwt::detail::analysis::quantization_report_json(wf); });
  for (const auto& shard : wf.files)
    if (shard) shard->require_unchanged();
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  *json = copy;
  *len = text.size();
  MWT_API_END
}

MWT_API void mwt_string_free(char* str) { std::free(str); }

MWT_API const char* mwt_file_type_name(uint32_t file_type) {
  const auto* ft =
      mwt::detail::analysis::file_type_info(file_type & ~mwt::detail::analysis::kFileTypeGuessed);
  return ft != nullptr ? ft->name.data() : nullptr;  // names are string literals
}

MWT_API mwt_status* mwt_file_type_from_name(const char* name, uint32_t* out) {
  MWT_API_BEGIN
  if (name == nullptr) mwt::capi::bad_argument("mwt_file_type_from_name", "name is NULL");
  mwt::capi::require_out(out, "mwt_file_type_from_name", "out");
  const auto* ft = mwt::detail::analysis::file_type_from_name(name);
  if (ft == nullptr)
    mwt::capi::bad_argument(
        "mwt_file_type_from_name",
        "\"" + mwt::detail::escape_for_message(name) + "\" is not a GGUF file type");
  *out = ft->value;
  MWT_API_END
}

MWT_API mwt_status* mwt_file_plan_quantization(const mwt_file* file, uint32_t file_type,
                                               mwt_dtype* types, size_t n) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_file_plan_quantization";
  const auto& wf = mwt::capi::file_of(file, fn);
  const auto* ft = mwt::detail::analysis::file_type_info(file_type);
  if (ft == nullptr)
    mwt::capi::bad_argument(fn, std::to_string(file_type) + " is not a GGUF file type");
  if (n != wf.tensors.size())
    mwt::capi::bad_argument(fn, "n is " + std::to_string(n) + " but the file has " +
                                    std::to_string(wf.tensors.size()) + " tensors");
  if (n > 0) mwt::capi::require_out(types, fn, "types");
  std::vector<mwt::detail::analysis::PlanTensor> plan;
  plan.reserve(n);
  for (const auto& t : wf.tensors) plan.push_back({t.name, t.dtype, t.shape});
  const auto chosen =
      mwt::detail::analysis::plan_tensor_types(*ft, mwt::detail::analysis::model_facts(wf), plan);
  for (size_t i = 0; i < n; ++i) types[i] = static_cast<mwt_dtype>(chosen[i]);
  MWT_API_END
}

}  // extern "C"
