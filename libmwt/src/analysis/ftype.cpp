// llama_ftype table and llama.cpp's per-tensor type rules (analysis/ftype.hpp). The rules are
// written from the description in docs/quant-blocks.md#per-tensor-rules: which tensors are
// quantized, the output / tied-embedding rule, attn_v / attn_k / attn_output / attn_qkv /
// ffn_down overrides per file type, and the row-divisibility fallbacks.
#include "analysis/ftype.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>

namespace mwt::detail::analysis {
namespace {

using D = DType;

// QK_K, the K-quants' super-block size (llama.cpp's output-tensor rule tests rows against it).
constexpr uint64_t kQkK = static_dtype_info(D::Q6_K).block_elems;

constexpr std::array<FileTypeInfo, 36> kFileTypes = {{
    {0, "F32", D::F32, true},           {1, "F16", D::F16, true},
    {2, "Q4_0", D::Q4_0, true},         {3, "Q4_1", D::Q4_1, true},
    {7, "Q8_0", D::Q8_0, true},         {8, "Q5_0", D::Q5_0, true},
    {9, "Q5_1", D::Q5_1, true},         {10, "Q2_K", D::Q2_K, true},
    {11, "Q3_K_S", D::Q3_K, true},      {12, "Q3_K_M", D::Q3_K, true},
    {13, "Q3_K_L", D::Q3_K, true},      {14, "Q4_K_S", D::Q4_K, true},
    {15, "Q4_K_M", D::Q4_K, true},      {16, "Q5_K_S", D::Q5_K, true},
    {17, "Q5_K_M", D::Q5_K, true},      {18, "Q6_K", D::Q6_K, true},
    {19, "IQ2_XXS", D::IQ2_XXS, false}, {20, "IQ2_XS", D::IQ2_XS, false},
    {21, "Q2_K_S", D::Q2_K, true},      {22, "IQ3_XS", D::IQ3_S, false},
    {23, "IQ3_XXS", D::IQ3_XXS, false}, {24, "IQ1_S", D::IQ1_S, false},
    {25, "IQ4_NL", D::IQ4_NL, false},   {26, "IQ3_S", D::IQ3_S, false},
    {27, "IQ3_M", D::IQ3_S, false},     {28, "IQ2_S", D::IQ2_XS, false},
    {29, "IQ2_M", D::IQ2_S, false},     {30, "IQ4_XS", D::IQ4_XS, false},
    {31, "IQ1_M", D::IQ1_M, false},     {32, "BF16", D::BF16, true},
    {36, "TQ1_0", D::TQ1_0, false},     {37, "TQ2_0", D::TQ2_0, false},
    {38, "MXFP4_MOE", D::MXFP4, false}, {39, "NVFP4", D::NVFP4, false},
    {40, "Q1_0", D::Q1_0, false},       {41, "Q2_0", D::Q2_0, false},
}};

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool contains(std::string_view s, std::string_view part) noexcept {
  return s.find(part) != std::string_view::npos;
}
bool ends_with(std::string_view s, std::string_view tail) noexcept {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// Metadata integer of any integer type; `fallback` when absent or not an integer scalar.
uint64_t meta_uint(const WeightFile& f, std::string_view key, uint64_t fallback) {
  const int64_t i = f.find_metadata(key);
  if (i < 0) return fallback;
  const MetaValue& v = f.metadata[static_cast<size_t>(i)].value;
  switch (v.type) {
    case ValueType::U8:
    case ValueType::U16:
    case ValueType::U32:
    case ValueType::U64: return v.scalar_bits;
    case ValueType::I8:
    case ValueType::I16:
    case ValueType::I32:
    case ValueType::I64: {
      // Sign-extend from the stored width; negatives are not a count.
      const uint32_t bits = value_type_size(v.type) * 8;
      const uint64_t sign = uint64_t{1} << (bits - 1);
      return (v.scalar_bits & sign) ? fallback : v.scalar_bits;
    }
    default: return fallback;
  }
}

std::string_view meta_string(const WeightFile& f, std::string_view key) {
  const int64_t i = f.find_metadata(key);
  if (i < 0) return {};
  const MetaValue& v = f.metadata[static_cast<size_t>(i)].value;
  return v.type == ValueType::STRING ? v.str : std::string_view{};
}

bool use_more_bits(uint64_t i, uint64_t n) noexcept {
  return i < n / 8 || i >= 7 * n / 8 || (i >= n / 8 && (i - n / 8) % 3 == 2);
}

uint32_t block_of(DType t) noexcept {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(t));
  return info != nullptr && info->block_elems != 0 ? info->block_elems : 1;
}

// Layer index parsed from "blk.<n>." (for MoE ffn_down tensors); `fallback` when absent.
uint64_t layer_of(std::string_view name, uint64_t fallback) noexcept {
  if (name.substr(0, 4) != "blk.") return fallback;
  uint64_t v = 0;
  size_t i = 4;
  if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return fallback;
  for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])); ++i) {
    if (v > (UINT64_MAX - 9) / 10) return fallback;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return (i < name.size() && name[i] == '.') ? v : fallback;
}

struct Counters {
  uint64_t n_attention_wv = 0;
  uint64_t i_attention_wv = 0;
  uint64_t i_ffn_down = 0;
  bool has_output = false;
};

// llama_tensor_get_type for the modelled file types (value = llama_ftype).
DType rule_type(uint32_t ft, DType base, const ModelFacts& m, Counters& c, std::string_view name,
                uint64_t row_len) {
  DType t = base;
  const bool is_output = name == "output.weight" || (!c.has_output && name == "token_embd.weight");
  if (is_output) {
    if (m.falcon || row_len % kQkK != 0)
      t = D::Q8_0;
    else if (t != D::Q8_0)
      t = D::Q6_K;
  } else if (contains(name, "attn_v.weight")) {
    if (ft == 10)
      t = m.n_gqa >= 4 ? D::Q4_K : D::Q3_K;  // Q2_K
    else if (ft == 21 && m.n_gqa >= 4)
      t = D::Q4_K;  // Q2_K_S
    else if (ft == 12)
      t = c.i_attention_wv < 2 ? D::Q5_K : D::Q4_K;  // Q3_K_M
    else if (ft == 13)
      t = D::Q5_K;  // Q3_K_L
    else if ((ft == 15 || ft == 17) && use_more_bits(c.i_attention_wv, c.n_attention_wv))
      t = D::Q6_K;  // Q4_K_M, Q5_K_M
    else if (ft == 14 && c.i_attention_wv < 4)
      t = D::Q5_K;  // Q4_K_S
    if (m.is_70b && (t == D::Q3_K || t == D::Q4_K)) t = D::Q5_K;
    if (m.n_expert == 8) t = D::Q8_0;
    ++c.i_attention_wv;
  } else if (contains(name, "attn_k.weight")) {
    if (m.n_expert == 8) t = D::Q8_0;
  } else if (contains(name, "ffn_down")) {
    const uint64_t n_layer = m.n_layer;
    const uint64_t i = m.n_expert > 1 ? layer_of(name, c.i_ffn_down) : c.i_ffn_down;
    if (ft == 10)
      t = D::Q3_K;  // Q2_K
    else if (ft == 21) {
      if (i < n_layer / 8) t = D::Q4_K;
    }                   // Q2_K_S
    else if (ft == 12)  // Q3_K_M
      t = i < n_layer / 16 ? D::Q5_K : (!m.falcon || use_more_bits(i, n_layer)) ? D::Q4_K : D::Q3_K;
    else if (ft == 13)
      t = m.falcon ? D::Q4_K : D::Q5_K;  // Q3_K_L
    else if ((ft == 15 || ft == 17) && use_more_bits(i, n_layer))
      t = D::Q6_K;
    else if (ft == 14 && i < n_layer / 8)
      t = D::Q5_K;  // Q4_K_S
    else if ((ft == 2 || ft == 8) && m.has_imatrix && i < n_layer / 8)
      t = ft == 2 ? D::Q4_1 : D::Q5_1;  // Q4_0 / Q5_0
    ++c.i_ffn_down;
  } else if (contains(name, "attn_output.weight")) {
    if (!m.falcon) {
      if (m.n_expert == 8) {
        if (ft == 10 || ft == 11 || ft == 12 || ft == 14 || ft == 15) t = D::Q5_K;
      } else {
        if (ft == 10)
          t = D::Q3_K;
        else if (ft == 12)
          t = D::Q4_K;
        else if (ft == 13)
          t = D::Q5_K;
      }
    } else if (ft == 13) {
      t = D::Q4_K;
    }
  } else if (contains(name, "attn_qkv.weight")) {
    if (ft == 12 || ft == 13)
      t = D::Q4_K;
    else if (ft == 15)
      t = D::Q5_K;
    else if (ft == 17)
      t = D::Q6_K;
  }
  return t;
}

// The row-divisibility fallback chain.
DType fit_row(DType t, uint64_t row_len) noexcept {
  if (row_len % block_of(t) == 0) return t;
  switch (t) {
    case D::TQ1_0:
    case D::TQ2_0: t = D::Q4_0; break;
    case D::IQ2_XXS:
    case D::IQ2_XS:
    case D::IQ2_S:
    case D::IQ3_XXS:
    case D::IQ3_S:
    case D::IQ1_S:
    case D::IQ1_M:
    case D::Q2_K:
    case D::Q3_K:
    case D::IQ4_XS: t = D::IQ4_NL; break;
    case D::Q4_K: t = D::Q5_0; break;
    case D::Q5_K: t = D::Q5_1; break;
    case D::Q6_K: t = D::Q8_0; break;
    default: return D::F16;
  }
  return row_len % block_of(t) == 0 ? t : D::F16;
}

}  // namespace

std::span<const FileTypeInfo> file_types() noexcept { return kFileTypes; }

const FileTypeInfo* file_type_info(uint32_t value) noexcept {
  for (const FileTypeInfo& f : file_types())
    if (f.value == value) return &f;
  return nullptr;
}

const FileTypeInfo* file_type_from_name(std::string_view name) noexcept {
  if (iequals(name, "ALL_F32")) return file_type_info(0);
  if (name.size() > 7 && iequals(name.substr(0, 7), "MOSTLY_")) name.remove_prefix(7);
  for (const FileTypeInfo& f : file_types())
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

ModelFacts model_facts(const WeightFile& f) {
  ModelFacts m;
  const std::string arch(meta_string(f, "general.architecture"));
  const auto key = [&arch](const char* suffix) { return arch + "." + suffix; };
  m.n_layer =
      static_cast<uint32_t>(std::min<uint64_t>(meta_uint(f, key("block_count"), 0), UINT32_MAX));
  m.n_expert =
      static_cast<uint32_t>(std::min<uint64_t>(meta_uint(f, key("expert_count"), 0), UINT32_MAX));
  const uint64_t heads = meta_uint(f, key("attention.head_count"), 0);
  const uint64_t kv = meta_uint(f, key("attention.head_count_kv"), heads);
  m.n_gqa = (heads != 0 && kv != 0)
                ? static_cast<uint32_t>(std::min<uint64_t>(heads / kv, UINT32_MAX))
                : 0;
  m.falcon = arch == "falcon";
  m.is_70b = (arch == "llama" || arch == "qwen2") && m.n_layer == 80;
  for (const MetaEntry& e : f.metadata)
    if (e.key.substr(0, 17) == "quantize.imatrix.") m.has_imatrix = true;
  if (m.n_layer == 0) {
    uint64_t downs = 0;
    for (const TensorInfo& t : f.tensors)
      if (contains(t.name, "ffn_down") && ends_with(t.name, "weight")) ++downs;
    m.n_layer = static_cast<uint32_t>(std::min<uint64_t>(downs, UINT32_MAX));
  }
  return m;
}

bool is_quantizable(std::string_view name, std::span<const uint64_t> shape) noexcept {
  if (!ends_with(name, "weight")) return false;
  size_t lead = 0;  // numpy-order leading 1s are ggml's trailing 1s
  while (lead + 1 < shape.size() && shape[lead] == 1) ++lead;
  if (shape.size() - lead < 2) return false;
  if (contains(name, "_norm.weight") || contains(name, "ffn_gate_inp.weight")) return false;
  if (name == "position_embd.weight" || name == "token_types.weight") return false;
  if (contains(name, "ssm_conv1d.weight") || contains(name, "attn_rel_b.weight")) return false;
  for (const char* p :
       {"time_mix_first.weight", "time_mix_w1.weight", "time_mix_w2.weight",
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight"})
    if (contains(name, p)) return false;
  return true;
}

std::vector<DType> plan_tensor_types(const FileTypeInfo& ft, const ModelFacts& facts,
                                     std::span<const PlanTensor> tensors) {
  Counters c;
  for (const PlanTensor& t : tensors) {
    if (contains(t.name, "attn_v.weight") || contains(t.name, "attn_qkv.weight") ||
        contains(t.name, "attn_kv_b.weight"))
      ++c.n_attention_wv;
    if (t.name == "output.weight") c.has_output = true;
  }
  const DTypeInfo* base_info = dtype_info(static_cast<uint32_t>(ft.base));
  const bool rules = ft.has_rules && base_info != nullptr && base_info->quantized;
  std::vector<DType> out;
  out.reserve(tensors.size());
  for (const PlanTensor& t : tensors) {
    if (!is_quantizable(t.name, t.shape)) {
      out.push_back(t.source);
      continue;
    }
    const uint64_t row_len = t.shape.empty() ? 1 : t.shape.back();
    DType type = rules ? rule_type(ft.value, ft.base, facts, c, t.name, row_len) : ft.base;
    out.push_back(fit_row(type, row_len));
  }
  return out;
}

}  // namespace mwt::detail::analysis
