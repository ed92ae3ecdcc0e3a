// Internal pieces of tensor-table quantization detection (scheme_tensors*.cpp): tensor names
// grouped into modules by role suffix, the per-module classification of each method, the
// quantization config found beside the weights, and fake-quant detection of float tensors.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/json_writer.hpp"
#include "formats/weight_file.hpp"

namespace mwt::detail::analysis {

// A value reported in facts, config fields and disagreements.
using Scalar = std::variant<int64_t, bool, std::string, std::vector<int64_t>>;
void write_scalar(JsonOut& out, const Scalar& v);
std::string scalar_text(const Scalar& v);  // 4, true, nf4, [128,128]

// A config setting that the tensors contradict.
struct Disagreement {
  std::string method;  // the method entry it concerns ("" for the method itself)
  std::string field;
  Scalar config, tensors;
  uint64_t modules = 1;  // how many modules show it (per-module checks)
};

// ------------------------------------------------------------------ modules

// What a tensor is to its module, from the last component(s) of its name.
enum class Role : uint8_t {
  WEIGHT,
  QWEIGHT,
  QZEROS,
  SCALES,
  G_IDX,
  BIASES,
  ABSMAX,
  QUANT_MAP,
  NESTED_ABSMAX,
  NESTED_QUANT_MAP,
  QUANT_STATE_NF4,
  QUANT_STATE_FP4,
  SCB,
  WEIGHT_FORMAT,
  WEIGHT_SCALE,
  WEIGHT_SCALE_INV,
  INPUT_SCALE,
  WEIGHT_PACKED,
  WEIGHT_ZERO_POINT,
  WEIGHT_SHAPE,
  WEIGHT_G_IDX,
  WEIGHT_GLOBAL_SCALE,
  COUNT
};
inline constexpr size_t kRoleCount = static_cast<size_t>(Role::COUNT);

// Splits a tensor name into (module prefix, role); nullopt when the name has no known role.
std::optional<std::pair<std::string_view, Role>> split_role(std::string_view name) noexcept;

struct Module {
  std::string prefix;
  std::array<int64_t, kRoleCount> idx;  // tensor index per role, -1 when absent
  Module() { idx.fill(-1); }
  bool has(Role r) const noexcept { return idx[static_cast<size_t>(r)] >= 0; }
  const TensorInfo* get(const WeightFile& f, Role r) const noexcept {
    const int64_t i = idx[static_cast<size_t>(r)];
    return i < 0 ? nullptr : &f.tensors[static_cast<size_t>(i)];
  }
  // Any role besides WEIGHT: the module says something about quantization.
  bool has_quant_role() const noexcept;
};

// Modules in first-appearance order.
std::vector<Module> group_modules(const WeightFile& file);

// ------------------------------------------------------------------ bounded data access

// The tensor's bytes when it is at least `need` bytes long and its view lies inside its file;
// nullptr otherwise. May throw Error(IO) for a shard that cannot be mapped.
const uint8_t* tensor_bytes(const WeightFile& f, const TensorInfo& t, uint64_t need);
// Product of the shape; nullopt on overflow.
std::optional<uint64_t> shape_numel(const std::vector<uint64_t>& shape) noexcept;
// Value k of a little-endian bitstream of `bits`-bit fields held in 32-bit words (the packing
// GPTQ, AWQ, MLX and compressed-tensors share, including fields that cross word boundaries).
// The caller guarantees (k + 1) * bits <= nwords * 32.
uint32_t bitstream_value(const uint8_t* words, uint64_t k, unsigned bits) noexcept;

// ------------------------------------------------------------------ shape arithmetic

inline bool is_float_dtype(DType d) {
  return d == DType::F32 || d == DType::F16 || d == DType::BF16;
}
inline bool is_word32(DType d) { return d == DType::I32 || d == DType::U32; }
inline uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

// The dtype's safetensors spelling ("BF16"), else its ggml name.
inline std::string dtype_label(DType d) {
  const DTypeInfo* i = dtype_info(static_cast<uint32_t>(d));
  return i ? std::string(i->safetensors.empty() ? i->name : i->safetensors) : "unknown";
}

// "e4m3", "e5m2", "e4m3fnuz", "e5m2fnuz" for the FP8 weight dtypes; nullptr for others.
inline const char* fp8_format(DType d) {
  switch (d) {
    case DType::F8_E4M3: return "e4m3";
    case DType::F8_E5M2: return "e5m2";
    case DType::F8_E4M3FNUZ: return "e4m3fnuz";
    case DType::F8_E5M2FNUZ: return "e5m2fnuz";
    default: return nullptr;
  }
}

// Block sizes b with ceil(n / b) == s, as [lo, hi]; false when there are none.
inline bool block_interval(uint64_t n, uint64_t s, uint64_t& lo, uint64_t& hi) {
  if (n == 0 || s == 0 || s > n) return false;
  lo = ceil_div(n, s);
  hi = s == 1 ? UINT64_MAX : (n - 1) / (s - 1);
  return lo <= hi;
}

// The power of two in [lo, hi] nearest lo, else lo.
inline uint64_t pick_block(uint64_t lo, uint64_t hi) {
  uint64_t p = 1;
  while (p < lo && p < (uint64_t{1} << 62)) p <<= 1;
  return p <= hi ? p : lo;
}

// Group size of `in` values in `groups` groups (ceil division): exact when it divides, else a
// power of two that gives that many groups; -1 for one group.
inline int64_t group_size_of(uint64_t in, uint64_t groups) {
  if (groups <= 1 || in == 0) return -1;
  if (in % groups == 0) return static_cast<int64_t>(in / groups);
  uint64_t lo, hi;
  if (!block_interval(in, groups, lo, hi)) return static_cast<int64_t>(ceil_div(in, groups));
  return static_cast<int64_t>(pick_block(lo, hi));
}

// ------------------------------------------------------------------ config files

struct QuantConfig {
  bool found = false;                 // some config file with quantization settings
  std::vector<std::string> sources;   // "quantize_config.json", "config.json:quantization_config"
  std::vector<std::string> warnings;  // unreadable / malformed / conflicting entries
  std::string quant_method;           // lowercase; may be empty
  std::optional<int64_t> bits, group_size;
  std::optional<bool> desc_act, sym, zero_point, double_quant, load_in_4bit, load_in_8bit;
  std::string version, checkpoint_format, format, bnb_quant_type, fp8_format, strategy,
      activation_scheme, compute_dtype, mode;
  std::optional<std::array<int64_t, 2>> block_size;  // FP8 weight_block_size
  // MLX per-module overrides: module prefix -> (bits, group_size).
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> module_overrides;
  // The normalized fields in reading order, for the report.
  std::vector<std::pair<std::string, Scalar>> fields;
};

// Reads quantize_config.json, quant_config.json and config.json ("quantization_config" or
// MLX's "quantization") from the directory of files[0]. Never throws: problems are warnings.
QuantConfig read_quant_config(const WeightFile& file);
// The same from JSON texts already read, in reading order; `file` is the file's name, which
// says where the settings sit in it ("config.json": under "quantization_config").
struct ConfigText {
  std::string file;
  std::string text;
};
QuantConfig parse_quant_config(const std::vector<ConfigText>& texts);
// Reads `name` (a regular file of at most 16 MiB, opened without blocking on a FIFO) from the
// directory of files[0] into `text`; false when it is absent (silently) or unreadable (with a
// warning). In-memory files have no directory: false.
bool read_file_beside(const WeightFile& file, const char* name, std::string& text,
                      std::vector<std::string>& warnings);

// ------------------------------------------------------------------ fake quant

struct FakeQuantFinding {
  std::string tensor;
  int bits = 0;
  int64_t group_size = -1;
  uint32_t levels = 0;
};

// Checks one group of float values (reordered in place) for an affine grid v0 + k * step,
// k = 0..K. `rel_eps` / `abs_eps` bound the storage dtype's rounding error of a value. Returns
// the span K + 1 in levels (1 for a constant group), or 0 when the values are not on such a grid
// of at most 256 levels or the grid step is too close to the rounding error to be told apart.
// `distinct` gets the number of distinct values.
uint32_t affine_grid_span(std::vector<float>& values, double rel_eps, double abs_eps,
                          uint32_t& distinct);

struct FakeQuantReport {
  std::vector<FakeQuantFinding> found;
  uint64_t float_tensors = 0;  // candidates (2-D float *.weight)
  uint64_t checked = 0;        // how many of them were sampled
};
FakeQuantReport detect_fake_quant(const WeightFile& file, const std::vector<size_t>& candidates);
// One tensor (the full check, without the tensor-count bounds).
std::optional<FakeQuantFinding> fake_quant_tensor(const WeightFile& file, const TensorInfo& t);

// ------------------------------------------------------------------ methods

enum class Method : uint8_t { GPTQ, AWQ, BNB4, BNB8, FP8, CT, MLX };
const char* method_name(Method m) noexcept;  // "gptq", "bitsandbytes", ...

// What one module's tensors say.
struct ModuleResult {
  Method method = Method::GPTQ;
  std::string sub;  // distinguishes entries of one method: bnb quant type, CT format
  int bits = 0;
  int64_t group_size = -1;
  uint64_t in_features = 0;
  std::vector<std::pair<std::string, Scalar>> facts;  // method-specific fields
  std::vector<std::string> notes;                     // inconsistencies seen in this module
  std::vector<Disagreement> disagreements;            // per-module config checks (MLX)
};

// Model-wide facts the per-module classifiers consult.
struct ClassifyContext {
  ClassifyContext(const WeightFile& f, const QuantConfig& c) : file(f), config(c) {}
  const WeightFile& file;
  const QuantConfig& config;
  std::vector<uint64_t> known_dims;  // sorted: 1-D float lengths and leading dims of 2-D tensors
  // FP8 block scales: the block size agreed by all block-scaled modules (0 when unresolved).
  std::array<uint64_t, 2> fp8_block{0, 0};
  uint32_t gidx_reads = 0;  // GPTQ g_idx tensors read so far (bounded)
  uint32_t zero_reads = 0;  // qzeros / zero-point tensors sampled so far (bounded)
};

// Resolves ctx.fp8_block from the modules' weight_scale_inv / block-shaped scales.
void resolve_fp8_blocks(ClassifyContext& ctx, const std::vector<Module>& modules);
// Classifies one module; nullopt when it is not a recognized quantized module.
std::optional<ModuleResult> classify_module(ClassifyContext& ctx, const Module& m);

// The per-layout classifiers classify_module dispatches to (each nullopt when the module's
// tensors do not fit its layout).
std::optional<ModuleResult> classify_qweight(ClassifyContext& ctx, const Module& m);  // GPTQ, AWQ
std::optional<ModuleResult> classify_packed(ClassifyContext& ctx,
                                            const Module& m);  // weight_packed
std::optional<ModuleResult> classify_mlx(ClassifyContext& ctx, const Module& m);
std::optional<ModuleResult> classify_bnb4(ClassifyContext& ctx, const Module& m);
std::optional<ModuleResult> classify_int8(ClassifyContext& ctx, const Module& m);  // bnb, CT
std::optional<ModuleResult> classify_fp8(ClassifyContext& ctx, const Module& m);

}  // namespace mwt::detail::analysis
