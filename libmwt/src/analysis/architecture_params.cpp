// Logical sizes of a file's tensors for the parameter count (docs/analysis.md#parameter-count):
// GGUF shapes are logical already; packed integer layouts (GPTQ, AWQ, compressed-tensors, MLX,
// bitsandbytes) are decoded with the quantization detector's module classification
// (analysis/scheme_tensors.hpp), and their scales, zeros and index tensors are counted apart as
// quantization aux. Saved buffers that are not parameters are marked.
#include <algorithm>

#include "analysis/architecture.hpp"

namespace mwt::detail::analysis {
namespace {

bool ends_with(std::string_view s, std::string_view t) {
  return s.size() >= t.size() && s.substr(s.size() - t.size()) == t;
}

// Tensors transformers saves that are buffers, not parameters: rotary inverse frequencies,
// causal-mask buffers of old GPT-2 / GPT-NeoX checkpoints, position id ranges, BART's
// final_logits_bias; and GGUF's computed rope factor tables.
bool is_buffer(std::string_view name) {
  for (std::string_view s :
       {".inv_freq", ".attn.bias", ".attn.masked_bias", ".attention.bias", ".attention.masked_bias",
        "position_ids", "final_logits_bias", "rope_freqs.weight", "rope_factors_long.weight",
        "rope_factors_short.weight"})
    if (ends_with(name, s) || name == s.substr(s[0] == '.' ? 1 : 0)) return true;
  return false;
}

std::string method_label(const ModuleResult& r) {
  std::string m = method_name(r.method);
  if (!r.sub.empty()) m.append("-").append(r.sub);
  if (r.bits > 0) m.append("-").append(std::to_string(r.bits)).append("bit");
  return m;
}

}  // namespace

TensorFacts tensor_facts(const WeightFile& file) {
  const size_t n = file.tensors.size();
  TensorFacts tf;
  tf.logical_shape.resize(n);
  tf.logical.assign(n, 0);
  tf.aux.assign(n, 0);
  tf.dtype_label.resize(n);
  tf.buffer.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    const TensorInfo& t = file.tensors[i];
    tf.logical_shape[i] = t.shape;
    tf.logical[i] = t.numel;
    tf.dtype_label[i] = dtype_label(t.dtype);
    tf.buffer[i] = is_buffer(t.name);
  }
  if (file.format == Format::GGUF) return tf;  // GGUF shapes count logical elements

  const QuantConfig config = read_quant_config(file);
  ClassifyContext ctx(file, config);
  const std::vector<Module> modules = group_modules(file);
  for (const Module& m : modules)
    if (m.has_quant_role())
      if (const TensorInfo* w = m.get(file, Role::WEIGHT); w && w->shape.size() == 2)
        ctx.known_dims.push_back(w->shape[0]);
  std::sort(ctx.known_dims.begin(), ctx.known_dims.end());
  resolve_fp8_blocks(ctx, modules);
  for (const Module& m : modules) {
    if (!m.has_quant_role()) continue;
    const auto r = classify_module(ctx, m);
    // The tensor holding the weight values, and its output-channel count.
    int64_t main = -1;
    uint64_t out = 0;
    auto idx = [&](Role role) { return m.idx[static_cast<size_t>(role)]; };
    if (r) {
      const TensorInfo* sc = m.get(file, Role::SCALES);
      if (m.has(Role::QWEIGHT)) {
        main = idx(Role::QWEIGHT);
        if (sc && sc->shape.size() == 2) out = sc->shape[1];
      } else if (m.has(Role::WEIGHT_PACKED)) {
        main = idx(Role::WEIGHT_PACKED);
        out = file.tensors[static_cast<size_t>(main)].shape.empty()
                  ? 0
                  : file.tensors[static_cast<size_t>(main)].shape[0];
      } else if (m.has(Role::WEIGHT)) {
        main = idx(Role::WEIGHT);
        const TensorInfo& w = file.tensors[static_cast<size_t>(main)];
        if (r->method == Method::MLX && w.shape.size() == 2) out = w.shape[0];
      }
    } else if (m.has(Role::WEIGHT)) {
      main = idx(Role::WEIGHT);
    }
    for (size_t role = 0; role < kRoleCount; ++role) {
      const int64_t ti = m.idx[role];
      if (ti < 0 || ti == main) continue;
      const auto u = static_cast<size_t>(ti);
      tf.aux[u] = file.tensors[u].numel;  // scales, zeros, g_idx, absmax, quant_state, ...
      tf.logical[u] = 0;
      tf.logical_shape[u].clear();
    }
    if (main < 0 || !r) continue;
    const auto u = static_cast<size_t>(main);
    const TensorInfo& w = file.tensors[u];
    tf.dtype_label[u] = method_label(*r);
    if (out > 0 && r->in_features > 0) {
      tf.logical_shape[u] = {out, r->in_features};
      tf.logical[u] = out * r->in_features;
    } else if (r->method == Method::BNB4) {
      // Two 4-bit values per stored byte.
      tf.logical[u] = w.nbytes * 2;
      tf.logical_shape[u] = {tf.logical[u]};
      if (r->in_features > 0 && tf.logical[u] % r->in_features == 0)
        tf.logical_shape[u] = {tf.logical[u] / r->in_features, r->in_features};
    }
    // int8 / FP8 weights keep their element count.
  }
  return tf;
}

}  // namespace mwt::detail::analysis
