// The shared pieces of tensor-table quantization detection (scheme_tensors.hpp): scalar
// formatting, bounded access to a tensor's bytes, the packed-word bitstream, and the grouping of
// tensor names into modules by their role suffix.
#include <cstring>

#include "analysis/scheme_tensors.hpp"

namespace mwt::detail::analysis {
// ------------------------------------------------------------------ small shared helpers

void write_scalar(JsonOut& out, const Scalar& v) {
  if (const auto* i = std::get_if<int64_t>(&v))
    out.value(*i);
  else if (const auto* b = std::get_if<bool>(&v))
    out.value(*b);
  else if (const auto* s = std::get_if<std::string>(&v))
    out.value(std::string_view(*s));
  else {
    out.begin_array();
    for (int64_t x : std::get<std::vector<int64_t>>(v)) out.value(x);
    out.end_array();
  }
}

std::string scalar_text(const Scalar& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  std::string r = "[";
  for (int64_t x : std::get<std::vector<int64_t>>(v)) {
    if (r.size() > 1) r += ',';
    r += std::to_string(x);
  }
  return r + "]";
}

std::optional<uint64_t> shape_numel(const std::vector<uint64_t>& shape) noexcept {
  uint64_t n = 1;
  for (uint64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n)) return std::nullopt;
  return n;
}

const uint8_t* tensor_bytes(const WeightFile& f, const TensorInfo& t, uint64_t need) {
  if (need == 0 || need > t.nbytes) return nullptr;
  if (t.data == nullptr) {
    if (t.file_index >= f.files.size() || !f.files[t.file_index]) return nullptr;
    const uint64_t size = f.files[t.file_index]->size();
    if (t.offset > size || t.nbytes > size - t.offset) return nullptr;
  }
  return f.tensor_data(t);
}

uint32_t bitstream_value(const uint8_t* words, uint64_t k, unsigned bits) noexcept {
  const uint64_t pos = k * bits;
  const uint64_t w = pos / 32;
  const unsigned sh = static_cast<unsigned>(pos % 32);
  uint32_t lo;
  std::memcpy(&lo, words + w * 4, 4);
  uint64_t v = lo >> sh;
  if (sh + bits > 32) {
    uint32_t hi;
    std::memcpy(&hi, words + (w + 1) * 4, 4);
    v |= static_cast<uint64_t>(hi) << (32 - sh);
  }
  return static_cast<uint32_t>(v & ((uint64_t{1} << bits) - 1));
}

// ------------------------------------------------------------------ modules

namespace {

struct Suffix {
  std::string_view text;
  Role role;
};
// Longest first where one suffix ends another at a '.' ("weight.SCB" before "SCB").
constexpr Suffix kSuffixes[] = {
    {"weight.quant_state.bitsandbytes__nf4", Role::QUANT_STATE_NF4},
    {"weight.quant_state.bitsandbytes__fp4", Role::QUANT_STATE_FP4},
    {"weight.nested_quant_map", Role::NESTED_QUANT_MAP},
    {"weight.nested_absmax", Role::NESTED_ABSMAX},
    {"weight.quant_map", Role::QUANT_MAP},
    {"weight.absmax", Role::ABSMAX},
    {"weight.SCB", Role::SCB},
    {"weight_global_scale", Role::WEIGHT_GLOBAL_SCALE},
    {"weight_zero_point", Role::WEIGHT_ZERO_POINT},
    {"weight_scale_inv", Role::WEIGHT_SCALE_INV},
    {"weight_format", Role::WEIGHT_FORMAT},
    {"weight_packed", Role::WEIGHT_PACKED},
    {"weight_scale", Role::WEIGHT_SCALE},
    {"weight_shape", Role::WEIGHT_SHAPE},
    {"weight_g_idx", Role::WEIGHT_G_IDX},
    {"input_scale", Role::INPUT_SCALE},
    {"qweight", Role::QWEIGHT},
    {"qzeros", Role::QZEROS},
    {"scales", Role::SCALES},
    {"biases", Role::BIASES},
    {"g_idx", Role::G_IDX},
    {"SCB", Role::SCB},
    {"weight", Role::WEIGHT},
};

}  // namespace

const char* role_name(Role r) noexcept {
  for (const Suffix& s : kSuffixes)
    if (s.role == r) return s.text.data();
  return "?";
}

std::optional<std::pair<std::string_view, Role>> split_role(std::string_view name) noexcept {
  for (const Suffix& s : kSuffixes) {
    if (name.size() < s.text.size() || name.substr(name.size() - s.text.size()) != s.text) continue;
    if (name.size() == s.text.size()) return std::make_pair(std::string_view(), s.role);
    if (name[name.size() - s.text.size() - 1] != '.') continue;
    return std::make_pair(name.substr(0, name.size() - s.text.size() - 1), s.role);
  }
  return std::nullopt;
}

bool Module::has_quant_role() const noexcept {
  for (size_t r = 0; r < kRoleCount; ++r)
    if (r != static_cast<size_t>(Role::WEIGHT) && idx[r] >= 0) return true;
  return false;
}

std::vector<Module> group_modules(const WeightFile& file) {
  std::vector<Module> mods;
  std::unordered_map<std::string_view, size_t> at;
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    const auto sr = split_role(file.tensors[i].name);
    if (!sr) continue;
    auto [it, fresh] = at.try_emplace(sr->first, mods.size());
    if (fresh) {
      mods.emplace_back();
      mods.back().prefix = std::string(sr->first);
    }
    int64_t& slot = mods[it->second].idx[static_cast<size_t>(sr->second)];
    if (slot < 0) slot = static_cast<int64_t>(i);
  }
  return mods;
}

}  // namespace mwt::detail::analysis
