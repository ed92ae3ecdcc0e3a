// The integrity pass over a weight file (`mwt validate`, `mwt inspect --stats`): for every
// tensor, value statistics (over the values as mwt dequantizes them: float types read in place,
// block types decoded piece by piece into a cache-sized buffer, never the whole tensor), a
// content hash of its bytes, and the block-scale rules of its type; then duplicated tensors
// (equal hashes confirmed byte for byte). The rules and the report's members:
// docs/validation.md.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/stats_kernels.hpp"
#include "core/dtype.hpp"
#include "core/isa.hpp"
#include "formats/weight_file.hpp"

namespace mwt::detail::analysis {

// What the block-scale rules of docs/validation.md#block-scales found in one tensor.
struct ScaleFindings {
  uint64_t blocks = 0;        // blocks whose scales were checked
  uint64_t nonfinite = 0;     // blocks with a NaN / Inf scale (or E8M0 0xFF)
  uint64_t negative = 0;      // blocks with d < 0 where the type needs d >= 0
  uint64_t negative_min = 0;  // K-quant blocks with dmin < 0 (decodes; no ggml encoder writes it)
  uint64_t first_nonfinite = UINT64_MAX;  // block index of the first of each, or UINT64_MAX
  uint64_t first_negative = UINT64_MAX;
  uint64_t first_negative_min = UINT64_MAX;
};
void merge_findings(ScaleFindings& a, const ScaleFindings& b) noexcept;

// Whether `type` has block-scale rules, and checks n_blocks blocks at src (block index
// `first_block` is the first), adding to f.
bool has_scale_rules(DType type) noexcept;
void check_scales(DType type, const uint8_t* src, uint64_t n_blocks, uint64_t first_block,
                  ScaleFindings& f) noexcept;

struct TensorStats {
  bool decoded = false;  // false: mwt cannot decode this dtype; only the hash was taken
  bool scales_checked = false;
  ValueStats values;
  ScaleFindings scales;
  uint64_t hash = 0;
};

// The statistics of one tensor's bytes on the calling thread with `isa`'s kernels: the same
// pieces, chunks and order as file_stats, so the same numbers. BAD_DTYPE for an unknown type,
// BAD_SHAPE when nbytes is not a whole number of its blocks. For tests and tools.
TensorStats tensor_stats(Isa isa, DType type, const uint8_t* src, uint64_t nbytes);

// Progress: bytes done and the total; returns false to cancel the pass.
using StatsProgress = std::function<bool(uint64_t done, uint64_t total)>;

struct StatsOptions {
  unsigned threads = 0;  // 0: default_thread_count() (core/thread_split.hpp)
  Isa isa = Isa::Scalar;
  StatsProgress progress;  // may be empty; called on the caller's thread only
};

struct FileStats {
  std::vector<TensorStats> tensors;  // one per tensor of the file, in file order
  // Groups of tensor indices whose bytes are identical (each group >= 2, ascending).
  std::vector<std::vector<size_t>> duplicates;
  bool cancelled = false;  // progress returned false: tensors and duplicates are empty
  unsigned threads = 1;    // threads the pass ran on
  Isa isa = Isa::Scalar;
  uint64_t bytes = 0;  // tensor bytes read
};

// The whole pass, over up to opt.threads threads (whole tensors and chunks of large ones run in
// parallel; the numbers do not depend on the thread count). The caller runs it inside a SIGBUS
// guard (core/sigbus_guard.hpp).
FileStats file_stats(const WeightFile& wf, const StatsOptions& opt);

// The report of docs/validation.md#the-report as one JSON object.
std::string file_stats_json(const WeightFile& wf, const FileStats& fs);

}  // namespace mwt::detail::analysis
