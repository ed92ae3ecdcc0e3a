// C ABI: the integrity pass (analysis/stats.hpp), mwt_stats.h.
#include "analysis/stats.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

#include "capi/barrier.hpp"
#include "core/isa.hpp"
#include "core/sigbus_guard.hpp"

extern "C" {

MWT_API mwt_status* mwt_file_stats(const mwt_file* file, uint32_t n_threads,
                                   mwt_progress_fn progress, void* user, char** json, size_t* len) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_file_stats";
  const auto& wf = mwt::capi::file_of(file, fn);
  mwt::capi::require_out(json, fn, "json");
  mwt::capi::require_out(len, fn, "len");
  mwt::detail::analysis::StatsOptions opt;
  opt.threads = n_threads;
  opt.isa = mwt::detail::active();
  if (progress != nullptr)
    opt.progress = [progress, user](uint64_t done, uint64_t total) {
      return progress(done, total, user) == 0;
    };
  std::string text;
  mwt::detail::run_guarded([&] {
    const auto fs = mwt::detail::analysis::file_stats(wf, opt);
    text = mwt::detail::analysis::file_stats_json(wf, fs);
  });
  for (const auto& shard : wf.files)
    if (shard) shard->require_unchanged();
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  *json = copy;
  *len = text.size();
  MWT_API_END
}

}  // extern "C"
