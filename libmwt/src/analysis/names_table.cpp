// The name table: per family, one row per role with its canonical, transformers and GGUF module
// names (analysis/names.hpp). The GGUF names are the ones llama.cpp's converter writes for the
// family's architecture; the transformers names are those of the checkpoints transformers saves
// (both the per-expert layout and the stacked expert tensors of transformers 5). Facts and the
// canonical scheme: docs/analysis.md#naming.
#include <array>

#include "analysis/names.hpp"

namespace mwt::detail::analysis {
namespace {

// Block prefixes.
#define C "blocks.{N}."
#define G "blk.{N}."

// ------------------------------------------------------------------ llama-style decoders

#define ML "model.layers.{N}."
#define LLAMA_TOP                                       \
  {"embed.tokens", "model.embed_tokens", "token_embd"}, \
      {"final_norm", "model.norm", "output_norm"}, {    \
    "lm_head", "lm_head", "output"                      \
  }
#define LLAMA_ATTN                                       \
  {C "attn.q", ML "self_attn.q_proj", G "attn_q"},       \
      {C "attn.k", ML "self_attn.k_proj", G "attn_k"},   \
      {C "attn.v", ML "self_attn.v_proj", G "attn_v"}, { \
    C "attn.o", ML "self_attn.o_proj", G "attn_output"   \
  }
#define QK_NORM                                                \
  {C "attn.q_norm", ML "self_attn.q_norm", G "attn_q_norm"}, { \
    C "attn.k_norm", ML "self_attn.k_norm", G "attn_k_norm"    \
  }
#define LLAMA_NORMS                                           \
  {C "attn_norm", ML "input_layernorm", G "attn_norm"}, {     \
    C "mlp_norm", ML "post_attention_layernorm", G "ffn_norm" \
  }
#define LLAMA_MLP                                                                                 \
  {C "mlp.gate", ML "mlp.gate_proj", G "ffn_gate"}, {C "mlp.up", ML "mlp.up_proj", G "ffn_up"}, { \
    C "mlp.down", ML "mlp.down_proj", G "ffn_down"                                                \
  }
// Experts stacked into one tensor per projection: GGUF's [E, ff, hidden] tensors, and
// transformers 5's gate_up_proj [E, 2 * ff, hidden] / down_proj [E, hidden, ff] parameters.
#define STACKED_EXPERTS                                                                       \
  {C "moe.experts.gate", "", G "ffn_gate_exps"}, {C "moe.experts.up", "", G "ffn_up_exps"},   \
      {C "moe.experts.down", "", G "ffn_down_exps"},                                          \
      {C "moe.experts.gate_up.weight", ML "mlp.experts.gate_up_proj", "", kExact}, {          \
    C "moe.experts.down.weight", ML "mlp.experts.down_proj", G "ffn_down_exps.weight", kExact \
  }
#define QWEN_EXPERTS                                                  \
  {C "moe.router", ML "mlp.gate", G "ffn_gate_inp"},                  \
      {C "moe.experts.{E}.gate", ML "mlp.experts.{E}.gate_proj", ""}, \
      {C "moe.experts.{E}.up", ML "mlp.experts.{E}.up_proj", ""},     \
      {C "moe.experts.{E}.down", ML "mlp.experts.{E}.down_proj", ""}, STACKED_EXPERTS

constexpr NameRow kLlama[] = {
    LLAMA_TOP,
    LLAMA_NORMS,
    LLAMA_ATTN,
    LLAMA_MLP,
    // Mixtral's sparse block; GGUF files from before stacked experts name each expert.
    {C "moe.router", ML "block_sparse_moe.gate", G "ffn_gate_inp"},
    {C "moe.experts.{E}.gate", ML "block_sparse_moe.experts.{E}.w1", G "ffn_gate.{E}"},
    {C "moe.experts.{E}.down", ML "block_sparse_moe.experts.{E}.w2", G "ffn_down.{E}"},
    {C "moe.experts.{E}.up", ML "block_sparse_moe.experts.{E}.w3", G "ffn_up.{E}"},
    {C "moe.router", ML "mlp.gate", G "ffn_gate_inp"},
    STACKED_EXPERTS};

constexpr NameRow kQwen2[] = {LLAMA_TOP, LLAMA_NORMS, LLAMA_ATTN, LLAMA_MLP};
constexpr NameRow kQwen2Moe[] = {
    LLAMA_TOP,
    LLAMA_NORMS,
    LLAMA_ATTN,
    LLAMA_MLP,
    QWEN_EXPERTS,
    {C "moe.shared.gate", ML "mlp.shared_expert.gate_proj", G "ffn_gate_shexp"},
    {C "moe.shared.up", ML "mlp.shared_expert.up_proj", G "ffn_up_shexp"},
    {C "moe.shared.down", ML "mlp.shared_expert.down_proj", G "ffn_down_shexp"},
    {C "moe.shared_gate", ML "mlp.shared_expert_gate", G "ffn_gate_inp_shexp"}};
constexpr NameRow kQwen3[] = {LLAMA_TOP, LLAMA_NORMS, LLAMA_ATTN, QK_NORM, LLAMA_MLP};
constexpr NameRow kQwen3Moe[] = {LLAMA_TOP, LLAMA_NORMS, LLAMA_ATTN,
                                 QK_NORM,   LLAMA_MLP,   QWEN_EXPERTS};

#define SANDWICH_NORMS                                                              \
  {C "attn_norm", ML "input_layernorm", G "attn_norm"},                             \
      {C "post_attn_norm", ML "post_attention_layernorm", G "post_attention_norm"}, \
      {C "mlp_norm", ML "pre_feedforward_layernorm", G "ffn_norm"}, {               \
    C "post_mlp_norm", ML "post_feedforward_layernorm", G "post_ffw_norm"           \
  }
constexpr NameRow kGemma2[] = {LLAMA_TOP, SANDWICH_NORMS, LLAMA_ATTN, LLAMA_MLP};
constexpr NameRow kGemma3[] = {LLAMA_TOP, SANDWICH_NORMS, LLAMA_ATTN, QK_NORM, LLAMA_MLP};
constexpr NameRow kOlmo2[] = {
    LLAMA_TOP,
    LLAMA_ATTN,
    QK_NORM,
    LLAMA_MLP,
    {C "post_attn_norm", ML "post_attention_layernorm", G "post_attention_norm"},
    {C "post_mlp_norm", ML "post_feedforward_layernorm", G "post_ffw_norm"}};

constexpr NameRow kPhi[] = {{"embed.tokens", "model.embed_tokens", "token_embd"},
                            {"final_norm", "model.final_layernorm", "output_norm"},
                            {"lm_head", "lm_head", "output"},
                            {C "attn_norm", ML "input_layernorm", G "attn_norm"},
                            {C "attn.q", ML "self_attn.q_proj", G "attn_q"},
                            {C "attn.k", ML "self_attn.k_proj", G "attn_k"},
                            {C "attn.v", ML "self_attn.v_proj", G "attn_v"},
                            {C "attn.o", ML "self_attn.dense", G "attn_output"},
                            {C "attn.q_norm", ML "self_attn.q_layernorm", G "attn_q_norm"},
                            {C "attn.k_norm", ML "self_attn.k_layernorm", G "attn_k_norm"},
                            {C "mlp.up", ML "mlp.fc1", G "ffn_up"},
                            {C "mlp.down", ML "mlp.fc2", G "ffn_down"}};
// Phi-3 fuses q/k/v and gate/up; GGUF keeps both fused (the fused gate/up as ffn_up).
constexpr NameRow kPhi3[] = {LLAMA_TOP,
                             LLAMA_NORMS,
                             {C "attn.qkv", ML "self_attn.qkv_proj", G "attn_qkv"},
                             {C "attn.o", ML "self_attn.o_proj", G "attn_output"},
                             {C "mlp.gate_up", ML "mlp.gate_up_proj", G "ffn_up"},
                             {C "mlp.down", ML "mlp.down_proj", G "ffn_down"}};
constexpr NameRow kStarcoder2[] = {LLAMA_TOP,
                                   LLAMA_NORMS,
                                   LLAMA_ATTN,
                                   {C "mlp.up", ML "mlp.c_fc", G "ffn_up"},
                                   {C "mlp.down", ML "mlp.c_proj", G "ffn_down"}};

// DeepSeek V2/V3: multi-head latent attention (q_a/q_b low-rank query, kv_a with the shared
// rotary key, kv_b), dense MLPs in the first layers, routed and shared experts after.
constexpr NameRow kDeepseek[] = {
    LLAMA_TOP,
    LLAMA_NORMS,
    LLAMA_MLP,
    {C "attn.q", ML "self_attn.q_proj", G "attn_q"},
    {C "attn.q_a", ML "self_attn.q_a_proj", G "attn_q_a"},
    {C "attn.q_a_norm", ML "self_attn.q_a_layernorm", G "attn_q_a_norm"},
    {C "attn.q_b", ML "self_attn.q_b_proj", G "attn_q_b"},
    {C "attn.kv_a", ML "self_attn.kv_a_proj_with_mqa", G "attn_kv_a_mqa"},
    {C "attn.kv_a_norm", ML "self_attn.kv_a_layernorm", G "attn_kv_a_norm"},
    {C "attn.kv_b", ML "self_attn.kv_b_proj", G "attn_kv_b"},
    {C "attn.k_b", "", G "attn_k_b"},
    {C "attn.v_b", "", G "attn_v_b"},
    {C "attn.o", ML "self_attn.o_proj", G "attn_output"},
    QWEN_EXPERTS,
    {C "moe.router_correction.bias", ML "mlp.gate.e_score_correction_bias", G "exp_probs_b.bias",
     kExact},
    {C "moe.shared.gate", ML "mlp.shared_experts.gate_proj", G "ffn_gate_shexp"},
    {C "moe.shared.up", ML "mlp.shared_experts.up_proj", G "ffn_up_shexp"},
    {C "moe.shared.down", ML "mlp.shared_experts.down_proj", G "ffn_down_shexp"}};

// ------------------------------------------------------------------ GPT-style decoders

#define TH "transformer.h.{N}."
constexpr NameRow kGpt2[] = {{"embed.tokens", "transformer.wte", "token_embd"},
                             {"embed.positions", "transformer.wpe", "position_embd"},
                             {"final_norm", "transformer.ln_f", "output_norm"},
                             {"lm_head", "lm_head", "output"},
                             {C "attn_norm", TH "ln_1", G "attn_norm"},
                             {C "attn.qkv", TH "attn.c_attn", G "attn_qkv"},
                             {C "attn.o", TH "attn.c_proj", G "attn_output"},
                             {C "mlp_norm", TH "ln_2", G "ffn_norm"},
                             {C "mlp.up", TH "mlp.c_fc", G "ffn_up"},
                             {C "mlp.down", TH "mlp.c_proj", G "ffn_down"}};
constexpr NameRow kGptj[] = {{"embed.tokens", "transformer.wte", "token_embd"},
                             {"final_norm", "transformer.ln_f", "output_norm"},
                             {"lm_head", "lm_head", "output"},
                             {C "attn_norm", TH "ln_1", G "attn_norm"},
                             {C "attn.q", TH "attn.q_proj", G "attn_q"},
                             {C "attn.k", TH "attn.k_proj", G "attn_k"},
                             {C "attn.v", TH "attn.v_proj", G "attn_v"},
                             {C "attn.o", TH "attn.out_proj", G "attn_output"},
                             {C "mlp.up", TH "mlp.fc_in", G "ffn_up"},
                             {C "mlp.down", TH "mlp.fc_out", G "ffn_down"}};
#define NX "gpt_neox.layers.{N}."
constexpr NameRow kGptNeox[] = {{"embed.tokens", "gpt_neox.embed_in", "token_embd"},
                                {"final_norm", "gpt_neox.final_layer_norm", "output_norm"},
                                {"lm_head", "embed_out", "output"},
                                {C "attn_norm", NX "input_layernorm", G "attn_norm"},
                                {C "attn.qkv", NX "attention.query_key_value", G "attn_qkv"},
                                {C "attn.o", NX "attention.dense", G "attn_output"},
                                {C "mlp_norm", NX "post_attention_layernorm", G "ffn_norm"},
                                {C "mlp.up", NX "mlp.dense_h_to_4h", G "ffn_up"},
                                {C "mlp.down", NX "mlp.dense_4h_to_h", G "ffn_down"}};
#define BLOOM_LIKE_BLOCK                                                 \
  {C "attn_norm", TH "input_layernorm", G "attn_norm"},                  \
      {C "attn.qkv", TH "self_attention.query_key_value", G "attn_qkv"}, \
      {C "attn.o", TH "self_attention.dense", G "attn_output"},          \
      {C "mlp.up", TH "mlp.dense_h_to_4h", G "ffn_up"},                  \
      {C "mlp.down", TH "mlp.dense_4h_to_h", G "ffn_down"},              \
      {"embed.tokens", "transformer.word_embeddings", "token_embd"},     \
      {"final_norm", "transformer.ln_f", "output_norm"}, {               \
    "lm_head", "lm_head", "output"                                       \
  }
// Falcon's larger models have two norms per block (ln_attn, ln_mlp), which the converter writes
// as attn_norm_2 and attn_norm; the 7B model's one norm (input_layernorm) is attn_norm too. The
// ln_mlp row comes first, so a GGUF attn_norm maps back to it.
constexpr NameRow kFalcon[] = {{C "mlp_norm", TH "ln_mlp", G "attn_norm"},
                               {C "attn_norm", TH "ln_attn", G "attn_norm_2"},
                               BLOOM_LIKE_BLOCK,
                               {C "mlp_norm", TH "post_attention_layernorm", G "ffn_norm"}};
constexpr NameRow kBloom[] = {
    BLOOM_LIKE_BLOCK,
    {"embed.norm", "transformer.word_embeddings_layernorm", "token_embd_norm"},
    {C "mlp_norm", TH "post_attention_layernorm", G "ffn_norm"}};
#define OD "model.decoder.layers.{N}."
constexpr NameRow kOpt[] = {{"embed.tokens", "model.decoder.embed_tokens", ""},
                            {"embed.positions", "model.decoder.embed_positions", ""},
                            {"embed.project_in", "model.decoder.project_in", ""},
                            {"embed.project_out", "model.decoder.project_out", ""},
                            {"final_norm", "model.decoder.final_layer_norm", ""},
                            {"lm_head", "lm_head", ""},
                            {C "attn_norm", OD "self_attn_layer_norm", ""},
                            {C "attn.q", OD "self_attn.q_proj", ""},
                            {C "attn.k", OD "self_attn.k_proj", ""},
                            {C "attn.v", OD "self_attn.v_proj", ""},
                            {C "attn.o", OD "self_attn.out_proj", ""},
                            {C "mlp_norm", OD "final_layer_norm", ""},
                            {C "mlp.up", OD "fc1", ""},
                            {C "mlp.down", OD "fc2", ""}};

// ------------------------------------------------------------------ encoders

// BERT-style post-norm encoders: the attention and MLP norms follow their sublayers. The rows
// hold the base model's names (BertModel), as llama.cpp's converter reads them; a task model's
// "bert." / "roberta." prefix is matched loosely (names.cpp).
#define BERT_ROWS(P)                                                                           \
  {"embed.tokens", P "embeddings.word_embeddings", "token_embd"},                              \
      {"embed.positions", P "embeddings.position_embeddings", "position_embd"},                \
      {"embed.token_types", P "embeddings.token_type_embeddings", "token_types"},              \
      {"embed.norm", P "embeddings.LayerNorm", "token_embd_norm"},                             \
      {C "attn.q", P "encoder.layer.{N}.attention.self.query", G "attn_q"},                    \
      {C "attn.k", P "encoder.layer.{N}.attention.self.key", G "attn_k"},                      \
      {C "attn.v", P "encoder.layer.{N}.attention.self.value", G "attn_v"},                    \
      {C "attn.o", P "encoder.layer.{N}.attention.output.dense", G "attn_output"},             \
      {C "attn_norm", P "encoder.layer.{N}.attention.output.LayerNorm", G "attn_output_norm"}, \
      {C "mlp.up", P "encoder.layer.{N}.intermediate.dense", G "ffn_up"},                      \
      {C "mlp.down", P "encoder.layer.{N}.output.dense", G "ffn_down"},                        \
      {C "mlp_norm", P "encoder.layer.{N}.output.LayerNorm", G "layer_output_norm"}, {         \
    "pooler", P "pooler.dense", ""                                                             \
  }
constexpr NameRow kBert[] = {BERT_ROWS(""),
                             {"lm_head.transform", "cls.predictions.transform.dense", ""},
                             {"lm_head.norm", "cls.predictions.transform.LayerNorm", ""},
                             {"lm_head", "cls.predictions.decoder", ""},
                             {"lm_head.bias", "cls.predictions.bias", "", kExact}};
constexpr NameRow kRoberta[] = {BERT_ROWS(""),
                                {"lm_head.transform", "lm_head.dense", ""},
                                {"lm_head.norm", "lm_head.layer_norm", ""},
                                {"lm_head", "lm_head.decoder", ""},
                                {"lm_head.bias", "lm_head.bias", "", kExact}};

// ------------------------------------------------------------------ encoder-decoders

#define EB "encoder.block.{N}.layer."
#define DB "decoder.block.{N}.layer."
#define EC "encoder.blocks.{N}."
#define DC "decoder.blocks.{N}."
constexpr NameRow kT5[] = {
    {"embed.tokens", "shared", "token_embd"},
    {"encoder.embed.tokens", "encoder.embed_tokens", ""},
    {"decoder.embed.tokens", "decoder.embed_tokens", ""},
    {"lm_head", "lm_head", "output"},
    {"encoder.final_norm", "encoder.final_layer_norm", "enc.output_norm"},
    {"decoder.final_norm", "decoder.final_layer_norm", "dec.output_norm"},
    {EC "attn_norm", EB "0.layer_norm", "enc.blk.{N}.attn_norm"},
    {EC "attn.q", EB "0.SelfAttention.q", "enc.blk.{N}.attn_q"},
    {EC "attn.k", EB "0.SelfAttention.k", "enc.blk.{N}.attn_k"},
    {EC "attn.v", EB "0.SelfAttention.v", "enc.blk.{N}.attn_v"},
    {EC "attn.o", EB "0.SelfAttention.o", "enc.blk.{N}.attn_o"},
    {EC "attn.rel_bias", EB "0.SelfAttention.relative_attention_bias", "enc.blk.{N}.attn_rel_b"},
    {EC "mlp_norm", EB "1.layer_norm", "enc.blk.{N}.ffn_norm"},
    {EC "mlp.gate", EB "1.DenseReluDense.wi_0", "enc.blk.{N}.ffn_gate"},
    {EC "mlp.up", EB "1.DenseReluDense.wi_1", "enc.blk.{N}.ffn_up"},
    // T5 v1.0 has one input projection (wi); v1.1 a gated pair, which a GGUF ffn_up maps to.
    {EC "mlp.up", EB "1.DenseReluDense.wi", "enc.blk.{N}.ffn_up"},
    {EC "mlp.down", EB "1.DenseReluDense.wo", "enc.blk.{N}.ffn_down"},
    {DC "attn_norm", DB "0.layer_norm", "dec.blk.{N}.attn_norm"},
    {DC "attn.q", DB "0.SelfAttention.q", "dec.blk.{N}.attn_q"},
    {DC "attn.k", DB "0.SelfAttention.k", "dec.blk.{N}.attn_k"},
    {DC "attn.v", DB "0.SelfAttention.v", "dec.blk.{N}.attn_v"},
    {DC "attn.o", DB "0.SelfAttention.o", "dec.blk.{N}.attn_o"},
    {DC "attn.rel_bias", DB "0.SelfAttention.relative_attention_bias", "dec.blk.{N}.attn_rel_b"},
    {DC "cross_attn_norm", DB "1.layer_norm", "dec.blk.{N}.cross_attn_norm"},
    {DC "cross_attn.q", DB "1.EncDecAttention.q", "dec.blk.{N}.cross_attn_q"},
    {DC "cross_attn.k", DB "1.EncDecAttention.k", "dec.blk.{N}.cross_attn_k"},
    {DC "cross_attn.v", DB "1.EncDecAttention.v", "dec.blk.{N}.cross_attn_v"},
    {DC "cross_attn.o", DB "1.EncDecAttention.o", "dec.blk.{N}.cross_attn_o"},
    {DC "cross_attn.rel_bias", DB "1.EncDecAttention.relative_attention_bias",
     "dec.blk.{N}.cross_attn_rel_b"},
    {DC "mlp_norm", DB "2.layer_norm", "dec.blk.{N}.ffn_norm"},
    {DC "mlp.gate", DB "2.DenseReluDense.wi_0", "dec.blk.{N}.ffn_gate"},
    {DC "mlp.up", DB "2.DenseReluDense.wi_1", "dec.blk.{N}.ffn_up"},
    // T5 v1.0 has one input projection (wi); v1.1 a gated pair, which a GGUF ffn_up maps to.
    {DC "mlp.up", DB "2.DenseReluDense.wi", "dec.blk.{N}.ffn_up"},
    {DC "mlp.down", DB "2.DenseReluDense.wo", "dec.blk.{N}.ffn_down"}};

// BART and Whisper: post-norm (BART) / pre-norm (Whisper) layers with the same module names.
#define SEQ_LAYER(CP, HP)                                                                     \
  {CP "attn_norm", HP "self_attn_layer_norm", ""}, {CP "attn.q", HP "self_attn.q_proj", ""},  \
      {CP "attn.k", HP "self_attn.k_proj", ""}, {CP "attn.v", HP "self_attn.v_proj", ""},     \
      {CP "attn.o", HP "self_attn.out_proj", ""}, {CP "mlp_norm", HP "final_layer_norm", ""}, \
      {CP "mlp.up", HP "fc1", ""}, {                                                          \
    CP "mlp.down", HP "fc2", ""                                                               \
  }
#define SEQ_CROSS(CP, HP)                                   \
  {CP "cross_attn_norm", HP "encoder_attn_layer_norm", ""}, \
      {CP "cross_attn.q", HP "encoder_attn.q_proj", ""},    \
      {CP "cross_attn.k", HP "encoder_attn.k_proj", ""},    \
      {CP "cross_attn.v", HP "encoder_attn.v_proj", ""}, {  \
    CP "cross_attn.o", HP "encoder_attn.out_proj", ""       \
  }
constexpr NameRow kBart[] = {{"embed.tokens", "model.shared", ""},
                             {"encoder.embed.tokens", "model.encoder.embed_tokens", ""},
                             {"decoder.embed.tokens", "model.decoder.embed_tokens", ""},
                             {"encoder.embed.positions", "model.encoder.embed_positions", ""},
                             {"decoder.embed.positions", "model.decoder.embed_positions", ""},
                             {"encoder.embed.norm", "model.encoder.layernorm_embedding", ""},
                             {"decoder.embed.norm", "model.decoder.layernorm_embedding", ""},
                             {"lm_head", "lm_head", ""},
                             {"lm_head.final_bias", "final_logits_bias", "", kExact},
                             SEQ_LAYER(EC, "model.encoder.layers.{N}."),
                             SEQ_LAYER(DC, "model.decoder.layers.{N}."),
                             SEQ_CROSS(DC, "model.decoder.layers.{N}.")};
constexpr NameRow kWhisper[] = {{"embed.tokens", "model.decoder.embed_tokens", ""},
                                {"encoder.conv1", "model.encoder.conv1", ""},
                                {"encoder.conv2", "model.encoder.conv2", ""},
                                {"encoder.embed.positions", "model.encoder.embed_positions", ""},
                                {"decoder.embed.positions", "model.decoder.embed_positions", ""},
                                {"encoder.final_norm", "model.encoder.layer_norm", ""},
                                {"decoder.final_norm", "model.decoder.layer_norm", ""},
                                {"lm_head", "proj_out", ""},
                                SEQ_LAYER(EC, "model.encoder.layers.{N}."),
                                SEQ_LAYER(DC, "model.decoder.layers.{N}."),
                                SEQ_CROSS(DC, "model.decoder.layers.{N}.")};

#undef C
#undef G

using K = ModelKind;
// name, GGUF arch, same names as, kind, {activation, norm, position, position offset, head dim}
constexpr Family kFamilies[] = {
    {"llama", "llama", "", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 128}, kLlama},
    {"mistral", "llama", "llama", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 128}, kLlama},
    {"mixtral", "llama", "llama", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 128}, kLlama},
    {"qwen2", "qwen2", "", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 128}, kQwen2},
    {"qwen2_moe", "qwen2moe", "", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 128}, kQwen2Moe},
    {"qwen3", "qwen3", "", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 128}, kQwen3},
    {"qwen3_moe", "qwen3moe", "", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 128}, kQwen3Moe},
    {"gemma", "gemma", "", K::DECODER, {"gelu_tanh", "rmsnorm", "rotary", 0, 256}, kQwen2},
    {"gemma2", "gemma2", "", K::DECODER, {"gelu_tanh", "rmsnorm", "rotary", 0, 256}, kGemma2},
    {"gemma3_text", "gemma3", "", K::DECODER, {"gelu_tanh", "rmsnorm", "rotary", 0, 256}, kGemma3},
    {"olmo2", "olmo2", "", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 128}, kOlmo2},
    {"phi", "phi2", "", K::DECODER, {"gelu_tanh", "layernorm", "partial_rotary", 0, 80}, kPhi},
    {"phi3", "phi3", "", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 96}, kPhi3},
    {"starcoder2",
     "starcoder2",
     "",
     K::DECODER,
     {"gelu_tanh", "layernorm", "rotary", 0, 128},
     kStarcoder2},
    {"deepseek_v2", "deepseek2", "", K::DECODER, {"silu", "rmsnorm", "rotary", 0, 0}, kDeepseek},
    {"deepseek_v3",
     "deepseek2",
     "deepseek_v2",
     K::DECODER,
     {"silu", "rmsnorm", "rotary", 0, 0},
     kDeepseek},
    {"gpt2", "gpt2", "", K::DECODER, {"gelu_tanh", "layernorm", "learned", 0, 64}, kGpt2},
    {"gptj", "gptj", "", K::DECODER, {"gelu_tanh", "layernorm", "partial_rotary", 0, 256}, kGptj},
    {"gpt_neox",
     "gptneox",
     "",
     K::DECODER,
     {"gelu", "layernorm", "partial_rotary", 0, 128},
     kGptNeox},
    {"falcon", "falcon", "", K::DECODER, {"gelu", "layernorm", "rotary", 0, 64}, kFalcon},
    {"bloom", "bloom", "", K::DECODER, {"gelu_tanh", "layernorm", "alibi", 0, 128}, kBloom},
    {"opt", "", "", K::DECODER, {"relu", "layernorm", "learned", 2, 64}, kOpt},
    {"bert", "bert", "", K::ENCODER, {"gelu", "layernorm", "learned", 0, 64}, kBert},
    {"roberta", "bert", "", K::ENCODER, {"gelu", "layernorm", "learned", 0, 64}, kRoberta},
    {"t5", "t5", "", K::ENCODER_DECODER, {"relu", "rmsnorm", "relative_bias", 0, 64}, kT5},
    {"bart", "", "", K::ENCODER_DECODER, {"gelu", "layernorm", "learned", 2, 64}, kBart},
    {"whisper", "", "", K::ENCODER_DECODER, {"gelu", "layernorm", "learned", 0, 64}, kWhisper},
};

}  // namespace

std::span<const Family> families() noexcept { return kFamilies; }

}  // namespace mwt::detail::analysis
