// describe_tensor_quantization: groups a tensor table's names into modules, classifies each
// module's quantization layout (scheme_tensors_methods.cpp), aggregates the modules into one
// entry per method, checks the config found beside the weights against them and adds the
// fake-quant findings of the float tensors.
#include "analysis/scheme_tensors.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "analysis/scheme.hpp"

namespace mwt::detail::analysis {

// ------------------------------------------------------------------ aggregation

namespace {

constexpr size_t kMaxExamples = 8;
constexpr size_t kMaxNotes = 8;

struct Entry {
  Method method;
  std::string sub;
  uint64_t modules = 0;
  uint64_t max_in = 0;
  std::map<std::pair<int, int64_t>, uint64_t> variants;
  std::vector<std::string> fact_order;
  std::map<std::string, std::map<Scalar, uint64_t>> facts;
  std::map<std::string, uint64_t> notes;
  std::string example;

  void add(const ModuleResult& r, const std::string& prefix) {
    if (modules++ == 0) example = prefix;
    max_in = std::max(max_in, r.in_features);
    ++variants[{r.bits, r.group_size}];
    for (const auto& [k, v] : r.facts) {
      auto [it, fresh] = facts.try_emplace(k);
      if (fresh) fact_order.push_back(k);
      ++it->second[v];
    }
    for (const std::string& n : r.notes)
      if (notes.size() < kMaxNotes || notes.count(n)) ++notes[n];
  }
  std::pair<int, int64_t> major() const {
    auto best = variants.begin();
    for (auto it = variants.begin(); it != variants.end(); ++it)
      if (it->second > best->second) best = it;
    return best->first;
  }
  std::optional<Scalar> fact(const std::string& k) const {
    const auto it = facts.find(k);
    if (it == facts.end() || it->second.empty()) return std::nullopt;
    auto best = it->second.begin();
    for (auto j = it->second.begin(); j != it->second.end(); ++j)
      if (j->second > best->second) best = j;
    return best->first;
  }
  std::string fact_str(const std::string& k) const {
    const auto f = fact(k);
    const auto* s = f ? std::get_if<std::string>(&*f) : nullptr;
    return s ? *s : std::string();
  }
  std::string label() const {
    switch (method) {
      case Method::GPTQ: return "GPTQ";
      case Method::AWQ: return "AWQ";
      case Method::BNB4: return sub == "unknown" ? "bitsandbytes-4bit" : "bitsandbytes-" + sub;
      case Method::BNB8: return "bitsandbytes-int8";
      case Method::FP8: return "FP8";
      case Method::CT: return "compressed-tensors";
      case Method::MLX: return "MLX";
    }
    return "unknown";
  }
};

void words_packing(JsonOut& o, const char* container, const char* axis, int bits,
                   unsigned word_bits) {
  o.field("container", container).field("axis", axis).field("order", "sequential");
  o.field("low_bits_first", true).field("bits_per_value", bits);
  if (word_bits % static_cast<unsigned>(bits) == 0) {
    o.field("values_per_word", static_cast<int64_t>(word_bits / static_cast<unsigned>(bits)));
    o.field("spans_words", false);
  } else {
    o.field("spans_words", true);  // a continuous little-endian bit stream over the words
  }
}

void write_packing(JsonOut& o, const Entry& e, int bits) {
  o.key("packing").begin_object();
  switch (e.method) {
    case Method::GPTQ:
      words_packing(o, "int32", "input", bits, 32);
      o.field("zeros_axis", "output");
      o.field("layout",
              "qweight int32 [in*bits/32, out]; qzeros int32 [groups, out*bits/32]; "
              "scales [groups, out]; g_idx int32 [in]");
      break;
    case Method::AWQ:
      o.field("container", "int32").field("axis", "output");
      o.field("order", bits == 4 ? "awq" : "sequential").field("low_bits_first", true);
      o.field("bits_per_value", bits);
      if (bits == 4) {
        // Nibble i of a word holds output column 8*word + interleave[i].
        o.key("interleave").begin_array();
        for (int v : {0, 2, 4, 6, 1, 3, 5, 7}) o.value(v);
        o.end_array();
      }
      o.field("values_per_word", static_cast<int64_t>(32 / bits));
      o.field("spans_words", false).field("zeros_axis", "output");
      o.field("layout",
              "qweight int32 [in, out*bits/32]; qzeros int32 [groups, out*bits/32]; "
              "scales [groups, out]");
      break;
    case Method::BNB4:
      o.field("container", "uint8").field("axis", "flattened").field("order", "high_nibble_first");
      o.field("bits_per_value", 4).field("values_per_word", 2).field("spans_words", false);
      o.field("layout",
              "weight uint8 [numel/2, 1]; absmax per block of blocksize values; "
              "quant_map 16-entry code book; quant_state JSON");
      break;
    case Method::BNB8:
      o.field("container", "int8").field("axis", "none").field("bits_per_value", 8);
      o.field("layout", "weight int8 [out, in]; SCB float32 [out] (absmax per row)");
      break;
    case Method::FP8: {
      const std::string fmt = e.fact_str("format");
      o.field("container", fmt == "e5m2"       ? "F8_E5M2"
                           : fmt == "e4m3fnuz" ? "F8_E4M3FNUZ"
                           : fmt == "e5m2fnuz" ? "F8_E5M2FNUZ"
                                               : "F8_E4M3");
      o.field("axis", "none").field("bits_per_value", 8);
      o.field("layout", "weight fp8 [out, in]; weight = fp8 value * scale");
      break;
    }
    case Method::CT: {
      const std::string fmt = e.fact_str("format");
      if (fmt == "int-quantized") {
        o.field("container", "int8").field("axis", "none").field("bits_per_value", 8);
        o.field("layout", "weight int8 [out, in]; weight_scale [out, groups]");
      } else if (fmt == "nvfp4-pack-quantized") {
        words_packing(o, "uint8", "input", 4, 8);
        o.field("value_format", "e2m1");
        o.field("layout",
                "weight_packed uint8 [out, in/2]; weight_scale F8_E4M3 [out, in/16]; "
                "weight_global_scale");
      } else {
        words_packing(o, "int32", "input", bits, 32);
        // Stored unsigned: the signed value plus 2^(bits-1).
        o.field("offset", static_cast<int64_t>(int64_t{1} << (bits > 0 ? bits - 1 : 0)));
        o.field("layout",
                "weight_packed int32 [out, in*bits/32]; weight_scale [out, groups]; "
                "weight_zero_point when asymmetric; weight_shape int64 [2]");
      }
      break;
    }
    case Method::MLX:
      if (e.fact_str("mode") == "mxfp4") {
        words_packing(o, "uint32", "input", 4, 32);
        o.field("value_format", "e2m1");
        o.field("layout", "weight uint32 [out, in/8]; scales uint8 E8M0 [out, in/32]");
      } else {
        words_packing(o, "uint32", "input", bits, 32);
        o.field("layout",
                "weight uint32 [out, in*bits/32]; scales and biases [out, in/group_size]; "
                "weight = scale * q + bias");
      }
      break;
  }
  o.end_object();
}

void write_entry(JsonOut& o, const Entry& e) {
  const auto [bits, gs] = e.major();
  o.begin_object();
  o.field("method", method_name(e.method)).field("bits", bits).field("group_size", gs);
  o.field("modules", e.modules);
  write_packing(o, e, bits);
  for (const std::string& k : e.fact_order) {
    o.key(k);
    write_scalar(o, *e.fact(k));
  }
  if (e.variants.size() > 1) {
    o.key("variants").begin_array();
    for (const auto& [v, n] : e.variants)
      o.begin_object()
          .field("bits", v.first)
          .field("group_size", v.second)
          .field("modules", n)
          .end_object();
    o.end_array();
  }
  bool mixed = false;
  for (const auto& [k, hist] : e.facts) mixed = mixed || hist.size() > 1;
  if (mixed) {
    // Facts on which the modules differ: every value with its module count.
    o.key("mixed_facts").begin_object();
    for (const std::string& k : e.fact_order) {
      const auto& hist = e.facts.at(k);
      if (hist.size() < 2) continue;
      o.key(k).begin_object();
      for (const auto& [v, n] : hist) o.field(scalar_text(v), n);
      o.end_object();
    }
    o.end_object();
  }
  if (!e.notes.empty()) {
    o.key("notes").begin_array();
    for (const auto& [n, count] : e.notes) o.value(n + " (" + std::to_string(count) + " modules)");
    o.end_array();
  }
  o.field("example", std::string_view(e.example));
  o.end_object();
}

// ------------------------------------------------------------------ config vs tensors

void disagree(std::vector<Disagreement>& out, const char* method, const char* field, Scalar cfg,
              Scalar tensors) {
  Disagreement d;
  d.method = method;
  d.field = field;
  d.config = std::move(cfg);
  d.tensors = std::move(tensors);
  out.push_back(std::move(d));
}

// The methods a config's quant_method can describe; empty when it names none (or none at all).
std::vector<Method> config_methods(const QuantConfig& c) {
  const std::string& m = c.quant_method;
  if (m == "gptq") return {Method::GPTQ};
  if (m == "awq") return {Method::AWQ};
  if (m == "bitsandbytes" || m == "bitsandbytes_4bit" || m == "bitsandbytes_8bit" ||
      (m.empty() && (c.load_in_4bit.value_or(false) || c.load_in_8bit.value_or(false))))
    return {Method::BNB4, Method::BNB8};
  if (m == "fp8" || m == "fbgemm_fp8") return {Method::FP8};
  if (m == "compressed-tensors") return {Method::CT, Method::FP8};
  if (m == "mlx") return {Method::MLX};
  return {};
}

void compare_fact_bool(std::vector<Disagreement>& d, const Entry& e, const std::optional<bool>& cfg,
                       const char* cfg_name, const char* fact) {
  if (!cfg) return;
  const auto f = e.fact(fact);
  const bool* b = f ? std::get_if<bool>(&*f) : nullptr;
  if (b && *b != *cfg) disagree(d, method_name(e.method), cfg_name, *cfg, *b);
}

void compare_config(const QuantConfig& c, const std::vector<Entry>& entries,
                    std::vector<Disagreement>& d, std::vector<std::string>& warnings) {
  const std::vector<Method> want = config_methods(c);
  if (want.empty()) {
    if (!c.quant_method.empty())
      warnings.push_back("quant_method " + c.quant_method +
                         " is not one the tensor detection knows");
    return;
  }
  const Entry* e = nullptr;
  for (const Entry& x : entries)
    if (std::count(want.begin(), want.end(), x.method) && (!e || x.modules > e->modules)) e = &x;
  if (!e) {
    std::string found;
    for (const Entry& x : entries)
      found += (found.empty() ? "" : ",") + std::string(method_name(x.method));
    disagree(d, "", "quant_method", c.quant_method.empty() ? "bitsandbytes" : c.quant_method,
             found.empty() ? "none" : found);
    return;
  }
  const char* mname = method_name(e->method);
  const auto [bits, gs] = e->major();
  const Method m = e->method;
  if (c.bits && (m == Method::GPTQ || m == Method::AWQ || m == Method::CT || m == Method::FP8) &&
      *c.bits != bits)
    disagree(d, mname, "bits", *c.bits, static_cast<int64_t>(bits));
  if (m == Method::GPTQ || m == Method::AWQ || m == Method::CT) {
    std::optional<int64_t> cgs = c.group_size;
    if (!cgs && (c.strategy == "channel" || c.strategy == "tensor")) cgs = -1;
    if (cgs) {
      const int64_t want_gs = *cgs <= 0 ? -1 : *cgs;
      // One group spanning the whole input dim is -1 in the tensors, whatever the config says.
      const bool same =
          want_gs == gs || (gs == -1 && want_gs > 0 && static_cast<uint64_t>(want_gs) >= e->max_in);
      if (!same) disagree(d, mname, "group_size", want_gs, gs);
    }
  }
  switch (m) {
    case Method::GPTQ: {
      if (gs != -1) compare_fact_bool(d, *e, c.desc_act, "desc_act", "desc_act");
      compare_fact_bool(d, *e, c.sym, "sym", "sym");
      const std::string stored = e->fact_str("zeros_stored");
      if (!stored.empty() && (c.checkpoint_format == "gptq" || c.checkpoint_format == "gptq_v2")) {
        const bool v2 = c.checkpoint_format == "gptq_v2";
        if (v2 != (stored == "zero"))
          disagree(d, mname, "checkpoint_format", c.checkpoint_format,
                   std::string(stored == "zero" ? "gptq_v2" : "gptq"));
      }
      break;
    }
    case Method::AWQ:
      compare_fact_bool(d, *e, c.zero_point, "zero_point", "zero_point");
      if (!c.version.empty() && c.version != "gemm")
        disagree(d, mname, "version", c.version, std::string("gemm"));
      break;
    case Method::BNB4:
    case Method::BNB8: {
      bool has4 = false, has8 = false;
      for (const Entry& x : entries) {
        has4 = has4 || x.method == Method::BNB4;
        has8 = has8 || x.method == Method::BNB8;
      }
      if (c.load_in_4bit.value_or(false) && !has4) disagree(d, mname, "load_in_4bit", true, false);
      if (c.load_in_8bit.value_or(false) && !has8) disagree(d, mname, "load_in_8bit", true, false);
      for (const Entry& x : entries) {
        if (x.method != Method::BNB4) continue;
        if (!c.bnb_quant_type.empty() && x.sub != "unknown" && x.sub != c.bnb_quant_type)
          disagree(d, mname, "bnb_4bit_quant_type", c.bnb_quant_type, x.sub);
        compare_fact_bool(d, x, c.double_quant, "bnb_4bit_use_double_quant", "double_quant");
      }
      break;
    }
    case Method::FP8: {
      const std::string fmt = e->fact_str("format");
      if (!c.fp8_format.empty() && c.fp8_format != fmt)
        disagree(d, mname, "fmt", c.fp8_format, fmt);
      if (c.block_size) {
        const std::vector<int64_t> cb{(*c.block_size)[0], (*c.block_size)[1]};
        const std::string layout = e->fact_str("scale_layout");
        if (layout != "block") {
          disagree(d, mname, "weight_block_size", cb, layout);
        } else if (const auto f = e->fact("block_size"); f && *f != Scalar(cb)) {
          disagree(d, mname, "weight_block_size", cb, *f);
        }
      }
      break;
    }
    case Method::CT: {
      const std::string fmt = e->fact_str("format");
      if (!c.format.empty() && c.format != fmt && c.format != "mixed-precision")
        disagree(d, mname, "format", c.format, fmt);
      compare_fact_bool(d, *e, c.sym, "sym", "sym");
      compare_fact_bool(d, *e, c.desc_act, "actorder", "actorder");
      break;
    }
    case Method::MLX: break;  // compared per module while classifying
  }
}

void write_config(JsonOut& o, const QuantConfig& c, const std::vector<Disagreement>& d,
                  const std::vector<std::string>& extra_warnings) {
  o.key("config").begin_object();
  o.key("sources").begin_array();
  for (const std::string& s : c.sources) o.value(std::string_view(s));
  o.end_array();
  for (const auto& [k, v] : c.fields) {
    o.key(k);
    write_scalar(o, v);
  }
  if (!c.module_overrides.empty())
    o.field("module_overrides", static_cast<uint64_t>(c.module_overrides.size()));
  if (!c.warnings.empty() || !extra_warnings.empty()) {
    o.key("warnings").begin_array();
    for (const std::string& w : c.warnings) o.value(std::string_view(w));
    for (const std::string& w : extra_warnings) o.value(std::string_view(w));
    o.end_array();
  }
  o.key("disagreements").begin_array();
  for (const Disagreement& x : d) {
    o.begin_object()
        .field("method", std::string_view(x.method))
        .field("field", std::string_view(x.field));
    o.key("config");
    write_scalar(o, x.config);
    o.key("tensors");
    write_scalar(o, x.tensors);
    if (x.modules > 1) o.field("modules", x.modules);
    o.end_object();
  }
  o.end_array();
  o.end_object();
}

}  // namespace

void describe_tensor_quantization(const WeightFile& file, JsonOut& out) {
  const QuantConfig cfg = read_quant_config(file);
  const std::vector<Module> modules = group_modules(file);
  ClassifyContext ctx(file, cfg);
  for (const TensorInfo& t : file.tensors) {
    if (t.shape.size() == 1 && is_float_dtype(t.dtype)) ctx.known_dims.push_back(t.shape[0]);
    if (t.shape.size() >= 2) ctx.known_dims.push_back(t.shape[0]);
    if (t.shape.size() == 2 && is_float_dtype(t.dtype)) ctx.known_dims.push_back(t.shape[1]);
  }
  std::sort(ctx.known_dims.begin(), ctx.known_dims.end());
  ctx.known_dims.erase(std::unique(ctx.known_dims.begin(), ctx.known_dims.end()),
                       ctx.known_dims.end());
  resolve_fp8_blocks(ctx, modules);

  std::vector<Entry> entries;
  std::vector<size_t> float_weights;
  std::vector<Disagreement> module_disagreements;
  uint64_t unrecognized = 0;
  std::vector<std::string> unrecognized_examples;
  for (const Module& m : modules) {
    const TensorInfo* w = m.get(file, Role::WEIGHT);
    if (!m.has_quant_role() && (!w || is_float_dtype(w->dtype) || w->dtype == DType::F64 ||
                                w->dtype == DType::BOOL || w->dtype == DType::I64)) {
      if (w && is_float_dtype(w->dtype) && w->shape.size() == 2)
        float_weights.push_back(static_cast<size_t>(m.idx[static_cast<size_t>(Role::WEIGHT)]));
      continue;
    }
    std::optional<ModuleResult> r = classify_module(ctx, m);
    if (!r) {
      if (++unrecognized <= kMaxExamples) {
        std::string roles;
        for (size_t i = 0; i < kRoleCount; ++i)
          if (m.idx[i] >= 0)
            roles += (roles.empty() ? "" : ", ") + std::string(role_name(static_cast<Role>(i)));
        unrecognized_examples.push_back(m.prefix + " (" + roles + ")");
      }
      continue;
    }
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.method == r->method && e.sub == r->sub;
    });
    if (it == entries.end()) {
      entries.emplace_back();
      entries.back().method = r->method;
      entries.back().sub = r->sub;
      it = entries.end() - 1;
    }
    it->add(*r, m.prefix);
    for (Disagreement& d : r->disagreements) {
      auto same = std::find_if(module_disagreements.begin(), module_disagreements.end(),
                               [&](const Disagreement& x) {
                                 return x.method == d.method && x.field == d.field &&
                                        x.config == d.config && x.tensors == d.tensors;
                               });
      if (same != module_disagreements.end())
        ++same->modules;
      else if (module_disagreements.size() < 64)
        module_disagreements.push_back(std::move(d));
    }
  }

  const FakeQuantReport fq = detect_fake_quant(file, float_weights);

  if (entries.size() == 1)
    out.field("scheme", std::string_view(entries[0].label()));
  else if (entries.size() > 1)
    out.field("scheme", "mixed");
  else
    out.field("scheme", fq.found.empty() ? "none" : "fake-quant");

  out.key("methods").begin_array();
  for (const Entry& e : entries) write_entry(out, e);
  out.end_array();

  out.key("fake_quant").begin_array();
  for (const FakeQuantFinding& f : fq.found) {
    out.begin_object().field("tensor", std::string_view(f.tensor)).field("bits", f.bits);
    out.field("group_size", f.group_size).field("levels", f.levels).end_object();
  }
  out.end_array();
  out.field("fake_quant_checked", fq.checked).field("float_weights", fq.float_tensors);

  if (cfg.found || !cfg.warnings.empty()) {
    std::vector<Disagreement> d;
    std::vector<std::string> warnings;
    if (cfg.found) compare_config(cfg, entries, d, warnings);
    for (Disagreement& x : module_disagreements) d.push_back(std::move(x));
    write_config(out, cfg, d, warnings);
  }

  if (unrecognized > 0) {
    out.key("unrecognized").begin_object().field("modules", unrecognized);
    out.key("examples").begin_array();
    for (const std::string& s : unrecognized_examples) out.value(std::string_view(s));
    out.end_array().end_object();
  }
}

}  // namespace mwt::detail::analysis
