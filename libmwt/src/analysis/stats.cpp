// The integrity pass (analysis/stats.hpp): tensors cut into pieces (a cache-sized run of whole
// blocks) and chunks (a few MiB of pieces), chunks run on a pool of threads that take the next
// chunk from a shared counter, and the chunk results merged per tensor in chunk order, so the
// numbers are the same for every thread count.
#include "analysis/stats.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/thread_split.hpp"
#include "quant/dequantize.hpp"
#include "quant/type_traits.hpp"

namespace mwt::detail::analysis {
namespace {

// A piece is at most this many bytes read in place, or this many values decoded into the
// scratch buffer (64 KiB of float32: stays in L2 between the decoder and the statistics).
constexpr uint64_t kPieceBytes = uint64_t{64} << 10;
constexpr uint64_t kPieceValues = uint64_t{16} << 10;
// A chunk, the unit of work a thread takes, is about this many bytes of pieces: small enough
// to balance threads over a file of a few large tensors, large enough that taking one is cheap.
constexpr uint64_t kChunkBytes = uint64_t{4} << 20;
// The progress callback is called at most this often (and once at the end).
constexpr auto kProgressInterval = std::chrono::milliseconds(50);

// Fused: a block type the ISA has a fused kernel for (statistics from the blocks' integers and
// scales, analysis/stats_kernels.hpp); Decode: other decodable types, decoded into the scratch.
enum class Mode : uint8_t { F32, F16, BF16, Fused, Decode, HashOnly };

// How one tensor is read.
struct Layout {
  Mode mode = Mode::HashOnly;
  DType type = DType::F32;
  uint32_t block_bytes = 1;
  uint32_t block_elems = 1;
  uint64_t n_blocks = 0;
  uint64_t piece_blocks = 1;
  uint64_t chunk_blocks = 1;
  kernels::DequantKernel decode = nullptr;
  BlockStatsFn fused = nullptr;
  bool scales = false;
};

Layout layout_of(Isa isa, DType type, uint64_t nbytes) {
  Layout l;
  l.type = type;
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));
  if (info == nullptr) return l;  // hash only (readers never produce one)
  l.block_bytes = info->block_bytes;
  l.block_elems = info->block_elems;
  if (nbytes % info->block_bytes != 0) return l;
  l.n_blocks = nbytes / info->block_bytes;
  if (type == DType::F32) l.mode = Mode::F32;
  if (type == DType::F16) l.mode = Mode::F16;
  if (type == DType::BF16) l.mode = Mode::BF16;
  if (l.mode == Mode::HashOnly) {
    const quant::TypeTraits* t = quant::type_traits(type);
    if (t != nullptr && t->to_float != nullptr) {
      l.mode = Mode::Decode;
      l.decode = kernels::dequant_kernel(isa, type);
      if (l.decode == nullptr) l.decode = t->to_float;
      l.fused = block_stats_kernel(stats_kernels(isa), type);
      if (l.fused != nullptr) l.mode = Mode::Fused;
    }
  }
  // Fused pieces are the decoded pieces' size: a tensor's hash chains the pieces' hashes, so
  // the cut must not depend on the path.
  if (l.mode == Mode::Decode || l.mode == Mode::Fused)
    l.piece_blocks =
        std::max<uint64_t>(1, std::min(kPieceBytes / l.block_bytes, kPieceValues / l.block_elems));
  else
    l.piece_blocks = std::max<uint64_t>(1, kPieceBytes / l.block_bytes);
  const uint64_t piece_bytes = l.piece_blocks * l.block_bytes;
  l.chunk_blocks = l.piece_blocks * std::max<uint64_t>(1, kChunkBytes / piece_bytes);
  l.scales = has_scale_rules(type);
  return l;
}

uint64_t chunk_count(const Layout& l) noexcept {
  return l.n_blocks == 0 ? 0 : (l.n_blocks + l.chunk_blocks - 1) / l.chunk_blocks;
}

struct ChunkResult {
  ValueStats values;
  ScaleFindings scales;
  uint64_t hash = 0;
};

// Chunk `c` of a tensor with layout l whose bytes start at data; scratch holds
// l.piece_blocks * l.block_elems floats in Decode mode.
void run_chunk(const StatsKernels& k, const Layout& l, const uint8_t* data, uint64_t c,
               float* scratch, ChunkResult& out) {
  const uint64_t b0 = c * l.chunk_blocks;
  const uint64_t b1 = std::min(l.n_blocks, b0 + l.chunk_blocks);
  for (uint64_t b = b0; b < b1; b += l.piece_blocks) {
    const uint64_t nb = std::min(l.piece_blocks, b1 - b);
    const uint8_t* raw = data + b * l.block_bytes;
    // Float types are hashed in the statistics' pass; the others hash their raw bytes apart.
    uint64_t h = 0;
    switch (l.mode) {
      case Mode::F32: h = k.f32_hashed(raw, nb, out.values); break;
      case Mode::F16: h = k.f16_hashed(raw, nb, out.values); break;
      case Mode::BF16: h = k.bf16_hashed(raw, nb, out.values); break;
      case Mode::Fused: h = l.fused(raw, nb, out.values); break;
      case Mode::Decode:
        l.decode(raw, scratch, nb);
        k.f32(reinterpret_cast<const uint8_t*>(scratch), nb * l.block_elems, out.values);
        h = k.hash(raw, nb * l.block_bytes);
        break;
      case Mode::HashOnly: h = k.hash(raw, nb * l.block_bytes); break;
    }
    if (l.scales) check_scales(l.type, raw, nb, b, out.scales);
    out.hash = hash_append(out.hash, h);
  }
}

// Merges a tensor's chunk results (in order) into its TensorStats.
TensorStats merge_chunks(const Layout& l, uint64_t nbytes, const ChunkResult* chunks, uint64_t n) {
  TensorStats t;
  t.decoded = l.mode != Mode::HashOnly;
  t.scales_checked = l.scales;
  t.hash = hash_mix(nbytes ^ 0x9E3779B97F4A7C15ull);
  for (uint64_t c = 0; c < n; ++c) {
    merge_stats(t.values, chunks[c].values);
    merge_findings(t.scales, chunks[c].scales);
    t.hash = hash_append(t.hash, chunks[c].hash);
  }
  return t;
}

}  // namespace

TensorStats tensor_stats(Isa isa, DType type, const uint8_t* src, uint64_t nbytes) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(type));
  if (info == nullptr)
    fail(Code::BAD_DTYPE, std::to_string(static_cast<uint32_t>(type)) + " is not an mwt dtype");
  if (nbytes % info->block_bytes != 0)
    fail(Code::BAD_SHAPE, std::to_string(nbytes) + " bytes are not a whole number of " +
                              std::string(info->name) + " blocks");
  const Layout l = layout_of(isa, type, nbytes);
  const StatsKernels& k = stats_kernels(isa);
  std::vector<float> scratch(l.mode == Mode::Decode ? l.piece_blocks * l.block_elems : 0);
  std::vector<ChunkResult> chunks(chunk_count(l));
  for (uint64_t c = 0; c < chunks.size(); ++c) run_chunk(k, l, src, c, scratch.data(), chunks[c]);
  return merge_chunks(l, nbytes, chunks.data(), chunks.size());
}

FileStats file_stats(const WeightFile& wf, const StatsOptions& opt) {
  FileStats fs;
  fs.isa = opt.isa;
  const StatsKernels& k = stats_kernels(opt.isa);
  const size_t n_tensors = wf.tensors.size();
  std::vector<Layout> layouts(n_tensors);
  std::vector<const uint8_t*> data(n_tensors, nullptr);
  std::vector<uint64_t> first_chunk(n_tensors + 1, 0);
  // Work items: (tensor, chunk within it).
  std::vector<std::pair<uint32_t, uint64_t>> work;
  uint64_t total = 0;
  size_t max_scratch = 0;
  for (size_t i = 0; i < n_tensors; ++i) {
    const TensorInfo& t = wf.tensors[i];
    layouts[i] = layout_of(opt.isa, t.dtype, t.nbytes);
    data[i] = wf.tensor_data(t);  // maps a deferred shard here, on the caller's thread
    const uint64_t n = data[i] != nullptr ? chunk_count(layouts[i]) : 0;
    first_chunk[i + 1] = first_chunk[i] + n;
    for (uint64_t c = 0; c < n; ++c) work.emplace_back(static_cast<uint32_t>(i), c);
    if (n > 0) total += t.nbytes;
    if (layouts[i].mode == Mode::Decode)
      max_scratch = std::max<size_t>(max_scratch, layouts[i].piece_blocks * layouts[i].block_elems);
  }
  fs.bytes = total;
  std::vector<ChunkResult> results(work.size());
  const unsigned asked = opt.threads == 0 ? default_thread_count() : opt.threads;
  const unsigned threads = static_cast<unsigned>(
      std::clamp<uint64_t>(std::min<uint64_t>(asked, work.size()), 1, kMaxThreads));
  fs.threads = threads;

  std::atomic<uint64_t> next{0}, done{0};
  std::atomic<bool> cancelled{false};
  auto last = std::chrono::steady_clock::now();
  if (opt.progress && !opt.progress(0, total)) cancelled = true;
  auto worker = [&](bool reports) {
    std::vector<float> scratch(max_scratch);
    for (;;) {
      if (cancelled.load(std::memory_order_relaxed)) return;
      const uint64_t w = next.fetch_add(1, std::memory_order_relaxed);
      if (w >= work.size()) return;
      const auto [ti, c] = work[w];
      run_chunk(k, layouts[ti], data[ti], c, scratch.data(), results[w]);
      const Layout& l = layouts[ti];
      const uint64_t b0 = c * l.chunk_blocks;
      const uint64_t bytes = (std::min(l.n_blocks, b0 + l.chunk_blocks) - b0) * l.block_bytes;
      const uint64_t now_done = done.fetch_add(bytes, std::memory_order_relaxed) + bytes;
      if (reports && opt.progress) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last >= kProgressInterval) {
          last = now;
          if (!opt.progress(now_done, total)) cancelled = true;
        }
      }
    }
  };
  run_split(threads, threads, [&](Range r) { worker(r.begin == 0); });
  if (!cancelled && opt.progress && !opt.progress(total, total)) cancelled = true;
  if (cancelled) {
    fs.cancelled = true;
    return fs;
  }

  fs.tensors.reserve(n_tensors);
  for (size_t i = 0; i < n_tensors; ++i) {
    const uint64_t n = first_chunk[i + 1] - first_chunk[i];
    fs.tensors.push_back(
        merge_chunks(layouts[i], wf.tensors[i].nbytes, results.data() + first_chunk[i], n));
  }

  // Duplicates: equal (size, hash) first, then byte comparison against each class's first.
  std::vector<size_t> order;
  for (size_t i = 0; i < n_tensors; ++i)
    if (data[i] != nullptr) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const uint64_t na = wf.tensors[a].nbytes, nb = wf.tensors[b].nbytes;
    if (na != nb) return na < nb;
    if (fs.tensors[a].hash != fs.tensors[b].hash) return fs.tensors[a].hash < fs.tensors[b].hash;
    return a < b;
  });
  for (size_t s = 0; s < order.size();) {
    size_t e = s + 1;
    while (e < order.size() && wf.tensors[order[e]].nbytes == wf.tensors[order[s]].nbytes &&
           fs.tensors[order[e]].hash == fs.tensors[order[s]].hash)
      ++e;
    std::vector<std::vector<size_t>> classes;
    for (size_t j = s; j < e && e - s > 1; ++j) {
      const size_t t = order[j];
      bool placed = false;
      for (auto& cls : classes)
        if (std::memcmp(data[cls[0]], data[t], wf.tensors[t].nbytes) == 0) {
          cls.push_back(t);
          placed = true;
          break;
        }
      if (!placed) classes.push_back({t});
    }
    for (auto& cls : classes)
      if (cls.size() > 1) fs.duplicates.push_back(std::move(cls));
    s = e;
  }
  std::sort(fs.duplicates.begin(), fs.duplicates.end());
  return fs;
}

}  // namespace mwt::detail::analysis
