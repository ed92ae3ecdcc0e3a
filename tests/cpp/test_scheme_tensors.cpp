// Quantization scheme detection of tensor tables (analysis/scheme_tensors*.cpp): in-memory tables
// in each method's documented layout, the JSON report parsed back with simdjson, fake-quant on
// float tensors, config files beside the weights, and odd or truncated tables that must not crash.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "analysis/scheme.hpp"
#include "analysis/scheme_tensors.hpp"
#include "core/float_convert.hpp"
#include "core/json_writer.hpp"
#include "core/mapped_file.hpp"
#include "formats/weight_file.hpp"
#include "st_bytes.hpp"  // TempDir

using namespace mwt::detail;
using namespace mwt::detail::analysis;
namespace dom = simdjson::dom;

namespace {

// ------------------------------------------------------------------ building tables

struct Spec {
  std::string name;
  DType dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;
};

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

uint64_t numel_of(const std::vector<uint64_t>& s) {
  return std::accumulate(s.begin(), s.end(), uint64_t{1}, std::multiplies<uint64_t>());
}

class Table {
 public:
  template <typename T>
  Table& add(std::string name, DType dt, std::vector<uint64_t> shape, const std::vector<T>& v) {
    specs_.push_back({std::move(name), dt, std::move(shape), bytes_of(v)});
    return *this;
  }
  Table& raw(std::string name, DType dt, std::vector<uint64_t> shape, std::vector<uint8_t> b) {
    specs_.push_back({std::move(name), dt, std::move(shape), std::move(b)});
    return *this;
  }
  std::unique_ptr<WeightFile> build(const std::string& path = "in-memory.safetensors") const {
    std::vector<uint8_t> all;
    std::vector<uint64_t> offs;
    for (const Spec& s : specs_) {
      while (all.size() % 8) all.push_back(0);
      offs.push_back(all.size());
      all.insert(all.end(), s.bytes.begin(), s.bytes.end());
    }
    auto wf = std::make_unique<WeightFile>();
    wf->format = Format::SAFETENSORS;
    wf->files.push_back(MappedFile::from_bytes(std::move(all), path));
    const uint8_t* base = wf->files[0]->data();
    for (size_t i = 0; i < specs_.size(); ++i) {
      TensorInfo t;
      t.name = specs_[i].name;
      t.dtype = specs_[i].dtype;
      t.shape = specs_[i].shape;
      t.numel = numel_of(t.shape);
      t.nbytes = specs_[i].bytes.size();
      t.offset = offs[i];
      t.data = t.nbytes ? base + offs[i] : nullptr;
      wf->tensors.push_back(std::move(t));
    }
    wf->build_index();
    return wf;
  }

 private:
  std::vector<Spec> specs_;
};

// A little-endian bit stream of `bits`-bit values in 32-bit words.
std::vector<uint32_t> pack_stream(const std::vector<uint32_t>& vals, unsigned bits) {
  std::vector<uint32_t> w((vals.size() * bits + 31) / 32, 0);
  for (size_t k = 0; k < vals.size(); ++k) {
    const uint64_t pos = k * bits;
    const uint64_t v = vals[k];
    w[pos / 32] |= static_cast<uint32_t>(v << (pos % 32));
    if (pos % 32 + bits > 32) w[pos / 32 + 1] |= static_cast<uint32_t>(v >> (32 - pos % 32));
  }
  return w;
}

std::vector<uint16_t> to_f16(const std::vector<float>& v) {
  std::vector<uint16_t> r;
  for (float x : v) r.push_back(f32_to_f16(x));
  return r;
}
std::vector<uint16_t> to_bf16(const std::vector<float>& v) {
  std::vector<uint16_t> r;
  for (float x : v) r.push_back(f32_to_bf16(x));
  return r;
}

std::vector<float> normal(size_t n, uint32_t seed, float sd = 0.02f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = d(g);
  return v;
}

std::vector<uint32_t> uniform_ints(size_t n, uint32_t hi, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<uint32_t> v(n);
  for (uint32_t& x : v) x = g() % hi;
  return v;
}

// GPTQ module: qweight [in/32*bits, out] (stream along the input dim per column), qzeros
// [groups, out/32*bits], scales [groups, out] f16, g_idx [in].
void add_gptq(Table& t, const std::string& p, uint64_t in, uint64_t out, unsigned bits, int64_t gs,
              bool act_order, bool sym, bool with_gidx = true, uint32_t seed = 1) {
  const uint64_t g = gs < 0 ? in : static_cast<uint64_t>(gs);
  const uint64_t groups = (in + g - 1) / g;
  const uint64_t rows = in / 32 * bits;
  std::vector<uint32_t> qw(rows * out);
  const auto q = uniform_ints(in * out, 1u << bits, seed);
  for (uint64_t c = 0; c < out; ++c) {
    std::vector<uint32_t> col(in);
    for (uint64_t i = 0; i < in; ++i) col[i] = q[i * out + c];
    const auto w = pack_stream(col, bits);
    for (uint64_t r = 0; r < rows; ++r) qw[r * out + c] = w[r];
  }
  t.add(p + ".qweight", DType::I32, {rows, out}, qw);
  std::vector<uint32_t> zvals(groups * out, sym ? (1u << (bits - 1)) - 1 : 0);
  if (!sym) zvals = uniform_ints(groups * out, 1u << bits, seed + 7);
  std::vector<uint32_t> qz;
  for (uint64_t r = 0; r < groups; ++r) {
    const auto w = pack_stream(
        std::vector<uint32_t>(zvals.begin() + r * out, zvals.begin() + (r + 1) * out), bits);
    qz.insert(qz.end(), w.begin(), w.begin() + out / 32 * bits);
  }
  t.add(p + ".qzeros", DType::I32, {groups, out / 32 * bits}, qz);
  t.add(p + ".scales", DType::F16, {groups, out}, to_f16(std::vector<float>(groups * out, 0.01f)));
  if (with_gidx) {
    std::vector<int32_t> gi(in);
    std::vector<uint64_t> perm(in);
    std::iota(perm.begin(), perm.end(), 0);
    if (act_order) std::shuffle(perm.begin(), perm.end(), std::mt19937(seed + 3));
    for (uint64_t j = 0; j < in; ++j) gi[perm[j]] = static_cast<int32_t>(j / g);
    t.add(p + ".g_idx", DType::I32, {in}, gi);
  }
}

// AWQ module: qweight [in, out/pack], qzeros [groups, out/pack], scales [groups, out].
void add_awq(Table& t, const std::string& p, uint64_t in, uint64_t out, int64_t gs,
             uint32_t seed = 2) {
  const uint64_t groups = in / static_cast<uint64_t>(gs);
  t.add(p + ".qweight", DType::I32, {in, out / 8}, uniform_ints(in * out / 8, 0xFFFFFFFFu, seed));
  t.add(p + ".qzeros", DType::I32, {groups, out / 8},
        uniform_ints(groups * out / 8, 0xFFFFFFFFu, seed + 1));
  t.add(p + ".scales", DType::F16, {groups, out}, to_f16(std::vector<float>(groups * out, 0.02f)));
}

// ------------------------------------------------------------------ reading the report

struct Report {
  std::string text;
  dom::parser parser;
  dom::element root;
  explicit Report(const WeightFile& wf) {
    JsonOut o;
    o.begin_object();
    describe_tensor_quantization(wf, o);
    o.end_object();
    text = o.str();
    INFO(text);
    REQUIRE(!parser.parse(text).get(root));
  }
  dom::element at(std::string_view pointer) const {
    dom::element e;
    INFO(text);
    INFO(pointer);
    REQUIRE(!root.at_pointer(pointer).get(e));
    return e;
  }
  bool has(std::string_view pointer) const { return !root.at_pointer(pointer).error(); }
  std::string str(std::string_view p) const {
    return std::string(std::string_view(at(p).get_string()));
  }
  int64_t num(std::string_view p) const { return int64_t(at(p).get_int64()); }
  bool flag(std::string_view p) const { return bool(at(p).get_bool()); }
  size_t count(std::string_view p) const { return dom::array(at(p).get_array()).size(); }
};

// Writes `text` to `name` in the directory; returns the path.
std::string write_file(const st_test::TempDir& dir, const std::string& name,
                       const std::string& text) {
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

}  // namespace

// ============================================================================ building blocks

TEST_CASE("scheme tensors: role suffixes split names into module and role", "[scheme]") {
  auto r = split_role("model.layers.0.self_attn.q_proj.qweight");
  REQUIRE(r);
  CHECK(r->first == "model.layers.0.self_attn.q_proj");
  CHECK(r->second == Role::QWEIGHT);
  r = split_role("m.q_proj.weight.quant_state.bitsandbytes__nf4");
  REQUIRE(r);
  CHECK(r->first == "m.q_proj");
  CHECK(r->second == Role::QUANT_STATE_NF4);
  r = split_role("m.q_proj.weight.SCB");
  REQUIRE(r);
  CHECK(r->first == "m.q_proj");
  CHECK(r->second == Role::SCB);
  r = split_role("m.q_proj.SCB");
  REQUIRE(r);
  CHECK(r->first == "m.q_proj");
  CHECK(r->second == Role::SCB);
  r = split_role("m.weight_scale_inv");
  REQUIRE(r);
  CHECK(r->second == Role::WEIGHT_SCALE_INV);
  r = split_role("weight");
  REQUIRE(r);
  CHECK(r->first.empty());
  CHECK(!split_role("m.layer_weight"));  // not at a '.'
  CHECK(!split_role("m.bias"));
  CHECK(!split_role(""));
}

TEST_CASE("scheme tensors: bit stream values cross word boundaries low bits first", "[scheme]") {
  for (unsigned bits : {2u, 3u, 4u, 5u, 6u, 8u}) {
    const auto vals = uniform_ints(97, 1u << bits, bits);
    const auto words = pack_stream(vals, bits);
    for (size_t k = 0; k < vals.size(); ++k)
      CHECK(bitstream_value(reinterpret_cast<const uint8_t*>(words.data()), k, bits) == vals[k]);
  }
  // GPTQ's 3-bit layout by hand: value 10 sits in bits 30-31 of word 0 and bit 0 of word 1.
  std::vector<uint32_t> v(32, 0);
  v[10] = 0b101;
  const auto w = pack_stream(v, 3);
  CHECK(w[0] == (1u << 30));
  CHECK(w[1] == 1u);
}

TEST_CASE("scheme tensors: affine grid span of value groups", "[scheme][fake]") {
  const double f32_eps = std::ldexp(1.0, -24);
  uint32_t distinct = 0;
  // 4-bit asymmetric group: scale * (q - zero), all 16 levels used.
  std::vector<float> g;
  for (int i = 0; i < 64; ++i) g.push_back(0.0137f * static_cast<float>((i * 7) % 16 - 5));
  CHECK(affine_grid_span(g, f32_eps, 0, distinct) == 16);
  CHECK(distinct == 16);
  // Levels missing in the middle still count in the span.
  std::vector<float> sparse = {-3 * 0.5f, 0.0f, 4 * 0.5f, 12 * 0.5f, 12 * 0.5f};
  CHECK(affine_grid_span(sparse, f32_eps, 0, distinct) == 16);
  CHECK(distinct == 4);
  std::vector<float> constant(32, 0.25f);
  CHECK(affine_grid_span(constant, f32_eps, 0, distinct) == 1);
  auto rnd = normal(64, 5);
  CHECK(affine_grid_span(rnd, f32_eps, 0, distinct) == 0);
  std::vector<float> with_nan = {0.0f, 1.0f, std::nanf("")};
  CHECK(affine_grid_span(with_nan, f32_eps, 0, distinct) == 0);
  // bf16 values within one binade are multiples of one ulp: an affine grid too fine to tell
  // from the dtype's rounding, so it is rejected.
  std::vector<float> binade;
  for (int i = 0; i < 32; ++i)
    binade.push_back(bf16_to_f32(static_cast<uint16_t>(0x3C80 + (i * 3) % 60)));
  CHECK(affine_grid_span(binade, std::ldexp(1.0, -8), 0, distinct) == 0);
  // 300 distinct values: more than 8 bits.
  std::vector<float> wide;
  for (int i = 0; i < 300; ++i) wide.push_back(static_cast<float>(i));
  CHECK(affine_grid_span(wide, f32_eps, 0, distinct) == 0);
}

// ============================================================================ methods

TEST_CASE("scheme tensors: GPTQ bits, group size, desc_act and sym from tensors",
          "[scheme][gptq]") {
  for (bool act : {false, true}) {
    for (unsigned bits : {2u, 3u, 4u, 8u}) {
      INFO("bits " << bits << " act_order " << act);
      Table t;
      add_gptq(t, "model.layers.0.self_attn.q_proj", 256, 64, bits, 64, act, true);
      add_gptq(t, "model.layers.0.mlp.down_proj", 512, 64, bits, 64, act, true, true, 9);
      t.add("model.norm.weight", DType::F32, {64}, std::vector<float>(64, 1.0f));
      auto wf = t.build();
      Report r(*wf);
      CHECK(r.str("/scheme") == "GPTQ");
      REQUIRE(r.count("/methods") == 1);
      CHECK(r.str("/methods/0/method") == "gptq");
      CHECK(r.num("/methods/0/bits") == bits);
      CHECK(r.num("/methods/0/group_size") == 64);
      CHECK(r.num("/methods/0/modules") == 2);
      CHECK(r.flag("/methods/0/desc_act") == act);
      CHECK(r.flag("/methods/0/sym"));
      CHECK(r.str("/methods/0/zeros_stored") == "zero-1");
      CHECK(r.str("/methods/0/packing/axis") == "input");
      CHECK(r.flag("/methods/0/packing/low_bits_first"));
      CHECK(r.flag("/methods/0/packing/spans_words") == (32 % bits != 0));
      if (32 % bits == 0) CHECK(r.num("/methods/0/packing/values_per_word") == 32 / bits);
      CHECK(!r.has("/config"));
      CHECK(r.count("/fake_quant") == 0);
    }
  }
}

TEST_CASE("scheme tensors: GPTQ per-channel, asymmetric and without g_idx", "[scheme][gptq]") {
  Table t;
  add_gptq(t, "a.q_proj", 256, 64, 4, -1, false, false);
  add_gptq(t, "a.k_proj", 256, 64, 3, 128, false, false, /*with_gidx=*/false);
  auto wf = t.build();
  Report r(*wf);
  CHECK(r.str("/scheme") == "GPTQ");
  CHECK(r.count("/methods/0/variants") == 2);
  CHECK(r.flag("/methods/0/sym") == false);
  CHECK(r.flag("/methods/0/desc_act") == false);
  CHECK(r.num("/methods/0/mixed_facts/g_idx/true") == 1);
  CHECK(r.num("/methods/0/mixed_facts/g_idx/false") == 1);
  bool saw_channel = false, saw_3bit = false;
  for (dom::element v : dom::array(r.at("/methods/0/variants").get_array())) {
    const int64_t b = v["bits"].get_int64(), g = v["group_size"].get_int64();
    saw_channel |= (b == 4 && g == -1);
    saw_3bit |= (b == 3 && g == 128);
  }
  CHECK(saw_channel);
  CHECK(saw_3bit);
}

TEST_CASE("scheme tensors: AWQ from shapes with its interleaved packing", "[scheme][awq]") {
  Table t;
  add_awq(t, "model.layers.0.self_attn.o_proj", 256, 128, 64);
  add_awq(t, "model.layers.0.mlp.up_proj", 256, 512, 64);
  auto wf = t.build();
  Report r(*wf);
  CHECK(r.str("/scheme") == "AWQ");
  CHECK(r.str("/methods/0/method") == "awq");
  CHECK(r.num("/methods/0/bits") == 4);
  CHECK(r.num("/methods/0/group_size") == 64);
  CHECK(r.num("/methods/0/modules") == 2);
  CHECK(r.flag("/methods/0/zero_point"));
  CHECK(r.str("/methods/0/packing/axis") == "output");
  CHECK(r.str("/methods/0/packing/order") == "awq");
  REQUIRE(r.count("/methods/0/packing/interleave") == 8);
  const int64_t want[] = {0, 2, 4, 6, 1, 3, 5, 7};
  for (int i = 0; i < 8; ++i)
    CHECK(r.num("/methods/0/packing/interleave/" + std::to_string(i)) == want[i]);
}

std::string nf4_state(uint64_t blocksize, uint64_t out, uint64_t in, bool nested) {
  std::string s = "{\"quant_type\": \"nf4\", \"blocksize\": " + std::to_string(blocksize) +
                  ", \"dtype\": \"bfloat16\", \"shape\": [" + std::to_string(out) + ", " +
                  std::to_string(in) + "]";
  if (nested)
    s += ", \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": 0.01";
  return s + "}";
}

TEST_CASE("scheme tensors: bitsandbytes 4-bit with quant_state, double quant", "[scheme][bnb]") {
  const uint64_t out = 64, in = 128, n = out * in, bs = 64;
  Table t;
  const std::string p = "model.layers.0.self_attn.q_proj";
  t.add(p + ".weight", DType::U8, {n / 2, 1}, std::vector<uint8_t>(n / 2, 0x12));
  t.add(p + ".weight.absmax", DType::U8, {n / bs}, std::vector<uint8_t>(n / bs, 3));
  t.add(p + ".weight.quant_map", DType::F32, {16}, std::vector<float>(16, 0.0f));
  t.add(p + ".weight.nested_absmax", DType::F32, {1}, std::vector<float>(1, 1.0f));
  t.add(p + ".weight.nested_quant_map", DType::F32, {256}, std::vector<float>(256, 0.0f));
  const std::string js = nf4_state(bs, out, in, true);
  t.add(p + ".weight.quant_state.bitsandbytes__nf4", DType::U8, {js.size()},
        std::vector<uint8_t>(js.begin(), js.end()));
  // A second module in FP4 without the state tensor: the code book's first entry (0) says fp4.
  const std::string p2 = "model.layers.0.self_attn.k_proj";
  t.add(p2 + ".weight", DType::U8, {n / 2, 1}, std::vector<uint8_t>(n / 2, 0x34));
  t.add(p2 + ".weight.absmax", DType::F32, {n / 128}, std::vector<float>(n / 128, 1.0f));
  std::vector<float> fp4_map(16, 0.0f);
  fp4_map[1] = 0.0052f;
  t.add(p2 + ".weight.quant_map", DType::F32, {16}, fp4_map);
  auto wf = t.build();
  Report r(*wf);
  CHECK(r.str("/scheme") == "mixed");
  REQUIRE(r.count("/methods") == 2);
  CHECK(r.str("/methods/0/method") == "bitsandbytes");
  CHECK(r.str("/methods/0/quant_type") == "nf4");
  CHECK(r.num("/methods/0/bits") == 4);
  CHECK(r.num("/methods/0/blocksize") == 64);
  CHECK(r.num("/methods/0/group_size") == 64);
  CHECK(r.flag("/methods/0/double_quant"));
  CHECK(r.num("/methods/0/nested_blocksize") == 256);
  CHECK(r.str("/methods/0/dtype") == "bfloat16");
  CHECK(r.str("/methods/0/packing/container") == "uint8");
  CHECK(r.str("/methods/1/quant_type") == "fp4");
  CHECK(r.num("/methods/1/blocksize") == 128);
  CHECK(r.flag("/methods/1/double_quant") == false);
}

TEST_CASE("scheme tensors: bitsandbytes int8 with SCB and weight_format", "[scheme][bnb]") {
  Table t;
  t.add("m.layers.0.q_proj.weight", DType::I8, {64, 128}, std::vector<int8_t>(64 * 128, 5));
  t.add("m.layers.0.q_proj.SCB", DType::F32, {64}, std::vector<float>(64, 1.0f));
  t.add("m.layers.0.q_proj.weight_format", DType::U8, {}, std::vector<uint8_t>{0});
  t.add("m.layers.0.k_proj.weight", DType::I8, {64, 128}, std::vector<int8_t>(64 * 128, 5));
  t.add("m.layers.0.k_proj.weight.SCB", DType::F32, {64}, std::vector<float>(64, 1.0f));
  auto wf = t.build();
  Report r(*wf);
  CHECK(r.str("/scheme") == "bitsandbytes-int8");
  CHECK(r.str("/methods/0/quant_type") == "int8");
  CHECK(r.num("/methods/0/bits") == 8);
  CHECK(r.num("/methods/0/group_size") == -1);
  CHECK(r.num("/methods/0/modules") == 2);
  CHECK(r.flag("/methods/0/SCB"));
  CHECK(r.str("/methods/0/weight_format") == "row");
}

TEST_CASE("scheme tensors: FP8 per-tensor, per-channel and block scales", "[scheme][fp8]") {
  SECTION("per-tensor") {
    Table t;
    t.add("m.q_proj.weight", DType::F8_E4M3, {64, 128}, std::vector<uint8_t>(64 * 128, 0x38));
    t.add("m.q_proj.weight_scale", DType::F32, {}, std::vector<float>{0.5f});
    t.add("m.q_proj.input_scale", DType::F32, {}, std::vector<float>{0.5f});
    auto wf = t.build();
    Report r(*wf);
    CHECK(r.str("/scheme") == "FP8");
    CHECK(r.str("/methods/0/format") == "e4m3");
    CHECK(r.str("/methods/0/scale_layout") == "per-tensor");
    CHECK(r.str("/methods/0/scale_name") == "weight_scale");
    CHECK(r.flag("/methods/0/activation_scale"));
    CHECK(r.num("/methods/0/group_size") == -1);
  }
  SECTION("per-channel e5m2") {
    Table t;
    t.add("m.q_proj.weight", DType::F8_E5M2, {64, 128}, std::vector<uint8_t>(64 * 128, 0x38));
    t.add("m.q_proj.weight_scale", DType::BF16, {64, 1}, std::vector<uint16_t>(64, 0x3F80));
    auto wf = t.build();
    Report r(*wf);
    CHECK(r.str("/methods/0/format") == "e5m2");
    CHECK(r.str("/methods/0/scale_layout") == "per-channel");
    CHECK(r.str("/methods/0/scale_dtype") == "BF16");
  }
  SECTION("block 128x128 as DeepSeek-V3, with rows that do not divide") {
    Table t;
    // [576, 256] -> scale_inv [5, 2]: ceil(576/128) = 5 fits block rows 116..143 alone; the
    // [256, 384] module narrows nothing further; 128 is the power of two both allow.
    t.add("m.kv_a.weight", DType::F8_E4M3, {576, 256}, std::vector<uint8_t>(576 * 256, 0x38));
    t.add("m.kv_a.weight_scale_inv", DType::F32, {5, 2}, std::vector<float>(10, 1.0f));
    t.add("m.o.weight", DType::F8_E4M3, {256, 384}, std::vector<uint8_t>(256 * 384, 0x38));
    t.add("m.o.weight_scale_inv", DType::F32, {2, 3}, std::vector<float>(6, 1.0f));
    auto wf = t.build();
    Report r(*wf);
    CHECK(r.str("/methods/0/scale_layout") == "block");
    CHECK(r.str("/methods/0/scale_name") == "weight_scale_inv");
    CHECK(r.num("/methods/0/block_size/0") == 128);
    CHECK(r.num("/methods/0/block_size/1") == 128);
    CHECK(r.num("/methods/0/group_size") == 128);
    CHECK(r.num("/methods/0/modules") == 2);
  }
}

TEST_CASE("scheme tensors: compressed-tensors pack-quantized, sym and asym", "[scheme][ct]") {
  for (bool asym : {false, true}) {
    Table t;
    const uint64_t out = 64, in = 256;
    t.add("m.q_proj.weight_packed", DType::I32, {out, in / 8},
          uniform_ints(out * in / 8, 0xFFFFFFFFu, 3));
    t.add("m.q_proj.weight_scale", DType::BF16, {out, in / 128},
          std::vector<uint16_t>(out * 2, 0x3F80));
    t.add("m.q_proj.weight_shape", DType::I64, {2}, std::vector<int64_t>{64, 256});
    if (asym)
      t.add("m.q_proj.weight_zero_point", DType::I8, {out, in / 128},
            std::vector<int8_t>(out * 2, 3));
    auto wf = t.build();
    Report r(*wf);
    CHECK(r.str("/scheme") == "compressed-tensors");
    CHECK(r.str("/methods/0/format") == "pack-quantized");
    CHECK(r.num("/methods/0/bits") == 4);
    CHECK(r.num("/methods/0/group_size") == 128);
    CHECK(r.str("/methods/0/strategy") == "group");
    CHECK(r.flag("/methods/0/sym") == !asym);
    CHECK(r.num("/methods/0/packing/offset") == 8);
    CHECK(r.num("/methods/0/packing/values_per_word") == 8);
  }
}

TEST_CASE("scheme tensors: MLX bits and group size resolved by the model's other dims",
          "[scheme][mlx]") {
  // in = 512: 4-bit/64 gives 512 (a norm length), 2-bit/128 gives 1024 and 8-bit/32 gives 256,
  // neither of which is a dimension of this model.
  Table t;
  t.add("model.norm.weight", DType::F16, {512}, std::vector<uint16_t>(512, 0x3C00));
  for (const char* p : {"model.layers.0.self_attn.q_proj", "model.layers.0.mlp.gate_proj"}) {
    t.add(std::string(p) + ".weight", DType::U32, {512, 64},
          uniform_ints(512 * 64, 0xFFFFFFFFu, 4));
    t.add(std::string(p) + ".scales", DType::F16, {512, 8}, std::vector<uint16_t>(512 * 8, 0x3C00));
    t.add(std::string(p) + ".biases", DType::F16, {512, 8}, std::vector<uint16_t>(512 * 8, 0x3C00));
  }
  auto wf = t.build();
  Report r(*wf);
  CHECK(r.str("/scheme") == "MLX");
  CHECK(r.num("/methods/0/bits") == 4);
  CHECK(r.num("/methods/0/group_size") == 64);
  CHECK(r.str("/methods/0/bits_source") == "shapes");
  CHECK(r.str("/methods/0/mode") == "affine");
  CHECK(r.str("/methods/0/packing/container") == "uint32");

  // Without the norm nothing tells them apart: MLX's default (4, 64) and the alternatives.
  Table u;
  u.add("q.weight", DType::U32, {100, 64}, uniform_ints(100 * 64, 0xFFFFFFFFu, 4));
  u.add("q.scales", DType::F16, {100, 8}, std::vector<uint16_t>(800, 0x3C00));
  u.add("q.biases", DType::F16, {100, 8}, std::vector<uint16_t>(800, 0x3C00));
  auto wf2 = u.build();
  Report r2(*wf2);
  CHECK(r2.str("/methods/0/bits_source") == "ambiguous");
  CHECK(r2.num("/methods/0/bits") == 4);
  CHECK(r2.str("/methods/0/alternatives").find("2/128") != std::string::npos);
}

TEST_CASE("scheme tensors: config beside the file decides and disagrees", "[scheme][config]") {
  st_test::TempDir dir;
  const std::string path = write_file(dir, "model.safetensors", "x");
  SECTION("MLX config resolves the ambiguity; per-module override") {
    write_file(dir, "config.json",
               R"({"model_type": "llama", "quantization": {"group_size": 128, "bits": 2,
        "q2": {"group_size": 32, "bits": 8}}})");
    Table u;
    for (const char* p : {"q", "q2"}) {
      u.add(std::string(p) + ".weight", DType::U32, {100, 64},
            uniform_ints(100 * 64, 0xFFFFFFFFu, 4));
      u.add(std::string(p) + ".scales", DType::F16, {100, 8}, std::vector<uint16_t>(800, 0x3C00));
      u.add(std::string(p) + ".biases", DType::F16, {100, 8}, std::vector<uint16_t>(800, 0x3C00));
    }
    auto wf = u.build(path);
    Report r(*wf);
    CHECK(r.str("/methods/0/bits_source") == "config");
    CHECK(r.count("/methods/0/variants") == 2);
    CHECK(r.str("/config/quant_method") == "mlx");
    CHECK(r.num("/config/bits") == 2);
    CHECK(r.num("/config/module_overrides") == 1);
    CHECK(r.count("/config/disagreements") == 0);
  }
  SECTION("GPTQ quantize_config.json disagreeing with the tensors") {
    write_file(dir, "quantize_config.json",
               R"({"bits": 8, "group_size": 128, "desc_act": false, "sym": true})");
    Table t;
    add_gptq(t, "a.q_proj", 256, 64, 4, 64, true, true);
    auto wf = t.build(path);
    Report r(*wf);
    CHECK(r.str("/config/sources/0") == "quantize_config.json");
    CHECK(r.str("/config/quant_method") == "gptq");
    std::set<std::string> fields;
    for (dom::element d : dom::array(r.at("/config/disagreements").get_array()))
      fields.insert(std::string(std::string_view(d["field"].get_string())));
    CHECK(fields == std::set<std::string>{"bits", "group_size", "desc_act"});
  }
  SECTION("config.json says AWQ, the tensors are GPTQ") {
    write_file(dir, "config.json",
               R"({"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 64}})");
    Table t;
    add_gptq(t, "a.q_proj", 256, 64, 4, 64, false, true);
    auto wf = t.build(path);
    Report r(*wf);
    CHECK(r.str("/config/disagreements/0/field") == "quant_method");
    CHECK(r.str("/config/disagreements/0/config") == "awq");
    CHECK(r.str("/config/disagreements/0/tensors") == "gptq");
  }
  SECTION("malformed config is a warning; detection still runs") {
    write_file(dir, "config.json", "{\"quantization_config\": {\"bits\": [1,");
    write_file(dir, "quantize_config.json", "[1, 2]");
    Table t;
    add_gptq(t, "a.q_proj", 256, 64, 4, 64, false, true);
    auto wf = t.build(path);
    Report r(*wf);
    CHECK(r.str("/scheme") == "GPTQ");
    CHECK(r.count("/config/warnings") == 2);
  }
  SECTION("a directory named config.json is not read") {
    std::filesystem::create_directory(dir / "config.json");
    Table t;
    add_gptq(t, "a.q_proj", 256, 64, 4, 64, false, true);
    auto wf = t.build(path);
    Report r(*wf);
    CHECK(r.str("/config/warnings/0").find("not a regular file") != std::string::npos);
  }
}

TEST_CASE("scheme tensors: config parsing of each library's spelling", "[scheme][config]") {
  auto c = parse_quant_config(
      {{"config.json", R"({"quantization_config": {"quant_method": "compressed-tensors",
      "format": "pack-quantized", "config_groups": {"group_0": {"targets": ["Linear"],
      "weights": {"num_bits": 4, "type": "int", "symmetric": true, "strategy": "group",
      "group_size": 128, "actorder": null}}}}})"}});
  CHECK(c.found);
  CHECK(c.quant_method == "compressed-tensors");
  CHECK(c.format == "pack-quantized");
  CHECK(c.bits == 4);
  CHECK(c.group_size == 128);
  CHECK(c.sym == true);
  CHECK(!c.desc_act);
  c = parse_quant_config(
      {{"quant_config.json",
        R"({"zero_point": true, "q_group_size": 128, "w_bit": 4, "version": "GEMM"})"}});
  CHECK(c.quant_method == "awq");
  CHECK(c.bits == 4);
  CHECK(c.version == "gemm");
  c = parse_quant_config(
      {{"config.json", R"({"quantization_config": {"quant_method": "fp8", "fmt": "e4m3",
      "weight_block_size": [128, 128], "activation_scheme": "dynamic"}})"}});
  REQUIRE(c.block_size);
  CHECK((*c.block_size)[1] == 128);
  c = parse_quant_config({{"config.json", R"({"hidden_size": 4096})"}});
  CHECK(!c.found);
  CHECK(c.warnings.empty());
  c = parse_quant_config(
      {{"config.json", R"({"quantization_config": {"bits": "four", "sym": 1}})"}});
  CHECK(c.warnings.size() == 2);
  CHECK(!c.bits);
  // Deeply nested: refused by the depth limit, as a warning.
  c = parse_quant_config({{"config.json", std::string(5000, '[') + std::string(5000, ']')}});
  CHECK(c.warnings.size() == 1);
  c = parse_quant_config({{"quantize_config.json", R"({"bits": 4})"},
                          {"config.json", R"({"quantization_config": {"bits": 8}})"}});
  CHECK(c.bits == 4);
  CHECK(c.warnings.size() == 1);
}

// ============================================================================ fake quant

// `rows` x `cols` values scale_g * (q - zero_g), q uniform in [0, 2^bits), per group of `gs`.
std::vector<float> fake_quant_values(uint64_t rows, uint64_t cols, unsigned bits, uint64_t gs,
                                     uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> sd(0.001f, 0.01f);
  std::vector<float> v(rows * cols);
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c0 = 0; c0 < cols; c0 += gs) {
      const float s = sd(g);
      const int z = static_cast<int>(g() % (1u << bits));
      for (uint64_t c = c0; c < c0 + gs; ++c)
        v[r * cols + c] = s * static_cast<float>(static_cast<int>(g() % (1u << bits)) - z);
    }
  return v;
}

TEST_CASE("scheme tensors: fake-quant float weights are found with bits and group size",
          "[scheme][fake]") {
  Table t;
  t.add("model.layers.0.q_proj.weight", DType::F32, {64, 256},
        fake_quant_values(64, 256, 4, 32, 1));
  t.add("model.layers.0.k_proj.weight", DType::F16, {32, 512},
        to_f16(fake_quant_values(32, 512, 8, 512, 2)));
  t.add("model.layers.0.v_proj.weight", DType::BF16, {32, 512},
        to_bf16(fake_quant_values(32, 512, 4, 128, 3)));
  t.add("model.layers.0.o_proj.weight", DType::F32, {64, 256},
        fake_quant_values(64, 256, 3, 256, 4));
  t.add("model.norm.weight", DType::F32, {256}, std::vector<float>(256, 1.0f));
  auto wf = t.build();
  Report r(*wf);
  CHECK(r.str("/scheme") == "fake-quant");
  REQUIRE(r.count("/fake_quant") == 4);
  CHECK(r.str("/fake_quant/0/tensor") == "model.layers.0.q_proj.weight");
  CHECK(r.num("/fake_quant/0/bits") == 4);
  CHECK(r.num("/fake_quant/0/group_size") == 32);
  CHECK(r.num("/fake_quant/0/levels") <= 16);
  CHECK(r.num("/fake_quant/1/bits") == 8);
  CHECK(r.num("/fake_quant/1/group_size") == -1);
  CHECK(r.num("/fake_quant/2/bits") == 4);
  CHECK(r.num("/fake_quant/2/group_size") == 128);
  CHECK(r.num("/fake_quant/3/bits") == 3);
  CHECK(r.num("/fake_quant/3/group_size") == -1);
  CHECK(r.num("/fake_quant_checked") == 4);
  CHECK(r.num("/float_weights") == 4);
}

TEST_CASE("scheme tensors: real float weights are not fake-quant", "[scheme][fake]") {
  Table t;
  t.add("a.weight", DType::BF16, {64, 4096}, to_bf16(normal(64 * 4096, 1)));
  t.add("b.weight", DType::F16, {64, 4096}, to_f16(normal(64 * 4096, 2)));
  t.add("c.weight", DType::F32, {64, 4096}, normal(64 * 4096, 3));
  t.add("d.weight", DType::BF16, {64, 64}, to_bf16(normal(64 * 64, 4, 1.0f)));
  // Small-magnitude and narrow-range rows: bf16 values within one binade are an exact grid of ulps.
  std::vector<float> narrow = normal(64 * 256, 5, 0.001f);
  for (float& x : narrow) x = 0.02f + std::fabs(x);
  t.add("e.weight", DType::BF16, {64, 256}, to_bf16(narrow));
  t.add("f.weight", DType::F32, {32, 32}, std::vector<float>(32 * 32, 0.0f));  // constant
  std::vector<float> eye(64 * 64, 0.0f);
  for (int i = 0; i < 64; ++i) eye[i * 64 + i] = 1.0f;
  t.add("g.weight", DType::F32, {64, 64}, eye);             // two values: no evidence
  t.add("h.weight", DType::F32, {64, 10}, normal(640, 6));  // too narrow to test
  auto wf = t.build();
  Report r(*wf);
  CHECK(r.str("/scheme") == "none");
  CHECK(r.count("/methods") == 0);
  CHECK(r.count("/fake_quant") == 0);
  CHECK(r.num("/float_weights") == 8);
}

// ============================================================================ hostile tables

TEST_CASE("scheme tensors: truncated, odd and inconsistent tables do not crash",
          "[scheme][malformed]") {
  SECTION("tensors whose bytes are shorter than their shapes") {
    Table t;
    t.raw("a.qweight", DType::I32, {32, 64}, {});
    t.raw("a.qzeros", DType::I32, {2, 8}, std::vector<uint8_t>(3));
    t.raw("a.scales", DType::F16, {2, 64}, {});
    t.raw("a.g_idx", DType::I32, {256}, std::vector<uint8_t>(5));
    t.raw("b.weight", DType::F32, {64, 256}, std::vector<uint8_t>(16));
    t.raw("c.weight", DType::U8, {64, 1}, std::vector<uint8_t>(64));
    t.raw("c.weight.quant_state.bitsandbytes__nf4", DType::U8, {4}, {'{', '"', 'a', '"'});
    t.raw("d.weight_packed", DType::I32, {8, 4}, {});
    t.raw("d.weight_scale", DType::F16, {8, 1}, {});
    t.raw("d.weight_shape", DType::I64, {2}, std::vector<uint8_t>(4));
    t.raw("e.weight", DType::F8_E4M3, {0, 5}, {});
    t.raw("e.weight_scale_inv", DType::F32, {7, 9}, {});
    t.raw("f.weight", DType::U32, {4, 0}, {});
    t.raw("f.scales", DType::F16, {4, 0}, {});
    t.raw("f.biases", DType::F16, {4, 0}, {});
    auto wf = t.build();
    Report r(*wf);
    CHECK(r.has("/scheme"));
  }
  SECTION("g_idx naming groups that do not exist") {
    Table t;
    add_gptq(t, "a.q_proj", 256, 64, 4, 64, false, true, false);
    t.add("a.q_proj.g_idx", DType::I32, {256}, std::vector<int32_t>(256, 1000));
    auto wf = t.build();
    Report r(*wf);
    CHECK(r.str("/scheme") == "GPTQ");
    CHECK(!r.has("/methods/0/desc_act"));
    CHECK(r.count("/methods/0/notes") == 1);
  }
  SECTION("a view outside its file and a shard index past the file list") {
    Table t;
    add_gptq(t, "a.q_proj", 256, 64, 4, 64, false, true);
    auto wf = t.build();
    for (TensorInfo& x : wf->tensors)
      if (x.name == "a.q_proj.g_idx") {
        x.data = nullptr;
        x.offset = wf->files[0]->size() - 4;
      } else if (x.name == "a.q_proj.qzeros") {
        x.data = nullptr;
        x.file_index = 7;
      }
    Report r(*wf);
    CHECK(r.str("/scheme") == "GPTQ");
    CHECK(r.num("/methods/0/bits") == 4);
  }
  SECTION("quant-looking names that fit no layout are listed as unrecognized") {
    Table t;
    t.add("x.qweight", DType::F32, {4, 4}, std::vector<float>(16, 0.0f));
    t.add("y.weight.absmax", DType::F32, {4}, std::vector<float>(4, 0.0f));
    t.add("z.weight", DType::U8, {16, 16}, std::vector<uint8_t>(256, 0));
    auto wf = t.build();
    Report r(*wf);
    CHECK(r.str("/scheme") == "none");
    CHECK(r.num("/unrecognized/modules") == 3);
    CHECK(r.count("/unrecognized/examples") == 3);
  }
  SECTION("an empty table") {
    WeightFile wf;
    Report r(wf);
    CHECK(r.str("/scheme") == "none");
  }
}

TEST_CASE("scheme tensors: random tables of quant-looking names never crash",
          "[scheme][malformed]") {
  // Names, dtypes, shapes and byte lengths drawn at random (byte lengths often shorter than the
  // shape needs): every report must still be one valid JSON object.
  const char* const suffixes[] = {"weight",
                                  "qweight",
                                  "qzeros",
                                  "scales",
                                  "g_idx",
                                  "biases",
                                  "weight.absmax",
                                  "weight.quant_map",
                                  "weight.nested_absmax",
                                  "weight.quant_state.bitsandbytes__nf4",
                                  "SCB",
                                  "weight_format",
                                  "weight_scale",
                                  "weight_scale_inv",
                                  "input_scale",
                                  "weight_packed",
                                  "weight_zero_point",
                                  "weight_shape",
                                  "weight_g_idx",
                                  "weight_global_scale"};
  const DType dtypes[] = {DType::F32, DType::F16, DType::BF16, DType::I32,     DType::U32,
                          DType::I8,  DType::U8,  DType::I64,  DType::F8_E4M3, DType::F8_E5M2};
  std::mt19937 g(2024);
  for (int iter = 0; iter < 300; ++iter) {
    Table t;
    const int n = 1 + static_cast<int>(g() % 12);
    for (int i = 0; i < n; ++i) {
      std::vector<uint64_t> shape(g() % 4);
      for (uint64_t& d : shape) {
        const uint32_t k = g() % 10;
        d = k == 0 ? 0 : k == 1 ? uint64_t{1} << (20 + g() % 43) : 1 + g() % 300;
      }
      const uint64_t want = std::min<uint64_t>(numel_of(shape) * 4, 1 << 16);
      std::vector<uint8_t> bytes(g() % 3 == 0 ? g() % (want + 1) : want);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(g());
      t.raw("m" + std::to_string(g() % 3) + "." + suffixes[g() % std::size(suffixes)],
            dtypes[g() % std::size(dtypes)], shape, std::move(bytes));
    }
    auto wf = t.build();
    Report r(*wf);
    CHECK(r.has("/scheme"));
  }
}
