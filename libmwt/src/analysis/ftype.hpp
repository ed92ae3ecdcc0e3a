// GGUF file types (llama_ftype, stored as general.file_type) and the per-tensor type rules
// llama.cpp's quantizer applies for them (docs/quant-blocks.md#file-types, #per-tensor-rules). One
// rule engine serves both directions: `mwt quantize` asks it which type each tensor gets, and
// scheme detection predicts a file's tensor types under every candidate file type to infer which
// one produced it.
//
// Modelled: the float types (F32, F16, BF16), the legacy types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0)
// and the K-quant mixes (Q2_K, Q2_K_S, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M, Q6_K) for non-Falcon and
// Falcon architectures, MoE (n_expert == 8 bumps), the 70B attn_v bump and the row-divisibility
// fallbacks. The IQ*, TQ* and MXFP4_MOE mixes are named but their per-tensor rules are not
// modelled (FileTypeInfo::has_rules is false): detection infers them from the majority type.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "formats/weight_file.hpp"

namespace mwt::detail::analysis {

inline constexpr uint32_t kFileTypeGuessed = 1024;  // OR-ed into general.file_type by guesses

struct FileTypeInfo {
  uint32_t value;         // llama_ftype
  std::string_view name;  // "Q4_K_M", "F16", "ALL_F32"
  DType base;             // the type most tensors get
  bool has_rules;         // plan_tensor_types models this file type
};

// Every llama_ftype value in use (removed ones excluded), in value order.
std::span<const FileTypeInfo> file_types() noexcept;
// nullptr for an unknown value (the GUESSED flag must be cleared first).
const FileTypeInfo* file_type_info(uint32_t value) noexcept;
// Case-insensitive; accepts "Q4_K_M", "MOSTLY_Q4_K_M", "F16", "MOSTLY_F16", "F32", "ALL_F32".
const FileTypeInfo* file_type_from_name(std::string_view name) noexcept;

// What the rules read about the model, from GGUF metadata and the tensor table.
struct ModelFacts {
  uint32_t n_layer = 0;      // {arch}.block_count (0 when absent: then the ffn_down count)
  uint32_t n_expert = 0;     // {arch}.expert_count
  uint32_t n_gqa = 0;        // head_count / head_count_kv (0 when unknown)
  bool is_70b = false;       // llama / qwen2 with 80 blocks (llama.cpp's 70B model type)
  bool falcon = false;       // general.architecture == "falcon"
  bool has_imatrix = false;  // quantize.imatrix.* keys present
};
ModelFacts model_facts(const WeightFile& gguf);

// llama.cpp's "is this tensor quantized at all" rule: a 2-D-or-more `*weight` that is not a
// norm, router, position / token-type embedding, SSM conv or RWKV time-mix parameter.
// `shape` is in numpy order; trailing-in-ggml (leading here) dimensions of 1 do not count.
bool is_quantizable(std::string_view name, std::span<const uint64_t> shape) noexcept;

struct PlanTensor {
  std::string_view name;
  DType source;                     // the tensor's current type
  std::span<const uint64_t> shape;  // numpy order (last = row length)
};

// The type each tensor gets when a file of these tensors (in file order) is quantized to `ft`:
// non-quantizable tensors keep their source type; for file types without rules every
// quantizable tensor gets the base type. A row length no block of the chosen type divides
// falls back as llama.cpp does (Q4_K->Q5_0, Q5_K->Q5_1, Q6_K->Q8_0, Q2_K/Q3_K/IQ*->IQ4_NL,
// TQ*->Q4_0), then to F16 if that type's block does not divide it either; mwt also sends legacy
// types with no fallback (llama.cpp refuses those tensors) to F16.
std::vector<DType> plan_tensor_types(const FileTypeInfo& ft, const ModelFacts& facts,
                                     std::span<const PlanTensor> tensors);

}  // namespace mwt::detail::analysis
