// Per-module classification of the packed-integer layouts: GPTQ and AWQ (qweight/qzeros/scales),
// compressed-tensors pack-quantized and MLX (bits and group size from shapes, resolved against
// the model's other dimensions and the config), plus the dispatch over every method. GPTQ's
// g_idx order and zero points come from bounded reads.
#include <algorithm>
#include <cstring>

#include "analysis/scheme_tensors.hpp"

namespace mwt::detail::analysis {
namespace {

constexpr uint32_t kMaxGidxReads = 32;  // g_idx tensors read per file
constexpr uint64_t kMaxGidxLen = uint64_t{1} << 22;
constexpr uint32_t kMaxZeroReads = 32;  // zero-point tensors sampled per file
constexpr uint64_t kZeroSample = 4096;  // values sampled from one zero-point row

// The first row of a packed zero-point tensor, sampled: nullopt when unreadable, else whether
// all sampled values equal one constant (and which).
struct ZeroSample {
  bool constant = true;
  uint32_t value = 0;
};
std::optional<ZeroSample> sample_packed_zeros(ClassifyContext& ctx, const TensorInfo& z,
                                              unsigned bits, uint64_t nvalues) {
  if (ctx.zero_reads >= kMaxZeroReads || z.shape.size() != 2 || !is_word32(z.dtype))
    return std::nullopt;
  const uint64_t words = z.shape[1];
  nvalues = std::min({nvalues, kZeroSample, words * 32 / bits});
  if (nvalues == 0) return std::nullopt;
  const uint8_t* p = tensor_bytes(ctx.file, z, ceil_div(nvalues * bits, 32) * 4);
  if (p == nullptr) return std::nullopt;
  ++ctx.zero_reads;
  ZeroSample s;
  s.value = bitstream_value(p, 0, bits);
  for (uint64_t k = 1; k < nvalues; ++k)
    if (bitstream_value(p, k, bits) != s.value) {
      s.constant = false;
      break;
    }
  return s;
}

// GPTQ's g_idx: group size from how many channels group 0 holds, and act-order (desc_act) when
// the channels are not in group order.
void gptq_g_idx(ClassifyContext& ctx, const TensorInfo& gi, uint64_t in, uint64_t groups,
                ModuleResult& r) {
  if (ctx.gidx_reads >= kMaxGidxReads || gi.shape.size() != 1 || gi.shape[0] != in ||
      in > kMaxGidxLen || !(gi.dtype == DType::I32 || gi.dtype == DType::I64))
    return;
  const uint64_t es = gi.dtype == DType::I32 ? 4 : 8;
  const uint8_t* p = tensor_bytes(ctx.file, gi, in * es);
  if (p == nullptr) return;
  ++ctx.gidx_reads;
  auto at = [&](uint64_t i) -> int64_t {
    if (es == 4) {
      int32_t v;
      std::memcpy(&v, p + i * 4, 4);
      return v;
    }
    int64_t v;
    std::memcpy(&v, p + i * 8, 8);
    return v;
  };
  uint64_t zeros = 0;
  for (uint64_t i = 0; i < in; ++i) {
    const int64_t g = at(i);
    if (g < 0 || static_cast<uint64_t>(g) >= groups) {
      r.notes.push_back("g_idx holds a group outside [0, groups)");
      return;
    }
    zeros += g == 0;
  }
  // Every group but the last holds group_size channels, in any order.
  const uint64_t gs = groups <= 1 ? in : zeros;
  if (gs == 0) {
    r.notes.push_back("g_idx never names group 0");
    return;
  }
  if (groups > 1) r.group_size = static_cast<int64_t>(gs);
  bool act_order = false;
  for (uint64_t i = 0; i < in && !act_order; ++i)
    act_order = static_cast<uint64_t>(at(i)) != i / gs;
  r.facts.emplace_back("desc_act", act_order);
}

// compressed-tensors' weight_shape: the unpacked [out, in].
std::optional<std::array<uint64_t, 2>> read_weight_shape(const WeightFile& f, const TensorInfo* t) {
  if (!t || t->shape.size() != 1 || t->shape[0] != 2) return std::nullopt;
  if (t->dtype != DType::I64 && t->dtype != DType::I32) return std::nullopt;
  const uint64_t es = t->dtype == DType::I64 ? 8 : 4;
  const uint8_t* p = tensor_bytes(f, *t, 2 * es);
  if (!p) return std::nullopt;
  std::array<uint64_t, 2> r{};
  for (int i = 0; i < 2; ++i) {
    int64_t v = 0;
    if (es == 8) {
      std::memcpy(&v, p + i * 8, 8);
    } else {
      int32_t v32;
      std::memcpy(&v32, p + i * 4, 4);
      v = v32;
    }
    if (v <= 0) return std::nullopt;
    r[static_cast<size_t>(i)] = static_cast<uint64_t>(v);
  }
  return r;
}

}  // namespace

// ------------------------------------------------------------------ GPTQ / AWQ

std::optional<ModuleResult> classify_qweight(ClassifyContext& ctx, const Module& m) {
  const WeightFile& f = ctx.file;
  const TensorInfo* qw = m.get(f, Role::QWEIGHT);
  const TensorInfo* sc = m.get(f, Role::SCALES);
  if (!qw || !sc || !is_word32(qw->dtype) || qw->shape.size() != 2 || sc->shape.size() != 2 ||
      !is_float_dtype(sc->dtype))
    return std::nullopt;
  const uint64_t rows = qw->shape[0], cols = qw->shape[1];
  const uint64_t groups = sc->shape[0], out = sc->shape[1];
  if (rows == 0 || cols == 0 || groups == 0 || out == 0) return std::nullopt;
  const TensorInfo* qz = m.get(f, Role::QZEROS);
  ModuleResult r;
  if (qz && (!is_word32(qz->dtype) || qz->shape.size() != 2 || qz->shape[0] != groups)) {
    r.notes.push_back("qzeros shape does not match scales");
    qz = nullptr;
  }
  const TensorInfo* gi = m.get(f, Role::G_IDX);

  if (gi || cols == out) {
    // GPTQ: qweight [in / 32 * bits, out], qzeros [groups, out / 32 * bits], g_idx [in].
    if (cols != out) return std::nullopt;
    r.method = Method::GPTQ;
    std::optional<uint64_t> in;
    if (gi && gi->shape.size() == 1 && gi->shape[0] > 0) in = gi->shape[0];
    std::vector<int> cands;
    // Packed widths: AutoGPTQ sizes them n / 32 * bits (floor), others ceil(n * bits / 32).
    auto packed = [](uint64_t n, uint64_t b, uint64_t words) {
      if (n > (uint64_t{1} << 56)) return false;
      return words == (n / 32) * b || words == ceil_div(n * b, 32);
    };
    for (int b : {2, 3, 4, 5, 6, 8}) {
      const auto ub = static_cast<uint64_t>(b);
      bool ok = true;
      if (qz) ok = ok && packed(out, ub, qz->shape[1]);
      if (in)
        ok = ok && packed(*in, ub, rows);
      else
        ok = ok && (rows * 32) % ub == 0;
      if (ok) cands.push_back(b);
    }
    if (cands.size() > 1 && ctx.config.bits &&
        std::count(cands.begin(), cands.end(), static_cast<int>(*ctx.config.bits)))
      cands = {static_cast<int>(*ctx.config.bits)};
    if (cands.size() != 1 || (!qz && !in && !ctx.config.bits)) return std::nullopt;
    r.bits = cands[0];
    r.in_features = in ? *in : rows * 32 / static_cast<uint64_t>(r.bits);
    r.group_size = group_size_of(r.in_features, groups);
    r.facts.emplace_back("g_idx", gi != nullptr);
    if (gi)
      gptq_g_idx(ctx, *gi, r.in_features, groups, r);
    else
      r.facts.emplace_back("desc_act", false);  // no g_idx: channels in order
    if (qz) {
      if (auto z = sample_packed_zeros(ctx, *qz, static_cast<unsigned>(r.bits), out)) {
        const uint32_t mid = uint32_t{1} << (r.bits - 1);
        if (!z->constant) {
          r.facts.emplace_back("sym", false);
        } else if (z->value == mid - 1) {  // the original format stores zero - 1
          r.facts.emplace_back("sym", true);
          r.facts.emplace_back("zeros_stored", std::string("zero-1"));
        } else if (z->value == mid) {
          r.facts.emplace_back("sym", true);
          r.facts.emplace_back("zeros_stored", std::string("zero"));
        }
      }
    }
    return r;
  }

  // AWQ (GEMM): qweight [in, out / (32 / bits)], qzeros [groups, out / (32 / bits)].
  r.method = Method::AWQ;
  int bits = 0;
  for (int b : {2, 4, 8})
    if (out / (32 / static_cast<uint64_t>(b)) == cols) bits = b;
  if (bits == 0) return std::nullopt;
  r.bits = bits;
  r.in_features = rows;
  r.group_size = group_size_of(rows, groups);
  if (qz && qz->shape[1] != cols) {
    r.notes.push_back("qzeros columns differ from qweight columns");
    qz = nullptr;
  }
  r.facts.emplace_back("version", std::string("gemm"));
  if (!m.has(Role::QZEROS)) {
    r.facts.emplace_back("zero_point", false);
  } else if (qz) {
    if (auto z = sample_packed_zeros(ctx, *qz, static_cast<unsigned>(bits), out))
      if (!z->constant) r.facts.emplace_back("zero_point", true);
  }
  return r;
}

// ------------------------------------------------------------------ compressed-tensors

std::optional<ModuleResult> classify_packed(ClassifyContext& ctx, const Module& m) {
  const WeightFile& f = ctx.file;
  const TensorInfo* wp = m.get(f, Role::WEIGHT_PACKED);
  const TensorInfo* s = m.get(f, Role::WEIGHT_SCALE);
  if (!wp || !s || wp->shape.size() != 2 || wp->shape[0] == 0 || wp->shape[1] == 0)
    return std::nullopt;
  const uint64_t out = wp->shape[0], pc = wp->shape[1];
  const auto ws = read_weight_shape(f, m.get(f, Role::WEIGHT_SHAPE));
  ModuleResult r;
  r.method = Method::CT;
  if (ws && (*ws)[0] != out) r.notes.push_back("weight_shape rows differ from weight_packed rows");
  if (wp->dtype == DType::U8 && s->dtype == DType::F8_E4M3) {
    // NVFP4: two E2M1 values per byte, low nibble first; an FP8 scale per 16 values.
    r.bits = 4;
    r.in_features = ws ? (*ws)[1] : pc * 2;
    if (s->shape.size() == 2) r.group_size = group_size_of(r.in_features, s->shape[1]);
    r.facts.emplace_back("format", std::string("nvfp4-pack-quantized"));
    r.facts.emplace_back("global_scale", m.has(Role::WEIGHT_GLOBAL_SCALE));
    return r;
  }
  if (!is_word32(wp->dtype)) return std::nullopt;
  int bits = 0;
  if (ws) {
    for (int b : {2, 4, 8})
      if (ceil_div((*ws)[1], 32 / static_cast<uint64_t>(b)) == pc) bits = b;
    r.in_features = (*ws)[1];
  } else if (ctx.config.bits &&
             (*ctx.config.bits == 2 || *ctx.config.bits == 4 || *ctx.config.bits == 8)) {
    bits = static_cast<int>(*ctx.config.bits);
    r.in_features = pc * (32 / static_cast<uint64_t>(bits));
  }
  if (bits == 0) return std::nullopt;
  r.bits = bits;
  r.facts.emplace_back("format", std::string("pack-quantized"));
  if (s->numel == 1) {
    r.facts.emplace_back("strategy", std::string("tensor"));
  } else if (s->shape.size() == 2 && s->shape[0] == out && s->shape[1] == 1) {
    r.facts.emplace_back("strategy", std::string("channel"));
  } else if (s->shape.size() == 2 && s->shape[0] == out) {
    r.group_size = group_size_of(r.in_features, s->shape[1]);
    r.facts.emplace_back("strategy", std::string("group"));
  } else {
    r.notes.push_back("weight_scale shape fits no strategy");
  }
  // Zero points are stored only for asymmetric schemes (a stored all-zero one is symmetric).
  bool sym = true;
  if (const TensorInfo* zp = m.get(f, Role::WEIGHT_ZERO_POINT)) {
    const uint64_t n = std::min<uint64_t>(zp->nbytes, kZeroSample);
    const uint8_t* p = ctx.zero_reads < kMaxZeroReads ? tensor_bytes(f, *zp, n) : nullptr;
    if (p) {
      ++ctx.zero_reads;
      sym = std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
    } else {
      sym = false;
    }
  }
  r.facts.emplace_back("sym", sym);
  r.facts.emplace_back("actorder", m.has(Role::WEIGHT_G_IDX));
  return r;
}

// ------------------------------------------------------------------ MLX

std::optional<ModuleResult> classify_mlx(ClassifyContext& ctx, const Module& m) {
  const WeightFile& f = ctx.file;
  const TensorInfo* w = m.get(f, Role::WEIGHT);
  const TensorInfo* s = m.get(f, Role::SCALES);
  if (!w || !s || w->dtype != DType::U32 || w->shape.size() < 2 ||
      s->shape.size() != w->shape.size())
    return std::nullopt;
  if (!std::equal(w->shape.begin(), w->shape.end() - 1, s->shape.begin())) return std::nullopt;
  const TensorInfo* b = m.get(f, Role::BIASES);
  if (b && b->shape != s->shape) return std::nullopt;
  const uint64_t pc = w->shape.back(), sc = s->shape.back();
  if (pc == 0 || sc == 0) return std::nullopt;
  ModuleResult r;
  r.method = Method::MLX;
  if (!b) {
    // mxfp4: E2M1 values with an E8M0 scale (uint8) per 32, no biases.
    if (s->dtype != DType::U8 || sc * 32 != pc * 8) return std::nullopt;
    r.bits = 4;
    r.group_size = 32;
    r.in_features = pc * 8;
    r.facts.emplace_back("mode", std::string("mxfp4"));
    return r;
  }
  if (!is_float_dtype(s->dtype)) return std::nullopt;
  r.facts.emplace_back("mode", std::string("affine"));
  // bits * group_size is fixed by the shapes; the unpacked width must also be a dimension the
  // model has elsewhere, which usually leaves one choice.
  std::vector<std::pair<int, int64_t>> cands, known;
  for (int bits : {2, 3, 4, 5, 6, 8})
    for (int64_t g : {32, 64, 128}) {
      if ((pc * 32) % static_cast<uint64_t>(bits) != 0) continue;
      const uint64_t in = pc * 32 / static_cast<uint64_t>(bits);
      if (in != sc * static_cast<uint64_t>(g)) continue;
      cands.emplace_back(bits, g);
      if (std::binary_search(ctx.known_dims.begin(), ctx.known_dims.end(), in))
        known.emplace_back(bits, g);
    }
  if (cands.empty()) return std::nullopt;
  std::optional<std::pair<int, int64_t>> cfg;
  const auto ov = ctx.config.module_overrides.find(m.prefix);
  if (ov != ctx.config.module_overrides.end())
    cfg = std::pair<int, int64_t>(static_cast<int>(ov->second.first), ov->second.second);
  else if (ctx.config.bits && ctx.config.group_size)
    cfg = std::pair<int, int64_t>(static_cast<int>(*ctx.config.bits), *ctx.config.group_size);
  auto contains = [](const std::vector<std::pair<int, int64_t>>& v, std::pair<int, int64_t> x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  std::pair<int, int64_t> pick;
  std::string source;
  const std::vector<std::pair<int, int64_t>>& pool = known.empty() ? cands : known;
  if (known.size() == 1) {
    pick = known[0];
    source = "shapes";
  } else if (cands.size() == 1) {
    pick = cands[0];
    source = "shapes";
  } else if (cfg && contains(pool, *cfg)) {
    pick = *cfg;
    source = "config";
  } else {
    pick = contains(pool, {4, 64}) ? std::pair<int, int64_t>{4, 64} : pool[0];
    source = "ambiguous";
    std::string alt;
    // Appended piece by piece: the one-line (alt.empty() ? "" : " ") + std::to_string(cb) + ...
    // draws a false GCC 12 -Wrestrict (inside char_traits.h) from operator+(const char*,
    // std::string&&).
    for (const auto& [cb, cg] : pool) {
      if (!alt.empty()) alt += ' ';
      alt += std::to_string(cb);
      alt += '/';
      alt += std::to_string(cg);
    }
    r.facts.emplace_back("alternatives", alt);
  }
  if (cfg && *cfg != pick) {
    Disagreement d;
    d.method = "mlx";
    d.field = "bits/group_size";
    d.config = std::to_string(cfg->first) + "/" + std::to_string(cfg->second);
    d.tensors = std::to_string(pick.first) + "/" + std::to_string(pick.second);
    r.disagreements.push_back(std::move(d));
  }
  r.bits = pick.first;
  r.group_size = pick.second;
  r.in_features = pc * 32 / static_cast<uint64_t>(pick.first);
  r.facts.emplace_back("bits_source", source);
  return r;
}

// ------------------------------------------------------------------ dispatch

const char* method_name(Method m) noexcept {
  switch (m) {
    case Method::GPTQ: return "gptq";
    case Method::AWQ: return "awq";
    case Method::BNB4:
    case Method::BNB8: return "bitsandbytes";
    case Method::FP8: return "fp8";
    case Method::CT: return "compressed-tensors";
    case Method::MLX: return "mlx";
  }
  return "unknown";
}

std::optional<ModuleResult> classify_module(ClassifyContext& ctx, const Module& m) {
  if (m.has(Role::QWEIGHT)) return classify_qweight(ctx, m);
  if (m.has(Role::WEIGHT_PACKED)) return classify_packed(ctx, m);
  if (m.has(Role::QUANT_STATE_NF4) || m.has(Role::QUANT_STATE_FP4) || m.has(Role::ABSMAX))
    return classify_bnb4(ctx, m);
  const TensorInfo* w = m.get(ctx.file, Role::WEIGHT);
  if (!w) return std::nullopt;
  if (w->dtype == DType::I8) return classify_int8(ctx, m);
  if (fp8_format(w->dtype)) return classify_fp8(ctx, m);
  if (w->dtype == DType::U32) return classify_mlx(ctx, m);
  return std::nullopt;
}

}  // namespace mwt::detail::analysis
