// mwt.hpp's wrappers of the C ABI beyond the file reader the examples use: versions, dtype and
// value-type sizes, conversions, (de)quantization, GGUF file types, the option table, the
// zero-copy array view and the experimental quantization report and plan. Each expected value
// comes from the format (F16 bits, Q8_0's block layout) or from a second route through the ABI.
// Also mwt.h's thread-safety promise for one mwt_file: concurrent first reads of shard data.
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "mwt/mwt.hpp"
#include "st_bytes.hpp"  // st_test::TempDir

namespace {

template <typename Fn>
mwt_code error_code_of(Fn&& fn) {
  try {
    fn();
  } catch (const mwt::Error& e) {
    return e.code();
  }
  return MWT_OK;
}

}  // namespace

TEST_CASE("mwt.hpp: versions, names and sizes", "[abi][hpp]") {
  CHECK(mwt::version_number() == MWT_VERSION_NUMBER);
  CHECK(mwt::abi_version() == MWT_ABI_VERSION);
  CHECK(std::string(mwt::version_string()) == MWT_VERSION_STRING);
  const std::string isa = mwt::active_isa();
  CHECK((isa == "avx2" || isa == "scalar"));
  // Q8_0: 32 int8 values and one F16 scale per block; BF16 is one 2-byte element.
  CHECK(mwt::dtype_block_size(MWT_DTYPE_Q8_0) == 32);
  CHECK(mwt::dtype_type_size(MWT_DTYPE_Q8_0) == 2 + 32);
  CHECK(mwt::dtype_block_size(MWT_DTYPE_BF16) == 1);
  CHECK(mwt::dtype_type_size(MWT_DTYPE_BF16) == 2);
  CHECK(mwt::dtype_type_size(static_cast<mwt_dtype>(4)) == 0);  // a removed ggml id
  CHECK(mwt::value_type_size(MWT_VALUE_U8) == sizeof(uint8_t));
  CHECK(mwt::value_type_size(MWT_VALUE_I16) == sizeof(int16_t));
  CHECK(mwt::value_type_size(MWT_VALUE_U32) == sizeof(uint32_t));
  CHECK(mwt::value_type_size(MWT_VALUE_F32) == sizeof(float));
  CHECK(mwt::value_type_size(MWT_VALUE_I64) == sizeof(int64_t));
  CHECK(mwt::value_type_size(MWT_VALUE_F64) == sizeof(double));
  CHECK(mwt::value_type_size(MWT_VALUE_BOOL) == 1);
  CHECK(mwt::value_type_size(MWT_VALUE_STRING) == 0);
  CHECK(mwt::value_type_size(MWT_VALUE_ARRAY) == 0);
  CHECK(mwt::value_type_size(static_cast<mwt_value_type>(13)) == 0);
}

TEST_CASE("mwt.hpp: float conversions", "[abi][hpp]") {
  const uint16_t f16[3] = {0x3c00, 0xc000, 0x3800};  // 1, -2, 0.5
  float out[3] = {};
  mwt::convert_to_f32(MWT_DTYPE_F16, f16, 3, out);
  CHECK(out[0] == 1.0f);
  CHECK(out[1] == -2.0f);
  CHECK(out[2] == 0.5f);
  uint16_t bf16[3] = {};
  mwt::convert_from_f32(MWT_DTYPE_BF16, out, 3, bf16);
  CHECK(bf16[0] == 0x3f80);  // BF16 is the top half of the F32 bits
  CHECK(bf16[1] == 0xc000);
  CHECK(bf16[2] == 0x3f00);
  CHECK(error_code_of([&] { mwt::convert_to_f32(MWT_DTYPE_Q4_K, f16, 3, out); }) ==
        MWT_E_BAD_DTYPE);
  CHECK(error_code_of([&] { mwt::convert_to_f32(MWT_DTYPE_F16, nullptr, 3, out); }) ==
        MWT_E_ARGUMENT);
}

TEST_CASE("mwt.hpp: quantize and dequantize", "[abi][hpp]") {
  std::vector<float> x(64);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 20.0f;
  CHECK(mwt::can_quantize(MWT_DTYPE_Q8_0));
  CHECK(mwt::can_dequantize(MWT_DTYPE_Q8_0));
  CHECK_FALSE(mwt::can_quantize(static_cast<mwt_dtype>(4)));
  CHECK_FALSE(mwt::can_dequantize(static_cast<mwt_dtype>(4)));
  std::vector<uint8_t> q(2 * mwt::dtype_type_size(MWT_DTYPE_Q8_0));
  mwt::quantize(MWT_DTYPE_Q8_0, x.data(), x.size(), q.data(), q.size());
  std::vector<float> y(x.size()), z(x.size());
  mwt::dequantize(MWT_DTYPE_Q8_0, q.data(), q.size(), y.data(), y.size());
  mwt::dequantize_threads(MWT_DTYPE_Q8_0, q.data(), q.size(), z.data(), z.size(), 2);
  CHECK(std::memcmp(y.data(), z.data(), y.size() * sizeof(float)) == 0);
  // Each block's scale is amax / 127, so a value is off by at most half a step (plus the F16
  // rounding of the scale, well inside the slack).
  for (size_t i = 0; i < x.size(); ++i) {
    const float amax = i < 32 ? 20.0f : 43.0f;
    CHECK(std::fabs(y[i] - x[i]) <= amax / 127.0f * 0.5f * 1.01f);
  }
  CHECK(error_code_of([&] {
          mwt::quantize(MWT_DTYPE_Q8_0, x.data(), x.size() - 1, q.data(), q.size());
        }) == MWT_E_BAD_SHAPE);
  CHECK(error_code_of([&] {
          mwt::dequantize(MWT_DTYPE_Q8_0, q.data(), q.size() - 1, y.data(), y.size());
        }) == MWT_E_SIZE_MISMATCH);
  CHECK(error_code_of([&] {
          mwt::dequantize_threads(MWT_DTYPE_Q8_0, q.data(), q.size(), y.data(), y.size(), -1);
        }) == MWT_E_ARGUMENT);

  // Importance weights: accepted for a K-quant (one row of 256), refused for Q8_0.
  std::vector<float> row(256), w(256, 1.0f), back(256);
  for (size_t i = 0; i < row.size(); ++i) row[i] = std::sin(static_cast<float>(i));
  std::vector<uint8_t> k(mwt::dtype_type_size(MWT_DTYPE_Q4_K));
  mwt::quantize_weighted(MWT_DTYPE_Q4_K, row.data(), row.size(), k.data(), k.size(), w.data(),
                         row.size());
  mwt::dequantize(MWT_DTYPE_Q4_K, k.data(), k.size(), back.data(), back.size());
  double err = 0;
  for (size_t i = 0; i < row.size(); ++i) err += (back[i] - row[i]) * (back[i] - row[i]);
  CHECK(std::sqrt(err / row.size()) < 0.1);  // 4-bit codes of values in [-1, 1]
  CHECK(error_code_of([&] {
          mwt::quantize_weighted(MWT_DTYPE_Q8_0, x.data(), 32, q.data(), 34, w.data(), 32);
        }) == MWT_E_ARGUMENT);
}

TEST_CASE("mwt.hpp: GGUF file type names", "[abi][hpp]") {
  const uint32_t q4_k_m = mwt::file_type_from_name("Q4_K_M");
  CHECK(std::string(mwt::file_type_name(q4_k_m)) == "Q4_K_M");
  CHECK(mwt::file_type_from_name("mostly_q4_k_m") == q4_k_m);
  CHECK(mwt::file_type_name(4) == nullptr);  // a removed llama_ftype
  CHECK(error_code_of([] { mwt::file_type_from_name("Q4_K"); }) == MWT_E_ARGUMENT);
}

TEST_CASE("mwt.hpp: kOptionKeys describes what the library's options hold", "[abi][hpp]") {
  mwt::Options o;
  REQUIRE(std::size(mwt::kOptionKeys) == 14);
  for (const mwt::OptionInfo& k : mwt::kOptionKeys) {
    INFO(k.key);
    CHECK(o.get(k.key) == k.default_value);
    CHECK(std::strlen(k.description) > 0);
    CHECK(k.min <= k.default_value);
    CHECK(k.default_value <= k.max);
    if (k.is_flag) CHECK((k.min == 0 && k.max == 1));
    o.set(k.key, k.max);
    CHECK(o.get(k.key) == k.max);
    CHECK(error_code_of([&] { o.set(k.key, k.min - 1); }) == MWT_E_ARGUMENT);
  }
  CHECK(error_code_of([&] { o.get("limits.no_such_key"); }) == MWT_E_ARGUMENT);
}

TEST_CASE("mwt.hpp: array view, quantization report and plan of a written GGUF", "[abi][hpp]") {
  st_test::TempDir dir;
  const std::string path = dir / "hpp.gguf";
  std::vector<float> weight(2 * 256), norm(256, 1.0f);
  for (size_t i = 0; i < weight.size(); ++i) weight[i] = std::cos(static_cast<float>(i));
  const std::vector<int32_t> ints = {7, -8, 9};
  {
    mwt::Writer w(MWT_FORMAT_GGUF);
    w.add_string("general.architecture", "llama")
        .add("llama.block_count", uint32_t{1})
        .add_array("test.ints", ints)
        .add_tensor("blk.0.ffn_down.weight", MWT_DTYPE_F32, {2, 256}, weight.data(),
                    weight.size() * sizeof(float))
        .add_tensor("blk.0.attn_norm.weight", MWT_DTYPE_F32, {256}, norm.data(),
                    norm.size() * sizeof(float));
    w.write(path);
  }
  mwt::Options options;
  options.set(MWT_OPT_LIMITS_MAX_TENSORS, 2);
  const mwt::File f(path, options);
  REQUIRE(f.tensor_count() == 2);

  // The zero-copy view holds the same elements as the copying accessor.
  const size_t i = f.find_metadata("test.ints").value();
  const auto [data, count] = f.array_data(i, MWT_VALUE_I32);
  REQUIRE(count == ints.size());
  const uint32_t stride = mwt::value_type_size(MWT_VALUE_I32);
  for (uint64_t j = 0; j < count; ++j) {
    int32_t v = 0;
    std::memcpy(&v, static_cast<const uint8_t*>(data) + j * stride, sizeof v);
    CHECK(v == ints[j]);
  }
  CHECK(f.get_array<int32_t>(i) == ints);
  CHECK(error_code_of([&] { (void)f.array_data(i, MWT_VALUE_U32); }) == MWT_E_TYPE_MISMATCH);

  const std::string report = f.quantization();
  CHECK(report.front() == '{');
  CHECK(report.back() == '}');
  CHECK(report.find("\"format\"") != std::string::npos);

  // Quantizing to Q8_0 turns the 2-D weight into Q8_0 and keeps the 1-D norm in F32.
  const std::vector<mwt_dtype> plan = f.plan_quantization(mwt::file_type_from_name("Q8_0"));
  REQUIRE(plan.size() == 2);
  CHECK(plan[0] == MWT_DTYPE_Q8_0);
  CHECK(plan[1] == MWT_DTYPE_F32);
  CHECK(error_code_of([&] { (void)f.plan_quantization(4); }) == MWT_E_ARGUMENT);

  // Below the file's two tensors, the limit set through the MWT_OPT_ constant refuses it.
  options.set(MWT_OPT_LIMITS_MAX_TENSORS, 1);
  CHECK(error_code_of([&] { mwt::File again(path, options); }) == MWT_E_LIMIT_EXCEEDED);
}

TEST_CASE("mwt.hpp: threads reading one sharded File map each shard once", "[abi][hpp]") {
  // mwt.h: the shards of a sharded checkpoint are mapped on first use under a once-flag, so
  // threads racing on the first reads must all get the same pointer and the right bytes.
  st_test::TempDir dir;
  std::map<std::string, std::vector<float>> values;  // by tensor name
  for (int shard = 1; shard <= 4; ++shard) {
    mwt::Writer w(MWT_FORMAT_SAFETENSORS);
    for (int t = 0; t < 3; ++t) {
      const std::string name = std::string("s") + std::to_string(shard) + ".t" + std::to_string(t);
      std::vector<float>& v = values[name];
      for (int k = 0; k < 64; ++k) v.push_back(static_cast<float>(shard * 1000 + t * 64 + k));
      w.add_tensor(name, MWT_DTYPE_F32, {64}, v.data(), 64 * sizeof(float));
    }
    w.write(dir / (std::string("model-0000") + std::to_string(shard) + "-of-00004.safetensors"));
  }
  const mwt::File f(dir.path);
  REQUIRE(f.shard_count() == 4);
  REQUIRE(f.tensor_count() == values.size());
  constexpr int kThreads = 8;
  std::vector<std::vector<const void*>> seen(kThreads, std::vector<const void*>(f.tensor_count()));
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      try {
        for (size_t i = 0; i < f.tensor_count(); ++i) {
          const size_t k = (i + static_cast<size_t>(id)) % f.tensor_count();  // different orders
          const mwt::Tensor t = f.tensor(k);
          seen[id][k] = t.data;
          const std::vector<float>& want = values.at(std::string(t.name));
          if (std::memcmp(t.data, want.data(), want.size() * sizeof(float)) != 0) ++wrong[id];
        }
      } catch (const std::exception&) {
        ++wrong[id];  // an mwt::Error (or a missing name) must not end the process
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int id = 0; id < kThreads; ++id) {
    CHECK(wrong[id] == 0);
    CHECK(seen[id] == seen[0]);
  }
}
