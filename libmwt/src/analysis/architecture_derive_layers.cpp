// The layer-level fields of the architecture report (docs/analysis.md#fields): MLP widths and
// gating, MoE experts, biases and norms, activation, positions and rotary width, and whether
// the output head is tied to the token embedding.
#include <algorithm>
#include <cstring>

#include "analysis/architecture_derive.hpp"

namespace mwt::detail::analysis {
namespace {

constexpr uint64_t kFullCompare = uint64_t{64} << 20;  // bytes compared whole
constexpr uint64_t kSampleChunks = 64, kSampleBytes = 65536;

}  // namespace

void Deriver::mlp() {
  // Per block: the dense MLP's width from up (or half the fused gate_up) else down's input.
  std::vector<int64_t> widths;
  bool varies = false;
  if (main)
    for (const auto& [i, b] : main->blocks) {
      uint64_t w = 0;
      if (const RoleTensor* up = role(b, "mlp.up"); up && up->tensor >= 0)
        w = other_dim(up, 0);
      else if (const RoleTensor* gu = role(b, "mlp.gate_up"); gu && gu->tensor >= 0)
        w = other_dim(gu, 0) / 2;
      else if (const RoleTensor* dn = role(b, "mlp.down"); dn && dn->tensor >= 0)
        w = other_dim(dn, 1);
      if (w == 0) continue;
      if (!widths.empty() && widths.back() != static_cast<int64_t>(w)) varies = true;
      widths.push_back(static_cast<int64_t>(w));
    }
  if (!widths.empty()) {
    const bool fused = any_block_role("mlp.gate_up") && !any_block_role("mlp.up");
    const std::string how = fused ? "half the rows of the fused gate_up projection"
                                  : "output width of the MLP up projection";
    if (varies)
      d.intermediate_size.set(widths, Source::SHAPES, how + ", per layer with a dense MLP");
    else
      d.intermediate_size.set(widths.front(), Source::SHAPES, how);
  } else {
    d.intermediate_size.how = "no dense MLP tensors found";
  }
  // Mixtral's intermediate_size is the width of its experts (it has no dense MLP).
  if (widths.empty() && model.family && std::strcmp(model.family->name, "mixtral") == 0)
    if (const RoleTensor* up = any_block_role("moe.experts.E.up"))
      d.intermediate_size.set(static_cast<int64_t>(other_dim(up, 0)), Source::SHAPES,
                              "Mixtral's experts are intermediate_size wide: an expert's up "
                              "projection");
  if (widths.empty() && model.family && std::strcmp(model.family->name, "mixtral") == 0 &&
      d.intermediate_size.source == Source::UNDETERMINED)
    if (const RoleTensor* gu = any_block_role("moe.experts.gate_up"); gu && gu->shape.size() == 3)
      d.intermediate_size.set(static_cast<int64_t>(gu->shape[1] / 2), Source::SHAPES,
                              "Mixtral's experts are intermediate_size wide: half the stacked "
                              "gate_up rows");
  resolve(d.intermediate_size, "intermediate_size");
  d.gated_mlp.set(any_block_role("mlp.gate") || any_block_role("mlp.gate_up") ||
                      any_role("moe.experts.E.gate") || any_role("moe.experts.gate") ||
                      any_role("moe.experts.gate_up"),
                  Source::SHAPES, "a gate projection beside the up projection");
  if (!any_role("mlp.up") && !any_role("mlp.gate_up") && !any_role("mlp.down") &&
      !any_role("moe.router"))
    d.gated_mlp = Value{};
}

void Deriver::moe() {
  if (!main) return;
  uint64_t experts = 0, moe_ff = 0, shared_ff = 0;
  std::vector<int64_t> layers;
  bool shared = false;
  std::string how_e, how_ff;
  for (const auto& [i, b] : main->blocks) {
    uint64_t e = 0;
    if (!b.experts.empty()) {
      e = b.experts.size();
      how_e = "distinct expert numbers in a layer";
    }
    for (const char* r :
         {"moe.experts.gate_up", "moe.experts.up", "moe.experts.gate", "moe.experts.down"})
      if (const RoleTensor* t = role(b, r); t && t->shape.size() == 3) {
        e = t->shape[0];
        how_e = "leading dimension of the stacked expert tensors";
        if (moe_ff == 0) {
          const bool down = std::strcmp(r, "moe.experts.down") == 0;
          const bool fused = std::strcmp(r, "moe.experts.gate_up") == 0;
          moe_ff = down ? (t->shape[1] == hidden ? t->shape[2] : t->shape[1])
                        : (t->shape[2] == hidden ? t->shape[1] : t->shape[2]) / (fused ? 2 : 1);
          how_ff = "the expert width of the stacked expert tensors";
        }
      }
    if (const RoleTensor* t = role(b, "moe.router"); t && e == 0 && t->shape.size() == 2) {
      e = other_dim(t, 0);
      how_e = "rows of the router";
    }
    if (moe_ff == 0)
      if (const RoleTensor* t = role(b, "moe.experts.E.up"); t && t->shape.size() == 2) {
        moe_ff = other_dim(t, 0);
        how_ff = "output width of an expert's up projection";
      }
    if (const RoleTensor* t = role(b, "moe.shared.up"); t && t->shape.size() == 2) {
      shared = true;
      shared_ff = other_dim(t, 0);
    }
    if (e > 0) {
      layers.push_back(i);
      experts = std::max(experts, e);
    }
  }
  if (experts == 0) return;
  d.moe = true;
  d.moe_layers.set(std::vector<int64_t>(layers), Source::SHAPES, "layers with expert tensors");
  d.num_experts.set(static_cast<int64_t>(experts), Source::SHAPES, how_e);
  if (moe_ff) d.moe_intermediate_size.set(static_cast<int64_t>(moe_ff), Source::SHAPES, how_ff);
  if (shared) {
    d.shared_intermediate_size.set(static_cast<int64_t>(shared_ff), Source::SHAPES,
                                   "output width of the shared expert's up projection");
    if (any_role("moe.shared_gate")) {
      d.num_shared_experts.set(int64_t{1}, Source::SHAPES,
                               "one shared expert MLP with its own gate");
    } else if (moe_ff > 0 && shared_ff % moe_ff == 0) {
      d.num_shared_experts.set(static_cast<int64_t>(shared_ff / moe_ff), Source::SHAPES,
                               "shared MLP width / expert width (shared experts are one MLP)");
    }
  } else {
    d.num_shared_experts.set(int64_t{0}, Source::SHAPES, "no shared expert tensors");
  }
  d.experts_per_token.how = "not in the shapes and not stated";
  resolve(d.num_experts, "moe.num_experts");
  resolve(d.num_shared_experts, "moe.num_shared_experts");
  resolve(d.experts_per_token, "moe.experts_per_token");
  resolve(d.moe_intermediate_size, "moe.moe_intermediate_size");
  resolve(d.shared_intermediate_size, "moe.shared_intermediate_size");
}

void Deriver::flags() {
  const bool attn = any_role("attn.q") || any_role("attn.qkv") || any_role("attn.kv_a");
  if (attn) {
    d.attention_bias.set(
        any_bias({"attn.q", "attn.k", "attn.v", "attn.qkv", "attn.q_b", "attn.kv_a"}),
        Source::SHAPES, "bias tensors beside the query/key/value weights");
    d.fused_qkv.set(any_role("attn.qkv"), Source::SHAPES, "one fused query-key-value tensor");
    d.qk_norm.set(any_role("attn.q_norm") || any_role("attn.k_norm"), Source::SHAPES,
                  "q_norm / k_norm weights in the attention");
  }
  if (any_role("mlp.up") || any_role("mlp.gate_up") || any_role("mlp.down"))
    d.mlp_bias.set(any_bias({"mlp.up", "mlp.down", "mlp.gate", "mlp.gate_up"}), Source::SHAPES,
                   "bias tensors beside the MLP weights");
  resolve(d.attention_bias, "attention_bias");
  resolve(d.mlp_bias, "mlp_bias");

  // Norms: a LayerNorm has a bias, an RMSNorm none.
  bool norm_seen = false, norm_bias = false;
  if (main)
    for (const auto& [i, b] : main->blocks)
      for (const auto& [r, t] : b.roles)
        if (r.size() >= 4 && r.compare(r.size() - 4, 4, "norm") == 0 && r != "attn.q_norm" &&
            r != "attn.k_norm" && r.find("_a_norm") == std::string::npos) {
          norm_seen = true;
          norm_bias = norm_bias || t.bias;
        }
  const char* fam_norm = model.family ? model.family->defaults.norm : "rmsnorm";
  if (norm_bias) {
    d.norm.set(std::string("layernorm"), Source::SHAPES, "the norm weights have biases");
  } else if (norm_seen) {
    d.norm.set(std::string(std::strcmp(fam_norm, "layernorm") == 0 ? "layernorm" : "rmsnorm"),
               Source::INFERRED,
               std::string("the norm weights have no bias (RMSNorm, or LayerNorm without bias); "
                           "the family uses ") +
                   fam_norm);
  }
  resolve(d.norm, "norm");

  std::string act = model.family ? model.family->defaults.activation : "";
  if (!act.empty())
    d.activation.set(act, Source::INFERRED,
                     "the weights do not show the activation; the family uses " + act);
  else
    d.activation.how = "the weights do not show the activation";
  resolve(d.activation, "activation");
  // transformers' names for the tanh-approximated GELU and for SiLU, in one spelling each.
  if (d.activation.value && d.activation.source != Source::INFERRED)
    if (const auto* a = std::get_if<std::string>(&*d.activation.value)) {
      std::string n = *a;
      if (n.rfind("gated-", 0) == 0) n = n.substr(6);  // T5's feed_forward_proj
      if (n == "gelu_new" || n == "gelu_pytorch_tanh" || n == "gelu_fast" || n == "gelu_tanh")
        n = "gelu_tanh";
      else if (n == "swish" || n == "silu")
        n = "silu";
      if (n != *a) {
        d.activation.how += " (" + *a + " is written " + n + ")";
        d.activation.value = n;
      }
    }
}

void Deriver::positions() {
  // An encoder-decoder's max_position_embeddings is its decoder's (the generation length).
  const RoleTensor* pos = nullptr;
  if (auto it = model.parts.find("decoder."); it != model.parts.end())
    pos = it->second.top_role("embed.positions");
  if (!pos) pos = top_role("embed.positions");
  const uint32_t offset = model.family ? model.family->defaults.position_offset : 0;
  // llama.cpp's converter drops RoBERTa's padding_idx + 1 = 2 leading position rows.
  const bool roberta = d.family.value && *d.family.value == Scalar(std::string("roberta"));
  const bool gguf_roberta =
      model.naming == Naming::GGUF && pos && pos->shape.size() == 2 &&
      (roberta || std::any_of(d.family.candidates.begin(), d.family.candidates.end(),
                              [](const Scalar& c) { return c == Scalar(std::string("roberta")); }));
  if (gguf_roberta) {
    d.position.set(std::string("learned"), Source::SHAPES, "a learned position embedding");
    // The converter lowers context_length by the same 2: the GGUF's own value is the rows.
    d.max_position_embeddings.set(static_cast<int64_t>(pos->shape[0]), Source::SHAPES,
                                  "rows of position_embd (llama.cpp's converter drops "
                                  "RoBERTa's 2 padding rows, and lowers context_length by 2)");
  } else if (pos && pos->shape.size() == 2 && pos->shape[0] > offset) {
    d.position.set(std::string("learned"), Source::SHAPES, "a learned position embedding");
    d.max_position_embeddings.set(
        static_cast<int64_t>(pos->shape[0] - offset), Source::SHAPES,
        offset ? "rows of the position embedding minus the family's offset of " + S(offset)
               : std::string("rows of the position embedding"));
  } else if (any_block_role("attn.rel_bias")) {
    d.position.set(std::string("relative_bias"), Source::SHAPES, "relative attention bias tensors");
  } else if (d.mla) {
    d.position.set(std::string("rotary"), Source::SHAPES, "MLA's kv_a carries a rotary key part");
    d.rotary_dim = d.qk_rope_head_dim;
  } else if (model.family) {
    const std::string p = model.family->defaults.position;
    d.position.set(p, Source::INFERRED, "no position tensors; the family uses " + p + " positions");
  }
  if (d.max_position_embeddings.source == Source::UNDETERMINED)
    d.max_position_embeddings.how = "no learned position table and no stated value";
  resolve(d.max_position_embeddings, "max_position_embeddings");
  if (gguf_roberta)  // a RoBERTa config.json counts the 2 rows the GGUF lacks
    std::erase_if(d.disagreements, [&](const Disagree& g) {
      const auto* w = std::get_if<int64_t>(&g.weights);
      const auto* st = std::get_if<int64_t>(&g.stated.value);
      return g.field == "max_position_embeddings" && g.stated.source == "config.json" && w && st &&
             *st == *w + 2;
    });
  if (d.position.source == Source::INFERRED) {
    const auto st = stated("position");
    if (!st.empty()) resolve(d.position, "position");
  }

  const auto hd = d.head_dim.as_int();
  if (d.rotary_dim.source == Source::UNDETERMINED) {
    const auto pct = stated("rotary_percent");
    if (!pct.empty() && hd) {
      const int64_t p = std::get<int64_t>(pct.front().value);
      d.rotary_dim.set(*hd * p / 100, Source::CONFIG,
                       "head_dim x " + pct.front().key + " (" + std::to_string(p) + "%)");
    }
  }
  resolve(d.rotary_dim, "rotary_dim");
  const auto pv = d.position.value;
  const bool rotary =
      pv && (*pv == Scalar(std::string("rotary")) || *pv == Scalar(std::string("partial_rotary")));
  if (rotary && d.rotary_dim.source == Source::UNDETERMINED && hd &&
      *pv == Scalar(std::string("rotary")))
    d.rotary_dim.set(*hd, d.head_dim.source == Source::SHAPES ? Source::INFERRED : Source::INFERRED,
                     "full rotary embedding: rotary_dim = head_dim");
  if (const auto r = d.rotary_dim.as_int(); r && hd && rotary && *r < *hd &&
                                            d.position.source != Source::SHAPES && !d.mla &&
                                            d.head_dim.source != Source::INFERRED)
    d.position.set(std::string("partial_rotary"), d.rotary_dim.source,
                   "rotary_dim " + std::to_string(*r) + " < head_dim " + std::to_string(*hd));
  if (d.rotary_dim.source == Source::UNDETERMINED && d.rotary_dim.how.empty())
    d.rotary_dim.how =
        rotary ? "partial rotary width is not in the shapes and not stated" : "no rotary embedding";
}

bool same_bytes(const WeightFile& f, const TensorInfo& a, const TensorInfo& b) {
  if (a.dtype != b.dtype || a.shape != b.shape || a.nbytes != b.nbytes) return false;
  const uint8_t* pa = tensor_bytes(f, a, a.nbytes);
  const uint8_t* pb = tensor_bytes(f, b, b.nbytes);
  if (!pa || !pb) return false;
  if (pa == pb) return true;
  if (a.nbytes <= kFullCompare) return std::memcmp(pa, pb, a.nbytes) == 0;
  const uint64_t step = a.nbytes / kSampleChunks;
  for (uint64_t c = 0; c < kSampleChunks; ++c) {
    const uint64_t at = c * step;
    if (std::memcmp(pa + at, pb + at, std::min(kSampleBytes, a.nbytes - at)) != 0) return false;
  }
  return true;
}

void Deriver::tied() {
  const RoleTensor* emb = top_role("embed.tokens");
  const RoleTensor* head = top_role("lm_head");
  if (!emb) return;
  if (!head) {
    d.tied_embeddings.set(true, Source::SHAPES,
                          "no lm_head tensor: the output projection reuses the token embedding");
  } else if (same_bytes(file, file.tensors[static_cast<size_t>(emb->tensor)],
                        file.tensors[static_cast<size_t>(head->tensor)])) {
    d.lm_head_same_data = true;
    d.tied_embeddings.set(true, Source::SHAPES,
                          "lm_head holds the same data as the token embedding");
    d.notes.push_back("lm_head and the token embedding hold the same data; counted once");
  } else {
    d.tied_embeddings.set(false, Source::SHAPES, "lm_head differs from the token embedding");
    if (model.naming == Naming::GGUF)
      d.notes.push_back(
          "llama.cpp's converter may write output.weight for a model whose "
          "embeddings are tied; a stated tie_word_embeddings is the better source");
  }
  resolve(d.tied_embeddings, "tied_embeddings");
}

}  // namespace mwt::detail::analysis
