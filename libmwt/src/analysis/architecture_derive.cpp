// Deriving the architecture fields from placed tensors (docs/analysis.md#fields): each value
// from shapes where the shapes decide it, else from a stated value, else inferred from the
// family (with how) or undetermined; stated values are attached to every field and compared
// with what the shapes decide.
#include "analysis/architecture_derive.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace mwt::detail::analysis {

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
  const RoleTensor* k_b = any_block_role("attn.k_b");
  const RoleTensor* v_b = any_block_role("attn.v_b");
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
    mla_q_lora(q_a);
    if (kva > kv_lora) {
      const uint64_t rope = kva - kv_lora;
      d.qk_rope_head_dim.set(static_cast<int64_t>(rope), Source::SHAPES,
                             "rows of attn.kv_a minus kv_lora_rank");
      if (qo + o_in > kvb && (qo + o_in - kvb) % rope == 0) {
        const uint64_t h = (qo + o_in - kvb) / rope;
        if (h > 0 && o_in % h == 0 && (kvb - o_in) % h == 0 && kvb > o_in) {
          heads = h;
          const uint64_t v = o_in / h, nope = (kvb - o_in) / h;
          d.v_head_dim.set(static_cast<int64_t>(v), Source::SHAPES, "attn.o columns / heads");
          d.qk_nope_head_dim.set(static_cast<int64_t>(nope), Source::SHAPES,
                                 "(attn.kv_b rows - attn.o columns) / heads");
          how = "MLA: heads = (q rows + attn.o columns - attn.kv_b rows) / qk_rope_head_dim";
        }
      }
    }
  } else if (qn && qn->shape.size() == 1 && q_out > 0 && qn->shape[0] > 0 && qn->shape[0] < q_out &&
             q_out % qn->shape[0] == 0) {
    hd = qn->shape[0];
    how = "length of the per-head q_norm weight";
  } else if (rel && rel->shape.size() == 2 && q_out > 0 && rel->shape[1] > 0 &&
             q_out % rel->shape[1] == 0) {
    heads = rel->shape[1];
    hd = q_out / heads;
    how = "columns of the relative attention bias (one per head)";
  } else if (kv_a && kv_a_norm && k_b && v_b && k_b->shape.size() == 3 && v_b->shape.size() == 3 &&
             kv_a_norm->shape.size() == 1) {
    // MLA as llama.cpp's converter writes it: kv_b split into k_b [H, kv_lora, nope] and
    // v_b [H, v, kv_lora].
    d.mla = true;
    const uint64_t kv_lora = kv_a_norm->shape[0], kva = other_dim(kv_a, 0);
    d.kv_lora_rank.set(static_cast<int64_t>(kv_lora), Source::SHAPES, "length of kv_a_norm");
    mla_q_lora(q_a);
    if (kva > kv_lora)
      d.qk_rope_head_dim.set(static_cast<int64_t>(kva - kv_lora), Source::SHAPES,
                             "rows of attn.kv_a minus kv_lora_rank");
    heads = k_b->shape[0];
    d.qk_nope_head_dim.set(static_cast<int64_t>(k_b->shape[2]), Source::SHAPES,
                           "last dimension of attn.k_b [heads, kv_lora, nope]");
    d.v_head_dim.set(static_cast<int64_t>(v_b->shape[1]), Source::SHAPES,
                     "middle dimension of attn.v_b [heads, v, kv_lora]");
    how = "leading dimension of attn.k_b [heads, kv_lora, nope]";
  } else if (qkv && model.family && std::strcmp(model.family->name, "falcon") == 0 && o_in > 0 &&
             !(any_role("mlp_norm") && any_role("attn_norm"))) {
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

  if (d.mla && heads > 0) {
    // MLA heads have no single head_dim (q/k heads are nope + rope wide, v heads v_head_dim)
    // and no kv heads of their own: both come from stated values if at all.
    d.num_heads.set(static_cast<int64_t>(heads), Source::SHAPES, how);
    d.head_dim.how = "MLA: query/key heads are qk_nope + qk_rope wide, value heads v_head_dim";
    d.num_kv_heads.how = "MLA: keys and values come from one shared compressed KV";
    q_out = 0;  // the widths below do not describe MLA heads
    k_out = 0;
  }
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

  // A family whose rotary embedding covers the whole head states head_dim as its rotary width
  // (GGUF rope.dimension_count).
  if (d.head_dim.source == Source::UNDETERMINED && q_out > 0 && model.family &&
      std::strcmp(model.family->defaults.position, "rotary") == 0)
    for (const Stated& st : stated("rotary_dim"))
      if (const auto* r = std::get_if<int64_t>(&st.value); r && *r > 0 &&
                                                           q_out % static_cast<uint64_t>(*r) == 0 &&
                                                           k_out % static_cast<uint64_t>(*r) == 0) {
        const auto rd = static_cast<uint64_t>(*r);
        const Source src = st.source == "config.json" ? Source::CONFIG : Source::METADATA;
        d.head_dim.set(*r, src, "the family rotates whole heads: head_dim = " + st.key);
        if (d.num_heads.source == Source::UNDETERMINED)
          d.num_heads.set(static_cast<int64_t>(q_out / rd), src,
                          "query width " + S(q_out) + " / head_dim from " + st.key);
        if (d.num_kv_heads.source == Source::UNDETERMINED && k_out > 0)
          d.num_kv_heads.set(static_cast<int64_t>(k_out / rd), src,
                             "key width " + S(k_out) + " / head_dim from " + st.key);
        break;
      }

  // Nothing stated: the family's usual head size, when it fits the widths.
  if (d.head_dim.source == Source::UNDETERMINED && q_out > 0) {
    const uint64_t g = k_out > 0 ? std::gcd(q_out, k_out) : q_out;
    std::vector<uint64_t> fits;  // multiples of 8 that divide both widths
    for (uint64_t c = 8; c <= 256 && c <= g; c += 8)
      if (g % c == 0) fits.push_back(c);
    const uint64_t usual = model.family ? model.family->defaults.head_dim : 0;
    uint64_t pick = 0;
    if (usual && g % usual == 0)
      pick = usual;
    else if (!fits.empty())
      pick = std::find(fits.begin(), fits.end(), 128) != fits.end()  ? 128
             : std::find(fits.begin(), fits.end(), 64) != fits.end() ? 64
                                                                     : fits.back();
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
  // Every reported value says how it was reached.
  for (Value* v : {&d.family,
                   &d.num_layers,
                   &d.hidden_size,
                   &d.num_heads,
                   &d.num_kv_heads,
                   &d.head_dim,
                   &d.intermediate_size,
                   &d.vocab_size,
                   &d.max_position_embeddings,
                   &d.activation,
                   &d.gated_mlp,
                   &d.norm,
                   &d.qk_norm,
                   &d.position,
                   &d.rotary_dim,
                   &d.tied_embeddings,
                   &d.attention_bias,
                   &d.mlp_bias,
                   &d.fused_qkv,
                   &d.num_experts,
                   &d.num_shared_experts,
                   &d.experts_per_token,
                   &d.moe_intermediate_size,
                   &d.shared_intermediate_size,
                   &d.moe_layers,
                   &d.q_lora_rank,
                   &d.kv_lora_rank,
                   &d.qk_rope_head_dim,
                   &d.qk_nope_head_dim,
                   &d.v_head_dim})
    if (v->how.empty()) v->how = v->value ? "stated" : "no tensor shows it and no value is stated";
}

Derived derive(const WeightFile& file, const Model& model, const StatedValues& sv) {
  Deriver r{file, model, sv, {}};
  r.run();
  return std::move(r.d);
}

}  // namespace mwt::detail::analysis
