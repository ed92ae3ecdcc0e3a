// The derived fields of the architecture report (architecture_derive.cpp) and their rendering
// (architecture.cpp). Internal.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/architecture_model.hpp"

namespace mwt::detail::analysis {

struct Disagree {
  std::string field;
  Scalar weights;
  Stated stated;
};

struct Derived {
  Value family, num_layers, hidden_size, num_heads, num_kv_heads, head_dim, intermediate_size,
      vocab_size, max_position_embeddings, activation, gated_mlp, norm, qk_norm, position,
      rotary_dim, tied_embeddings, attention_bias, mlp_bias, fused_qkv;
  bool moe = false;
  Value num_experts, num_shared_experts, experts_per_token, moe_intermediate_size,
      shared_intermediate_size, moe_layers;
  bool mla = false;
  Value q_lora_rank, kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim;
  ModelKind kind = ModelKind::DECODER;
  bool lm_head_same_data = false;  // an lm_head tensor holding embed.tokens' data
  std::vector<Disagree> disagreements;
  std::vector<std::string> notes;
};

Derived derive(const WeightFile& file, const Model& model, const StatedValues& sv);

// The derivation's state; its steps are split over architecture_derive*.cpp.
struct Deriver {
  static std::string S(uint64_t v) { return std::to_string(v); }
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

  void mla_q_lora(const RoleTensor* q_a) {
    if (q_a) {
      d.q_lora_rank.set(static_cast<int64_t>(other_dim(q_a, 0)), Source::SHAPES,
                        "output rows of attn.q_a");
    } else {
      d.q_lora_rank.source = Source::SHAPES;
      d.q_lora_rank.how = "no attn.q_a: queries are full rank";
    }
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

// Whether two tensors hold the same bytes (whole up to 64 MiB, else 64 sampled chunks).
bool same_bytes(const WeightFile& f, const TensorInfo& a, const TensorInfo& b);

}  // namespace mwt::detail::analysis
