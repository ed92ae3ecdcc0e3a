// The architecture report's assembly and JSON (docs/analysis.md#schema): stated values read,
// tensors placed, fields derived, then the parameter count per component and dtype, with tied
// weights counted once and quantization aux tensors apart.
#include "analysis/architecture.hpp"

#include <map>
#include <set>

#include "analysis/architecture_derive.hpp"

namespace mwt::detail::analysis {
namespace {

bool is_embedding_role(const Placed& p) {
  return p.block < 0 &&
         (p.role == "embed.tokens" || p.role == "embed.positions" || p.role == "embed.token_types");
}

// Layers of a component the name table does not place (vision towers, projectors): distinct
// numbers right after a "layers." / "layer." / "blocks." / "blk." / "h." component.
uint64_t count_layers(const WeightFile& file, const Model& model, const std::string& comp) {
  std::set<uint64_t> seen;
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    if (model.placed[i].component != comp) continue;
    const std::string& n = file.tensors[i].name;
    for (std::string_view key : {"layers.", "layer.", "blocks.", "blk.", "h."}) {
      size_t at = 0;
      while ((at = n.find(key, at)) != std::string::npos) {
        const bool boundary = at == 0 || n[at - 1] == '.';
        at += key.size();
        uint64_t v = 0;
        size_t digits = 0;
        while (at + digits < n.size() && digits < 9 && n[at + digits] >= '0' &&
               n[at + digits] <= '9')
          v = v * 10 + static_cast<uint64_t>(n[at + digits++] - '0');
        if (boundary && digits > 0 && at + digits < n.size() && n[at + digits] == '.')
          seen.insert(v);
      }
    }
  }
  return seen.size();
}

void write_field(JsonOut& out, const char* key, const Value& v) {
  out.key(key);
  write_value(out, v);
}

}  // namespace

void write_value(JsonOut& out, const Value& v) {
  out.begin_object();
  out.key("value");
  if (v.value)
    write_scalar(out, *v.value);
  else
    out.null();
  out.field("source", source_name(v.source));
  out.field("how", std::string_view(v.how));
  if (!v.candidates.empty() && (v.source == Source::INFERRED || v.source == Source::UNDETERMINED)) {
    out.key("candidates").begin_array();
    for (const Scalar& c : v.candidates) write_scalar(out, c);
    out.end_array();
  }
  if (!v.stated.empty()) {
    out.key("stated").begin_array();
    for (const Stated& s : v.stated) {
      out.begin_object();
      out.field("source", std::string_view(s.source));
      out.field("key", std::string_view(s.key));
      out.key("value");
      write_scalar(out, s.value);
      out.end_object();
    }
    out.end_array();
  }
  out.end_object();
}

std::string architecture_json(const WeightFile& file, const ArchitectureOptions& opts) {
  const StatedValues sv = read_stated(file, opts);
  const TensorFacts tf = tensor_facts(file);
  const Model model = place_tensors(file, tf, sv);
  Derived d = derive(file, model, sv);

  // ------------------------------------------------------------ parameter count
  const bool encdec = d.kind == ModelKind::ENCODER_DECODER;
  int64_t skip = -1;  // an lm_head holding the embedding's data: counted once
  if (d.lm_head_same_data)
    for (size_t i = 0; i < file.tensors.size(); ++i)
      if (model.placed[i].role == "lm_head" && model.placed[i].suffix != "bias" &&
          model.placed[i].part.empty())
        skip = static_cast<int64_t>(i);
  uint64_t total = 0, embedding = 0, aux = 0, buffers = 0;
  std::map<std::string, uint64_t> by_component, by_dtype, tensors_of;
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    const Placed& p = model.placed[i];
    std::string comp = p.component;
    if (encdec && comp == "lm") comp = "decoder";
    if (d.kind == ModelKind::ENCODER && comp == "lm") comp = "encoder";
    ++tensors_of[comp];
    aux += tf.aux[i];
    if (tf.buffer[i]) {
      ++buffers;
      continue;
    }
    if (static_cast<int64_t>(i) == skip || tf.logical[i] == 0) continue;
    total += tf.logical[i];
    by_component[comp] += tf.logical[i];
    by_dtype[tf.dtype_label[i]] += tf.logical[i];
    if (is_embedding_role(p) && p.component != "vision_tower") embedding += tf.logical[i];
  }

  JsonOut out;
  out.begin_object();
  out.field("schema", 1);
  out.field("naming", model.named ? naming_name(model.naming) : "unknown");
  write_field(out, "family", d.family);
  out.field("model_type", model_kind_name(d.kind));
  write_field(out, "num_layers", d.num_layers);
  write_field(out, "hidden_size", d.hidden_size);
  write_field(out, "num_heads", d.num_heads);
  write_field(out, "num_kv_heads", d.num_kv_heads);
  write_field(out, "head_dim", d.head_dim);
  write_field(out, "intermediate_size", d.intermediate_size);
  write_field(out, "vocab_size", d.vocab_size);
  write_field(out, "max_position_embeddings", d.max_position_embeddings);
  write_field(out, "activation", d.activation);
  write_field(out, "gated_mlp", d.gated_mlp);
  write_field(out, "norm", d.norm);
  write_field(out, "qk_norm", d.qk_norm);
  write_field(out, "position", d.position);
  write_field(out, "rotary_dim", d.rotary_dim);
  write_field(out, "tied_embeddings", d.tied_embeddings);
  write_field(out, "attention_bias", d.attention_bias);
  write_field(out, "mlp_bias", d.mlp_bias);
  write_field(out, "fused_qkv", d.fused_qkv);
  out.key("moe");
  if (d.moe) {
    out.begin_object();
    write_field(out, "num_experts", d.num_experts);
    write_field(out, "num_shared_experts", d.num_shared_experts);
    write_field(out, "experts_per_token", d.experts_per_token);
    write_field(out, "moe_intermediate_size", d.moe_intermediate_size);
    write_field(out, "shared_intermediate_size", d.shared_intermediate_size);
    write_field(out, "moe_layers", d.moe_layers);
    out.end_object();
  } else {
    out.null();
  }
  out.key("mla");
  if (d.mla) {
    out.begin_object();
    write_field(out, "q_lora_rank", d.q_lora_rank);
    write_field(out, "kv_lora_rank", d.kv_lora_rank);
    write_field(out, "qk_rope_head_dim", d.qk_rope_head_dim);
    write_field(out, "qk_nope_head_dim", d.qk_nope_head_dim);
    write_field(out, "v_head_dim", d.v_head_dim);
    out.end_object();
  } else {
    out.null();
  }

  out.key("components").begin_array();
  for (const auto& [comp, count] : tensors_of) {
    out.begin_object();
    out.field("name", std::string_view(comp));
    const char* part = comp == "encoder" && encdec   ? "encoder."
                       : comp == "decoder" && encdec ? "decoder."
                                                     : "";
    uint64_t layers = 0;
    std::optional<uint64_t> hidden;
    if (comp == "lm" || comp == "encoder" || comp == "decoder")
      if (auto it = model.parts.find(part); it != model.parts.end()) {
        layers = it->second.blocks.size();
        if (auto h = d.hidden_size.as_int()) hidden = static_cast<uint64_t>(*h);
      }
    if (comp == "vision_tower" || comp == "projector") layers = count_layers(file, model, comp);
    out.field("num_layers", layers);
    out.key("hidden_size");
    if (hidden)
      out.value(*hidden);
    else
      out.null();
    out.field("parameters", by_component[comp]);
    out.field("tensors", count);
    out.end_object();
  }
  out.end_array();

  out.key("parameter_count").begin_object();
  out.field("total", total);
  out.field("embedding", embedding);
  out.field("non_embedding", total - embedding);
  out.key("by_component").begin_object();
  for (const auto& [k, v] : by_component) out.field(k, v);
  out.end_object();
  out.key("by_dtype").begin_object();
  for (const auto& [k, v] : by_dtype) out.field(k, v);
  out.end_object();
  out.field("quantization_aux", aux);
  out.field("tied_counted_once", d.lm_head_same_data || (d.tied_embeddings.value &&
                                                         *d.tied_embeddings.value == Scalar(true)));
  std::string how = file.format == Format::GGUF
                        ? "elements of every tensor (GGUF shapes are logical)"
                        : "elements of every tensor, packed quantized weights as their logical "
                          "[out, in]; scales, zeros and index tensors in quantization_aux";
  if (buffers) how += "; " + std::to_string(buffers) + " buffer tensor(s) not counted";
  if (skip >= 0) how += "; lm_head holds the embedding's data and is counted once";
  out.field("how", std::string_view(how));
  out.end_object();

  out.key("disagreements").begin_array();
  for (const Disagree& g : d.disagreements) {
    out.begin_object();
    out.field("field", std::string_view(g.field));
    out.key("weights");
    write_scalar(out, g.weights);
    out.key("stated");
    write_scalar(out, g.stated.value);
    out.field("source", std::string_view(g.stated.source));
    out.field("key", std::string_view(g.stated.key));
    out.end_object();
  }
  out.end_array();
  out.key("notes").begin_array();
  for (const std::string& n : d.notes) out.value(std::string_view(n));
  out.end_array();
  out.end_object();
  return out.take();
}

}  // namespace mwt::detail::analysis
