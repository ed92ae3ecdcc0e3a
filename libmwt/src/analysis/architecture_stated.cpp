// Stated architecture values (docs/analysis.md#stated-values): GGUF metadata under the file's
// `general.architecture` prefix, safetensors `__metadata__` entries named like config keys, and
// a config.json beside the weights. config.json is untrusted input: read through the bounded
// reader of scheme_tensors_config.cpp, validated as UTF-8, depth-scanned and parsed with
// simdjson (core/json_document.hpp); any problem becomes a note, never an error.
#include <cmath>
#include <cstring>
#include <limits>

#include "analysis/architecture.hpp"
#include "core/error.hpp"
#include "core/json_document.hpp"
#include "core/json_text.hpp"

namespace mwt::detail::analysis {
namespace {

constexpr uint64_t kConfigDepth = 64;
constexpr size_t kMaxConfigNotes = 16;
constexpr uint64_t kMaxArrayStated = 4096;  // per-layer arrays longer than this are not listed

// Field -> the config.json keys that state it, in preference order.
struct KeyRow {
  const char* field;
  std::initializer_list<const char*> keys;
};
const KeyRow kConfigKeys[] = {
    {"num_layers", {"num_hidden_layers", "n_layer", "num_layers", "n_layers", "encoder_layers"}},
    {"decoder_layers", {"num_decoder_layers", "decoder_layers"}},
    {"hidden_size", {"hidden_size", "n_embd", "d_model", "dim"}},
    {"num_heads", {"num_attention_heads", "n_head", "num_heads", "encoder_attention_heads"}},
    {"num_kv_heads", {"num_key_value_heads", "num_kv_heads", "n_head_kv"}},
    {"head_dim", {"head_dim", "d_kv", "kv_channels"}},
    {"intermediate_size",
     {"intermediate_size", "n_inner", "ffn_dim", "d_ff", "encoder_ffn_dim", "ffn_hidden_size"}},
    {"vocab_size", {"vocab_size", "n_vocab", "padded_vocab_size"}},
    {"max_position_embeddings",
     {"max_position_embeddings", "n_positions", "max_target_positions", "n_ctx"}},
    {"moe.num_experts", {"num_local_experts", "num_experts", "n_routed_experts"}},
    {"moe.experts_per_token", {"num_experts_per_tok", "moe_top_k"}},
    {"moe.moe_intermediate_size", {"moe_intermediate_size"}},
    {"moe.num_shared_experts", {"n_shared_experts", "num_shared_experts"}},
    {"moe.shared_intermediate_size", {"shared_expert_intermediate_size"}},
    {"mla.q_lora_rank", {"q_lora_rank"}},
    {"mla.kv_lora_rank", {"kv_lora_rank"}},
    {"mla.qk_rope_head_dim", {"qk_rope_head_dim"}},
    {"mla.qk_nope_head_dim", {"qk_nope_head_dim"}},
    {"mla.v_head_dim", {"v_head_dim"}},
    {"tied_embeddings", {"tie_word_embeddings"}},
    {"activation", {"hidden_act", "activation_function", "hidden_activation", "feed_forward_proj"}},
    {"rotary_dim", {"rotary_dim"}},
    {"attention_bias", {"attention_bias", "qkv_bias"}},
    {"mlp_bias", {"mlp_bias"}},
};

// Field -> GGUF key after "<arch>.".
const std::pair<const char*, const char*> kGgufKeys[] = {
    {"num_layers", "block_count"},
    {"hidden_size", "embedding_length"},
    {"num_heads", "attention.head_count"},
    {"num_kv_heads", "attention.head_count_kv"},
    {"head_dim", "attention.key_length"},
    {"intermediate_size", "feed_forward_length"},
    {"max_position_embeddings", "context_length"},
    {"vocab_size", "vocab_size"},
    {"moe.num_experts", "expert_count"},
    {"moe.experts_per_token", "expert_used_count"},
    {"moe.num_shared_experts", "expert_shared_count"},
    {"moe.moe_intermediate_size", "expert_feed_forward_length"},
    {"moe.shared_intermediate_size", "expert_shared_feed_forward_length"},
    {"mla.q_lora_rank", "attention.q_lora_rank"},
    {"mla.kv_lora_rank", "attention.kv_lora_rank"},
    {"rotary_dim", "rope.dimension_count"},
    {"decoder_layers", "decoder_block_count"},
};

std::optional<int64_t> meta_int(const MetaValue& v) {
  const uint64_t b = v.scalar_bits;
  switch (v.type) {
    case ValueType::U8: return static_cast<int64_t>(b & 0xFF);
    case ValueType::U16: return static_cast<int64_t>(b & 0xFFFF);
    case ValueType::U32: return static_cast<int64_t>(b & 0xFFFFFFFFu);
    case ValueType::U64:
      if (b > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(b);
    case ValueType::I8: return static_cast<int8_t>(b & 0xFF);
    case ValueType::I16: return static_cast<int16_t>(b & 0xFFFF);
    case ValueType::I32: return static_cast<int32_t>(b & 0xFFFFFFFFu);
    case ValueType::I64: return static_cast<int64_t>(b);
    default: return std::nullopt;
  }
}

// A numeric array's elements as integers (per-layer head counts, feed-forward lengths).
std::optional<std::vector<int64_t>> meta_int_array(const MetaValue& v) {
  if (v.type != ValueType::ARRAY || v.count > kMaxArrayStated || v.array_data == nullptr)
    return std::nullopt;
  const uint32_t es = value_type_size(v.elem_type);
  if (es == 0 || v.elem_type == ValueType::F32 || v.elem_type == ValueType::F64 ||
      v.elem_type == ValueType::BOOL)
    return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(v.count);
  for (uint64_t i = 0; i < v.count; ++i) {
    MetaValue e;
    e.type = v.elem_type;
    std::memcpy(&e.scalar_bits, v.array_data + i * es, es);
    const auto x = meta_int(e);
    if (!x) return std::nullopt;
    out.push_back(*x);
  }
  return out;
}

void add(StatedValues& sv, const std::string& field, Stated s) {
  sv.by_field[field].push_back(std::move(s));
}

void note(StatedValues& sv, std::string n) {
  if (sv.notes.size() < kMaxConfigNotes) sv.notes.push_back(std::move(n));
}

void read_gguf_metadata(const WeightFile& file, StatedValues& sv) {
  const int64_t ai = file.find_metadata("general.architecture");
  if (ai < 0 || file.metadata[static_cast<size_t>(ai)].value.type != ValueType::STRING) return;
  sv.gguf_arch = std::string(file.metadata[static_cast<size_t>(ai)].value.str);
  for (const auto& [field, suffix] : kGgufKeys) {
    const std::string key = sv.gguf_arch + "." + suffix;
    const int64_t i = file.find_metadata(key);
    if (i < 0) continue;
    const MetaValue& v = file.metadata[static_cast<size_t>(i)].value;
    if (auto x = meta_int(v)) {
      add(sv, field, {"metadata", key, *x});
    } else if (auto a = meta_int_array(v)) {
      add(sv, field, {"metadata", key, *a});
    } else {
      note(sv, "metadata " + key + " is not an integer; not used");
    }
  }
  const int64_t ti = file.find_metadata("tokenizer.ggml.tokens");
  if (ti >= 0 && file.metadata[static_cast<size_t>(ti)].value.type == ValueType::ARRAY) {
    const uint64_t n = file.metadata[static_cast<size_t>(ti)].value.count;
    if (n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      add(sv, "vocab_size", {"metadata", "tokenizer.ggml.tokens", static_cast<int64_t>(n)});
  }
  for (const auto& [suffix, kind] :
       {std::pair<const char*, const char*>{"attention.layer_norm_rms_epsilon", "rmsnorm"},
        {"attention.layer_norm_epsilon", "layernorm"}}) {
    const std::string key = sv.gguf_arch + "." + suffix;
    if (file.find_metadata(key) >= 0) add(sv, "norm", {"metadata", key, std::string(kind)});
  }
}

// The safetensors header's __metadata__ strings whose key is a config key and whose value is a
// decimal integer.
void read_safetensors_metadata(const WeightFile& file, StatedValues& sv) {
  for (const MetaEntry& e : file.metadata) {
    if (e.value.type != ValueType::STRING || e.value.str.empty() || e.value.str.size() > 18)
      continue;
    int64_t v = 0;
    bool digits = true;
    for (char c : e.value.str) {
      if (c < '0' || c > '9')
        digits = false;
      else
        v = v * 10 + (c - '0');
    }
    if (!digits) continue;
    for (const KeyRow& row : kConfigKeys)
      for (const char* k : row.keys)
        if (e.key == k) add(sv, row.field, {"safetensors_metadata", std::string(e.key), v});
  }
}

// ------------------------------------------------------------------ config.json

using ConfigScalar = std::variant<int64_t, double, bool, std::string>;

struct ConfigValues {
  std::vector<std::pair<std::string, ConfigScalar>> entries;  // "key" or "text_config.key"
  const ConfigScalar* find(const std::string& k) const {
    for (const auto& [key, v] : entries)
      if (key == k) return &v;
    return nullptr;
  }
};

// Objects whose members are read one level down.
bool nested_object(std::string_view key) {
  return key == "text_config" || key == "rope_parameters" || key == "rope_scaling";
}

void read_object(od::object obj, JsonDocument& doc, const std::string& prefix, ConfigValues& cv,
                 StatedValues& sv, int depth) {
  for (auto fr : obj) {
    od::field f = next_field(std::move(fr), doc, 0, "config.json");
    const std::string key = prefix + std::string(field_key(f, doc, "config.json"));
    od::value v = f.value();
    od::json_type t;
    if (auto e = v.type().get(t)) doc.fail_json(e, doc.offset_of(v), key, "malformed value");
    if (cv.find(key)) {
      note(sv, "config.json: key " + key + " appears twice; the first is used");
      continue;
    }
    switch (t) {
      case od::json_type::number: {
        int64_t i;
        double d;
        if (!v.get_int64().get(i))
          cv.entries.emplace_back(key, i);
        else if (!v.get_double().get(d) && std::isfinite(d))
          cv.entries.emplace_back(key, d);
        break;
      }
      case od::json_type::boolean: {
        bool b;
        if (!v.get_bool().get(b)) cv.entries.emplace_back(key, b);
        break;
      }
      case od::json_type::string:
        cv.entries.emplace_back(key, std::string(get_json_string(v, doc, key, "value")));
        break;
      case od::json_type::object:
        if (depth == 0 && nested_object(key)) {
          od::object inner;
          if (auto e = v.get_object().get(inner))
            doc.fail_json(e, doc.offset_of(v), key, "malformed object");
          read_object(inner, doc, key + ".", cv, sv, depth + 1);
        } else {
          validate_json_value(v, doc, kConfigDepth, key);
        }
        break;
      default: validate_json_value(v, doc, kConfigDepth, key); break;
    }
  }
}

std::string config_value_text(const ConfigScalar& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  std::string r = "\"";
  r.append(escape_for_message(std::get<std::string>(v))).append("\"");
  return r;
}

void absorb_config(const ConfigValues& cv, StatedValues& sv) {
  for (const KeyRow& row : kConfigKeys) {
    const std::string field = row.field;
    const bool is_bool =
        field == "tied_embeddings" || field == "attention_bias" || field == "mlp_bias";
    const bool is_string = field == "activation";
    for (const char* prefix : {"text_config.", ""}) {
      for (const char* k : row.keys) {
        const std::string key = std::string(prefix) + k;
        const ConfigScalar* v = cv.find(key);
        if (!v) continue;
        if (is_bool) {
          if (const auto* b = std::get_if<bool>(v))
            add(sv, field, {"config.json", key, *b});
          else
            note(sv, "config.json: " + key + " is " + config_value_text(*v) +
                         ", not a boolean; not used");
        } else if (is_string) {
          if (const auto* s = std::get_if<std::string>(v)) add(sv, field, {"config.json", key, *s});
        } else if (const auto* i = std::get_if<int64_t>(v)) {
          add(sv, field, {"config.json", key, *i});
        } else {
          note(sv, "config.json: " + key + " is " + config_value_text(*v) +
                       ", not an integer; not used");
        }
      }
    }
  }
  // Falcon states multi-query attention as a flag: one key/value head.
  for (const char* key : {"text_config.multi_query", "multi_query"})
    if (const ConfigScalar* v = cv.find(key))
      if (const auto* b = std::get_if<bool>(v); b && *b)
        add(sv, "num_kv_heads", {"config.json", key, int64_t{1}});
  for (const char* key : {"text_config.alibi", "alibi"})
    if (const ConfigScalar* v = cv.find(key))
      if (const auto* b = std::get_if<bool>(v))
        add(sv, "position", {"config.json", key, std::string(*b ? "alibi" : "rotary")});
  // The fraction of each head that is rotated, written as the percentage of head_dim.
  for (const char* key : {"text_config.partial_rotary_factor", "partial_rotary_factor",
                          "rotary_pct", "rope_parameters.partial_rotary_factor",
                          "text_config.rope_parameters.partial_rotary_factor"})
    if (const ConfigScalar* v = cv.find(key)) {
      double d = -1;
      if (const auto* x = std::get_if<double>(v)) d = *x;
      if (const auto* x = std::get_if<int64_t>(v)) d = static_cast<double>(*x);
      if (d > 0 && d <= 1)
        add(sv, "rotary_percent", {"config.json", key, static_cast<int64_t>(std::lround(d * 100))});
    }
  for (const char* key : {"text_config.model_type", "model_type"})
    if (const ConfigScalar* v = cv.find(key))
      if (const auto* s = std::get_if<std::string>(v); s && sv.config_model_type.empty()) {
        sv.config_model_type = *s;
        add(sv, "family", {"config.json", key, *s});
      }
}

}  // namespace

const char* source_name(Source s) noexcept {
  switch (s) {
    case Source::SHAPES: return "shapes";
    case Source::METADATA: return "metadata";
    case Source::CONFIG: return "config.json";
    case Source::INFERRED: return "inferred";
    case Source::UNDETERMINED: return "undetermined";
  }
  return "?";
}

void stated_from_config_text(const std::string& text, StatedValues& sv) {
  ConfigValues cv;
  try {
    const auto* p = reinterpret_cast<const uint8_t*>(text.data());
    require_utf8(p, text.size(), 0, "config.json");
    const JsonExtent ext = scan_json_object(p, text.size(), kConfigDepth, 0, "config.json");
    JsonDocument doc(p + ext.begin, ext.end - ext.begin, ext.begin, kConfigDepth, "config.json");
    read_object(doc.root(), doc, "", cv, sv, 0);
  } catch (const Error& e) {
    note(sv, std::string("config.json is not used: ") + e.what());
    return;
  }
  sv.config_read = true;
  absorb_config(cv, sv);
}

StatedValues read_stated(const WeightFile& file, const ArchitectureOptions& opts) {
  StatedValues sv;
  if (file.format == Format::GGUF)
    read_gguf_metadata(file, sv);
  else
    read_safetensors_metadata(file, sv);
  if (!opts.read_config_json) return sv;
  std::string text;
  std::vector<std::string> warnings;
  if (read_file_beside(file, "config.json", text, warnings)) stated_from_config_text(text, sv);
  for (auto& w : warnings) note(sv, std::move(w));
  return sv;
}

}  // namespace mwt::detail::analysis
