// Deriving the architecture fields from placed tensors (docs/analysis.md#fields): each value
// from shapes where the shapes decide it, else from a stated value, else inferred from the
// family (with how) or undetermined; stated values are attached to every field and compared
// with what the shapes decide.
#include "analysis/architecture_derive.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace mwt::detail::analysis {
namespace {

constexpr uint64_t kFullCompare = uint64_t{64} << 20;  // bytes compared whole
constexpr uint64_t kSampleChunks = 64, kSampleBytes = 65536;

std::string S(uint64_t v) { return std::to_string(v); }

struct Deriver {
  const WeightFile& file;
  const Model& model;
  const StatedValues& sv;
  Derived d;
  const PartInfo* main = nullptr;  // the decoder (or the encoder of an encoder-only model)
  const PartInfo* top = nullptr;   // part "" (shared embeddings, lm_head)
  uint64_t hidden = 0;

  std::vector<Stated> stated(const std::string& field) const {
    auto it = sv.by_field.find(field);
    return it == sv.by_field.end() ? std::vector<Stated>{} : it->second;
  }

  // Attaches the stated values; a shapes value is compared with each, anything weaker is
  // replaced by the first stated value.
  void resolve(Value& v, const std::string& field) {
    v.stated = stated(field);
    if (v.source == Source::SHAPES) {
      for (const Stated& s : v.stated)
        if (v.value && !(s.value == *v.value) && comparable(*v.value, s.value))
          d.disagreements.push_back({field, *v.value, s});
      return;
    }
    if (v.stated.empty()) return;
    const Stated& s = v.stated.front();
    const Source src = s.source == "config.json" ? Source::CONFIG : Source::METADATA;
    std::string how = "stated by " + s.source + " " + s.key;
    if (v.source == Source::INFERRED && v.value && !(*v.value == s.value))
      how += " (the weights alone suggest " + scalar_text(*v.value) + ": " + v.how + ")";
    v.candidates.clear();
    v.set(s.value, src, how);
  }
  static bool comparable(const Scalar& a, const Scalar& b) { return a.index() == b.index(); }

  const RoleTensor* role(const BlockInfo& b, const char* r) const {
    auto it = b.roles.find(r);
    return it == b.roles.end() ? nullptr : &it->second;
  }
  const RoleTensor* any_block_role(const char* r) const {
    if (!main) return nullptr;
    for (const auto& [i, b] : main->blocks)
      if (const RoleTensor* t = role(b, r); t && t->tensor >= 0) return t;
    return nullptr;
  }
  bool any_bias(std::initializer_list<const char*> roles) const {
    if (!main) return false;
    for (const auto& [i, b] : main->blocks)
      for (const char* r : roles)
        if (const RoleTensor* t = role(b, r); t && t->bias) return true;
    return false;
  }
  bool any_role(const char* r) const {
    if (!main) return false;
    for (const auto& [i, b] : main->blocks)
      if (b.roles.count(r)) return true;
    return false;
  }
  // The dimension of a 2-D weight that is not the hidden size (either orientation: GPT-2's
  // Conv1D stores [in, out]); `fallback` indexes the shape when neither is hidden.
  uint64_t other_dim(const RoleTensor* t, size_t fallback) const {
    if (!t || t->shape.size() != 2) return 0;
    if (t->shape[1] == hidden && t->shape[0] != hidden) return t->shape[0];
    if (t->shape[0] == hidden && t->shape[1] != hidden) return t->shape[1];
    return t->shape[fallback];
  }
  const RoleTensor* top_role(const char* r) const {
    for (const PartInfo* p : {top, main})
      if (p)
        if (const RoleTensor* t = p->top_role(r); t && t->tensor >= 0) return t;
    return nullptr;
  }

  void run();
  void family();
  void widths();
  void attention();
  void mlp();
  void moe();
  void flags();
  void positions();
  void tied();
};

void Deriver::family() {
  Value& v = d.family;
  if (!model.named) {
    v.how = "no tensor name matches a family of the name table";
    if (!sv.gguf_arch.empty())
      v.set(sv.gguf_arch, Source::METADATA, "general.architecture; no tensor name matches");
    v.stated = stated("family");
    if (!v.value && !v.stated.empty()) resolve(v, "family");
    return;
  }
  std::vector<std::string> names;
  for (const Family* f : model.candidates) names.emplace_back(f->name);
  const std::string prefix =
      model.naming == Naming::GGUF ? "general.architecture " + sv.gguf_arch + " and " : "";
  if (!model.unknown_arch.empty()) {
    v.set(model.unknown_arch, Source::METADATA,
          "general.architecture; not in the name table, read with the GGUF block names");
  } else if (names.size() == 1) {
    v.set(names[0], Source::SHAPES, prefix + "tensor names match the " + names[0] + " rows");
  } else {
    v.set(names[0], Source::INFERRED,
          prefix + "tensor names match the rows of several families alike");
    for (auto& n : names) v.candidates.emplace_back(n);
  }
  v.stated = stated("family");
  for (const Stated& s : v.stated) {
    const auto* t = std::get_if<std::string>(&s.value);
    if (!t) continue;
    const bool listed = std::find(names.begin(), names.end(), *t) != names.end();
    if (listed && v.source == Source::INFERRED) {
      v.set(*t, Source::CONFIG, "config.json model_type picks one of the candidates");
    } else if (!listed && v.source == Source::SHAPES) {
      // A model_type outside the table (a fine-tune's own name) is worth a note, not more.
      if (find_family(*t) != nullptr)
        d.disagreements.push_back({"family", *v.value, s});
      else
        d.notes.push_back("config.json model_type " + *t + " is not in the name table");
    }
  }
}

void Deriver::widths() {
  // Layers: the distinct block numbers of the main part.
  if (main && !main->blocks.empty()) {
    const int64_t last = main->blocks.rbegin()->first;
    const auto count = static_cast<int64_t>(main->blocks.size());
    d.num_layers.set(count, Source::SHAPES,
                     "distinct block numbers of the " +
                         std::string(d.kind == ModelKind::ENCODER_DECODER ? "encoder" : "model") +
                         "'s layer tensors");
    if (last + 1 != count)
      d.notes.push_back("block numbers are not contiguous: " + S(count) + " blocks, highest " +
                        S(static_cast<uint64_t>(last)));
  } else {
    d.num_layers.how = "no layer tensors found";
  }
  resolve(d.num_layers, "num_layers");

  const RoleTensor* emb = top_role("embed.tokens");
  if (!emb && main) emb = main->top_role("embed.tokens");
  if (emb && emb->shape.size() == 2) {
    hidden = emb->shape[1];
    d.hidden_size.set(static_cast<int64_t>(hidden), Source::SHAPES,
                      "columns of the token embedding");
    d.vocab_size.set(static_cast<int64_t>(emb->shape[0]), Source::SHAPES,
                     "rows of the token embedding");
  } else if (const RoleTensor* head = top_role("lm_head"); head && head->shape.size() == 2) {
    hidden = head->shape[1];
    d.hidden_size.set(static_cast<int64_t>(hidden), Source::SHAPES, "columns of lm_head");
    d.vocab_size.set(static_cast<int64_t>(head->shape[0]), Source::SHAPES, "rows of lm_head");
  } else if (const RoleTensor* n = any_block_role("attn_norm"); n && n->shape.size() == 1) {
    hidden = n->shape[0];
    d.hidden_size.set(static_cast<int64_t>(hidden), Source::SHAPES,
                      "length of the attention norm weight");
  }
  resolve(d.hidden_size, "hidden_size");
  if (hidden == 0)
    if (auto h = d.hidden_size.as_int(); h && *h > 0) hidden = static_cast<uint64_t>(*h);
  resolve(d.vocab_size, "vocab_size");
}

void Deriver::attention() {
  const RoleTensor* q = any_block_role("attn.q");
  const RoleTensor* k = any_block_role("attn.k");
  const RoleTensor* qkv = any_block_role("attn.qkv");
  const RoleTensor* o = any_block_role("attn.o");
  const RoleTensor* qn = any_block_role("attn.q_norm");
  const RoleTensor* kv_a = any_block_role("attn.kv_a");
  const RoleTensor* kv_a_norm = any_block_role("attn.kv_a_norm");
  const RoleTensor* q_b = any_block_role("attn.q_b");
  const RoleTensor* q_a = any_block_role("attn.q_a");
  const RoleTensor* kv_b = any_block_role("attn.kv_b");
  const RoleTensor* rel = any_block_role("attn.rel_bias");
  const uint64_t o_in = other_dim(o, 1);
  uint64_t q_out = q ? other_dim(q, 0) : 0;
  uint64_t k_out = k ? other_dim(k, 0) : 0;
  uint64_t hd = 0, heads = 0, kv = 0;
  std::string how;

  if (kv_a && kv_a_norm && kv_b && o_in > 0 && kv_a_norm->shape.size() == 1) {
    // MLA: kv_a = kv_lora + rope, kv_b = H * (nope + v), q (or q_b) = H * (nope + rope),
    // o = [hidden, H * v]; so H = (q - kv_b + o_in) / rope.
    d.mla = true;
    const uint64_t kv_lora = kv_a_norm->shape[0];
    const uint64_t kva = other_dim(kv_a, 0), kvb = kv_b->shape[0];
    const uint64_t qo = q_b ? q_b->shape[0] : q_out;
    d.kv_lora_rank.set(static_cast<int64_t>(kv_lora), Source::SHAPES, "length of kv_a_norm");
    if (q_a) {
      d.q_lora_rank.set(static_cast<int64_t>(other_dim(q_a, 0)), Source::SHAPES,
                        "output rows of attn.q_a");
    } else {
      d.q_lora_rank.set(Scalar(int64_t{0}), Source::SHAPES, "no attn.q_a: queries are full rank");
      d.q_lora_rank.value.reset();
    }
    if (kva > kv_lora) {
      const uint64_t rope = kva - kv_lora;
      d.qk_rope_head_dim.set(static_cast<int64_t>(rope), Source::SHAPES,
                             "rows of attn.kv_a minus kv_lora_rank");
      if (qo + o_in > kvb && (qo + o_in - kvb) % rope == 0) {
        const uint64_t h = (qo + o_in - kvb) / rope;
        if (h > 0 && o_in % h == 0 && (kvb - o_in) % h == 0 && kvb > o_in) {
          heads = h;
          kv = h;
          const uint64_t v = o_in / h, nope = (kvb - o_in) / h;
          hd = nope + rope;
          d.v_head_dim.set(static_cast<int64_t>(v), Source::SHAPES, "attn.o columns / heads");
          d.qk_nope_head_dim.set(static_cast<int64_t>(nope), Source::SHAPES,
                                 "(attn.kv_b rows - attn.o columns) / heads");
          how = "MLA: heads = (q rows + attn.o columns - attn.kv_b rows) / qk_rope_head_dim";
        }
      }
    }
  } else if (qn && qn->shape.size() == 1 && q_out > 0 && qn->shape[0] < q_out &&
             q_out % qn->shape[0] == 0) {
    hd = qn->shape[0];
    how = "length of the per-head q_norm weight";
  } else if (rel && rel->shape.size() == 2 && q_out > 0 && q_out % rel->shape[1] == 0) {
    heads = rel->shape[1];
    hd = q_out / heads;
    how = "columns of the relative attention bias (one per head)";
  } else if (qkv && model.family && std::strcmp(model.family->name, "falcon") == 0 && o_in > 0 &&
             !any_role("mlp_norm")) {
    // Falcon's fused QKV without the two-norm block: multi-query (hidden + 2 * head_dim rows)
    // or multi-head (3 * hidden rows).
    const uint64_t rows = other_dim(qkv, 0);
    if (rows > o_in && rows != 3 * o_in && (rows - o_in) % 2 == 0 &&
        o_in % ((rows - o_in) / 2) == 0) {
      hd = (rows - o_in) / 2;
      kv = 1;
      how = "falcon's multi-query fused QKV: rows = hidden + 2 * head_dim";
    }
  }
  if (qkv && q_out == 0) {
    const uint64_t rows = other_dim(qkv, 0);
    q_out = o_in > 0 ? o_in : hidden;
    if (rows > q_out && (rows - q_out) % 2 == 0) k_out = (rows - q_out) / 2;
  }
  if (q_out == 0 && o_in > 0) q_out = o_in;

  if (hd > 0) {
    if (heads == 0 && q_out % hd == 0) heads = q_out / hd;
    if (kv == 0 && k_out > 0 && k_out % hd == 0) kv = k_out / hd;
    d.head_dim.set(static_cast<int64_t>(hd), Source::SHAPES, how);
    if (heads)
      d.num_heads.set(static_cast<int64_t>(heads), Source::SHAPES,
                      how + "; heads = query width / head_dim");
    if (kv)
      d.num_kv_heads.set(static_cast<int64_t>(kv), Source::SHAPES,
                         how + "; kv heads = key width / head_dim");
  }
  resolve(d.head_dim, "head_dim");
  resolve(d.num_heads, "num_heads");
  resolve(d.num_kv_heads, "num_kv_heads");

  // Completing from stated values: a stated head count fixes head_dim and the kv heads.
  auto set_derived = [&](Value& v, uint64_t x, const Value& from, const std::string& h) {
    if (v.source != Source::UNDETERMINED && v.source != Source::INFERRED) return;
    v.candidates.clear();
    v.set(static_cast<int64_t>(x), from.source, h);
  };
  if (q_out > 0) {
    const auto H = d.num_heads.as_int();
    const auto D = d.head_dim.as_int();
    if (H && *H > 0 && q_out % static_cast<uint64_t>(*H) == 0)
      set_derived(d.head_dim, q_out / static_cast<uint64_t>(*H), d.num_heads,
                  "query width " + S(q_out) + " / num_heads");
    else if (D && *D > 0 && q_out % static_cast<uint64_t>(*D) == 0)
      set_derived(d.num_heads, q_out / static_cast<uint64_t>(*D), d.head_dim,
                  "query width " + S(q_out) + " / head_dim");
    if (H && *H > 0 && q_out % static_cast<uint64_t>(*H) != 0)
      d.notes.push_back("the stated head count " + S(static_cast<uint64_t>(*H)) +
                        " does not divide the query width " + S(q_out));
  }
  const auto D = d.head_dim.as_int();
  if (D && *D > 0 && k_out > 0 && k_out % static_cast<uint64_t>(*D) == 0)
    set_derived(d.num_kv_heads, k_out / static_cast<uint64_t>(*D), d.head_dim,
                "key width " + S(k_out) + " / head_dim");
  else if (k_out == 0 && q_out > 0 && !qkv && d.num_kv_heads.source == Source::UNDETERMINED &&
           d.num_heads.value)
    set_derived(d.num_kv_heads, static_cast<uint64_t>(*d.num_heads.as_int()), d.num_heads,
                "no separate key projection: as many kv heads as heads");

  // Nothing stated: the family's usual head size, when it fits the widths.
  if (d.head_dim.source == Source::UNDETERMINED && q_out > 0) {
    const uint64_t g = k_out > 0 ? std::gcd(q_out, k_out) : q_out;
    std::vector<uint64_t> fits;
    for (uint64_t c : {64, 80, 96, 128, 256})
      if (g % c == 0) fits.push_back(c);
    const bool none = fits.empty();
    for (uint64_t c = 8; none && c <= g && c <= 32; c *= 2)  // small test models
      if (g % c == 0) fits.push_back(c);
    const uint64_t usual = model.family ? model.family->defaults.head_dim : 0;
    uint64_t pick = 0;
    if (usual && g % usual == 0)
      pick = usual;
    else if (!fits.empty())
      pick = std::find(fits.begin(), fits.end(), 128) != fits.end() ? 128 : fits.back();
    if (pick) {
      const std::string why =
          "the weights do not show head_dim; " + S(pick) +
          (pick == usual ? " is the family's usual size" : " divides the widths");
      d.head_dim.set(static_cast<int64_t>(pick), Source::INFERRED, why);
      for (uint64_t c : fits) d.head_dim.candidates.emplace_back(static_cast<int64_t>(c));
      if (d.num_heads.source == Source::UNDETERMINED) {
        d.num_heads.set(static_cast<int64_t>(q_out / pick), Source::INFERRED,
                        "query width " + S(q_out) + " / the inferred head_dim " + S(pick));
        for (uint64_t c : fits)
          d.num_heads.candidates.emplace_back(static_cast<int64_t>(q_out / c));
      }
      if (d.num_kv_heads.source == Source::UNDETERMINED && k_out > 0 && k_out % pick == 0)
        d.num_kv_heads.set(static_cast<int64_t>(k_out / pick), Source::INFERRED,
                           "key width " + S(k_out) + " / the inferred head_dim " + S(pick));
    }
  }
  if (d.head_dim.source == Source::UNDETERMINED) d.head_dim.how = "no attention widths found";
  for (Value* v : {&d.num_heads, &d.num_kv_heads})
    if (v->source == Source::UNDETERMINED && v->how.empty())
      v->how = "head counts are not in the shapes and no value is stated";
  if (q_out > 0 && k_out > 0 && d.num_heads.source == Source::INFERRED && q_out % k_out == 0)
    d.notes.push_back("query width " + S(q_out) + " is " + S(q_out / k_out) +
                      " times the key width: heads / kv heads = " + S(q_out / k_out));

  if (d.mla) {
    resolve(d.q_lora_rank, "mla.q_lora_rank");
    resolve(d.kv_lora_rank, "mla.kv_lora_rank");
    resolve(d.qk_rope_head_dim, "mla.qk_rope_head_dim");
    resolve(d.qk_nope_head_dim, "mla.qk_nope_head_dim");
    resolve(d.v_head_dim, "mla.v_head_dim");
  }
}

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
      d.moe_layers.push_back(i);
      experts = std::max(experts, e);
    }
  }
  if (experts == 0) return;
  d.moe = true;
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
}

void Deriver::positions() {
  const RoleTensor* pos = top_role("embed.positions");
  if (!pos && main) pos = main->top_role("embed.positions");
  const uint32_t offset = model.family ? model.family->defaults.position_offset : 0;
  if (pos && pos->shape.size() == 2 && pos->shape[0] > offset) {
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
  if (d.rotary_dim.source != Source::SHAPES) {
    resolve(d.rotary_dim, "rotary_dim");
  }
  const auto pv = d.position.value;
  const bool rotary =
      pv && (*pv == Scalar(std::string("rotary")) || *pv == Scalar(std::string("partial_rotary")));
  if (rotary && d.rotary_dim.source == Source::UNDETERMINED && hd &&
      *pv == Scalar(std::string("rotary")))
    d.rotary_dim.set(*hd, d.head_dim.source == Source::SHAPES ? Source::INFERRED : Source::INFERRED,
                     "full rotary embedding: rotary_dim = head_dim");
  if (const auto r = d.rotary_dim.as_int();
      r && hd && rotary && *r < *hd && d.position.source != Source::SHAPES)
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

void Deriver::run() {
  if (model.family) d.kind = model.family->kind;
  auto part = [&](const char* p) -> const PartInfo* {
    auto it = model.parts.find(p);
    return it == model.parts.end() ? nullptr : &it->second;
  };
  top = part("");
  main = d.kind == ModelKind::ENCODER_DECODER ? part("encoder.") : top;
  if (d.kind == ModelKind::ENCODER_DECODER && !main) main = part("decoder.");
  if (d.kind == ModelKind::ENCODER_DECODER && !part("encoder."))
    d.notes.push_back("only the decoder's tensors are present");
  family();
  widths();
  attention();
  mlp();
  moe();
  flags();
  positions();
  tied();
  if (model.unplaced_count > 0) {
    std::string list;
    for (const auto& u : model.unplaced) list += (list.empty() ? "" : ", ") + u;
    d.notes.push_back(S(model.unplaced_count) + " tensor(s) match no row of the name table (" +
                      list + (model.unplaced_count > model.unplaced.size() ? ", ..." : "") +
                      "); counted, not interpreted");
  }
  for (const std::string& n : sv.notes) d.notes.push_back(n);
}

}  // namespace

Derived derive(const WeightFile& file, const Model& model, const StatedValues& sv) {
  Deriver r{file, model, sv, {}};
  r.run();
  return std::move(r.d);
}

}  // namespace mwt::detail::analysis
