// Per-module classification of the byte-wide layouts: bitsandbytes 4-bit (packed uint8 with
// absmax, code book and quant_state JSON) and int8 (SCB), compressed-tensors int-quantized, and
// FP8 weights with per-tensor, per-channel or block scales (block size agreed over the model).
#include <algorithm>
#include <cstring>

#include <simdjson.h>

#include "analysis/scheme_tensors.hpp"

namespace mwt::detail::analysis {
namespace {

constexpr uint64_t kMaxQuantStateBytes = 1 << 16;

struct QuantState {
  std::string quant_type, dtype;
  std::optional<uint64_t> blocksize, nested_blocksize;
  std::vector<uint64_t> shape;
  bool parsed = false;
};

QuantState parse_quant_state(const WeightFile& f, const TensorInfo& t) {
  QuantState qs;
  if (t.dtype != DType::U8 || t.shape.size() != 1 || t.nbytes == 0 ||
      t.nbytes > kMaxQuantStateBytes)
    return qs;
  const uint8_t* p = tensor_bytes(f, t, t.nbytes);
  if (p == nullptr) return qs;
  simdjson::dom::parser parser;
  if (parser.allocate(t.nbytes, 16)) return qs;
  simdjson::padded_string text(reinterpret_cast<const char*>(p), t.nbytes);
  simdjson::dom::object obj;
  if (parser.parse(text).get_object().get(obj)) return qs;
  qs.parsed = true;
  std::string_view s;
  uint64_t u;
  if (!obj["quant_type"].get_string().get(s)) qs.quant_type = std::string(s);
  if (!obj["dtype"].get_string().get(s)) qs.dtype = std::string(s);
  if (!obj["blocksize"].get_uint64().get(u)) qs.blocksize = u;
  if (!obj["nested_blocksize"].get_uint64().get(u)) qs.nested_blocksize = u;
  simdjson::dom::array shape;
  if (!obj["shape"].get_array().get(shape)) {
    for (auto e : shape) {
      if (e.get_uint64().get(u) || qs.shape.size() >= 8) {
        qs.shape.clear();
        break;
      }
      qs.shape.push_back(u);
    }
  }
  return qs;
}

bool fp8_block_scaled(const TensorInfo& w, const TensorInfo& s, bool inv) {
  if (w.shape.size() != 2 || s.shape.size() != 2) return false;
  if (inv) return true;
  return s.shape[1] > 1;  // [out, 1] is per-channel
}

// Block-scaled module's scale: its weight and scale tensors (nullptr when none).
const TensorInfo* fp8_scale(const WeightFile& f, const Module& m, bool& inv) {
  inv = m.has(Role::WEIGHT_SCALE_INV);
  return m.get(f, inv ? Role::WEIGHT_SCALE_INV : Role::WEIGHT_SCALE);
}

}  // namespace

// ------------------------------------------------------------------ bitsandbytes

std::optional<ModuleResult> classify_bnb4(ClassifyContext& ctx, const Module& m) {
  const WeightFile& f = ctx.file;
  const TensorInfo* w = m.get(f, Role::WEIGHT);
  const TensorInfo* st = m.get(f, Role::QUANT_STATE_NF4);
  std::string quant_type = "nf4";
  if (!st && (st = m.get(f, Role::QUANT_STATE_FP4))) quant_type = "fp4";
  const TensorInfo* absmax = m.get(f, Role::ABSMAX);
  if (!w || w->dtype != DType::U8 || (!st && !absmax)) return std::nullopt;
  ModuleResult r;
  r.method = Method::BNB4;
  r.bits = 4;
  QuantState qs;
  if (st) {
    qs = parse_quant_state(f, *st);
    if (!qs.parsed) r.notes.push_back("quant_state is not a readable JSON object");
    if (!qs.quant_type.empty() && qs.quant_type != quant_type)
      r.notes.push_back("quant_state names " + qs.quant_type + " under a " + quant_type + " key");
  } else {
    // No state key: the 16-entry code book tells NF4 (starts at -1) from FP4 (starts at 0).
    quant_type = "unknown";
    const TensorInfo* qm = m.get(f, Role::QUANT_MAP);
    if (qm && qm->dtype == DType::F32 && qm->numel == 16) {
      if (const uint8_t* p = tensor_bytes(f, *qm, 4)) {
        float first;
        std::memcpy(&first, p, 4);
        if (first == -1.0f)
          quant_type = "nf4";
        else if (first == 0.0f)
          quant_type = "fp4";
      }
    }
  }
  r.sub = quant_type;
  r.facts.emplace_back("quant_type", quant_type);
  uint64_t n = w->numel * 2;
  if (!qs.shape.empty()) {
    const auto sn = shape_numel(qs.shape);
    if (sn && *sn <= n && *sn + 1 >= n)
      n = *sn;
    else
      r.notes.push_back("quant_state shape does not match the packed weight");
    if (qs.shape.size() == 2) r.in_features = qs.shape[1];
  }
  uint64_t blocksize = 0;
  if (qs.blocksize && *qs.blocksize > 0) {
    blocksize = *qs.blocksize;
    if (absmax && absmax->numel != ceil_div(n, blocksize))
      r.notes.push_back("absmax count does not match the blocksize");
  } else if (absmax && absmax->numel > 0) {
    uint64_t lo, hi;
    blocksize =
        block_interval(n, absmax->numel, lo, hi) ? pick_block(lo, hi) : ceil_div(n, absmax->numel);
  }
  if (blocksize > 0) {
    r.group_size = static_cast<int64_t>(blocksize);
    r.facts.emplace_back("blocksize", static_cast<int64_t>(blocksize));
  }
  const bool dq = m.has(Role::NESTED_ABSMAX) || qs.nested_blocksize.has_value();
  r.facts.emplace_back("double_quant", dq);
  if (dq && qs.nested_blocksize)
    r.facts.emplace_back("nested_blocksize", static_cast<int64_t>(*qs.nested_blocksize));
  if (!qs.dtype.empty()) r.facts.emplace_back("dtype", qs.dtype);
  return r;
}

std::optional<ModuleResult> classify_int8(ClassifyContext& ctx, const Module& m) {
  const WeightFile& f = ctx.file;
  const TensorInfo* w = m.get(f, Role::WEIGHT);
  if (!w || w->dtype != DType::I8 || w->shape.size() != 2) return std::nullopt;
  const uint64_t out = w->shape[0], in = w->shape[1];
  ModuleResult r;
  r.bits = 8;
  r.in_features = in;
  if (const TensorInfo* scb = m.get(f, Role::SCB)) {
    r.method = Method::BNB8;
    r.sub = "int8";
    r.group_size = -1;  // one absmax per output row
    r.facts.emplace_back("quant_type", std::string("int8"));
    r.facts.emplace_back("SCB", true);
    if (scb->numel != out) r.notes.push_back("SCB length differs from the weight's rows");
    if (const TensorInfo* wf = m.get(f, Role::WEIGHT_FORMAT)) {
      if (wf->numel == 1 && (wf->dtype == DType::U8 || wf->dtype == DType::I8)) {
        if (const uint8_t* p = tensor_bytes(f, *wf, 1)) {
          static const char* const kFormats[] = {"row", "col32", "col_turing", "col_ampere"};
          if (*p < 4)
            r.facts.emplace_back("weight_format", std::string(kFormats[*p]));
          else
            r.facts.emplace_back("weight_format", static_cast<int64_t>(*p));
        }
      }
    }
    return r;
  }
  const TensorInfo* s = m.get(f, Role::WEIGHT_SCALE);
  if (!s) return std::nullopt;
  // compressed-tensors int-quantized: int8 weight with a float scale per tensor/channel/group.
  r.method = Method::CT;
  r.facts.emplace_back("format", std::string("int-quantized"));
  if (s->numel == 1) {
    r.facts.emplace_back("strategy", std::string("tensor"));
  } else if (s->shape.size() == 2 && s->shape[0] == out && s->shape[1] == 1) {
    r.facts.emplace_back("strategy", std::string("channel"));
  } else if (s->shape.size() == 2 && s->shape[0] == out && s->shape[1] > 1) {
    r.group_size = group_size_of(in, s->shape[1]);
    r.facts.emplace_back("strategy", std::string("group"));
  } else {
    r.notes.push_back("weight_scale shape fits no strategy");
  }
  return r;
}

// ------------------------------------------------------------------ FP8

std::optional<ModuleResult> classify_fp8(ClassifyContext& ctx, const Module& m) {
  const WeightFile& f = ctx.file;
  const TensorInfo* w = m.get(f, Role::WEIGHT);
  if (!w || !fp8_format(w->dtype)) return std::nullopt;
  ModuleResult r;
  r.method = Method::FP8;
  r.bits = 8;
  r.facts.emplace_back("format", std::string(fp8_format(w->dtype)));
  bool inv = false;
  const TensorInfo* s = fp8_scale(f, m, inv);
  if (w->shape.size() == 2) r.in_features = w->shape[1];
  std::string layout;
  if (!s) {
    layout = "none";
  } else if (w->shape.size() == 2 && fp8_block_scaled(*w, *s, inv)) {
    const uint64_t out = w->shape[0], in = w->shape[1], sr = s->shape[0], sc = s->shape[1];
    uint64_t rlo, rhi, clo, chi;
    if (!block_interval(out, sr, rlo, rhi) || !block_interval(in, sc, clo, chi)) {
      layout = "other";
      r.notes.push_back("block scale shape does not tile the weight");
    } else {
      layout = "block";
      uint64_t br = ctx.fp8_block[0], bc = ctx.fp8_block[1];
      if (br < rlo || br > rhi || bc < clo || bc > chi) {
        br = pick_block(rlo, rhi);
        bc = pick_block(clo, chi);
      }
      r.group_size = static_cast<int64_t>(bc);
      r.facts.emplace_back(
          "block_size", std::vector<int64_t>{static_cast<int64_t>(br), static_cast<int64_t>(bc)});
    }
  } else if (s->numel == 1) {
    layout = "per-tensor";
  } else if (w->shape.size() >= 2 && s->numel == w->shape[0] &&
             (s->shape.size() == 1 ||
              (s->shape.size() == 2 && (s->shape[1] == 1 || s->shape[0] == 1)))) {
    layout = "per-channel";
  } else {
    layout = "other";
  }
  r.facts.emplace_back("scale_layout", layout);
  if (s) {
    r.facts.emplace_back("scale_name", std::string(inv ? "weight_scale_inv" : "weight_scale"));
    r.facts.emplace_back("scale_dtype", dtype_label(s->dtype));
  }
  r.facts.emplace_back("activation_scale", m.has(Role::INPUT_SCALE));
  return r;
}

void resolve_fp8_blocks(ClassifyContext& ctx, const std::vector<Module>& modules) {
  uint64_t rlo = 1, rhi = UINT64_MAX, clo = 1, chi = UINT64_MAX;
  bool any = false;
  for (const Module& m : modules) {
    const TensorInfo* w = m.get(ctx.file, Role::WEIGHT);
    if (!w || !fp8_format(w->dtype)) continue;
    bool inv = false;
    const TensorInfo* s = fp8_scale(ctx.file, m, inv);
    if (!s || !fp8_block_scaled(*w, *s, inv)) continue;
    uint64_t a, b, c, d;
    if (!block_interval(w->shape[0], s->shape[0], a, b) ||
        !block_interval(w->shape[1], s->shape[1], c, d))
      continue;
    rlo = std::max(rlo, a), rhi = std::min(rhi, b), clo = std::max(clo, c), chi = std::min(chi, d);
    any = true;
  }
  if (!any || rlo > rhi || clo > chi) return;
  if (const auto& cb = ctx.config.block_size; cb && (*cb)[0] > 0 && (*cb)[1] > 0) {
    const auto r = static_cast<uint64_t>((*cb)[0]), c = static_cast<uint64_t>((*cb)[1]);
    if (r >= rlo && r <= rhi && c >= clo && c <= chi) {
      ctx.fp8_block = {r, c};
      return;
    }
  }
  ctx.fp8_block = {pick_block(rlo, rhi), pick_block(clo, chi)};
}

}  // namespace mwt::detail::analysis
