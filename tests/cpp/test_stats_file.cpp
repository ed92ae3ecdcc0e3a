// mwt_file_stats through the C++ wrapper (mwt.hpp): the report of a written GGUF file (planted
// NaN, a duplicate, a tensor spanning several chunks), the same numbers on every thread count,
// progress calls and cancellation, argument errors, and the statistics of block-quantized
// tensors (the fused kernels where the CPU has AVX2) against the oracle over mwt_dequantize's
// values.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "mwt/mwt.hpp"
#include "st_bytes.hpp"  // st_test::TempDir
#include "test_stats_oracle.hpp"

namespace {

struct Calls {
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  int cancel_after = -1;  // cancel on this call (0-based), -1 never
};

int record(uint64_t done, uint64_t total, void* user) {
  auto* c = static_cast<Calls*>(user);
  c->seen.emplace_back(done, total);
  return c->cancel_after >= 0 && static_cast<int>(c->seen.size()) > c->cancel_after ? 1 : 0;
}

// The report without its "threads" member (the only one that names the thread count).
std::string without_threads(std::string s) {
  const size_t at = s.find("\"threads\":");
  REQUIRE(at != std::string::npos);
  const size_t end = s.find(',', at);
  return s.erase(at, end - at + 1);
}

}  // namespace

TEST_CASE("mwt_file_stats: a written file's report", "[stats]") {
  st_test::TempDir dir;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> big(3u << 20);  // 12 MiB: three chunks
  for (auto& x : big) x = normal(rng);
  std::vector<float> small(100, 1.0f);
  small[17] = std::nanf("");
  std::vector<float> twin(big.begin(), big.begin() + 256);
  std::vector<float> copy = twin;
  const std::string path = dir / "x.gguf";
  {
    mwt::Writer w(MWT_FORMAT_GGUF);
    w.add_tensor("big", MWT_DTYPE_F32, {3u << 20}, big.data(), big.size() * 4);
    w.add_tensor("small", MWT_DTYPE_F32, {100}, small.data(), small.size() * 4);
    w.add_tensor("twin", MWT_DTYPE_F32, {256}, twin.data(), twin.size() * 4);
    w.add_tensor("copy", MWT_DTYPE_F32, {256}, copy.data(), copy.size() * 4);
    w.write(path);
  }
  mwt::File f(path);
  const std::string one = f.stats(1);
  CHECK(one.find("\"ok\":false") != std::string::npos);
  CHECK(one.find("\"check\":\"nan\",\"tensor\":\"small\",\"count\":1") != std::string::npos);
  CHECK(one.find("\"tensors\":[\"twin\",\"copy\"]") != std::string::npos);
  CHECK(one.find("\"errors\":1,\"warnings\":1") != std::string::npos);
  // Chunks merge in order: identical numbers (and hashes) on 1, 2 and 3 threads.
  CHECK(without_threads(f.stats(2)) == without_threads(one));
  CHECK(without_threads(f.stats(3)) == without_threads(one));

  Calls calls;
  (void)f.stats(2, record, &calls);
  REQUIRE(calls.seen.size() >= 2);
  const uint64_t total = calls.seen.front().second;
  CHECK(total == (big.size() + small.size() + 2 * twin.size()) * 4);
  CHECK(calls.seen.front().first == 0);
  CHECK(calls.seen.back().first == total);

  Calls cancel;
  cancel.cancel_after = 0;
  const std::string stopped = f.stats(1, record, &cancel);
  CHECK(cancel.seen.size() == 1);
  CHECK(stopped.find("\"cancelled\":true") != std::string::npos);
  CHECK(stopped.find("\"tensors\":[]") != std::string::npos);
  CHECK(stopped.find("\"ok\":false") != std::string::npos);
}

TEST_CASE("mwt_file_stats: argument errors", "[stats]") {
  char* json = nullptr;
  size_t len = 0;
  mwt_status* s = mwt_file_stats(nullptr, 0, nullptr, nullptr, &json, &len);
  REQUIRE(s != nullptr);
  CHECK(mwt_status_code(s) == MWT_E_ARGUMENT);
  mwt_status_free(s);
  CHECK(json == nullptr);
}

TEST_CASE("mwt_file_stats: block-quantized tensors against the oracle of their values", "[stats]") {
  st_test::TempDir dir;
  std::mt19937 rng(8);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  struct Planted {
    std::string name;
    mwt_dtype dtype;
    std::vector<uint8_t> bytes;
    uint64_t n;
  };
  std::vector<Planted> tensors;
  auto add = [&](const std::string& name, mwt_dtype dt, const std::vector<float>& x) {
    const bool q8 = dt == MWT_DTYPE_Q8_0;
    std::vector<uint8_t> q(x.size() / (q8 ? 32 : 256) * (q8 ? 34 : 144));
    mwt::quantize(dt, x.data(), x.size(), q.data(), q.size());
    tensors.push_back({name, dt, std::move(q), x.size()});
  };
  // 6 MiB of Q8_0 (two chunks), asymmetric values; Q4_K of layer-norm-like values; ReLU-like
  // values (exact zeros); a Q8_0 tensor with a NaN scale in one block; an all-zero Q4_K tensor.
  std::vector<float> big((size_t{6} << 20) / 34 * 32 / 4096 * 4096);
  for (auto& x : big) x = 0.005f + 0.02f * normal(rng);
  add("q8", MWT_DTYPE_Q8_0, big);
  std::vector<float> norm(1 << 16), relu(1 << 16);
  for (auto& x : norm) x = 1.0f + 0.01f * normal(rng);
  for (auto& x : relu) x = std::max(0.0f, normal(rng));
  add("q4k_norm", MWT_DTYPE_Q4_K, norm);
  add("q4k_relu", MWT_DTYPE_Q4_K, relu);
  add("q8_nan", MWT_DTYPE_Q8_0, relu);
  tensors.back().bytes[34 * 100 + 1] = 0x7E;  // block 100: d = NaN (f16 0x7Exx)
  add("q4k_zero", MWT_DTYPE_Q4_K, std::vector<float>(4096, 0.0f));

  const std::string path = dir / "q.gguf";
  {
    mwt::Writer w(MWT_FORMAT_GGUF);
    for (const Planted& t : tensors)
      w.add_tensor(t.name, t.dtype, {t.n}, t.bytes.data(), t.bytes.size());
    w.write(path);
  }
  mwt::File f(path);
  const std::string one = f.stats(1);
  CHECK(without_threads(f.stats(2)) == without_threads(one));
  simdjson::dom::parser parser;
  simdjson::dom::element report;
  REQUIRE(parser.parse(one).get(report) == simdjson::SUCCESS);
  simdjson::dom::array list;
  REQUIRE(report["tensors"].get(list) == simdjson::SUCCESS);
  size_t i = 0;
  for (simdjson::dom::element t : list) {
    REQUIRE(i < tensors.size());
    const Planted& p = tensors[i++];
    INFO(p.name);
    CHECK(std::string_view(t["name"].get_string().value()) == p.name);
    std::vector<float> values(p.n);
    mwt::dequantize(p.dtype, p.bytes.data(), p.bytes.size(), values.data(), values.size());
    const stats_test::Oracle o = stats_test::oracle(values);
    simdjson::dom::element s = t["stats"];
    CHECK(uint64_t(s["count"].get_uint64().value()) == o.count);
    CHECK(uint64_t(s["nan"].get_uint64().value()) == o.nan);
    CHECK(uint64_t(s["inf"].get_uint64().value()) == o.inf);
    CHECK(uint64_t(s["zero"].get_uint64().value()) == o.zero);
    CHECK(s["min"].get_double().value() == static_cast<double>(o.min));
    CHECK(s["max"].get_double().value() == static_cast<double>(o.max));
    const double std_o = std::sqrt(o.m2 / static_cast<double>(o.finite));
    CHECK(std::fabs(s["mean"].get_double().value() - o.mean) <= 1e-9 * o.scale());
    CHECK(std::fabs(s["std"].get_double().value() - std_o) <= 1e-9 * o.scale());
  }
  CHECK(i == tensors.size());
  CHECK(one.find("\"check\":\"nan\",\"tensor\":\"q8_nan\",\"count\":32") != std::string::npos);
  CHECK(one.find("\"check\":\"all_zero\",\"tensor\":\"q4k_zero\"") != std::string::npos);
}
