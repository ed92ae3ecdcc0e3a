// Tests of analysis/ftype.hpp (llama.cpp's per-tensor type rules for GGUF file types) and of the
// GGUF part of the quantization report (analysis/scheme_gguf.cpp): the use_more_bits layer
// pattern for 24 and 32 layers as docs/quant-blocks.md#per-tensor-rules lists it, the output /
// tied-embedding rule, the row fallbacks, the neighbouring file types' differences, and file
// type inference recovering every modelled file type from the types its own rules produce.
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "analysis/ftype.hpp"
#include "analysis/scheme.hpp"
#include "core/dtype.hpp"
#include "formats/weight_file.hpp"

using namespace mwt::detail;
using namespace mwt::detail::analysis;

namespace {

struct Spec {
  std::string name;
  DType type;
  std::vector<uint64_t> shape;
};

// A LLaMA-shaped tensor list in llama.cpp's converter order.
std::vector<Spec> llama_tensors(int n_layer, uint64_t hidden, uint64_t ffn, uint64_t kv,
                                bool output, DType mat = DType::F16) {
  std::vector<Spec> v;
  v.push_back({"token_embd.weight", mat, {1000, hidden}});
  for (int i = 0; i < n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    v.push_back({p + "attn_norm.weight", DType::F32, {hidden}});
    v.push_back({p + "attn_q.weight", mat, {hidden, hidden}});
    v.push_back({p + "attn_k.weight", mat, {kv, hidden}});
    v.push_back({p + "attn_v.weight", mat, {kv, hidden}});
    v.push_back({p + "attn_output.weight", mat, {hidden, hidden}});
    v.push_back({p + "ffn_norm.weight", DType::F32, {hidden}});
    v.push_back({p + "ffn_gate.weight", mat, {ffn, hidden}});
    v.push_back({p + "ffn_up.weight", mat, {ffn, hidden}});
    v.push_back({p + "ffn_down.weight", mat, {hidden, ffn}});
  }
  v.push_back({"output_norm.weight", DType::F32, {hidden}});
  if (output) v.push_back({"output.weight", mat, {1000, hidden}});
  return v;
}

std::vector<DType> plan(const char* ft, const ModelFacts& m, const std::vector<Spec>& specs) {
  const FileTypeInfo* info = file_type_from_name(ft);
  REQUIRE(info != nullptr);
  std::vector<PlanTensor> p;
  for (const Spec& s : specs) p.push_back({s.name, s.type, s.shape});
  return plan_tensor_types(*info, m, p);
}

DType type_of(const std::vector<Spec>& specs, const std::vector<DType>& types,
              const std::string& n) {
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == n) return types[i];
  FAIL("no tensor " << n);
  return DType::F32;
}

std::set<int> layers_with(const std::vector<Spec>& specs, const std::vector<DType>& types,
                          const std::string& kind, DType t) {
  std::set<int> out;
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name.rfind("blk.", 0) == 0 && specs[i].name.find(kind) != std::string::npos &&
        types[i] == t)
      out.insert(std::stoi(specs[i].name.substr(4)));
  return out;
}

ModelFacts facts(uint32_t n_layer, uint32_t gqa = 1) {
  ModelFacts m;
  m.n_layer = n_layer;
  m.n_gqa = gqa;
  return m;
}

// A GGUF-shaped WeightFile (no data: the GGUF report reads names, types and shapes only).
WeightFile gguf_file(const std::vector<Spec>& specs, const std::vector<DType>& types,
                     int64_t file_type, uint32_t n_layer) {
  WeightFile f;
  f.format = Format::GGUF;
  f.version = 3;
  auto add_u32 = [&f](const char* key, uint64_t v) {
    MetaEntry e;
    e.key = f.intern(key);
    e.value.type = ValueType::U32;
    e.value.scalar_bits = v;
    f.metadata.push_back(e);
  };
  MetaEntry arch;
  arch.key = f.intern("general.architecture");
  arch.value.type = ValueType::STRING;
  arch.value.str = f.intern("llama");
  f.metadata.push_back(arch);
  add_u32("llama.block_count", n_layer);
  add_u32("llama.attention.head_count", 8);
  add_u32("llama.attention.head_count_kv", 8);
  if (file_type >= 0) add_u32("general.file_type", static_cast<uint64_t>(file_type));
  for (size_t i = 0; i < specs.size(); ++i) {
    TensorInfo t;
    t.name = specs[i].name;
    t.dtype = types[i];
    t.shape = specs[i].shape;
    t.numel = 1;
    for (uint64_t d : t.shape) t.numel *= d;
    t.nbytes = dtype_nbytes(*dtype_info(static_cast<uint32_t>(t.dtype)), t.numel, "t", 0);
    f.tensors.push_back(t);
  }
  f.build_index();
  return f;
}

struct Report {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  explicit Report(const WeightFile& f) {
    JsonOut out;
    out.begin_object();
    describe_gguf_quantization(f, out);
    out.end_object();
    text = out.take();
    root = parser.parse(text);
  }
  std::string text;
};

}  // namespace

TEST_CASE("file type table and names", "[ftype]") {
  REQUIRE(file_type_from_name("Q4_K_M")->value == 15);
  REQUIRE(file_type_from_name("mostly_q4_k_m")->value == 15);
  REQUIRE(file_type_from_name("ALL_F32")->value == 0);
  REQUIRE(file_type_from_name("F16")->value == 1);
  REQUIRE(file_type_from_name("Q4_K") == nullptr);
  REQUIRE(file_type_info(15)->base == DType::Q4_K);
  REQUIRE(file_type_info(4) == nullptr);          // removed Q4_1_SOME_F16
  REQUIRE(file_type_info(33) == nullptr);         // removed Q4_0_4_4
  REQUIRE(file_type_info(1024 | 15) == nullptr);  // callers clear GUESSED first
  std::set<uint32_t> seen;
  for (const FileTypeInfo& f : file_types()) REQUIRE(seen.insert(f.value).second);
}

TEST_CASE("what llama.cpp quantizes", "[ftype]") {
  const std::vector<uint64_t> mat = {64, 256}, vec = {256}, one_row = {1, 256};
  REQUIRE(is_quantizable("blk.0.attn_q.weight", mat));
  REQUIRE_FALSE(is_quantizable("blk.0.attn_q.bias", mat));
  REQUIRE_FALSE(is_quantizable("blk.0.attn_norm.weight", vec));
  REQUIRE_FALSE(is_quantizable("blk.0.attn_norm.weight", mat));  // *_norm.weight never
  REQUIRE_FALSE(is_quantizable("blk.0.ffn_gate_inp.weight", mat));
  REQUIRE_FALSE(is_quantizable("position_embd.weight", mat));
  REQUIRE_FALSE(is_quantizable("blk.0.ssm_conv1d.weight", mat));
  REQUIRE_FALSE(is_quantizable("blk.0.attn_q.weight", one_row));  // ggml n_dims is 1
  REQUIRE(is_quantizable("output.weight", mat));
}

TEST_CASE("Q4_K_M: use_more_bits layers, output, fallbacks", "[ftype]") {
  SECTION("32 layers") {
    const auto specs = llama_tensors(32, 256, 512, 256, true);
    const auto t = plan("Q4_K_M", facts(32), specs);
    const std::set<int> want = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};
    REQUIRE(layers_with(specs, t, "ffn_down", DType::Q6_K) == want);
    REQUIRE(layers_with(specs, t, "attn_v", DType::Q6_K) == want);
    REQUIRE(layers_with(specs, t, "ffn_down", DType::Q4_K).size() == 16);
    REQUIRE(layers_with(specs, t, "attn_q", DType::Q4_K).size() == 32);
    REQUIRE(layers_with(specs, t, "attn_output", DType::Q4_K).size() == 32);
    REQUIRE(type_of(specs, t, "output.weight") == DType::Q6_K);
    REQUIRE(type_of(specs, t, "token_embd.weight") == DType::Q4_K);
    REQUIRE(type_of(specs, t, "blk.0.attn_norm.weight") == DType::F32);
  }
  SECTION("24 layers") {
    const auto specs = llama_tensors(24, 256, 512, 256, true);
    const auto t = plan("Q4_K_M", facts(24), specs);
    const std::set<int> want = {0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23};
    REQUIRE(layers_with(specs, t, "ffn_down", DType::Q6_K) == want);
  }
  SECTION("tied embeddings get the output rule") {
    const auto specs = llama_tensors(4, 256, 512, 256, false);
    const auto t = plan("Q4_K_M", facts(4), specs);
    REQUIRE(type_of(specs, t, "token_embd.weight") == DType::Q6_K);
  }
  SECTION("rows that are not whole super-blocks") {
    // hidden 64: Q4_K -> Q5_0, Q6_K -> Q8_0, output (row % 256) -> Q8_0; ffn row 96 -> Q5_0 / Q8_0.
    const auto specs = llama_tensors(8, 64, 96, 32, true);
    const auto t = plan("Q4_K_M", facts(8), specs);
    REQUIRE(type_of(specs, t, "blk.4.attn_q.weight") == DType::Q5_0);
    REQUIRE(type_of(specs, t, "blk.0.attn_v.weight") == DType::Q8_0);
    REQUIRE(type_of(specs, t, "blk.4.ffn_down.weight") == DType::Q5_0);
    REQUIRE(type_of(specs, t, "blk.0.ffn_down.weight") == DType::Q8_0);
    REQUIRE(type_of(specs, t, "output.weight") == DType::Q8_0);
    // Row 40: no 32-value type fits either -> F16.
    const std::vector<Spec> odd = {{"blk.0.attn_q.weight", DType::F32, {8, 40}}};
    REQUIRE(plan("Q4_K_M", facts(1), odd)[0] == DType::F16);
    REQUIRE(plan("Q4_0", facts(1), odd)[0] == DType::F16);
    REQUIRE(plan("Q3_K_M", facts(1), llama_tensors(1, 64, 64, 64, true))[2] == DType::IQ4_NL);
  }
}

TEST_CASE("neighbouring file types differ where llama.cpp's rules say", "[ftype]") {
  const auto specs = llama_tensors(16, 256, 512, 256, true);
  const ModelFacts m = facts(16);
  const auto s = plan("Q4_K_S", m, specs);
  REQUIRE(layers_with(specs, s, "attn_v", DType::Q5_K) == std::set<int>{0, 1, 2, 3});
  REQUIRE(layers_with(specs, s, "ffn_down", DType::Q5_K) == std::set<int>{0, 1});
  REQUIRE(layers_with(specs, s, "", DType::Q6_K).empty());
  REQUIRE(type_of(specs, s, "output.weight") == DType::Q6_K);

  const auto q3m = plan("Q3_K_M", m, specs);
  REQUIRE(layers_with(specs, q3m, "attn_v", DType::Q5_K) == std::set<int>{0, 1});
  REQUIRE(layers_with(specs, q3m, "attn_v", DType::Q4_K).size() == 14);
  REQUIRE(layers_with(specs, q3m, "ffn_down", DType::Q5_K) == std::set<int>{0});
  REQUIRE(layers_with(specs, q3m, "attn_output", DType::Q4_K).size() == 16);
  REQUIRE(layers_with(specs, q3m, "attn_q", DType::Q3_K).size() == 16);

  const auto q3l = plan("Q3_K_L", m, specs);
  REQUIRE(layers_with(specs, q3l, "attn_output", DType::Q5_K).size() == 16);
  REQUIRE(layers_with(specs, q3l, "ffn_down", DType::Q5_K).size() == 16);

  const auto q2 = plan("Q2_K", m, specs);
  REQUIRE(layers_with(specs, q2, "attn_v", DType::Q3_K).size() == 16);  // GQA 1
  REQUIRE(layers_with(specs, plan("Q2_K", facts(16, 4), specs), "attn_v", DType::Q4_K).size() ==
          16);
  REQUIRE(layers_with(specs, q2, "ffn_down", DType::Q3_K).size() == 16);

  const auto q8 = plan("Q8_0", m, specs);
  REQUIRE(type_of(specs, q8, "output.weight") == DType::Q8_0);
  const auto q40 = plan("Q4_0", m, specs);
  REQUIRE(type_of(specs, q40, "output.weight") == DType::Q6_K);
  REQUIRE(type_of(specs, q40, "blk.3.ffn_down.weight") == DType::Q4_0);
  const auto f16 = plan("F16", m, specs);
  REQUIRE(type_of(specs, f16, "output.weight") == DType::F16);
  REQUIRE(type_of(specs, f16, "blk.0.ffn_norm.weight") == DType::F32);

  ModelFacts moe = m;
  moe.n_expert = 8;
  const auto e = plan("Q4_K_M", moe, specs);
  REQUIRE(layers_with(specs, e, "attn_v", DType::Q8_0).size() == 16);
  REQUIRE(layers_with(specs, e, "attn_k", DType::Q8_0).size() == 16);
  REQUIRE(layers_with(specs, e, "attn_output", DType::Q5_K).size() == 16);
}

TEST_CASE("GGUF report: inference recovers every modelled file type", "[ftype][scheme]") {
  const auto specs = llama_tensors(16, 256, 512, 256, true);
  const ModelFacts m = facts(16, 1);
  for (const FileTypeInfo& ft : file_types()) {
    if (!ft.has_rules) continue;
    INFO(ft.name);
    const auto types = plan(std::string(ft.name).c_str(), m, specs);
    for (int64_t stated : {static_cast<int64_t>(ft.value), int64_t{-1}}) {
      const WeightFile f = gguf_file(specs, types, stated, 16);
      Report r(f);
      INFO(r.text);
      auto inferred = r.root["file_type"]["inferred"];
      const int64_t got = int64_t(inferred["value"]);
      // Several file types can give identical plans (e.g. Q5_0 / Q5_1 differ only in base); then
      // any of them is right as long as its plan reproduces the file exactly.
      const auto got_plan =
          plan(std::string(file_type_info(static_cast<uint32_t>(got))->name).c_str(), m, specs);
      REQUIRE(got_plan == types);
      REQUIRE(uint64_t(inferred["matched"]) == uint64_t(inferred["of"]));
      REQUIRE(std::string_view(inferred["method"]) == "rules");
      if (stated >= 0) {
        REQUIRE(std::string_view(r.root["scheme"]) == ft.name);
        REQUIRE(bool(r.root["file_type"]["agree"]) == (got == stated));
      } else {
        REQUIRE(r.root["file_type"]["stated"].is_null());
        REQUIRE(r.root["file_type"]["agree"].is_null());
      }
    }
  }
}

TEST_CASE("GGUF report: histogram, bits per weight, groups, disagreement", "[scheme]") {
  const auto specs = llama_tensors(8, 256, 512, 256, true);
  const auto types = plan("Q4_K_M", facts(8), specs);
  // Stated Q8_0 on a Q4_K_M mix: reported, inferred Q4_K_M, agree false.
  const WeightFile f = gguf_file(specs, types, 7, 8);
  Report r(f);
  INFO(r.text);
  REQUIRE(std::string_view(r.root["scheme"]) == "Q8_0");
  REQUIRE(std::string_view(r.root["file_type"]["stated"]["name"]) == "Q8_0");
  REQUIRE(std::string_view(r.root["file_type"]["inferred"]["name"]) == "Q4_K_M");
  REQUIRE_FALSE(bool(r.root["file_type"]["agree"]));
  uint64_t tensors = 0, bytes = 0, params = 0;
  for (auto h : r.root["histogram"].get_array()) {
    tensors += uint64_t(h["tensors"]);
    bytes += uint64_t(h["bytes"]);
    params += uint64_t(h["params"]);
  }
  REQUIRE(tensors == specs.size());
  REQUIRE(bytes == uint64_t(r.root["bytes"]));
  REQUIRE(params == uint64_t(r.root["params"]));
  REQUIRE(double(r.root["bits_per_weight"]) == Approx(8.0 * double(bytes) / double(params)));
  // Q4_K is 4.5 bpw, Q6_K 6.5625: the quantizable mix lies between.
  const double qbpw = double(r.root["quantizable_bits_per_weight"]);
  REQUIRE(qbpw > 4.5);
  REQUIRE(qbpw < 6.5625);
  bool saw_v = false;
  for (auto g : r.root["groups"].get_array()) {
    if (std::string_view(g["group"]) != "attn_v") continue;
    saw_v = true;
    REQUIRE(uint64_t(g["tensors"]) == 8);
    // use_more_bits(i, 8): layers 0, 7 and (i - 1) % 3 == 2 -> 3, 6.
    REQUIRE(uint64_t(g["types"]["Q6_K"]) == 4);
    REQUIRE(uint64_t(g["types"]["Q4_K"]) == 4);
  }
  REQUIRE(saw_v);

  SECTION("hostile general.file_type values are reported, not trusted") {
    WeightFile g = gguf_file(specs, types, 999, 8);
    Report r2(g);
    REQUIRE(r2.root["file_type"]["stated"]["name"].is_null());
    REQUIRE(std::string_view(r2.root["scheme"]) == "Q4_K_M");  // falls back to the inference
    WeightFile h = gguf_file(specs, types, 15 | 1024, 8);
    Report r3(h);
    REQUIRE(bool(r3.root["file_type"]["stated"]["guessed"]));
    REQUIRE(bool(r3.root["file_type"]["agree"]));
  }
  SECTION("majority fallback for mixes without modelled rules") {
    std::vector<DType> iq = types;
    for (size_t i = 0; i < specs.size(); ++i)
      if (is_quantizable(specs[i].name, specs[i].shape)) iq[i] = DType::IQ4_XS;
    WeightFile g = gguf_file(specs, iq, -1, 8);
    Report r2(g);
    REQUIRE(std::string_view(r2.root["file_type"]["inferred"]["name"]) == "IQ4_XS");
    REQUIRE(std::string_view(r2.root["file_type"]["inferred"]["method"]) == "majority");
  }
}
