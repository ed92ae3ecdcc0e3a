// The derived fields of the architecture report (architecture_derive.cpp) and their rendering
// (architecture.cpp). Internal.
#pragma once
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
      shared_intermediate_size;
  std::vector<int64_t> moe_layers;
  bool mla = false;
  Value q_lora_rank, kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim;
  ModelKind kind = ModelKind::DECODER;
  bool lm_head_same_data = false;  // an lm_head tensor holding embed.tokens' data
  std::vector<Disagree> disagreements;
  std::vector<std::string> notes;
};

Derived derive(const WeightFile& file, const Model& model, const StatedValues& sv);

}  // namespace mwt::detail::analysis
