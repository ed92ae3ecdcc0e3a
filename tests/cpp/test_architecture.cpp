// Architecture reconstruction (analysis/architecture*.cpp) and the name table (analysis/names*):
// in-memory tensor tables laid out as transformers and llama.cpp's converter name them, with
// sizes chosen here, the JSON report parsed back with simdjson and checked against those sizes;
// stated values from GGUF metadata and config.json with disagreements; hostile config.json
// texts; name round trips over every row of the table; the C ABI calls.
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "analysis/architecture.hpp"
#include "analysis/names.hpp"
#include "core/mapped_file.hpp"
#include "formats/weight_file.hpp"
#include "mwt/mwt.h"
#include "st_bytes.hpp"  // TempDir

using namespace mwt::detail;
using namespace mwt::detail::analysis;
namespace dom = simdjson::dom;

namespace {

struct T {
  std::string name;
  std::vector<uint64_t> shape;
  DType dtype = DType::F32;
};

uint64_t numel(const std::vector<uint64_t>& s) {
  return std::accumulate(s.begin(), s.end(), uint64_t{1}, std::multiplies<uint64_t>());
}

// A table of F32 tensors (bytes: the tensor's index, so no two tensors hold the same data) with
// optional metadata, backed by one in-memory (or named on-disk) file.
struct Table {
  std::vector<T> ts;
  Format format = Format::SAFETENSORS;
  std::vector<std::pair<std::string, MetaValue>> meta;
  std::vector<std::string> keys;  // owns the metadata keys and strings

  Table& add(std::string name, std::vector<uint64_t> shape, DType dt = DType::F32) {
    ts.push_back({std::move(name), std::move(shape), dt});
    return *this;
  }
  static uint64_t width(DType d) { return d == DType::F16 || d == DType::BF16 ? 2 : 4; }
  Table& u32(const std::string& key, uint32_t v) {
    MetaValue m;
    m.type = ValueType::U32;
    m.scalar_bits = v;
    meta.emplace_back(key, m);
    return *this;
  }
  Table& str(const std::string& key, const std::string& v) {
    MetaValue m;
    m.type = ValueType::STRING;
    meta.emplace_back(key, m);
    keys.push_back(v);
    return *this;
  }
  uint64_t total() const {
    uint64_t n = 0;
    for (const T& t : ts) n += numel(t.shape);
    return n;
  }
  std::unique_ptr<WeightFile> build(const std::string& path = "in-memory.safetensors") {
    std::vector<uint8_t> all;
    std::vector<uint64_t> offs;
    for (size_t i = 0; i < ts.size(); ++i) {
      offs.push_back(all.size());
      all.insert(all.end(), numel(ts[i].shape) * width(ts[i].dtype), static_cast<uint8_t>(i + 1));
    }
    auto wf = std::make_unique<WeightFile>();
    wf->format = format;
    wf->files.push_back(MappedFile::from_bytes(std::move(all), path));
    const uint8_t* base = wf->files[0]->data();
    for (size_t i = 0; i < ts.size(); ++i) {
      TensorInfo t;
      t.name = ts[i].name;
      t.dtype = ts[i].dtype;
      t.shape = ts[i].shape;
      t.numel = numel(t.shape);
      t.nbytes = t.numel * width(t.dtype);
      t.offset = offs[i];
      t.data = t.nbytes ? base + offs[i] : nullptr;
      wf->tensors.push_back(std::move(t));
    }
    size_t s = 0;
    for (auto& [k, v] : meta) {
      MetaEntry e;
      e.key = wf->intern(k);
      e.value = v;
      if (v.type == ValueType::STRING) e.value.str = wf->intern(keys[s++]);
      wf->metadata.push_back(std::move(e));
    }
    wf->build_index();
    return wf;
  }
};

// A llama-style decoder: L layers, hidden h, q width q, k/v width k, MLP width ff, vocab v.
Table llama_like(int L, uint64_t h, uint64_t q, uint64_t k, uint64_t ff, uint64_t v, bool head,
                 bool q_norm_per_head = false, uint64_t head_dim = 0) {
  Table t;
  t.add("model.embed_tokens.weight", {v, h}).add("model.norm.weight", {h});
  if (head) t.add("lm_head.weight", {v, h});
  for (int i = 0; i < L; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t.add(p + "input_layernorm.weight", {h})
        .add(p + "post_attention_layernorm.weight", {h})
        .add(p + "self_attn.q_proj.weight", {q, h})
        .add(p + "self_attn.k_proj.weight", {k, h})
        .add(p + "self_attn.v_proj.weight", {k, h})
        .add(p + "self_attn.o_proj.weight", {h, q})
        .add(p + "mlp.gate_proj.weight", {ff, h})
        .add(p + "mlp.up_proj.weight", {ff, h})
        .add(p + "mlp.down_proj.weight", {h, ff});
    if (q_norm_per_head)
      t.add(p + "self_attn.q_norm.weight", {head_dim})
          .add(p + "self_attn.k_norm.weight", {head_dim});
  }
  return t;
}

dom::element parse(dom::parser& parser, const std::string& json) {
  dom::element e;
  REQUIRE(parser.parse(json).get(e) == simdjson::SUCCESS);
  return e;
}

int64_t ival(dom::element a, const char* field) {
  int64_t v = 0;
  REQUIRE(a[field]["value"].get_int64().get(v) == simdjson::SUCCESS);
  return v;
}
std::string source(dom::element a, const char* field) {
  std::string_view s;
  REQUIRE(a[field]["source"].get_string().get(s) == simdjson::SUCCESS);
  return std::string(s);
}

}  // namespace

TEST_CASE("architecture: llama-named decoder, heads not in the shapes", "[analysis]") {
  Table t = llama_like(3, 64, 96, 48, 176, 257, false);
  auto wf = t.build();
  const std::string json = architecture_json(*wf, {});
  dom::parser p;
  dom::element a = parse(p, json);
  CHECK(ival(a, "num_layers") == 3);
  CHECK(source(a, "num_layers") == "shapes");
  CHECK(ival(a, "hidden_size") == 64);
  CHECK(ival(a, "intermediate_size") == 176);
  CHECK(ival(a, "vocab_size") == 257);
  // No lm_head tensor: tied, and the embedding counted once (it is one tensor).
  CHECK(a["tied_embeddings"]["value"].get_bool().value() == true);
  // llama and mistral share every name: both are candidates.
  CHECK(source(a, "family") == "inferred");
  std::vector<std::string> cands;
  dom::array ca;
  REQUIRE(a["family"]["candidates"].get_array().get(ca) == simdjson::SUCCESS);
  for (dom::element c : ca) cands.emplace_back(std::string_view(c.get_string().value()));
  CHECK(std::count(cands.begin(), cands.end(), "llama") == 1);
  CHECK(std::count(cands.begin(), cands.end(), "mistral") == 1);
  // head_dim is a guess, with candidates that include the widths' common divisors.
  CHECK(source(a, "head_dim") == "inferred");
  CHECK(a["parameter_count"]["total"].get_uint64().value() == t.total());
  CHECK(a["parameter_count"]["embedding"].get_uint64().value() == 257 * 64);
  CHECK(a["gated_mlp"]["value"].get_bool().value() == true);
  CHECK(a["moe"].is_null());
}

TEST_CASE("architecture: per-head q_norm decides heads; config.json disagreements", "[analysis]") {
  st_test::TempDir dir;
  const std::string path = dir / "model.safetensors";
  { std::ofstream(path) << "x"; }  // a regular file for the directory lookup
  Table t = llama_like(2, 64, 4 * 24, 2 * 24, 176, 257, true, true, 24);
  auto wf = t.build(path);
  dom::parser p;
  {
    dom::element a = parse(p, architecture_json(*wf, {}));
    CHECK(ival(a, "head_dim") == 24);
    CHECK(ival(a, "num_heads") == 4);
    CHECK(ival(a, "num_kv_heads") == 2);
    CHECK(source(a, "num_heads") == "shapes");
    std::string_view fam;
    REQUIRE(a["family"]["value"].get_string().get(fam) == simdjson::SUCCESS);
    CHECK(fam == "qwen3");
    CHECK(a["disagreements"].get_array().value().size() == 0);
  }
  {
    std::ofstream(dir / "config.json") << R"({"model_type": "qwen3", "num_hidden_layers": 5,
      "num_attention_heads": 4, "num_key_value_heads": 1, "text_config": 7})";
  }
  dom::element a = parse(p, architecture_json(*wf, {}));
  std::map<std::string, std::pair<int64_t, int64_t>> got;
  dom::array dis;
  REQUIRE(a["disagreements"].get_array().get(dis) == simdjson::SUCCESS);
  for (dom::element d : dis)
    got[std::string(d["field"].get_string().value())] = {d["weights"].get_int64().value(),
                                                         d["stated"].get_int64().value()};
  CHECK(got.size() == 2);
  CHECK(got["num_layers"] == std::make_pair(int64_t{2}, int64_t{5}));
  CHECK(got["num_kv_heads"] == std::make_pair(int64_t{2}, int64_t{1}));
  CHECK(ival(a, "num_layers") == 2);  // the weights' value stands
  // Off switch: no config.json read, nothing to disagree with.
  ArchitectureOptions off;
  off.read_config_json = false;
  dom::element b = parse(p, architecture_json(*wf, off));
  CHECK(b["disagreements"].get_array().value().size() == 0);
}

TEST_CASE("architecture: MLA head arithmetic", "[analysis]") {
  // DeepSeek-V2 style: H = 4, nope 16, rope 8, v 12, kv_lora 32, q_lora 40.
  const uint64_t H = 4, nope = 16, rope = 8, v = 12, kvl = 32, ql = 40, h = 64;
  Table t;
  t.add("model.embed_tokens.weight", {257, h}).add("lm_head.weight", {257, h});
  const std::string p = "model.layers.0.self_attn.";
  t.add(p + "q_a_proj.weight", {ql, h})
      .add(p + "q_a_layernorm.weight", {ql})
      .add(p + "q_b_proj.weight", {H * (nope + rope), ql})
      .add(p + "kv_a_proj_with_mqa.weight", {kvl + rope, h})
      .add(p + "kv_a_layernorm.weight", {kvl})
      .add(p + "kv_b_proj.weight", {H * (nope + v), kvl})
      .add(p + "o_proj.weight", {h, H * v});
  auto wf = t.build();
  dom::parser ps;
  dom::element a = parse(ps, architecture_json(*wf, {}));
  CHECK(ival(a, "num_heads") == 4);
  dom::element mla = a["mla"];
  CHECK(mla["kv_lora_rank"]["value"].get_int64().value() == 32);
  CHECK(mla["q_lora_rank"]["value"].get_int64().value() == 40);
  CHECK(mla["qk_rope_head_dim"]["value"].get_int64().value() == 8);
  CHECK(mla["qk_nope_head_dim"]["value"].get_int64().value() == 16);
  CHECK(mla["v_head_dim"]["value"].get_int64().value() == 12);
}

TEST_CASE("architecture: GGUF names with stated metadata", "[analysis]") {
  Table t;
  t.format = Format::GGUF;
  t.add("token_embd.weight", {100, 32}).add("output_norm.weight", {32});
  for (int i = 0; i < 2; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    t.add(b + "attn_q.weight", {32, 32}).add(b + "attn_k.weight", {16, 32});
    t.add(b + "attn_v.weight", {16, 32}).add(b + "attn_output.weight", {32, 32});
    t.add(b + "ffn_gate_inp.weight", {4, 32}).add(b + "ffn_up_exps.weight", {4, 48, 32});
    t.add(b + "ffn_gate_exps.weight", {4, 48, 32}).add(b + "ffn_down_exps.weight", {4, 32, 48});
  }
  t.str("general.architecture", "llama").u32("llama.block_count", 3);
  t.u32("llama.attention.head_count", 4).u32("llama.attention.head_count_kv", 2);
  t.u32("llama.expert_used_count", 2);
  auto wf = t.build("in-memory.gguf");
  dom::parser ps;
  dom::element a = parse(ps, architecture_json(*wf, {}));
  std::string_view s;
  REQUIRE(a["naming"].get_string().get(s) == simdjson::SUCCESS);
  CHECK(s == "gguf");
  REQUIRE(a["family"]["value"].get_string().get(s) == simdjson::SUCCESS);
  CHECK(s == "mixtral");  // llama-named with a router
  CHECK(ival(a, "num_heads") == 4);
  CHECK(source(a, "num_heads") == "metadata");
  CHECK(ival(a, "head_dim") == 8);  // query width 32 / 4 stated heads
  CHECK(ival(a, "num_kv_heads") == 2);
  CHECK(a["moe"]["num_experts"]["value"].get_int64().value() == 4);
  CHECK(a["moe"]["moe_intermediate_size"]["value"].get_int64().value() == 48);
  CHECK(a["moe"]["experts_per_token"]["value"].get_int64().value() == 2);
  dom::array dis;
  REQUIRE(a["disagreements"].get_array().get(dis) == simdjson::SUCCESS);
  REQUIRE(dis.size() == 1);  // block_count 3 against 2 layers of tensors
  CHECK(std::string_view(dis.at(0)["field"].get_string().value()) == "num_layers");
  CHECK(a["parameter_count"]["total"].get_uint64().value() == t.total());
}

TEST_CASE("architecture: GPTQ-packed weights count as logical [out, in]", "[analysis]") {
  // 4-bit GPTQ: qweight [in / 8, out] int32, qzeros [groups, out / 8], scales [groups, out] f16,
  // g_idx [in]; in 128, out 64, group size 32.
  const uint64_t in = 128, out = 64, groups = 4, h = 128;
  Table t;
  t.add("model.embed_tokens.weight", {100, h}).add("lm_head.weight", {100, h});
  const std::string p = "model.layers.0.mlp.up_proj.";
  t.add(p + "qweight", {in / 8, out}, DType::I32)
      .add(p + "qzeros", {groups, out / 8}, DType::I32)
      .add(p + "scales", {groups, out}, DType::F16)
      .add(p + "g_idx", {in}, DType::I32)
      .add("model.layers.0.mlp.down_proj.weight", {h, out});
  auto wf = t.build();
  dom::parser ps;
  dom::element a = parse(ps, architecture_json(*wf, {}));
  const uint64_t expect = 2 * 100 * h + in * out + h * out;
  CHECK(a["parameter_count"]["total"].get_uint64().value() == expect);
  CHECK(a["parameter_count"]["quantization_aux"].get_uint64().value() ==
        groups * out / 8 + groups * out + in);
  CHECK(ival(a, "intermediate_size") == 64);
  CHECK(a["parameter_count"]["by_dtype"]["gptq-4bit"].get_uint64().value() == in * out);
}

TEST_CASE("architecture: multimodal parts kept apart; GPT-2 Conv1D and OPT offsets", "[analysis]") {
  Table t;
  t.add("vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight", {32, 16})
      .add("vision_tower.vision_model.encoder.layers.1.mlp.fc1.weight", {32, 16})
      .add("multi_modal_projector.linear_1.weight", {64, 16})
      .add("language_model.model.embed_tokens.weight", {100, 64})
      .add("language_model.model.layers.0.self_attn.q_proj.weight", {64, 64})
      .add("language_model.model.layers.0.mlp.up_proj.weight", {96, 64});
  auto wf = t.build();
  dom::parser ps;
  dom::element a = parse(ps, architecture_json(*wf, {}));
  std::map<std::string, std::pair<uint64_t, uint64_t>> comps;
  dom::array ca;
  REQUIRE(a["components"].get_array().get(ca) == simdjson::SUCCESS);
  for (dom::element c : ca)
    comps[std::string(c["name"].get_string().value())] = {c["num_layers"].get_uint64().value(),
                                                          c["parameters"].get_uint64().value()};
  CHECK(comps["vision_tower"] == std::make_pair(uint64_t{2}, uint64_t{2 * 32 * 16}));
  CHECK(comps["projector"] == std::make_pair(uint64_t{0}, uint64_t{64 * 16}));
  CHECK(comps["lm"] == std::make_pair(uint64_t{1}, uint64_t{100 * 64 + 64 * 64 + 96 * 64}));
  CHECK(ival(a, "hidden_size") == 64);

  // GPT-2 stores Conv1D weights [in, out]; a bare GPT2Model has no "transformer." prefix.
  Table g;
  g.add("wte.weight", {100, 32}).add("wpe.weight", {40, 32});
  g.add("h.0.attn.c_attn.weight", {32, 96}).add("h.0.attn.c_proj.weight", {32, 32});
  g.add("h.0.mlp.c_fc.weight", {32, 128}).add("h.0.mlp.c_proj.weight", {128, 32});
  g.add("h.0.ln_1.weight", {32}).add("h.0.ln_1.bias", {32});
  auto gw = g.build();
  dom::element b = parse(ps, architecture_json(*gw, {}));
  CHECK(ival(b, "intermediate_size") == 128);
  CHECK(ival(b, "max_position_embeddings") == 40);
  CHECK(b["fused_qkv"]["value"].get_bool().value() == true);
  std::string_view norm;
  REQUIRE(b["norm"]["value"].get_string().get(norm) == simdjson::SUCCESS);
  CHECK(norm == "layernorm");

  // OPT's learned position table starts at offset 2.
  Table o;
  o.add("model.decoder.embed_tokens.weight", {100, 32})
      .add("model.decoder.embed_positions.weight", {130, 32})
      .add("model.decoder.layers.0.fc1.weight", {64, 32});
  auto ow = o.build();
  dom::element c = parse(ps, architecture_json(*ow, {}));
  CHECK(ival(c, "max_position_embeddings") == 128);
}

TEST_CASE("architecture: hostile config.json texts become notes", "[analysis][malformed]") {
  const std::string deep(100000, '[');
  for (const std::string& text :
       {std::string("{"), std::string("[1, 2]"), std::string("\"x\""), std::string(""),
        std::string("{\"num_hidden_layers\": 1e400}"), "{\"a\": " + deep + "}",
        std::string("{\"num_hidden_layers\": \"\xff\"}"),
        std::string("{\"num_hidden_layers\": 2, \"num_hidden_layers\": 3}"),
        std::string("{\"num_hidden_layers\": -99999999999999999999}"),
        std::string("{\"tie_word_embeddings\": 1, \"hidden_size\": true, \"vocab_size\": 2.5}"),
        std::string("{\"text_config\": {\"text_config\": {\"num_hidden_layers\": 4}}}")}) {
    INFO(text.substr(0, 60));
    StatedValues sv;
    REQUIRE_NOTHROW(stated_from_config_text(text, sv));
    if (!sv.config_read) CHECK(!sv.notes.empty());
    // Nothing of the wrong type is taken as a value.
    for (const auto& [field, list] : sv.by_field)
      for (const Stated& s : list) {
        if (field == "num_layers") CHECK(s.value == Scalar(int64_t{2}));
        CHECK(field != "hidden_size");
        CHECK(field != "tied_embeddings");
      }
  }
}

TEST_CASE("architecture: random tables of real role names never crash", "[analysis][malformed]") {
  // Every family's names with random (also empty, zero, 1-D, 3-D) shapes: the report is valid
  // JSON whatever the arithmetic meets (zero widths, non-dividing sizes).
  std::vector<std::string> names;
  for (const Family& f : families())
    for (const NameRow& r : f.rows)
      for (Naming n : {Naming::HF, Naming::GGUF}) {
        std::string s(r.pattern(n));
        if (s.empty()) continue;
        for (size_t at; (at = s.find("{N}")) != std::string::npos;) s.replace(at, 3, "0");
        for (size_t at; (at = s.find("{E}")) != std::string::npos;) s.replace(at, 3, "1");
        names.push_back((r.flags & kExact) ? s : s + ".weight");
        if (!(r.flags & kExact)) names.push_back(s + ".bias");
      }
  uint32_t state = 12345;
  auto rnd = [&](uint32_t n) {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) % n;
  };
  const uint64_t dims[] = {0, 1, 2, 3, 8, 16, 24, 48, 64, 96};
  dom::parser ps;
  for (int round = 0; round < 300; ++round) {
    Table t;
    if (round % 3 == 0) {
      t.format = Format::GGUF;
      t.str("general.architecture", round % 2 ? "llama" : "deepseek2");
      t.u32(round % 2 ? "llama.attention.head_count" : "deepseek2.attention.head_count", rnd(5));
    }
    const uint32_t count = 1 + rnd(24);
    std::set<std::string> used;
    for (uint32_t i = 0; i < count; ++i) {
      const std::string& n = names[rnd(static_cast<uint32_t>(names.size()))];
      if (!used.insert(n).second) continue;
      std::vector<uint64_t> shape(rnd(4));
      for (uint64_t& d : shape) d = dims[rnd(10)];
      t.add(n, shape);
    }
    auto wf = t.build(round % 3 == 0 ? "in-memory.gguf" : "in-memory.safetensors");
    std::string json;
    REQUIRE_NOTHROW(json = architecture_json(*wf, {}));
    dom::element e;
    INFO(json.substr(0, 200));
    CHECK(ps.parse(json).get(e) == simdjson::SUCCESS);
  }
}

TEST_CASE("names: every row round-trips through the canonical name", "[analysis][names]") {
  auto fill = [](std::string_view pat) {
    std::string s(pat);
    for (auto [ph, v] : {std::pair<const char*, const char*>{"{N}", "3"}, {"{E}", "5"}})
      for (size_t at; (at = s.find(ph)) != std::string::npos;) s.replace(at, 3, v);
    return s;
  };
  size_t rows = 0;
  for (const Family& f : families()) {
    for (const NameRow& r : f.rows) {
      for (Naming from : {Naming::HF, Naming::GGUF}) {
        if (*r.pattern(from) == '\0') continue;
        const bool exact = r.flags & kExact;
        for (const char* suffix : {"weight", "bias", "qweight", "weight_scale"}) {
          if (exact && std::strcmp(suffix, "weight") != 0) continue;
          const std::string name = fill(r.pattern(from)) + (exact ? "" : std::string(".") + suffix);
          INFO(f.name << ": " << name);
          const auto canon = map_name(name, f, Naming::CANONICAL);
          REQUIRE(canon);
          if (!exact) CHECK(canon->substr(canon->size() - std::strlen(suffix)) == suffix);
          // Back from the canonical name: a name of this naming with the same canonical name.
          const auto back = map_name(*canon, f, from);
          REQUIRE(back);
          CHECK(map_name(*back, f, Naming::CANONICAL) == canon);
          ++rows;
        }
      }
    }
  }
  CHECK(rows > 500);
  const Family* llama = find_family("llama");
  REQUIRE(llama);
  CHECK(map_name("model.layers.12.self_attn.q_proj.weight", *llama, Naming::GGUF) ==
        std::optional<std::string>("blk.12.attn_q.weight"));
  CHECK(map_name("blk.0.ffn_gate_exps.weight", *llama, Naming::CANONICAL) ==
        std::optional<std::string>("blocks.0.moe.experts.gate.weight"));
  CHECK(!map_name("model.layers.01.self_attn.q_proj.weight", *llama, Naming::GGUF));
  CHECK(!map_name("model.layers.3.self_attn.q_proj.nonsense", *llama, Naming::GGUF));
  CHECK(!map_name("model.layers.99999999999.mlp.up_proj.weight", *llama, Naming::GGUF));
}

TEST_CASE("names: the C ABI", "[analysis][abi]") {
  char* out = nullptr;
  size_t len = 0;
  REQUIRE(mwt_name_map("transformer.h.2.attn.c_attn.bias", "gpt2", "gguf", &out, &len) == nullptr);
  REQUIRE(out != nullptr);
  CHECK(std::string(out, len) == "blk.2.attn_qkv.bias");
  mwt_string_free(out);
  REQUIRE(mwt_name_map("not.a.name", "gpt2", "gguf", &out, &len) == nullptr);
  CHECK(out == nullptr);
  CHECK(len == 0);
  mwt_status* st = mwt_name_map("x", "no_such_family", "gguf", &out, &len);
  REQUIRE(st != nullptr);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  st = mwt_name_map("x", "llama", "onnx", &out, &len);
  REQUIRE(st != nullptr);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  REQUIRE(mwt_name_families(&out, &len) == nullptr);
  dom::parser p;
  dom::element fams = parse(p, std::string(out, len));
  mwt_string_free(out);
  CHECK(fams.get_array().value().size() == families().size());
}
