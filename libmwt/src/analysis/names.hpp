// Tensor-name maps between the three namings mwt knows: the names transformers checkpoints use
// ("hf"), the names llama.cpp's converter writes into GGUF files ("gguf"), and mwt's canonical
// scheme ("canonical", `blocks.N.<role>.<suffix>`). One data row per (family, role) in
// names_table.cpp; the scheme and the table's facts are described in docs/analysis.md.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mwt::detail::analysis {

enum class Naming : uint8_t { HF = 0, GGUF = 1, CANONICAL = 2 };
inline constexpr int kNamingCount = 3;
const char* naming_name(Naming n) noexcept;  // "hf", "gguf", "canonical"
std::optional<Naming> naming_from(std::string_view s) noexcept;

// Row flags.
inline constexpr uint8_t kExact = 1;  // the patterns are whole names: no suffix is carried over

// One role of one family. Patterns hold `{N}` for the block number and `{E}` for the expert
// number; a pattern is a module name and the tensor's suffix (weight, bias, qweight, scales,
// weight_scale, ...) is carried over unchanged, unless the row is kExact. An empty pattern: that
// naming has no name for the role.
struct NameRow {
  const char* canonical;
  const char* hf;
  const char* gguf;
  uint8_t flags = 0;
  const char* pattern(Naming n) const noexcept {
    return n == Naming::HF ? hf : n == Naming::GGUF ? gguf : canonical;
  }
};

// What a family's weights do not show, used (and reported as "inferred") when neither the
// weights nor a stated value decide.
struct FamilyDefaults {
  const char* activation;    // "silu", "gelu", "gelu_tanh", "relu"
  const char* norm;          // "rmsnorm" | "layernorm"
  const char* position;      // "rotary", "partial_rotary", "learned", "alibi", "relative_bias"
  uint32_t position_offset;  // rows of a learned position table before position 0 (OPT, BART)
  uint32_t head_dim;         // the usual head size of the family (0: no usual value)
};

enum class ModelKind : uint8_t { DECODER, ENCODER, ENCODER_DECODER };
const char* model_kind_name(ModelKind k) noexcept;

struct Family {
  const char* name;           // transformers' model_type ("llama", "qwen2_moe")
  const char* gguf_arch;      // general.architecture llama.cpp writes ("" when it converts none)
  const char* same_names_as;  // a family whose rows this one shares ("" for none)
  ModelKind kind;
  FamilyDefaults defaults;
  std::span<const NameRow> rows;
};

// Every family, in table order.
std::span<const Family> families() noexcept;
// By transformers model_type (case-sensitive); nullptr when unknown.
const Family* find_family(std::string_view name) noexcept;
// Families whose GGUF architecture is `arch` (llama: llama, mistral, mixtral), in table order.
std::vector<const Family*> families_of_gguf_arch(std::string_view arch);

// A name matched against a row.
struct NameMatch {
  const NameRow* row = nullptr;
  Naming naming = Naming::HF;
  int64_t block = -1;   // {N}, -1 when the row has none
  int64_t expert = -1;  // {E}
  std::string suffix;   // "weight", "bias", "qweight", ... ("" for kExact rows)
};

// Matches `name` in naming `from` against the family's rows; the longest module pattern wins.
std::optional<NameMatch> match_name(const Family& f, std::string_view name, Naming from);
// match_name, also with the task-model prefix a transformers checkpoint adds or leaves out
// ("model.", "transformer." added; "bert.", "roberta." removed) for HF names.
std::optional<NameMatch> match_loose(const Family& f, std::string_view name, Naming from);
// match_loose in whichever naming matches (HF, then GGUF, then canonical).
std::optional<NameMatch> match_any(const Family& f, std::string_view name);
// The name of a match in naming `to`; nullopt when that naming has no name for the role.
std::optional<std::string> render_name(const NameMatch& m, Naming to);
// match_any then render_name.
std::optional<std::string> map_name(std::string_view name, const Family& f, Naming to);

// The families as a JSON array of {"name", "gguf_arch", "kind", "same_names_as", "roles"}.
std::string families_json();

}  // namespace mwt::detail::analysis
