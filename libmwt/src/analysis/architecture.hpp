// Architecture reconstruction: what a weight file's tensor names and shapes say about the model
// (family, layer count, widths, heads, MLP, MoE, MLA, norms, positions, parameter counts), with
// the values the file's metadata and a config.json beside it state, and every disagreement
// between the two. Rendered as the JSON object of docs/analysis.md (C ABI:
// mwt_file_architecture). Never fails on odd input: what the tensors cannot decide is reported
// as stated, inferred (with how) or undetermined.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/names.hpp"
#include "analysis/scheme_tensors.hpp"
#include "core/json_writer.hpp"
#include "formats/weight_file.hpp"

namespace mwt::detail::analysis {

struct ArchitectureOptions {
  bool read_config_json = true;  // "analysis.config_json"
};

// The whole report as a JSON object (schema 1, docs/analysis.md#schema).
std::string architecture_json(const WeightFile& file, const ArchitectureOptions& opts);

// ------------------------------------------------------------------ internals shared by
// architecture*.cpp

enum class Source : uint8_t { SHAPES, METADATA, CONFIG, INFERRED, UNDETERMINED };
const char* source_name(Source s) noexcept;

struct Stated {
  std::string source;  // "metadata", "config.json", "safetensors_metadata"
  std::string key;
  Scalar value;
};

// One reported field.
struct Value {
  std::optional<Scalar> value;
  Source source = Source::UNDETERMINED;
  std::string how;
  std::vector<Scalar> candidates;
  std::vector<Stated> stated;

  void set(Scalar v, Source s, std::string h) {
    value = std::move(v);
    source = s;
    how = std::move(h);
  }
  std::optional<int64_t> as_int() const {
    if (value)
      if (const auto* i = std::get_if<int64_t>(&*value)) return *i;
    return std::nullopt;
  }
};
void write_value(JsonOut& out, const Value& v);

// The values the file and its config.json state, by field name ("num_layers", ...), in reading
// order; and what reading them found wrong.
struct StatedValues {
  std::map<std::string, std::vector<Stated>> by_field;
  std::vector<std::string> notes;
  std::string config_model_type;  // config.json "model_type" (text_config's when nested)
  std::string gguf_arch;          // general.architecture
  bool config_read = false;
};
StatedValues read_stated(const WeightFile& file, const ArchitectureOptions& opts);
// The same from config.json texts already read (tests; hostile input).
void stated_from_config_text(const std::string& text, StatedValues& out);

// A tensor's place in the canonical scheme.
struct Placed {
  std::string component;  // "lm", "encoder", "decoder", "vision_tower", "projector"
  std::string part;       // "" for decoder-only models, "encoder." / "decoder." otherwise
  std::string role;       // "attn.q", "moe.experts.E.up", "embed.tokens" (block prefix removed)
  int64_t block = -1;
  int64_t expert = -1;
  std::string suffix;  // "weight", "bias", "qweight", ...
};

// Logical element counts and shapes of the file's tensors (quantized layouts decoded).
struct TensorFacts {
  std::vector<std::vector<uint64_t>> logical_shape;  // per tensor; empty for aux tensors
  std::vector<uint64_t> logical;                     // per tensor: elements counted as weights
  std::vector<uint64_t> aux;                         // per tensor: quantization aux elements
  std::vector<std::string> dtype_label;              // per tensor: the by_dtype bucket
  std::vector<bool> buffer;                          // not a parameter (inv_freq, masks, ...)
};
TensorFacts tensor_facts(const WeightFile& file);

}  // namespace mwt::detail::analysis
